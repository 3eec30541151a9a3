// UDP datagram echo: the `udp` transport's echo workload, and the server side of it.
// Each request carries a sequence number; an answer that never comes within the cell counts
// as lost. RTTs are timed here rather than by tinybench because a lost exchange must leave
// no latency sample, and tinybench's samples come back sorted, detached from exchanges.
import dgram from 'node:dgram';
import { median } from '../stats.js';
import type { CellSamples, EchoWorkload } from '../types.js';
import { timeoutOutcome, us, type Outcome } from './client.js';
import { slice } from './data.js';

export async function udpEchoServer(host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
  sock.on('error', () => {
    /* a bad datagram must not stop the server */
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => resolve());
  });
  return { port: sock.address().port, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

export async function runUdpEcho(host: string, port: number, w: EchoWorkload, seed: number, signal: AbortSignal): Promise<Outcome> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.connect(port, host, () => r()));
  // The request is built before its send time is taken, and the reply's arrival time is the
  // first thing read: building and comparing payloads stay outside every RTT.
  const sentAt = new Map<number, { t: number; payload: Buffer }>();
  const rtts: number[] = [];
  let badReply: string | null = null;
  let wake: (() => void) | null = null;
  const payloadFor = (seq: number): Buffer => {
    const b = Buffer.allocUnsafe(Math.max(8, w.payloadBytes));
    b.writeUInt32BE(seq, 0);
    b.writeUInt32BE(seed, 4);
    slice(seed, seq % 65521, b.length - 8).copy(b, 8);
    return b;
  };
  sock.on('message', (msg) => {
    const now = performance.now();
    const seq = msg.readUInt32BE(0);
    const sent = sentAt.get(seq);
    if (sent === undefined) return; // duplicate
    sentAt.delete(seq);
    if (!msg.equals(sent.payload)) badReply = `reply to request ${seq} differs from the request`;
    else rtts.push(us(now - sent.t));
    wake?.();
  });
  const samples = (): CellSamples => ({ rttUs: rtts, sent: seq, lost: sentAt.size });
  let seq = 0;
  const t0 = performance.now();
  const more = (): boolean => (w.count !== null ? seq < w.count : performance.now() - t0 < w.durationMs!);
  try {
    while (more() && !signal.aborted && !badReply) {
      // Wait for each answer about 4 RTTs (at least 50 ms) before moving on; a late answer
      // still counts when it arrives before the cell ends.
      const waitMs = Math.max(50, 4 * (rtts.length ? median(rtts.slice(-50)) / 1000 : 50));
      const mySeq = seq++;
      const replied = new Promise<void>((r) => {
        const timer = setTimeout(r, waitMs);
        wake = () => {
          if (!sentAt.has(mySeq)) {
            clearTimeout(timer);
            r();
          }
        };
      });
      const payload = payloadFor(mySeq);
      sentAt.set(mySeq, { t: performance.now(), payload });
      sock.send(payload);
      await replied;
    }
    // Give stragglers one more wait.
    if (sentAt.size && !signal.aborted) await new Promise((r) => setTimeout(r, 200));
    if (badReply) return { status: 'failed', reason: badReply, samples: samples() };
    if (signal.aborted) return timeoutOutcome(samples(), 'echoing');
    return { status: 'ok', reason: null, samples: samples() };
  } finally {
    sock.close();
  }
}
