// The published package as a user gets it (issue 19): `npm pack` holds what bench needs and
// nothing of this machine or its tests; a global install into an empty prefix builds the
// natives at postinstall; the installed `bench` runs doctor and scenarios from its own
// directory (node_modules/quic-bench), never from this checkout.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_GOPATH } from '../harness/core/native.js';
import { PACKAGE_NAME, PROJECT_ROOT } from '../harness/core/version.js';
import type { ResultFile } from '../harness/results/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'bench-pkg-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const isRoot = process.getuid?.() === 0;
const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** npm under `npm test` inherits npm_config_* / npm_package_* from the outer npm: not a user's shell. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return env;
}

function sh(cmd: string, args: string[], cwd = tmp): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function have(cmd: string): boolean {
  return sh('sh', ['-c', `command -v ${cmd}`]).code === 0;
}

interface PackEntry {
  path: string;
  size: number;
}

test('npm pack: dist, the emulator and quic-go sources, profiles and scenarios; no tests, maps or build products', (t) => {
  // --ignore-scripts: `npm test` built dist/ already; `prepare` would rebuild it.
  const r = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], PROJECT_ROOT);
  assert.equal(r.code, 0, r.stderr);
  const [info] = JSON.parse(r.stdout) as { filename: string; size: number; unpackedSize: number; files: PackEntry[] }[];
  const paths = info.files.map((f) => f.path);
  t.diagnostic(`${info.filename}: ${paths.length} files, ${info.size} bytes packed, ${info.unpackedSize} unpacked`);
  for (const need of [
    'package.json',
    'README.md',
    'dist/harness/cli.js',
    'dist/harness/agent/main.js',
    'dist/harness/dev/build-native.js',
    'dist/netem/probe-agent.js',
    'dist/reports/html.js',
    'reports/browser/client.js',
    'netem/emulator/linkemu.c',
    'netem/profiles/lte.yaml',
    'harness/subjects/quic-go/main.go',
    'scenarios/baseline.yaml',
    'scenarios/loss-5pct.yaml',
  ]) {
    assert.ok(paths.includes(need), `${need} missing from the tarball`);
  }
  const banned = paths.filter(
    (p) =>
      /^(dist\/)?test\//.test(p) ||
      /^results\//.test(p) ||
      /\/build\//.test(p) ||
      p.endsWith('.map') ||
      p.endsWith('.ts') ||
      p.includes('node_modules') ||
      p.includes('testkit') ||
      p === 'tsconfig.json' ||
      p.startsWith('.'),
  );
  assert.deepEqual(banned, [], 'tests, build products, maps or sources of this checkout in the tarball');
  assert.ok(info.size < 1_000_000, `tarball ${info.size} bytes: something large slipped in`);
  writeFileSync(join(tmp, 'tarball'), join(tmp, info.filename));
});

const prefix = join(tmp, 'repo', 'prefix');
const installed = join(prefix, 'lib', 'node_modules', PACKAGE_NAME);
const benchBin = join(prefix, 'bin', 'bench');

test('npm install -g into an empty prefix builds the natives at postinstall', { timeout: 300_000 }, (t) => {
  const tarball = readFileSync(join(tmp, 'tarball'), 'utf8');
  // The prefix sits inside someone else's git repository: the installed bench must not
  // report that repository's commit as its own (harness/version.ts gitSha).
  const repo = join(tmp, 'repo');
  execFileSync('git', ['init', '-q', repo]);
  execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '--allow-empty', '-m', 'user repo']);
  // Dependencies come from npm's cache (filled by `npm ci`) where it has them.
  const r = sh('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', `--allow-scripts=${PACKAGE_NAME}`, tarball]);
  t.diagnostic(`npm install: ${r.stdout.trim().split('\n').pop()}`);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.ok(existsSync(benchBin), 'bench is on the prefix bin');
  assert.ok(existsSync(join(prefix, 'bin', PACKAGE_NAME)), `${PACKAGE_NAME} (the npx name) is on the prefix bin`);
  if (have('cc')) assert.ok(existsSync(join(installed, 'netem', 'build', 'linkemu')), `postinstall built no emulator:\n${r.stderr}`);
  if (have('go') && existsSync(join(DEBIAN_GOPATH, 'src', 'github.com', 'lucas-clemente', 'quic-go'))) {
    assert.ok(existsSync(join(installed, 'harness', 'subjects', 'quic-go', 'build', 'quicgo-subject')), `postinstall built no quic-go subject:\n${r.stderr}`);
  }
  for (const b of [benchBin, join(prefix, 'bin', PACKAGE_NAME)]) {
    const v = sh(b, ['--version']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), version);
  }
});

