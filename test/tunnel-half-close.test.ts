// TCP half-close and resets cross the tunnel faithfully, in both modes: the client's FIN
// reaches the backend as EOF while the backend can still answer; a reset on either side
// arrives as a reset on the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectTcp, howItEnds, readAll, startBackend, startLoopbackTunnel } from '../harness/dev/tunnel-loopback.js';
import { resetBehindEof } from '../harness/tunnel/relay.js';
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
    const backendErr = howItEnds(backendSock);
    app.resetAndDestroy();
    assert.equal(await backendErr, 'ECONNRESET');

    // Backend resets -> app sees ECONNRESET.
    const app2 = await connectTcp(tun.port);
    const gotConn2 = new Promise<void>((r) => (onAccept = r));
    app2.write('hello again');
    await gotConn2;
    const appErr = howItEnds(app2);
    backendSock.resetAndDestroy();
    assert.equal(await appErr, 'ECONNRESET');
    await waitFor(() => tun.client.counters().streamsReset === 2 && tun.server.counters().streamsReset === 2);
  });
}

// libuv can report an RST as a plain EOF: a socket that hangs up right after a short read
// signals EOF without reading again. A paused socket resumed after the peer sent data and
// reset does this every time, which is what the tunnel client's accepted sockets are.
test('resetBehindEof tells a reset reported as EOF from a real FIN', async (t) => {
  for (const peer of ['reset', 'fin'] as const) {
    let seen!: (s: string) => void;
    const outcome = new Promise<string>((r) => (seen = r));
    const srv = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => {
      let first: string | null = null;
      s.on('error', (e: NodeJS.ErrnoException) => void (first ??= `error ${e.code}`));
      s.on('end', () => {
        first ??= 'end';
        void resetBehindEof(s).then((err) => seen(`${first}; probe: ${(err as NodeJS.ErrnoException | null)?.code ?? 'FIN'}`));
      });
      setTimeout(() => s.resume(), 50); // after the peer's data and its RST or FIN have arrived
    });
    t.after(() => srv.close());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const c = await connectTcp((srv.address() as net.AddressInfo).port);
    c.on('error', () => {});
    c.write('hello');
    if (peer === 'reset') setTimeout(() => c.resetAndDestroy(), 5);
    else c.end();
    assert.equal(await outcome, peer === 'reset' ? 'end; probe: ECONNRESET' : 'end; probe: FIN');
    c.destroy();
  }
  // A UNIX socket has no RST: a peer's plain close is a close, though a write would now fail (EPIPE).
  const dir = await mkdtemp(join(tmpdir(), 'bench-eof-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'app.sock');
  const unixEnd = new Promise<string>((resolve) => {
    const srv = net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('error', () => {});
      s.on('end', () => void resetBehindEof(s).then((err) => resolve(err ? `reset ${(err as NodeJS.ErrnoException).code}` : 'FIN')));
      s.resume();
    });
    t.after(() => srv.close());
    srv.listen(path, () => {
      const c = net.connect({ path });
      c.on('connect', () => void c.write('hello', () => setTimeout(() => c.destroy(), 20))); // close() without shutdown()
    });
  });
  assert.equal(await unixEnd, 'FIN');
});

for (const mode of ['stream', 'connection'] as TunnelMode[]) {
  test(`tunnel (${mode} mode): an app that sends and resets at once is a reset, never a FIN, at the backend`, async (t) => {
    const ends: Promise<string>[] = [];
    const backend = await startBackend((s) => void ends.push(howItEnds(s)));
    t.after(() => backend.close());
    const tun = await startLoopbackTunnel(backend.port, { mode });
    t.after(() => tun.close());
    const counters = (): string => `client ${JSON.stringify(tun.client.counters())}, server ${JSON.stringify(tun.server.counters())}`;
    // The server may not reach the backend before a reset arrives: then there is nothing to
    // see. So go on (up to 30 connections) until some did reach it; each must end in a reset.
    let sent = 0;
    while (sent < 30 && (sent === 0 || ends.length < 3)) {
      for (let i = 0; i < 5; i++, sent++) {
        const app = await connectTcp(tun.port);
        app.on('error', () => {});
        app.write('hello');
        app.resetAndDestroy(); // before the client has resumed the accepted socket
      }
      await waitFor(() => tun.client.counters().streamsReset === sent, 5000, counters);
      await waitFor(() => tun.server.counters().streamsReset + tun.server.counters().streamsRefused === sent, 5000, counters);
    }
    assert.ok(ends.length > 0, `no connection reached the backend in ${sent} tries: nothing was checked`);
    const seen = await Promise.all(ends);
    assert.deepEqual(seen.filter((h) => h !== 'ECONNRESET'), [], `backend saw: ${seen.join(', ')}`);
  });
}

async function waitFor(cond: () => boolean, ms = 5000, what = (): string => ''): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met in time ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
