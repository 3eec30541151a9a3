// A tunnel stream that dies while the server is still connecting its backend (the client
// resets it, or the server shuts down) is counted closed and reset, and the connect attempt
// is dropped: opened == closed on the server, whatever happened.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { startLoopbackTunnel } from '../harness/dev/tunnel-loopback.js';
import { quicConnect } from '../harness/transports/quic-lib.js';
import { TUNNEL_ALPN } from '../harness/tunnel/protocol.js';

/**
 * A 127.0.0.1 port whose connects hang: a listener in a process that never accepts (its
 * event loop is blocked), with its accept queue filled, so the kernel drops further SYNs.
 */
async function hangingPort(t: TestContext): Promise<number> {
  const src = `const s = require('net').createServer().listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
    process.stdout.write(s.address().port + '\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });`;
  const child = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => void child.kill());
  const port = Number(await new Promise<string>((r) => child.stdout.once('data', (d: Buffer) => r(d.toString()))));
  for (let i = 0; i < 10; i++) {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    t.after(() => void s.destroy());
    const connected = await Promise.race([
      new Promise<boolean>((r) => s.once('connect', () => r(true))),
      new Promise<boolean>((r) => setTimeout(() => r(false), 300)),
    ]);
    if (!connected) return port;
  }
  throw new Error('could not fill the accept queue');
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('tunnel server: a stream reset or shut down while its backend connects is counted closed and reset', async (t) => {
  const port = await hangingPort(t);
  const tun = await startLoopbackTunnel(port);
  t.after(() => tun.close());
  const conn = await quicConnect({ host: '127.0.0.1', port: tun.server.port, alpn: TUNNEL_ALPN, fingerprint: tun.creds.fingerprintSha256 });
  t.after(() => conn.close());
  const open = async (): Promise<ReturnType<typeof conn.openStream>> => {
    const s = conn.openStream();
    s.on('error', () => {});
    s.write('BTUN1 bench\npipelined');
    const n = tun.server.counters().streamsOpened!;
    await waitFor(() => tun.server.counters().streamsOpened === n + 1);
    // Past the header: the server is now connecting the backend, which never answers.
    await new Promise((r) => setTimeout(r, 200));
    return s;
  };

  // The client resets its stream (RESET_STREAM + STOP_SENDING).
  (await open()).destroy();
  await waitFor(() => tun.server.counters().streamsClosed === 1);
  let c = tun.server.counters();
  assert.deepEqual([c.streamsOpened, c.streamsClosed, c.streamsReset, c.streamsRefused, c.bytesUp], [1, 1, 1, 0, 0]);
  assert.ok(tun.logs.some((l) => l.includes('reset while connecting')), tun.logs.join('\n'));

  // The server shuts down: its streams are destroyed quietly (no 'error' on them).
  await open();
  await tun.server.close();
  await waitFor(() => tun.server.counters().streamsClosed === 2);
  c = tun.server.counters();
  assert.deepEqual([c.streamsOpened, c.streamsClosed, c.streamsReset, c.streamsRefused], [2, 2, 2, 0]);
});
