// TCP half-close and resets cross the tunnel faithfully, in both modes: the client's FIN
// reaches the backend as EOF while the backend can still answer; a reset on either side
// arrives as a reset on the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { connectTcp, readAll, startBackend, startLoopbackTunnel } from '../harness/tunnel/loopback.js';
import type { TunnelMode } from '../harness/tunnel/client.js';

for (const mode of ['stream', 'connection'] as TunnelMode[]) {
  test(`tunnel (${mode} mode) carries a half-close: backend sees EOF, still replies, both close`, async (t) => {
    const events: string[] = [];
    let backendClosed!: Promise<void>;
    const backend = await startBackend((s) => {
      backendClosed = new Promise((r) => s.once('close', () => r()));
      const bufs: Buffer[] = [];
      s.on('data', (d: Buffer) => bufs.push(d));
      s.on('end', () => {
        events.push('backend saw EOF');
        // Reply after the EOF, in two writes with a pause, proving the other direction is open.
        s.write(`got ${Buffer.concat(bufs).length} bytes;`);
        setTimeout(() => s.end(' bye'), 50);
      });
    });
    t.after(() => backend.close());
    const tun = await startLoopbackTunnel(backend.port, { mode, client: { lingerMs: 100 } });
    t.after(() => tun.close());

    const app = await connectTcp(tun.port);
    const reply = readAll(app);
    app.write('x'.repeat(5000));
    app.end('y'.repeat(5000));
    assert.equal((await reply).toString(), 'got 10000 bytes; bye');
    await new Promise((r) => (app.closed ? r(undefined) : app.once('close', r)));
    await backendClosed;
    assert.deepEqual(events, ['backend saw EOF']);
    // Counters are kept on both endpoints under the same names; they must agree.
    await waitFor(() => tun.server.counters().streamsClosed === 1 && tun.client.counters().streamsClosed === 1);
    for (const c of [tun.client.counters(), tun.server.counters()]) {
      assert.equal(c.bytesUp, 10000);
      assert.equal(c.bytesDown, 'got 10000 bytes; bye'.length);
      assert.equal(c.streamsReset, 0);
    }
  });

  test(`tunnel (${mode} mode) turns an app reset into a backend reset and back`, async (t) => {
    let backendSock!: net.Socket;
    let onAccept!: () => void;
    const gotConn = new Promise<void>((r) => (onAccept = r));
    const backend = await startBackend((s) => {
      backendSock = s;
      s.once('data', () => onAccept());
    });
    t.after(() => backend.close());
    const tun = await startLoopbackTunnel(backend.port, { mode });
    t.after(() => tun.close());

    // App resets -> backend sees ECONNRESET.
    const app = await connectTcp(tun.port);
    app.write('hello');
    await gotConn;
    const backendErr = new Promise<string>((r) => {
      backendSock.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message));
      backendSock.once('end', () => r('clean EOF'));
    });
    app.resetAndDestroy();
    assert.equal(await backendErr, 'ECONNRESET');

    // Backend resets -> app sees ECONNRESET.
    const app2 = await connectTcp(tun.port);
    const gotConn2 = new Promise<void>((r) => (onAccept = r));
    app2.write('hello again');
    await gotConn2;
    const appErr = new Promise<string>((r) => {
      app2.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message));
      app2.once('end', () => r('clean EOF'));
    });
    backendSock.resetAndDestroy();
    assert.equal(await appErr, 'ECONNRESET');
    await waitFor(() => tun.client.counters().streamsReset === 2 && tun.server.counters().streamsReset === 2);
  });
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
