// The tunnel server is never an open proxy: a token outside its allowlist, or a stream that
// does not start with a valid header, is answered with ERR and nothing is connected to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectTcp, echoHandler, startBackend, startLoopbackTunnel } from '../harness/dev/tunnel-loopback.js';
import { quicConnect } from '../harness/transports/quic-lib.js';
import { TUNNEL_ALPN } from '../harness/tunnel/protocol.js';

test('tunnel refuses a token outside its allowlist: app connection closed, refusal counted, nothing connected', async (t) => {
  const allowed = await startBackend(echoHandler);
  t.after(() => allowed.close());
  const elsewhere = await startBackend(echoHandler);
  t.after(() => elsewhere.close());
  const tun = await startLoopbackTunnel(allowed.port, { token: 'not-on-the-list' });
  t.after(() => tun.close());

  const app = await connectTcp(tun.port);
  const seen: string[] = [];
  app.on('data', (d: Buffer) => seen.push(d.toString()));
  app.on('error', (e: NodeJS.ErrnoException) => seen.push(`error ${e.code}`));
  app.write('GET / HTTP/1.1\r\n\r\n');
  await new Promise((r) => app.once('close', r));

  assert.ok(!seen.some((s) => s.includes('OK') || s.includes('ERR')), `status line must not reach the app: ${seen.join('|')}`);
  const sc = tun.server.counters();
  assert.equal(sc.streamsRefused, 1);
  assert.equal(tun.client.counters().streamsRefused, 1);
  assert.equal(sc.bytesUp, 0, 'no byte was forwarded anywhere');
  assert.equal(allowed.accepted, 0);
  assert.equal(elsewhere.accepted, 0);
  assert.ok(tun.logs.some((l) => l.includes('token not allowed')), tun.logs.join('\n'));
});

test('tunnel server answers a stream without a BTUN1 header with ERR and connects nowhere', async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const tun = await startLoopbackTunnel(backend.port);
  t.after(() => tun.close());

  const conn = await quicConnect({ host: '127.0.0.1', port: tun.server.port, alpn: TUNNEL_ALPN, fingerprint: tun.creds.fingerprintSha256 });
  t.after(() => conn.close());
  const s = conn.openStream();
  s.on('error', () => {});
  const reply: Buffer[] = [];
  s.on('data', (d: Buffer) => reply.push(d));
  s.write('CONNECT 127.0.0.1:22 HTTP/1.1\n\n');
  await new Promise((r) => s.once('end', r));
  // The same answer as an unknown token's: answers tell a guesser nothing; the log says why.
  assert.equal(Buffer.concat(reply).toString(), 'ERR refused\n');
  assert.ok(tun.logs.some((l) => l.includes('malformed header')), tun.logs.join('\n'));
  assert.equal(backend.accepted, 0);
  assert.equal(tun.server.counters().streamsRefused, 1);
});

test('tunnel refusal on a UNIX socket listener closes the app connection (no RST there)', async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const dir = mkdtempSync(join(tmpdir(), 'bench-tunnel-unix-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'app.sock');
  const tun = await startLoopbackTunnel(backend.port, { token: 'unknown', client: { listen: { kind: 'unix', path } } });
  t.after(() => tun.close());
  assert.equal(tun.client.path, path);
  const app = await connectTcp(path);
  app.on('error', () => {});
  app.write('hello');
  await new Promise((r) => app.once('close', r));
  assert.equal(tun.client.counters().streamsRefused, 1);
  assert.equal(backend.accepted, 0);
});
