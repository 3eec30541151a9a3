// Backpressure crosses the tunnel: while the backend does not read, the client endpoint
// stops taking bytes from the application instead of buffering them. The app offers 16 MiB
// at once; with a 256 KiB QUIC stream window the bytes inside the tunnel (taken from the
// app, not yet handed to the backend) stay under 1 MiB, the app's write is still blocked
// after a second (the kernel's TCP buffers on loopback hold a few MB per leg, far less than
// 16 MiB), live memory grows by less than a quarter of what was offered (an endpoint that
// ignored write()'s return value would hold most of it), and once the backend reads every
// byte arrives intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { connectTcp, patternBlock, startBackend, startLoopbackTunnel, writePattern } from '../harness/dev/tunnel-loopback.js';

const TOTAL = 16 * 1024 * 1024;
const CHUNK = 65536;

// Collected heap, not garbage: QUIC allocates a Buffer per packet, so heapUsed alone says little.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
async function liveBytes(): Promise<number> {
  // Twice, with a turn of the event loop between: external buffers are freed by weak callbacks
  // that the first collection only queues.
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

test('tunnel backpressure: a stalled backend stalls the app, bytes inside the tunnel stay bounded', async (t) => {
  let onSock!: (s: net.Socket) => void;
  const accepted = new Promise<net.Socket>((r) => (onSock = r));
  const backend = await startBackend((s) => {
    s.pause();
    onSock(s);
  });
  t.after(() => backend.close());
  const tun = await startLoopbackTunnel(backend.port, { quic: { streamWindowBytes: 256 * 1024, connectionWindowBytes: 1024 * 1024 } });
  t.after(() => tun.close());

  const before = await liveBytes();
  const app = await connectTcp(tun.port);
  app.on('error', () => {});
  t.after(() => void app.destroy());
  let written = false;
  const writing = writePattern(app, TOTAL, CHUNK).then(() => {
    written = true;
    app.end();
  });
  const backendSock = await accepted;

  let inTunnelMax = 0;
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 50));
    inTunnelMax = Math.max(inTunnelMax, tun.client.counters().bytesUp! - tun.server.counters().bytesUp!);
  }
  const growth = (await liveBytes()) - before;
  t.diagnostic(`stalled 1 s: max bytes inside the tunnel ${inTunnelMax}, live memory +${(growth / 1e6).toFixed(1)} MB`);
  assert.ok(inTunnelMax < 1024 * 1024, `${inTunnelMax} bytes buffered inside the tunnel`);
  assert.equal(written, false, 'the app could hand over all 16 MiB to a stalled backend');
  // 1.6-2.8 MB when correct; a relay that ignores write()'s return value grows by 6.5 MB.
  assert.ok(growth < 5e6, `live memory grew by ${growth} bytes`);

  const block = patternBlock(CHUNK);
  let got = 0;
  let mismatch = -1;
  backendSock.on('data', (d: Buffer) => {
    for (let i = 0; i < d.length && mismatch < 0; i++) if (d[i] !== block[(got + i) % CHUNK]) mismatch = got + i;
    got += d.length;
  });
  const ended = new Promise((r) => backendSock.once('end', r));
  backendSock.resume();
  await writing;
  await ended;
  backendSock.end();
  assert.equal(mismatch, -1, `byte ${mismatch} differs`);
  assert.equal(got, TOTAL);
});
