// The quic transport (harness/transports/quic.ts over harness/transports/quic-lib.ts) on loopback:
// byte-exact echo on concurrent streams of one connection, a byte-exact bulk transfer,
// half-close, and certificate pinning that refuses a server with another certificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { generateCredentials } from '../harness/core/certs.js';
import { quicClient, quicServer } from '../harness/transports/quic.js';
import type { Credentials } from '../harness/core/certs.js';

const creds: Promise<Credentials> = generateCredentials();

function collect(s: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const bufs: Buffer[] = [];
    s.on('data', (d: Buffer) => bufs.push(d));
    s.once('end', () => resolve(Buffer.concat(bufs)));
    s.once('error', reject);
  });
}

/** Server: echo streams; a stream starting with "COUNT" is answered with its byte count at FIN. */
async function startServer(t: { after(fn: () => Promise<void>): void }) {
  const c = await creds;
  const srv = await quicServer.listen({ host: '127.0.0.1', port: 0 }, c, (s) => {
    s.on('error', () => {});
    let n = 0;
    let counting: boolean | undefined;
    s.on('data', (d: Buffer) => {
      counting ??= d.subarray(0, 5).toString() === 'COUNT';
      n += d.length;
      if (!counting) s.write(d);
    });
    s.on('end', () => s.end(counting ? String(n) : undefined));
  });
  t.after(() => srv.close());
  return srv;
}

test('quic transport echoes bytes exactly on several concurrent streams of one connection', async (t) => {
  const srv = await startServer(t);
  const session = await quicClient.connect({ host: '127.0.0.1', port: srv.port }, await creds);
  t.after(() => session.close());
  assert.equal(quicClient.multiStream, true);
  const payloads = Array.from({ length: 6 }, (_, i) => randomBytes(1000 + i * 3001));
  const echoed = await Promise.all(
    payloads.map(async (p) => {
      const s = await session.openStream();
      const got = collect(s);
      // Several writes per stream so the interleaving across streams is real.
      for (let off = 0; off < p.length; off += 1500) s.write(p.subarray(off, off + 1500));
      s.end();
      return got;
    }),
  );
  for (let i = 0; i < payloads.length; i++) assert.ok(echoed[i]!.equals(payloads[i]!), `stream ${i} echoed different bytes`);
  const stats = session.stats!();
  assert.ok(stats.packetsSent! > 0 && stats.bytesSent! > 0, 'quiche counters are exposed');
  assert.equal(typeof stats.packetsLost, 'number');
});

test('quic transport moves 1.5 MB byte-exact and reports effective settings', async (t) => {
  const srv = await startServer(t);
  const session = await quicClient.connect({ host: '127.0.0.1', port: srv.port }, await creds);
  t.after(() => session.close());
  const s = await session.openStream();
  const total = 1_500_000;
  const data = randomBytes(total);
  data.write('COUNT', 0);
  const reply = collect(s);
  for (let off = 0; off < total; off += 65536) {
    if (!s.write(data.subarray(off, off + 65536))) await new Promise((r) => s.once('drain', r));
  }
  s.end();
  assert.equal((await reply).toString(), String(total));
  const settings = quicClient.settings!();
  assert.equal(settings.congestionControl, 'cubic');
  assert.ok(Number(settings.initialStreamWindowBytes) >= 1 << 20);
  assert.match(quicClient.implementation, /^@matrixai\/quic \d+\.\d+\.\d+ \(quiche\)$/);
  assert.ok(srv.stats!().bytesReceived! >= total, 'server counters include the upload');
});

test('quic transport half-close: the client ends, the server still answers on the same stream', async (t) => {
  const srv = await startServer(t);
  const session = await quicClient.connect({ host: '127.0.0.1', port: srv.port }, await creds);
  t.after(() => session.close());
  const s = await session.openStream();
  const reply = collect(s);
  s.end('COUNT and then FIN');
  assert.equal((await reply).toString(), String('COUNT and then FIN'.length));
});

test('quic transport refuses a server whose certificate is not the pinned one', async (t) => {
  const srv = await startServer(t);
  const other = await generateCredentials();
  await assert.rejects(
    quicClient.connect({ host: '127.0.0.1', port: srv.port }, other),
    (err: Error) => /certificate/.test(err.message) && err.message.includes(other.fingerprintSha256),
  );
});
