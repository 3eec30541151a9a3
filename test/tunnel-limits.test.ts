// The tunnel server bounds what a client can make it hold and learn: streams and
// connections at once, and refused tokens per address (after which even a right token is
// refused unread), with one answer for every refusal. Issue 16: 2,000 connections were all
// accepted (509 MB), and tokens could be guessed at 278/s with distinguishable answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { echoHandler, startBackend, startLoopbackTunnel } from '../harness/dev/tunnel-loopback.js';
import { quicConnect, type QuicClientConnection } from '../harness/transports/quic-lib.js';
import { TUNNEL_ALPN } from '../harness/tunnel/protocol.js';
import { TunnelGuard } from '../harness/tunnel/guard.js';

/** Open a raw stream with `header` and return the server's status line (or how the stream ended). */
async function ask(conn: QuicClientConnection, header: string): Promise<string> {
  const s = conn.openStream();
  const got: Buffer[] = [];
  s.on('data', (d: Buffer) => got.push(d));
  const ended = new Promise<string>((r) => {
    s.once('end', () => r(Buffer.concat(got).toString()));
    s.once('error', (e) => r(`error: ${e.message}`));
  });
  s.write(header);
  const line = await ended;
  s.destroy();
  return line;
}

test('every refusal reads the same, and an address out of refusal budget is refused even with the right token', async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  // A budget of 4 refusals that does not refill during the test; connections close after 100.
  const tun = await startLoopbackTunnel(backend.port, { server: { limits: { tokenBurst: 4, tokenRefillPerSec: 1e-6, refusalsPerConnection: 100 } } });
  t.after(() => tun.close());
  const conn = await quicConnect({ host: '127.0.0.1', port: tun.server.port, alpn: TUNNEL_ALPN, fingerprint: tun.creds.fingerprintSha256 });
  t.after(() => conn.close());

  const answers = [await ask(conn, 'BTUN1 guess-1\n'), await ask(conn, 'nonsense\n'), await ask(conn, 'BTUN1 guess-2\n'), await ask(conn, 'BTUN1 guess-3\n')];
  assert.deepEqual(answers, ['ERR refused\n', 'ERR refused\n', 'ERR refused\n', 'ERR refused\n']);
  // Budget spent: the right token learns nothing either, and nothing is connected.
  assert.equal(await ask(conn, 'BTUN1 bench\n'), 'ERR refused\n');
  assert.equal(backend.accepted, 0);
  assert.equal(tun.server.counters().streamsTokenRefused, 5);
  assert.ok(tun.logs.some((l) => l.includes('refusal budget')), tun.logs.join('\n'));
});

test('a connection that keeps guessing is closed after a few refused tokens', async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const tun = await startLoopbackTunnel(backend.port, { server: { limits: { refusalsPerConnection: 2 } } });
  t.after(() => tun.close());
  const conn = await quicConnect({ host: '127.0.0.1', port: tun.server.port, alpn: TUNNEL_ALPN, fingerprint: tun.creds.fingerprintSha256 });
  t.after(() => conn.close());
  assert.equal(await ask(conn, 'BTUN1 a\n'), 'ERR refused\n');
  await ask(conn, 'BTUN1 b\n');
  await conn.closed;
  assert.ok(conn.isClosed);
  assert.ok(tun.logs.some((l) => /closing the connection .* after 2 refused tokens/.test(l)), tun.logs.join('\n'));
});

test('streams beyond the limit are refused as busy; connections beyond it are closed', async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const tun = await startLoopbackTunnel(backend.port, { server: { maxConnections: 2, limits: { maxStreams: 2 } } });
  t.after(() => tun.close());
  // The tunnel client holds one connection already. Two streams that send no header yet
  // hold both stream slots; the third is refused.
  const conn = await quicConnect({ host: '127.0.0.1', port: tun.server.port, alpn: TUNNEL_ALPN, fingerprint: tun.creds.fingerprintSha256 });
  t.after(() => conn.close());
  const held = [conn.openStream(), conn.openStream()];
  for (const s of held) {
    s.on('error', () => {});
    s.write('B'); // opens the stream at the server without completing a header
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await ask(conn, 'BTUN1 bench\n'), 'ERR busy\n');
  assert.equal(tun.server.counters().streamsBusy, 1);
  for (const s of held) s.destroy();

  // Connections: the tunnel client's and `conn` fill the two places; a third is closed.
  const third = await quicConnect({ host: '127.0.0.1', port: tun.server.port, alpn: TUNNEL_ALPN, fingerprint: tun.creds.fingerprintSha256 }).catch((e: Error) => e);
  if (!(third instanceof Error)) {
    await third.closed;
    assert.ok(third.isClosed);
  }
  assert.equal(tun.server.counters().connectionsRefused, 1);
});

test('refusal budget: a burst, then one refusal per refill interval', () => {
  let now = 0;
  const g = new TunnelGuard({ maxStreams: 1, tokenBurst: 3, tokenRefillPerSec: 2, refusalsPerConnection: 3 }, () => now);
  for (let i = 0; i < 3; i++) {
    assert.ok(g.mayTry('a'));
    g.refused('a');
  }
  assert.equal(g.mayTry('a'), false);
  assert.ok(g.mayTry('b'), 'budgets are per address');
  now += 499;
  assert.equal(g.mayTry('a'), false);
  now += 2;
  assert.ok(g.mayTry('a'), 'half a second earns one refusal back at 2/s');
  assert.ok(g.acquire());
  assert.equal(g.acquire(), false);
  g.release();
  assert.ok(g.acquire());
});
