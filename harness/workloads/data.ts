// Deterministic pseudo-random payload for bulk and echo, verified byte for byte at the
// receiver. The stream is a seeded pattern with an odd period (1 MiB + 7 bytes) so a lost,
// duplicated or reordered segment shifts the data and is caught at the exact offset; only a
// loss of a whole multiple of the period could slip through.
import { rng } from '../stats.js';

export const PERIOD = 1024 * 1024 + 7;

const cache = new Map<number, Buffer>();

/** 2 x PERIOD bytes, so any slice of up to PERIOD bytes at any offset is contiguous. */
export function pattern(seed: number): Buffer {
  let b = cache.get(seed);
  if (!b) {
    const r = rng(seed ^ 0x9e3779b9);
    b = Buffer.allocUnsafe(2 * PERIOD);
    for (let i = 0; i < PERIOD; i += 4) {
      const v = Math.floor(r() * 4294967296);
      b[i] = v & 0xff;
      if (i + 1 < PERIOD) b[i + 1] = (v >>> 8) & 0xff;
      if (i + 2 < PERIOD) b[i + 2] = (v >>> 16) & 0xff;
      if (i + 3 < PERIOD) b[i + 3] = (v >>> 24) & 0xff;
    }
    b.copy(b, PERIOD, 0, PERIOD);
    cache.set(seed, b);
  }
  return b;
}

/** The `len` bytes of the stream starting at `offset` (len <= PERIOD; no copy). */
export function slice(seed: number, offset: number, len: number): Buffer {
  const p = pattern(seed);
  const o = offset % PERIOD;
  return p.subarray(o, o + len);
}

/** Checks an incoming byte stream against the pattern; remembers the first bad offset. */
export class Verifier {
  offset = 0;
  badOffset: number | null = null;
  constructor(private readonly seed: number) {}

  /** Returns false (and records the offset) at the first byte that differs. */
  push(chunk: Buffer): boolean {
    if (this.badOffset !== null) return false;
    let pos = 0;
    while (pos < chunk.length) {
      const n = Math.min(chunk.length - pos, PERIOD);
      const want = slice(this.seed, this.offset, n);
      const got = chunk.subarray(pos, pos + n);
      if (!want.equals(got)) {
        let i = 0;
        while (i < n && want[i] === got[i]) i++;
        this.badOffset = this.offset + i;
        return false;
      }
      this.offset += n;
      pos += n;
    }
    return true;
  }
}
