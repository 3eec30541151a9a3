// Both tunnel modes carry concurrent TCP connections byte-exact; "stream" shares one QUIC
// connection and makes a new one when it dies, "connection" makes one per TCP connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connectTcp, echoHandler, readAll, startBackend, startLoopbackTunnel } from '../harness/dev/tunnel-loopback.js';
import { TunnelServer } from '../harness/tunnel/server.js';
import type { TunnelMode } from '../harness/tunnel/client.js';

async function echoThrough(port: number, payload: Buffer): Promise<Buffer> {
  const app = await connectTcp(port);
  const got = readAll(app);
  app.write(payload.subarray(0, payload.length >> 1));
  app.end(payload.subarray(payload.length >> 1));
  return got;
}

for (const mode of ['stream', 'connection'] as TunnelMode[]) {
  test(`tunnel ${mode} mode: concurrent TCP connections echo byte-exact`, async (t) => {
    const backend = await startBackend(echoHandler);
    t.after(() => backend.close());
    const tun = await startLoopbackTunnel(backend.port, { mode, client: { lingerMs: 50 } });
    t.after(() => tun.close());
    const payloads = Array.from({ length: 4 }, (_, i) => randomBytes(20_000 + i * 7));
    const echoed = await Promise.all(payloads.map((p) => echoThrough(tun.port, p)));
    payloads.forEach((p, i) => assert.ok(echoed[i]!.equals(p), `connection ${i} echoed different bytes`));
    const c = tun.client.counters();
    assert.equal(c.streamsOpened, 4);
    // Startup makes one connection to verify the server; stream mode keeps using it.
    assert.equal(c.connectionsOpened, mode === 'stream' ? 1 : 5);
    assert.equal(backend.accepted, 4);
    assert.ok(c.packetsSent! > 0, 'QUIC counters are included');
  });
}

test('tunnel stream mode makes a new QUIC connection after the shared one died', async (t) => {
  const backend = await startBackend(echoHandler);
  t.after(() => backend.close());
  const tun = await startLoopbackTunnel(backend.port, { mode: 'stream' });
  t.after(() => tun.close());
  const before = randomBytes(1000);
  assert.ok((await echoThrough(tun.port, before)).equals(before));

  // The server goes away (closing its QUIC connections) and comes back on the same port.
  const port = tun.server.port;
  await tun.server.close();
  const again = await TunnelServer.start({
    host: '127.0.0.1', port, certPem: tun.creds.certPem, keyPem: tun.creds.keyPem, log: () => {},
    allow: new Map([['bench', { host: '127.0.0.1', port: backend.port }]]),
  });
  t.after(() => again.close());
  const after = randomBytes(1000);
  assert.ok((await echoThrough(tun.port, after)).equals(after));
  assert.equal(tun.client.counters().connectionsOpened, 2);
  assert.ok(tun.logs.some((l) => l.includes('QUIC connection lost')), tun.logs.join('\n'));
});
