// The calibration probe, run as its own process inside a lab namespace
// (`ip netns exec <ns> node probe-agent.js ...`): a paced UDP echo with sequence numbers.
//   server --bind ADDR        echoes every datagram; on stdin "report" prints which sequence
//                             numbers arrived, so uplink and downlink loss can be told apart.
//   client --to ADDR --port P --count N --interval-ms X --payload B --wait-ms W
//                             prints one result line: RTT of every answered probe and which
//                             sequence numbers were answered; before it, progress lines
//                             ({"event":"progress","sent":n,"count":N}) every 250 ms.
// stdout carries one JSON object per line; the agent exits when its stdin closes.
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Socket receive buffer. The default (~200 kB, ~270 probes) overflows when a busy host
 * stalls this process for ~0.1 s at 2000 probes/s, and those drops would be counted as
 * link loss. The kernel caps it at net.core.rmem_max (global; bench leaves it alone).
 */
const RECV_BUFFER_BYTES = 8 * 1024 * 1024;
/** How often the client says how many probes it has sent, microseconds. */
const PROGRESS_EVERY_US = 250_000;

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) fail(`missing --${name}`);
  return v;
}

function fail(msg: string): never {
  process.stderr.write(`probe-agent: ${msg}\nusage: probe-agent server --bind ADDR | client --to ADDR --port P --count N --interval-ms X --payload B --wait-ms W\n`);
  process.exit(2);
}

function num(name: string, fallback?: string): number {
  const v = Number(arg(name, fallback));
  if (!Number.isFinite(v) || v < 0) fail(`--${name} must be a non-negative number`);
  return v;
}

function emit(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/**
 * Datagrams the kernel dropped on this socket because it was not read in time: the `drops`
 * column of /proc/net/udp (this process's namespace) for its local port. Only this socket,
 * so other programs' drops on a shared host never count.
 */
function socketDrops(sock: Socket): number {
  const port = sock.address().port.toString(16).toUpperCase().padStart(4, '0');
  try {
    for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${port}`)) return Number(f[12]) || 0;
    }
  } catch {
    // no /proc: no figure
  }
  return 0;
}

/** A growable bit set of sequence numbers, shipped as base64. */
class Seqs {
  bits = new Uint8Array(1024);
  count = 0;
  add(seq: number): boolean {
    if (seq >> 3 >= this.bits.length) {
      const b = new Uint8Array(Math.max(this.bits.length * 2, (seq >> 3) + 1));
      b.set(this.bits);
      this.bits = b;
    }
    const m = 1 << (seq & 7);
    if (this.bits[seq >> 3] & m) return false;
    this.bits[seq >> 3] |= m;
    this.count++;
    return true;
  }
  encode(): string {
    return Buffer.from(this.bits).toString('base64');
  }
}

function server(): void {
  const sock = createSocket({ type: 'udp4', recvBufferSize: RECV_BUFFER_BYTES });
  const seen = new Seqs();
  sock.on('message', (msg, from) => {
    if (msg.length < 4) return;
    seen.add(msg.readUInt32BE(0));
    sock.send(msg, from.port, from.address);
  });
  sock.on('error', (e) => fail(e.message));
  sock.bind(0, arg('bind'), () => emit({ event: 'ready', port: sock.address().port }));
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (l) => {
    if (l.trim() === 'report') emit({ event: 'report', received: seen.count, seqs: seen.encode(), drops: socketDrops(sock) });
  });
  rl.on('close', () => process.exit(0));
}

function client(): void {
  const to = arg('to');
  const port = num('port');
  const count = num('count');
  const intervalMs = num('interval-ms', '2');
  const payload = Math.max(8, num('payload', '64'));
  const waitMs = num('wait-ms', '1000');
  const sent = new Float64Array(count);
  const rttUs = new Float64Array(count).fill(-1);
  const answered = new Seqs();
  let highest = -1;
  let reordered = 0; // answers that arrived after a later-sent probe's answer
  const sock = createSocket({ type: 'udp4', recvBufferSize: RECV_BUFFER_BYTES });
  const now = (): number => Number(process.hrtime.bigint()) / 1000;
  let messages = 0;
  sock.on('message', (msg) => {
    const t = now();
    messages++;
    if (msg.length < 4) return;
    const seq = msg.readUInt32BE(0);
    if (seq < count && answered.add(seq)) {
      rttUs[seq] = t - sent[seq];
      if (seq < highest) reordered++;
      else highest = seq;
      // Every probe answered: nothing is left to wait for.
      if (answered.count === count) finish();
    }
  });
  sock.on('error', (e) => fail(e.message));
  let next = 0;
  const start = now();
  // A progress line at most every 250 ms, for a view that shows calibration advancing; a
  // reader that does not know it skips it (one line per event, each with its name).
  let progressAt = start;
  // Paced by schedule, not by timer ticks: each tick sends every probe that is due, so a
  // late timer never lowers the average rate nor bursts above it for long.
  const tick = (): void => {
    const t = now();
    while (next < count && start + next * intervalMs * 1000 <= t) {
      // A fresh buffer per probe: dgram sends asynchronously and reads the buffer later.
      const buf = Buffer.alloc(payload);
      buf.writeUInt32BE(next, 0);
      sent[next] = now();
      sock.send(buf);
      next++;
    }
    if (t - progressAt >= PROGRESS_EVERY_US && next < count) {
      progressAt = t;
      emit({ event: 'progress', sent: next, count });
    }
    if (next < count) setTimeout(tick, Math.max(0, (start + next * intervalMs * 1000 - now()) / 1000 - 0.3));
    else setTimeout(settle, waitMs);
  };
  // When the wait ends, answers already in the socket buffer still count: after a stall of
  // this process the timer fires before the event loop reads them (timers run before I/O).
  // Each setImmediate lets one poll phase read what is queued; finish after one that reads nothing.
  const settle = (): void => {
    const seen = messages;
    setImmediate(() => (messages === seen ? finish() : settle()));
  };
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    const rtts: number[] = [];
    for (let i = 0; i < count; i++) if (rttUs[i] >= 0) rtts.push(Math.round(rttUs[i] * 10) / 10);
    emit({ event: 'result', sent: count, received: answered.count, reordered, rttUs: rtts, seqs: answered.encode(), durationMs: (now() - start) / 1000, drops: socketDrops(sock) });
    sock.close();
    process.exit(0);
  };
  // Connected once (binding implicitly), as harness/workloads/udp.ts does: a send with an
  // address resolves it first and leaves on a later tick, after its timestamp was taken.
  sock.connect(port, to, () => tick());
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

const mode = process.argv[2];
if (mode === 'server') server();
else if (mode === 'client') client();
else fail(`unknown mode "${mode ?? ''}"`);
