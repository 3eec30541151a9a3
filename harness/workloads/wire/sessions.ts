// What every stream workload shares on the client agent: the cell's connections (kept open
// until the controller's `close`, outside the cell's window), abort-aware waits, and the
// timeout outcome that keeps the samples gathered so far.
import type { Duplex } from 'node:stream';
import { mergeSessions } from '../../core/counters.js';
import { settleWithin } from '../../core/settle.js';
import type { Credentials } from '../../core/certs.js';
import type { CellStatus } from '../../core/types.js';
import type { ClientSession, ClientTransport, Endpoint } from '../../transports/types.js';

/** Where a cell's connections go (the part of a workload's RunContext that Sessions needs). */
export interface SessionTarget {
  transport: ClientTransport;
  to: Endpoint;
  creds: Credentials;
}

/** Milliseconds to microseconds, kept to 0.1 us. */
export const us = (ms: number): number => Math.round(ms * 1000 * 10) / 10;

export function timeoutOutcome<S extends object>(samples: S, what: string): { status: Extract<CellStatus, 'timeout'>; reason: string; samples: S } {
  return { status: 'timeout', reason: `cell timeout while ${what}; samples gathered so far are kept`, samples };
}

const CLOSE_WAIT_MS = 1500;

export class Sessions {
  readonly list: ClientSession[] = [];
  private closing = false;
  /** `resume`: an earlier connection's resumeState(), offered for session resumption. */
  async open(ctx: SessionTarget, noDelay: boolean, resume?: unknown): Promise<ClientSession> {
    const s = await ctx.transport.connect(ctx.to, ctx.creds, resume === undefined ? { noDelay } : { noDelay, resume });
    this.list.push(s);
    // A setup that completes after the cell was closed (it timed out meanwhile) is closed too.
    if (this.closing) void s.close().catch(() => undefined);
    return s;
  }
  /** Counters are summed over sessions; gauges (RTT, cwnd, rates, MTU) are averaged. */
  stats(): Record<string, number> | undefined {
    return mergeSessions(this.list.map((s) => s.stats?.() ?? {}));
  }
  /**
   * Close every session, waiting at most CLOSE_WAIT_MS: a QUIC connection that lost packets
   * can sit in its draining period for seconds, which is not part of any measurement and
   * would only stretch the cell's wall time.
   */
  async closeAll(): Promise<void> {
    this.closing = true;
    await settleWithin(Promise.allSettled(this.list.map((s) => s.close())), CLOSE_WAIT_MS);
  }
}

/** Abort-aware wrapper: rejects with 'aborted' when the signal fires, destroying streams. */
export function guard<T>(p: Promise<T>, signal: AbortSignal, streams: Duplex[]): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      for (const s of streams) s.destroy();
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
