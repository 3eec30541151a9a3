// Builds the native parts at `npm ci` / `npm run build` time in a checkout (the `prepare`
// script) and at install time of the published package (`postinstall`, with --postinstall):
//  - the userspace link emulator (C, system compiler) -> netem/build/linkemu   [required]
//  - the quic-go reference subject (Go, Debian's golang + quic-go packages, GOPATH mode)
//    -> harness/subjects/quic-go/build/quicgo-subject                        [optional]
// Both land inside the package directory (for `sudo npm i -g`, root-owned under npm's global
// node_modules). A missing optional toolchain is reported, not fatal: cells that need it
// become `unsupported` with the reason `bench doctor` prints. At install time nothing is
// fatal: a package that installs can still run --backend loopback, compare, report and
// export, and `bench doctor` names what is missing (issue 19).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEBIAN_GOPATH, EMULATOR_BIN, EMULATOR_SRC, IS_CHECKOUT, NATIVE_BUILD_HINT, QUICGO_BIN, QUICGO_SRC_DIR } from '../core/native.js';
import { PACKAGE_NAME, PROJECT_ROOT } from '../core/version.js';


function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function buildEmulator(): void {
  const cc = process.env.CC ?? 'cc';
  if (!have(cc)) throw new Error(`no C compiler (${cc}) found; install one: apt-get install gcc`);
  mkdirSync(join(PROJECT_ROOT, 'netem', 'build'), { recursive: true });
  execFileSync(cc, ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-o', EMULATOR_BIN, EMULATOR_SRC, '-lm'], { stdio: 'inherit' });
  process.stderr.write(`bench build: link emulator -> ${EMULATOR_BIN}\n`);
}

function buildQuicGo(): void {
  if (!existsSync(join(QUICGO_SRC_DIR, 'main.go'))) return;
  const qg = join(DEBIAN_GOPATH, 'src', 'github.com', 'lucas-clemente', 'quic-go');
  if (!have('go') || !existsSync(qg)) {
    process.stderr.write(
      'bench build: skipping the quic-go subject (needs Debian packages golang-go and golang-github-lucas-clemente-quic-go-dev)\n',
    );
    return;
  }
  mkdirSync(join(QUICGO_SRC_DIR, 'build'), { recursive: true });
  // Stamp the quic-go version (Debian package version minus the revision) into the binary
  // for `quicgo-subject version`: GOPATH builds carry no module version information.
  let qgVersion = 'unknown';
  try {
    const v = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'golang-github-lucas-clemente-quic-go-dev'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (/^[\w.:~+-]+$/.test(v.trim())) qgVersion = v.trim().replace(/^\d+:/, '').replace(/-[^-]*$/, '');
  } catch {
    /* not a Debian package install: keep "unknown" */
  }
  execFileSync('go', ['build', '-ldflags', `-X main.quicGoVersion=${qgVersion}`, '-o', QUICGO_BIN, '.'], {
    cwd: QUICGO_SRC_DIR,
    stdio: 'inherit',
    env: {
      ...process.env,
      GO111MODULE: 'off',
      GOPATH: DEBIAN_GOPATH,
      GOCACHE: join(QUICGO_SRC_DIR, 'build', '.gocache'),
    },
  });
  process.stderr.write(`bench build: quic-go subject -> ${QUICGO_BIN}\n`);
}

function postinstall(): void {
  // In a checkout `prepare` builds everything after dependencies are installed.
  if (IS_CHECKOUT) return;
  const say = (m: string): boolean => process.stderr.write(`${PACKAGE_NAME}: ${m}\n`);
  try {
    buildEmulator();
  } catch (err) {
    say(`the link emulator was not built: ${(err as Error).message}`);
    say('  it is needed by the userspace backend (kernels without sch_netem); loopback, compare, report and export work without it');
    say(`  install gcc and libc6-dev (apt-get install gcc libc6-dev), then run: ${NATIVE_BUILD_HINT}`);
  }
  try {
    buildQuicGo();
  } catch (err) {
    say(`the quic-go reference subject was not built: ${(err as Error).message}`);
    say(`  its cells will be \`unsupported\`; to retry: ${NATIVE_BUILD_HINT}`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  if (process.argv.includes('--postinstall')) postinstall();
  else {
    // tsc writes the CLI without the executable bit when dist/ was removed; the `bench` link
    // (npm link / a global install) needs it.
    chmodSync(join(PROJECT_ROOT, 'dist', 'harness', 'cli.js'), 0o755);
    if (existsSync(EMULATOR_SRC)) buildEmulator();
    else process.stderr.write(`bench build: ${EMULATOR_SRC} not found\n`);
    buildQuicGo();
  }
}
