// Promise-based exact reads on a node stream without per-read listener churn.
import type { Duplex } from 'node:stream';

export class StreamReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | null = null;
  private ended = false;
  private error: Error | null = null;
  private endWaiter: (() => void) | null = null;
  private lineWaiter: (() => void) | null = null;

  constructor(s: Duplex) {
    s.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.buffered += c.length;
      this.settle();
    });
    s.on('end', () => {
      this.ended = true;
      this.settle();
    });
    s.on('error', (e: Error) => {
      this.error = e;
      this.settle();
    });
    s.on('close', () => {
      this.ended = true;
      this.settle();
    });
  }

  read(n: number): Promise<Buffer> {
    if (this.waiter) return Promise.reject(new Error('concurrent read'));
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
      this.settle();
    });
  }

  /**
   * Bytes up to and including the first newline (at most `maxBytes`), without waiting for
   * the stream's end; rejects when the stream ends or errors before one arrives, with what
   * came (`partial`).
   */
  async readLine(maxBytes = 64 * 1024): Promise<string> {
    for (;;) {
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = all.length ? [all] : [];
      const nl = all.indexOf(10);
      if (nl >= 0) {
        this.chunks = nl + 1 < all.length ? [all.subarray(nl + 1)] : [];
        this.buffered = all.length - nl - 1;
        return all.subarray(0, nl + 1).toString('utf8');
      }
      if (this.error) throw this.error;
      if (this.ended || all.length > maxBytes) throw Object.assign(new Error(this.ended ? 'stream ended before a line' : `no newline in ${all.length} bytes`), { partial: all.toString('utf8') });
      await new Promise<void>((r) => (this.lineWaiter = r));
    }
  }

  /** Everything until the peer ends the stream. */
  async readToEnd(): Promise<Buffer> {
    if (!this.ended && !this.error) await new Promise<void>((r) => (this.endWaiter = r));
    if (this.error) throw this.error;
    const b = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    return b;
  }

  private settle(): void {
    if (this.lineWaiter) {
      const w = this.lineWaiter;
      this.lineWaiter = null;
      w();
    }
    if ((this.ended || this.error) && this.endWaiter) {
      this.endWaiter();
      this.endWaiter = null;
    }
    const w = this.waiter;
    if (!w) return;
    if (this.buffered >= w.n) {
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const out = all.subarray(0, w.n);
      const rest = all.subarray(w.n);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      this.waiter = null;
      w.resolve(out);
    } else if (this.error || this.ended) {
      this.waiter = null;
      w.reject(this.error ?? new Error(`stream ended after ${this.buffered} of ${w.n} expected bytes`));
    }
  }
}
