// Builds the native parts at `npm ci` / `npm run build` time (the `prepare` script):
//  - the userspace link emulator (C, system compiler) -> netem/build/linkemu   [required]
//  - the quic-go reference subject (Go, Debian's golang + quic-go packages, GOPATH mode)
//    -> harness/subjects/quic-go/build/quicgo-subject                        [optional]
// A missing optional toolchain is reported, not fatal: cells that need it become
// `unsupported` with the reason `bench doctor` prints.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEBIAN_GOPATH, EMULATOR_BIN, EMULATOR_SRC, QUICGO_BIN, QUICGO_SRC_DIR } from '../core/native.js';
import { PROJECT_ROOT } from '../core/version.js';


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

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  // tsc writes the CLI without the executable bit when dist/ was removed; the `bench` link
  // (npm link / a global install) needs it.
  chmodSync(join(PROJECT_ROOT, 'dist', 'harness', 'cli.js'), 0o755);
  if (existsSync(EMULATOR_SRC)) buildEmulator();
  else process.stderr.write(`bench build: ${EMULATOR_SRC} not found\n`);
  buildQuicGo();
}
