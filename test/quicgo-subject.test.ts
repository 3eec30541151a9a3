// The quic-go reference subject (harness/subjects/quic-go) against its built binary, on
// 127.0.0.1 only: version, echo-server (driven by @matrixai/quic, i.e. quiche <-> quic-go
// interop), and the TCP-over-QUIC tunnel (bulk integrity + goodput, half-close, resets both
// ways, allowlist refusal, fingerprint pinning, reconnect, stats, clean shutdown).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { QUICClient, native } from '@matrixai/quic';
import Logger, { LogLevel } from '@matrixai/logger';
import { QUICGO_BIN } from '../harness/core/native.js';
import { generateCredentials } from '../harness/core/certs.js';
import { howItEnds } from '../harness/dev/tunnel-loopback.js';

const HOST = '127.0.0.1';
const skip = existsSync(QUICGO_BIN) ? false : `quic-go subject not built (${QUICGO_BIN}; needs golang-go + golang-github-lucas-clemente-quic-go-dev)`;

// ---------- subject processes ----------

interface Subject {
  proc: ChildProcess;
  addr: string; // from the "ready <udp|tcp> <addr>" line
  port: number;
  lines: string[]; // stderr lines
  json: () => Record<string, any>[]; // stderr JSON objects so far
  waitStderr: (pred: (line: string) => boolean, ms?: number) => Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const procs: ChildProcess[] = [];
// Set when the test ends. A subtest still running after the test timed out (its code goes on)
// must start no subject: killAll has run, and a live subject would keep this file's process,
// and with it the whole test run, waiting forever.
let finished = false;

async function startSubject(args: string[]): Promise<Subject> {
  if (finished) throw new Error(`not starting ${args[0]}: the test has ended`);
  // --exit-on-stdin-eof: if this test process dies, the subject sees EOF on stdin and exits.
  const proc = spawn(QUICGO_BIN, [...args, '--exit-on-stdin-eof'], { stdio: ['pipe', 'pipe', 'pipe'] });
  procs.push(proc);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let errBuf = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    errBuf += d;
    let i;
    while ((i = errBuf.indexOf('\n')) >= 0) {
      lines.push(errBuf.slice(0, i));
      errBuf = errBuf.slice(i + 1);
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // 'close', not 'exit': 'exit' can come before the last stderr lines (the final stats) are read.
    proc.on('close', (code, signal) => resolve({ code, signal })),
  );
  const waitStderr = (pred: (line: string) => boolean, ms = 5000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const l = lines.find(pred);
        if (l === undefined) return false;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(l);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for stderr line; stderr so far:\n${lines.join('\n')}`));
      }, ms);
      if (!check()) waiters.add(check);
    });
  const ready = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ready line from ${args[0]}; stderr:\n${lines.join('\n')}`)), 5000);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^ready (udp|tcp) (\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[2]);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited (${code}) before ready; stderr:\n${lines.join('\n')}`));
    });
  });
  const json = (): Record<string, any>[] =>
    lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
  return { proc, addr: ready, port: Number(ready.split(':').pop()), lines, json, waitStderr, exited };
}

async function stopSubject(s: Subject): Promise<Record<string, any>> {
  s.proc.kill('SIGTERM');
  const { code } = await s.exited;
  assert.equal(code, 0, `exit code after SIGTERM; stderr:\n${s.lines.join('\n')}`);
  const final = s.json().filter((j) => j.event === 'stats' && j.final);
  assert.equal(final.length, 1, 'one final stats line');
  return final[0];
}

function killAll(): void {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

// ---------- TCP helpers ----------

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

async function listen(onConn: (s: net.Socket) => void): Promise<number> {
  const srv = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    onConn(s);
  });
  servers.push(srv);
  srv.listen(0, HOST);
  await once(srv, 'listening');
  return (srv.address() as net.AddressInfo).port;
}

interface Outcome {
  data: Buffer;
  ended: boolean; // got FIN
  error?: string; // error code, e.g. ECONNRESET
}

/** Connects, runs `drive`, collects everything received until close. */
async function tcpSession(port: number, drive: (s: net.Socket) => void | Promise<void>, ms = 10000): Promise<Outcome> {
  const s = net.connect({ host: HOST, port, allowHalfOpen: true });
  sockets.add(s);
  const chunks: Buffer[] = [];
  const out: Outcome = { data: Buffer.alloc(0), ended: false };
  s.on('data', (d: Buffer) => chunks.push(d));
  s.on('end', () => {
    out.ended = true;
    s.end();
  });
  s.on('error', (e: NodeJS.ErrnoException) => (out.error = e.code ?? e.message));
  const closed = new Promise((resolve) => s.on('close', resolve)); // (events.once would reject on 'error')
  // A tunnel client that refuses may reset the connection before our connect completes:
  // that is an outcome (out.error), not a test error.
  const connected = await new Promise<boolean>((resolve) => {
    s.once('connect', () => resolve(true));
    s.once('close', () => resolve(false));
  });
  if (connected) await drive(s);
  const timer = setTimeout(() => s.destroy(new Error('tcpSession timeout')), ms);
  await closed;
  clearTimeout(timer);
  sockets.delete(s);
  out.data = Buffer.concat(chunks);
  return out;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

// ---------- the test ----------

test('quic-go subject (harness/subjects/quic-go)', { skip, timeout: 60000 }, async (t: TestContext) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-quicgo-test-'));
  t.after(async () => {
    finished = true;
    killAll();
    for (const s of sockets) s.destroy();
    for (const srv of servers) srv.close();
    await rm(dir, { recursive: true, force: true });
  });
  const creds = await generateCredentials();
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await writeFile(cert, creds.certPem, { mode: 0o600 });
  await writeFile(key, creds.keyPem, { mode: 0o600 });
  const fp = creds.fingerprintSha256;

  await t.test('version names quic-go and Go', () => {
    const v = execFileSync(QUICGO_BIN, ['version'], { encoding: 'utf8' }).trim();
    assert.match(v, /^quic-go \S+ go\d+\.\d+/);
    t.diagnostic(`subject version: ${v}`);
  });

  await t.test('echo-server: many streams echo byte for byte (quiche client via @matrixai/quic)', async () => {
    const srv = await startSubject(['echo-server', '--listen', `${HOST}:0`, '--cert', cert, '--key', key, '--alpn', 'bench-echo/1']);
    // stdout ("ready") and stderr (settings) are separate pipes: the settings line may arrive
    // after the ready line, so wait for it rather than expect it already read.
    await srv.waitStderr((l) => l.startsWith('{') && (JSON.parse(l) as { event?: string }).event === 'settings');
    const settings = srv.json().find((j) => j.event === 'settings');
    assert.ok(settings, 'settings JSON on stderr at start');
    assert.deepEqual(settings.quicVersions, ['0x00000001']);
    assert.equal(settings.alpn, 'bench-echo/1');
    assert.ok(settings.maxStreamReceiveWindow > 6 << 20);

    const client = await QUICClient.createQUICClient({
      host: HOST,
      port: srv.port,
      localHost: HOST,
      logger: new Logger('quicgo-test', LogLevel.WARN),
      crypto: { ops: { randomBytes: async (b: ArrayBuffer) => void webcrypto.getRandomValues(new Uint8Array(b)) } },
      config: {
        applicationProtos: ['bench-echo/1'],
        verifyPeer: true,
        // Pinning, as the harness does: accept exactly the generated certificate.
        verifyCallback: async (certs: Uint8Array[]) =>
          createHash('sha256').update(certs[0]).digest('hex') === fp ? undefined : native.CryptoError.BadCertificate,
      },
    });
    try {
      const echoOne = async (size: number): Promise<boolean> => {
        const stream = client.connection.newStream();
        const data = randomBytes(size);
        const w = stream.writable.getWriter();
        const writing = (async () => {
          await w.write(data);
          await w.close();
        })();
        const got: Buffer[] = [];
        for await (const c of stream.readable) got.push(Buffer.from(c));
        await writing;
        return Buffer.concat(got).equals(data);
      };
      const sizes = Array.from({ length: 40 }, (_, i) => 1 + ((i * 7919) % 20000));
      const ok = await Promise.all(sizes.map(echoOne));
      assert.equal(ok.filter(Boolean).length, sizes.length, 'every stream echoed exactly');
    } finally {
      await client.destroy({ force: true });
    }
    const stats = await stopSubject(srv);
    assert.equal(stats.streams, 40);
    assert.equal(stats.bytesEchoed, Array.from({ length: 40 }, (_, i) => 1 + ((i * 7919) % 20000)).reduce((a, b) => a + b));
  });

  await t.test('echo-server exits cleanly when stdin closes (--exit-on-stdin-eof)', async () => {
    const srv = await startSubject(['echo-server', '--listen', `${HOST}:0`, '--cert', cert, '--key', key]);
    srv.proc.stdin!.end();
    const { code } = await srv.exited;
    assert.equal(code, 0);
    await srv.waitStderr((l) => l.includes('stdin EOF'));
  });

  // Backends reachable only through the tunnel's allowlist.
  const echoPort = await listen((s) => {
    s.pipe(s);
    s.on('error', () => {});
  });
  const hashPort = await listen((s) => {
    // Reads to EOF, then (after a pause, so the reply clearly follows the half-close)
    // answers "<sha256> <bytes>\n" and closes.
    const h = createHash('sha256');
    let n = 0;
    s.on('data', (d: Buffer) => {
      h.update(d);
      n += d.length;
    });
    s.on('end', () => setTimeout(() => s.end(`${h.digest('hex')} ${n}\n`), 50));
    s.on('error', () => {});
  });
  const rstPort = await listen((s) => {
    s.once('data', () => s.resetAndDestroy()); // resets the connection on the first byte
    s.on('error', () => {});
  });
  const watchClosed: Array<Promise<string>> = [];
  const watchPort = await listen((s) => {
    watchClosed.push(howItEnds(s)); // how the connection ended (the client side will reset it)
    s.resume();
  });

  const serverArgs = [
    'tunnel-server', '--cert', cert, '--key', key,
    '--allow', `echo=${HOST}:${echoPort}`, '--allow', `hash=${HOST}:${hashPort}`,
    '--allow', `rst=${HOST}:${rstPort}`, '--allow', `watch=${HOST}:${watchPort}`,
  ];
  let tsrv = await startSubject([...serverArgs, '--listen', `${HOST}:0`]);
  const serverAddr = tsrv.addr;
  const client = async (token: string, fingerprint = fp): Promise<Subject> =>
    startSubject(['tunnel-client', '--listen', `${HOST}:0`, '--server', serverAddr, '--fingerprint', fingerprint, '--token', token]);
  const echoC = await client('echo');
  const hashC = await client('hash');

  await t.test('tunnel: ~100 MB echoed intact both ways (sha256), goodput reported', async () => {
    const total = 100 * 1024 * 1024;
    const base = randomBytes(1 << 20);
    const sent = createHash('sha256');
    const recv = createHash('sha256');
    let received = 0;
    const t0 = process.hrtime.bigint();
    let ended = false;
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: HOST, port: echoC.port, allowHalfOpen: true });
      sockets.add(s);
      s.on('data', (d: Buffer) => {
        recv.update(d);
        received += d.length;
      });
      s.on('end', () => (ended = true));
      s.on('error', reject);
      s.on('close', () => resolve());
      let i = 0;
      const pump = (): void => {
        while (i < total / base.length) {
          const chunk = Buffer.from(base);
          chunk.writeUInt32BE(i++, 0); // every MiB differs: reordering/duplication would show
          sent.update(chunk);
          if (!s.write(chunk)) {
            s.once('drain', pump);
            return;
          }
        }
        s.end();
      };
      s.on('connect', pump);
    });
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    assert.ok(ended, 'echo ends with FIN after ours');
    assert.equal(received, total);
    assert.equal(recv.digest('hex'), sent.digest('hex'));
    t.diagnostic(
      `quic-go tunnel loopback echo: ${total} B each way in ${secs.toFixed(2)} s = ${((total * 8) / secs / 1e6).toFixed(0)} Mbit/s per direction`,
    );
  });

  await t.test('tunnel: half-close carried (client shuts write, backend replies after EOF)', async () => {
    const payload = randomBytes(1_000_000);
    const out = await tcpSession(hashC.port, (s) => {
      s.end(payload); // FIN after the payload; the socket stays readable
    });
    assert.equal(out.error, undefined);
    assert.ok(out.ended, 'reply ends with FIN');
    assert.equal(out.data.toString(), `${sha256(payload)} ${payload.length}\n`);
  });

  await t.test('tunnel: backend reset reaches the app as a reset', async () => {
    const rstC = await client('rst');
    const out = await tcpSession(rstC.port, (s) => void s.write('boom'));
    assert.equal(out.error, 'ECONNRESET');
    assert.equal(out.data.length, 0);
    await stopSubject(rstC);
  });

  await t.test('tunnel: app reset reaches the backend as a reset', async () => {
    const watchC = await client('watch');
    await tcpSession(watchC.port, async (s) => {
      s.write('x'.repeat(1000));
      while (watchClosed.length === 0) await new Promise((r) => setTimeout(r, 10));
      s.resetAndDestroy();
    });
    assert.equal(await watchClosed[0], 'ECONNRESET');
    await stopSubject(watchC);
  });

  await t.test('tunnel: a token not on the allowlist is refused', async () => {
    const nope = await client('nope');
    const out = await tcpSession(nope.port, (s) => void s.write('hello'));
    assert.equal(out.data.length, 0, 'no byte reaches the app');
    await nope.waitStderr((l) => /refused token "nope": unknown token/.test(l));
    const stats = await stopSubject(nope);
    assert.equal(stats.tunnels.nope.streamsRefused, 1);
    assert.equal(stats.tunnels.nope.streamsOpened, 0);
  });

  await t.test('tunnel: a wrong certificate fingerprint is refused', async () => {
    const wrong = fp.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const bad = await client('echo', wrong);
    const out = await tcpSession(bad.port, (s) => void s.write('hello'));
    assert.equal(out.data.length, 0, 'no byte reaches the app');
    await bad.waitStderr((l) => l.includes('does not match the pinned'));
    const stats = await stopSubject(bad);
    assert.equal(stats.tunnels.echo.streamsOpened, 0);
    assert.ok(stats.quicDialFailures >= 1);
  });

  await t.test('tunnel-client: stats on SIGUSR1', async () => {
    const before = echoC.json().filter((j) => j.event === 'stats').length;
    echoC.proc.kill('SIGUSR1');
    await echoC.waitStderr(() => echoC.json().filter((j) => j.event === 'stats').length > before);
    const s = echoC.json().filter((j) => j.event === 'stats').pop()!;
    assert.equal(s.final, false);
    assert.equal(s.tunnels.echo.bytesUp, 100 * 1024 * 1024);
    assert.equal(s.tunnels.echo.bytesDown, 100 * 1024 * 1024);
    assert.equal(s.tunnels.echo.streamsOpened, 1);
  });

  await t.test('tunnel-client reconnects after the server restarts', async () => {
    const stats = await stopSubject(tsrv);
    assert.equal(stats.refusedUnknownToken, 1);
    assert.equal(stats.tunnels.hash.streamsOpened, 1);
    assert.equal(stats.tunnels.echo.bytesUp, 100 * 1024 * 1024);
    await hashC.waitStderr((l) => l.includes('QUIC connection') && l.includes('closed'));
    tsrv = await startSubject([...serverArgs, '--listen', serverAddr]);
    const payload = randomBytes(10_000);
    const out = await tcpSession(hashC.port, (s) => void s.end(payload));
    assert.equal(out.data.toString(), `${sha256(payload)} ${payload.length}\n`);
  });

  await t.test('clean shutdown on SIGTERM: exit 0 with final stats', async () => {
    const c = await stopSubject(hashC);
    assert.equal(c.tunnels.hash.streamsOpened, 2);
    assert.equal(c.quicDials, 2);
    await stopSubject(echoC);
    await stopSubject(tsrv);
  });
});