test('postinstall without a C compiler or Go: the install still succeeds and says what is missing', () => {
  const env = { ...cleanEnv(), CC: 'no-such-cc', PATH: '/nonexistent' };
  const r = spawnSync(process.execPath, [join(installed, 'dist', 'harness', 'dev', 'build-native.js'), '--postinstall'], { cwd: installed, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /quic-bench: the link emulator was not built: no C compiler \(no-such-cc\) found/);
  assert.match(r.stderr, /install gcc and libc6-dev .* then run: npm run build:native --prefix /);
  assert.match(r.stderr, /skipping the quic-go subject \(needs Debian packages golang-go and golang-github-lucas-clemente-quic-go-dev\)/);
});

test('the installed bench doctor finds its own emulator', { timeout: 60_000 }, () => {
  const r = sh(benchBin, ['doctor']);
  // Exit 3 means no impairing backend (not root); loopback still works.
  assert.equal(r.code, isRoot ? 0 : 3, `${r.stdout}\n${r.stderr}`);
  if (have('cc')) assert.ok(r.stdout.includes(`link emulator built (${join(installed, 'netem', 'build', 'linkemu')})`), r.stdout);
});

function writeScenario(name: string, body: string): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\ndescription: smoke test of an installed copy\n${body}`);
  return file;
}

function readResult(dir: string): ResultFile {
  for (const f of ['result.json', 'report.html', 'summary.md']) assert.ok(existsSync(join(dir, f)), `${f} missing in ${dir}`);
  return JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as ResultFile;
}

test('a loopback scenario from the installed copy: agents, QUIC and the quic-go subject from node_modules', { timeout: 120_000 }, () => {
  const scenario = writeScenario('tiny', 'transports: [tcp, tls, quic, quicgo-tunnel]\nworkloads:\n  - echo: { payload: 64B, count: 20 }\nrepetitions: 1\n');
  const out = join(tmp, 'out-loopback');
  const r = sh(benchBin, ['run', scenario, '--backend', 'loopback', '--out', out], join(tmp, 'repo'));
  assert.equal(r.code, 0, r.stderr);
  const result = readResult(out);
  assert.equal(result.tool.gitSha, null, 'an installed copy has no commit of its own');
  assert.equal(result.tool.version, version);
  const status = Object.fromEntries(result.cells.map((c) => [c.transport, c.status]));
  assert.deepEqual({ tcp: status.tcp, tls: status.tls, quic: status.quic }, { tcp: 'ok', tls: 'ok', quic: 'ok' });
  const quicgoBuilt = existsSync(join(installed, 'harness', 'subjects', 'quic-go', 'build', 'quicgo-subject'));
  assert.equal(status['quicgo-tunnel'], quicgoBuilt ? 'ok' : 'unsupported');
});

test('an impaired scenario from the installed copy runs its own link emulator', { skip: isRoot ? false : 'needs root (namespaces, TUN)', timeout: 120_000 }, () => {
  const scenario = writeScenario('tiny-link', 'link: { delay: 2ms }\ntransports: [tcp]\nworkloads:\n  - echo: { payload: 64B, count: 20 }\nrepetitions: 1\n');
  const out = join(tmp, 'out-userspace');
  const r = sh(benchBin, ['run', scenario, '--backend', 'userspace', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const result = readResult(out);
  assert.equal(result.cells[0].status, 'ok');
  const emulator = join(installed, 'netem', 'build', 'linkemu');
  assert.ok(result.labs[0].applied.commands.some((c) => c.includes(emulator)), `no command ran ${emulator}: ${result.labs[0].applied.commands.join('\n')}`);
  // Two 2 ms one-way delays: the calibrated RTT cannot be below 4 ms.
  assert.ok(result.labs[0].measured!.rttMs.p50 >= 4, `calibrated RTT p50 ${result.labs[0].measured!.rttMs.p50} ms`);
});
