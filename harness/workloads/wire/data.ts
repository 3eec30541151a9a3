// Deterministic pseudo-random payload for bulk and echo, verified byte for byte at the
// receiver. Every stream is a window onto one pattern with an odd period (1 MiB + 7 bytes),
// so a lost, duplicated or reordered segment shifts the data and is caught at the exact
// offset; only a loss of a whole multiple of the period could slip through. The seed only
// chooses where in the pattern a stream starts.
//
// The pattern is built once, when the module loads (agent start-up), never inside a timed
// window: built per seed on first use, it cost 4-12 ms inside the first cell of each
// repetition, which was always the same transport's.
import { rng } from '../../core/stats.js';

const PERIOD = 1024 * 1024 + 7;

/** 2 x PERIOD bytes, so any window of up to PERIOD bytes at any offset is contiguous. */
const PATTERN: Buffer = (() => {
  const r = rng(0x9e3779b9);
  const b = Buffer.allocUnsafe(2 * PERIOD);
  for (let i = 0; i < PERIOD; i += 4) {
    const v = Math.floor(r() * 4294967296);
    b[i] = v & 0xff;
    if (i + 1 < PERIOD) b[i + 1] = (v >>> 8) & 0xff;
    if (i + 2 < PERIOD) b[i + 2] = (v >>> 16) & 0xff;
    if (i + 3 < PERIOD) b[i + 3] = (v >>> 24) & 0xff;
  }
  b.copy(b, PERIOD, 0, PERIOD);
  return b;
})();

/** Where the stream of `seed` starts in the pattern (a multiplicative hash, so nearby seeds are far apart). */
const startOf = (seed: number): number => (Math.imul(seed >>> 0, 2654435761) >>> 0) % PERIOD;

/** The `len` bytes of stream `seed` starting at `offset` (len <= PERIOD; no copy). */
export function slice(seed: number, offset: number, len: number): Buffer {
  const o = (startOf(seed) + offset) % PERIOD;
  return PATTERN.subarray(o, o + len);
}

/** Checks an incoming byte stream against the pattern; remembers the first bad offset. */
export class Verifier {
  offset = 0;
  badOffset: number | null = null;
  private readonly start: number;
  constructor(seed: number) {
    this.start = startOf(seed);
  }

  /** Returns false (and records the offset) at the first byte that differs. */
  push(chunk: Buffer): boolean {
    if (this.badOffset !== null) return false;
    let pos = 0;
    while (pos < chunk.length) {
      const n = Math.min(chunk.length - pos, PERIOD);
      const o = (this.start + this.offset) % PERIOD;
      if (chunk.compare(PATTERN, o, o + n, pos, pos + n) !== 0) {
        let i = 0;
        while (i < n && chunk[pos + i] === PATTERN[o + i]) i++;
        this.badOffset = this.offset + i;
        return false;
      }
      this.offset += n;
      pos += n;
    }
    return true;
  }
}
