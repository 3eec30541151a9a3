// Half-close: does the transport carry a FIN? The client sends a short upload whose end is
// only its half-close (sink mode, length 0: wire/protocol.ts) and keeps reading; bench's
// server answers its verdict once the FIN arrives. Many tunnels and relays (quic-tun among
// them) do not carry one, and bench's own transfers no longer need it, so the answer is a
// fact about the transport ("carries half-close: yes/no"), never a failed cell.
import { fmtBytes, fmtMs } from '../core/format.js';
import { durationField, sizeField } from '../core/problems.js';
import { formatBytes } from '../core/units.js';
import type { CellOutcome, RunContext, WorkloadDef } from './types.js';
import { slice } from './wire/data.js';
import { encodeHeader, type SinkVerdict } from './wire/protocol.js';
import { StreamReader } from './wire/reader.js';
import { guard, timeoutOutcome } from './wire/sessions.js';

export interface HalfCloseWorkload {
  kind: 'halfclose';
  id: string;
  /** Bytes sent before the half-close. @default 16384 */
  bytes: number;
  /** How long to wait for the answer after the half-close, ms. @default 5000 */
  waitMs: number;
}

export interface HalfCloseSamples {
  /** 1 when the server saw the FIN (its verdict came back), 0 when none came in time. */
  halfCloseCarried?: number;
  /** Half-close to verdict, microseconds (when carried). */
  halfCloseAnswerUs?: number;
}

async function runHalfClose(ctx: RunContext, w: HalfCloseWorkload): Promise<CellOutcome<HalfCloseSamples>> {
  const samples: HalfCloseSamples = {};
  const session = await guard(ctx.sessions.open(ctx, true), ctx.signal, []);
  const s = await session.openStream();
  try {
    const reader = new StreamReader(s);
    s.write(encodeHeader({ mode: 'sink', seed: ctx.seed, length: 0 }));
    s.write(slice(ctx.seed, 0, w.bytes));
    const t0 = performance.now();
    s.end();
    let timer: NodeJS.Timeout | undefined;
    const noAnswer = new Promise<null>((r) => (timer = setTimeout(() => r(null), w.waitMs)));
    // A stream the far end closes without an answer also means the FIN never arrived as one.
    const line = await guard(Promise.race([reader.readLine().catch(() => null), noAnswer]), ctx.signal, [s]);
    clearTimeout(timer);
    if (line === null) {
      samples.halfCloseCarried = 0;
      return { status: 'ok', reason: null, samples, stats: ctx.sessions.stats() };
    }
    const v = JSON.parse(line) as SinkVerdict;
    if (!v.ok || v.bytes !== w.bytes) {
      return { status: 'failed', reason: `halfclose: the server verified ${v.bytes} of ${w.bytes} bytes${v.badOffset !== null ? `, byte at offset ${v.badOffset} differs` : ''}`, samples, stats: ctx.sessions.stats() };
    }
    samples.halfCloseCarried = 1;
    samples.halfCloseAnswerUs = Math.round((performance.now() - t0) * 1000);
    return { status: 'ok', reason: null, samples, stats: ctx.sessions.stats() };
  } catch (err) {
    if (ctx.signal.aborted) return { ...timeoutOutcome(samples, 'waiting for the half-close answer'), stats: ctx.sessions.stats() };
    return { status: 'failed', reason: `halfclose: ${(err as Error).message}`, samples, stats: ctx.sessions.stats() };
  }
}

export const halfclose: WorkloadDef<HalfCloseWorkload, HalfCloseSamples> = {
  title: 'Half-close',
  schema: { bytes: { type: ['string', 'number'] }, wait: { type: ['string', 'number'] } },
  byDefault: null,
  resolve(o, path, probs) {
    const bytes = sizeField(o, 'bytes', path, probs, 16384) ?? 16384;
    const waitMs = durationField(o.wait, [...path, 'wait'], probs, 5000);
    return { kind: 'halfclose', id: `halfclose-${formatBytes(bytes)}`, bytes, waitMs };
  },
  describe: (w) => `${fmtBytes(w.bytes)}, then a half-close; answer awaited ${fmtMs(w.waitMs)}`,
  sender: () => 'client',
  metrics: {
    halfCloseCarried: { label: 'carries half-close', unit: 'bool', better: 'higher' },
    halfCloseAnswerUs: { label: 'half-close to answer', unit: 'us', better: 'lower' },
  },
  headline: ['halfCloseCarried'],
  metricsOf(s) {
    const m: Record<string, number> = {};
    if (s.halfCloseCarried !== undefined) m.halfCloseCarried = s.halfCloseCarried;
    if (s.halfCloseAnswerUs !== undefined) m.halfCloseAnswerUs = s.halfCloseAnswerUs;
    return m;
  },
  run: runHalfClose,
  echoSafe: false,
  datagram: { unsupported: 'a datagram transport has no stream to half-close (halfclose)' },
  throughput: null,
  // Either answer is a measurement; only a cell that never reached the half-close has none.
  unmeasured: (_w, s) => (s.halfCloseCarried === undefined ? 'the half-close was never sent' : null),
  notes(s) {
    return s.halfCloseCarried === 0
      ? [{
          code: 'no-half-close',
          message: 'carries half-close: no (the client\'s FIN did not reach the server within the wait)',
          remedy: 'bench\'s transfers do not need it; an application that signals the end of its data by half-closing will hang through this transport',
        }]
      : [];
  },
};
