// bench's multiplexing framing (harness/workloads/wire/mux.ts) over a real loopback TCP
// connection to bench's own server (serveStream): every stream's exchanges arrive verified,
// concurrent responses share the connection frame by frame (round-robin, as QUIC's streams
// share packets), END reaches the peer's stream, a reset one leaves the others working, and
// a malformed frame ends the connection with a clear error instead of misrouting bytes.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { tcpServer } from '../harness/transports/tcp.js';
import type { ServerHandle } from '../harness/transports/types.js';
import { Exchanger } from '../harness/workloads/wire/exchange.js';
import { encodeFrame, FRAME_HEADER_BYTES, MuxConnection, SEND_QUANTUM, type MuxStream } from '../harness/workloads/wire/mux.js';
import { encodeHeader, serveStream } from '../harness/workloads/wire/protocol.js';
import type { Credentials } from '../harness/core/certs.js';

const servers: ServerHandle[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const sockets: net.Socket[] = [];
after(() => sockets.forEach((s) => s.destroy()));

async function muxClient(): Promise<{ sock: net.Socket; mux: MuxConnection; frames: number[] }> {
  const srv = await tcpServer.listen({ host: '127.0.0.1', port: 0 }, {} as Credentials, (s) => serveStream(s, { idleTimeoutMs: 0 }));
  servers.push(srv);
  const sock = net.connect({ host: '127.0.0.1', port: srv.port, noDelay: true });
  sockets.push(sock);
  await new Promise((r) => sock.once('connect', r));
  // Stream ids of the frames as they arrive, read off the wire beside the demultiplexer.
  const frames: number[] = [];
  let pending = Buffer.alloc(0);
  sock.on('data', (c: Buffer) => {
    pending = Buffer.concat([pending, c]);
    while (pending.length >= FRAME_HEADER_BYTES && pending.length >= FRAME_HEADER_BYTES + pending.readUInt16BE(6)) {
      frames.push(pending.readUInt32BE(0));
      pending = pending.subarray(FRAME_HEADER_BYTES + pending.readUInt16BE(6));
    }
  });
  sock.write(encodeHeader({ mode: 'mux', seed: 0, length: 0 }));
  return { sock, mux: new MuxConnection(sock), frames };
}

function exchangeStream(mux: MuxConnection, seed: number): { s: MuxStream; ex: Exchanger } {
  const s = mux.openStream();
  s.write(encodeHeader({ mode: 'exchange', seed, length: 0 }));
  return { s, ex: new Exchanger(s, seed) };
}

test('8 streams on one connection: every exchange verified both ways, in rounds', async () => {
  const { sock, mux } = await muxClient();
  const lanes = Array.from({ length: 8 }, (_, i) => exchangeStream(mux, 100 + i));
  for (let round = 0; round < 5; round++) await Promise.all(lanes.map(({ ex }) => ex.exchange(300, 20_000 + round)));
  assert.deepEqual(lanes.map(({ ex }) => ex.done), Array(8).fill(5));
  assert.equal(mux.openStreams, 8);
  sock.destroy();
});

test('concurrent responses share the connection segment by segment, not one response after another', async () => {
  const { sock, mux, frames } = await muxClient();
  const lanes = Array.from({ length: 4 }, (_, i) => exchangeStream(mux, 200 + i));
  // 8 bytes of response header and 64 000 of data, cut into frames of about one segment.
  await Promise.all(lanes.map(({ ex }) => ex.exchange(100, 64_000)));
  const ids = lanes.map(({ s }) => s.id);
  const data = frames.filter((id) => ids.includes(id));
  assert.equal(data.length, 4 * Math.ceil(64_008 / SEND_QUANTUM), 'every response in frames of at most one quantum');
  // Round-robin: every window of 4 consecutive frames holds each stream once.
  for (let i = 0; i + 4 <= data.length; i += 4) assert.deepEqual([...data.slice(i, i + 4)].sort(), [...ids].sort(), `frames ${i}..${i + 3}: ${data.join(',')}`);
  sock.destroy();
});

test('END ends the peer stream, and destroying one stream (RESET) leaves the others working', async () => {
  const { sock, mux } = await muxClient();
  // An echo stream: ending our side makes bench's echo server end its side.
  const echo = mux.openStream();
  echo.write(Buffer.concat([encodeHeader({ mode: 'echo', seed: 1, length: 0 }), Buffer.from('hello')]));
  echo.end();
  const chunks: Buffer[] = [];
  echo.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((r) => echo.once('end', r));
  assert.equal(Buffer.concat(chunks).subarray(20).toString(), 'hello');
  // A reset stream, and one that keeps working beside it.
  const gone = exchangeStream(mux, 5);
  const live = exchangeStream(mux, 6);
  await Promise.all([gone.ex.exchange(10, 10), live.ex.exchange(10, 10)]);
  gone.s.destroy();
  await live.ex.exchange(10, 1000);
  assert.equal(live.ex.done, 2);
  sock.destroy();
});

test('a malformed frame ends the connection with a clear error on every stream', async () => {
  const a = new net.Server();
  const srv = await new Promise<net.Server>((r) => a.listen(0, '127.0.0.1', () => r(a)));
  after(() => new Promise((r) => srv.close(r)));
  srv.on('connection', (c) => {
    sockets.push(c);
    // A DATA frame with an empty payload, then a frame of an unknown type.
    c.write(Buffer.concat([encodeFrame(1, 0), encodeFrame(1, 9, Buffer.from('x'))]));
  });
  const sock = net.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port });
  sockets.push(sock);
  const mux = new MuxConnection(sock);
  const s = mux.openStream();
  const err = await new Promise<Error>((r) => s.once('error', r));
  assert.match(err.message, /multiplexing protocol error: bad frame \(type 0, 0 bytes\) on stream 1/);
  assert.throws(() => mux.openStream(), /multiplexing protocol error/);
});
