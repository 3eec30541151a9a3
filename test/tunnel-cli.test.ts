// `bench tunnel cert|server|client` as a parent process sees them: the real binary, its
// ready line on stdout, counters as JSON on stderr (SIGUSR1 and exit), exit codes.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connectTcp, echoHandler, readAll, startBackend } from '../harness/dev/tunnel-loopback.js';
import { CLI } from './kit/testkit.js';

interface Proc {
  child: ChildProcess;
  /** The first stdout line (the ready line), or rejects if the process exits first. */
  ready: Promise<string>;
  stderr: string[];
  exit: Promise<number | null>;
}

function bench(t: TestContext, args: string[]): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exit = new Promise<number | null>((r) => child.once('close', (code) => r(code))); // close: after the last output is read
  const ready = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    void exit.then((code) => reject(new Error(`bench ${args[1]} exited ${code} before ready: ${stderr.join(' | ')}`)));
  });
  ready.catch(() => {});
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exit;
    }
  });
  return { child, ready, stderr, exit };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tunnel-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function certIn(t: TestContext, dir: string): Promise<string> {
  const p = bench(t, ['tunnel', 'cert', '--out', dir]);
  const fp = await p.ready;
  assert.equal(await p.exit, 0);
  return fp;
}

const portOf = (line: string): number => Number(/:(\d+)$/.exec(line)![1]);
const countersIn = (lines: string[]): Array<Record<string, number | string>> =>
  lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, number | string>);

test('bench tunnel cert writes cert.pem/key.pem and prints the fingerprint', async (t) => {
  const dir = tempDir(t);
  const fp = await certIn(t, dir);
  assert.match(fp, /^[0-9a-f]{64}$/);
  assert.ok(readFileSync(join(dir, 'cert.pem'), 'utf8').includes('BEGIN CERTIFICATE'));
  assert.equal(statSync(join(dir, 'key.pem')).mode & 0o077, 0, 'key.pem is private');
});

test('bench tunnel server + client carry a TCP connection, report counters, stop on SIGTERM', async (t) => {
  const dir = tempDir(t);
  await certIn(t, dir);
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const srv = bench(t, ['tunnel', 'server', '--listen', '127.0.0.1:0', '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--allow', `echo=127.0.0.1:${backend.port}`]);
  const srvReady = await srv.ready;
  assert.match(srvReady, /^listening udp 127\.0\.0\.1:\d+$/);
  const sock = join(dir, 'app.sock');
  const cli = bench(t, ['tunnel', 'client', '--listen', sock, '--server', `127.0.0.1:${portOf(srvReady)}`, '--token', 'echo', '--ca-cert', join(dir, 'cert.pem')]);
  assert.equal(await cli.ready, `listening unix ${sock}`);

  const app = await connectTcp(sock);
  const got = readAll(app);
  app.end('through the CLI tunnel');
  assert.equal((await got).toString(), 'through the CLI tunnel');

  srv.child.kill('SIGUSR1');
  await waitFor(() => countersIn(srv.stderr).length > 0);
  assert.equal(countersIn(srv.stderr)[0]!.role, 'server');

  cli.child.kill('SIGTERM');
  srv.child.kill('SIGTERM');
  assert.equal(await cli.exit, 0);
  assert.equal(await srv.exit, 0);
  const last = countersIn(cli.stderr).at(-1)!;
  assert.equal(last.event, 'tunnel-counters');
  assert.equal(last.bytesUp, 'through the CLI tunnel'.length);
  assert.equal(last.bytesDown, 'through the CLI tunnel'.length);
  assert.equal(countersIn(srv.stderr).at(-1)!.streamsClosed, 1);
  assert.ok(!existsSync(sock), 'the UNIX socket is removed at exit');
});

test('bench tunnel client exits 3 naming both fingerprints when the server certificate is not the pinned one', async (t) => {
  const dir = tempDir(t);
  const fp = await certIn(t, dir);
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const srv = bench(t, ['tunnel', 'server', '--listen', '127.0.0.1:0', '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--allow', `echo=127.0.0.1:${backend.port}`]);
  const port = portOf(await srv.ready);
  const wrong = fp.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  const cli = bench(t, ['tunnel', 'client', '--listen', '127.0.0.1:0', '--server', `127.0.0.1:${port}`, '--token', 'echo', '--fingerprint', wrong]);
  assert.equal(await cli.exit, 3);
  const err = cli.stderr.join('\n');
  assert.ok(err.includes(fp) && err.includes(wrong), err);
  assert.equal(backend.accepted, 0);
});

test('bench tunnel rejects bad arguments with exit 2 before doing anything', async (t) => {
  const dir = tempDir(t);
  await certIn(t, dir);
  const cases: string[][] = [
    ['tunnel', 'server', '--listen', '127.0.0.1:0', '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--allow', 'no-port-here'],
    ['tunnel', 'client', '--listen', '127.0.0.1:0', '--server', '127.0.0.1:1', '--token', 'x'],
    ['tunnel', 'client', '--listen', '127.0.0.1:0', '--server', '127.0.0.1:1', '--token', 'x', '--fingerprint', 'abc', '--mode', 'stream'],
    ['tunnel', 'client', '--listen', '127.0.0.1:0', '--server', '127.0.0.1:1', '--token', 'x', '--fingerprint', 'a'.repeat(64), '--mode', 'bogus'],
  ];
  const codes = await Promise.all(cases.map((args) => bench(t, args).exit));
  assert.deepEqual(codes, cases.map(() => 2));
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
