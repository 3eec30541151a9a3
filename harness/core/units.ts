// Human units in scenario files. Every parser is strict: a value that could be read two
// ways is rejected with the accepted forms, never guessed (e.g. `tc` reads "bps" as BYTES
// per second, so "20mbps" is refused rather than silently taken as 20 Mbit/s or 160).

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string; allowed: string };

const NUM = '(\\d+(?:\\.\\d+)?|\\.\\d+)';
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(problem: string, allowed: string): Parsed<T> => ({ ok: false, problem, allowed });
const show = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'a list' : v && typeof v === 'object' ? 'a mapping' : String(v);
const BARE_NUMBER = /^\d+(\.\d+)?$/;

export const ALLOWED = {
  duration: '25ms, 0.5ms, 200us, 1.5s, 5min',
  percent: '5%, 0.1%, 0%',
  rate: '20mbit, 1.5gbit, 500kbit, 64000bit, unlimited',
  size: '64B, 1KB, 10MB, 1GB (SI), 1KiB, 4MiB (binary)',
  limit: 'auto, 1000p (packets), 256KB (bytes)',
} as const;

/** Durations -> milliseconds. */
export function parseDuration(v: unknown): Parsed<number> {
  if (typeof v !== 'string') return bad(`${show(v)} has no unit`, ALLOWED.duration);
  const m = new RegExp(`^${NUM}\\s*(us|µs|ms|s|min)$`).exec(v.trim());
  if (!m) {
    if (BARE_NUMBER.test(v.trim())) return bad(`${show(v)} has no unit`, ALLOWED.duration);
    return bad(`${show(v)} is not a duration`, ALLOWED.duration);
  }
  const n = Number(m[1]);
  const unit = m[2];
  return ok(unit === 'min' ? n * 60_000 : unit === 's' ? n * 1000 : unit === 'ms' ? n : n / 1000);
}

/** Percentages -> percent (0..100). A bare fraction like 0.05 is ambiguous (5 % or 0.05 %?). */
export function parsePercent(v: unknown): Parsed<number> {
  if (typeof v !== 'string') return bad(`${show(v)} is ambiguous without "%"`, ALLOWED.percent);
  const m = new RegExp(`^${NUM}\\s*%$`).exec(v.trim());
  if (!m) return bad(`${show(v)} is not a percentage`, ALLOWED.percent);
  const n = Number(m[1]);
  if (n > 100) return bad(`${show(v)} is more than 100%`, ALLOWED.percent);
  return ok(n);
}

const RATE_UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 };

/** Rates -> bits per second; "unlimited" -> null. */
export function parseRate(v: unknown): Parsed<number | null> {
  if (v === 'unlimited') return ok(null);
  if (typeof v !== 'string') return bad(`${show(v)} has no unit`, ALLOWED.rate);
  const s = v.trim();
  const m = new RegExp(`^${NUM}\\s*([a-zA-Z/]+)$`).exec(s);
  if (!m) return bad(`${show(v)} ${BARE_NUMBER.test(s) ? 'has no unit' : 'is not a rate'}`, ALLOWED.rate);
  const unit = m[2].toLowerCase();
  if (/bps$|b\/s$|byte/.test(unit) || /^[kmg]?b$/.test(unit)) {
    return bad(
      `${show(v)} is ambiguous: tc reads "bps" as bytes per second, others as bits; write bits explicitly`,
      ALLOWED.rate,
    );
  }
  const mult = RATE_UNITS[unit];
  if (mult === undefined) return bad(`${show(v)} has an unknown rate unit "${m[2]}"`, ALLOWED.rate);
  const bits = Number(m[1]) * mult;
  if (bits <= 0) return bad(`${show(v)} must be greater than zero (use "unlimited" for no limit)`, ALLOWED.rate);
  return ok(bits);
}

const SIZE_UNITS: Record<string, number> = {
  B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3,
};

/** Byte sizes -> bytes. Lower-case "kb"/"mb" could mean kilobits: rejected. */
export function parseSize(v: unknown): Parsed<number> {
  if (typeof v !== 'string') return bad(`${show(v)} has no unit`, ALLOWED.size);
  const m = new RegExp(`^${NUM}\\s*([a-zA-Z]+)$`).exec(v.trim());
  if (!m) return bad(`${show(v)} ${BARE_NUMBER.test(v.trim()) ? 'has no unit' : 'is not a size'}`, ALLOWED.size);
  const mult = SIZE_UNITS[m[2]];
  if (mult === undefined) {
    const hint = /bit$|^[kmg]b$/i.test(m[2]) ? ' (bits or bytes?)' : '';
    return bad(`${show(v)} has an unknown size unit "${m[2]}"${hint}`, ALLOWED.size);
  }
  // 1.001 * 1000 is 1000.9999999999999 in binary floating point: round away that error only.
  const exact = Number(m[1]) * mult;
  const bytes = Math.round(exact);
  if (Math.abs(exact - bytes) > exact * 1e-12) return bad(`${show(v)} is not a whole number of bytes`, ALLOWED.size);
  return ok(bytes);
}

/** Queue limit: "auto" (sized from the bandwidth-delay product) -> null, "1000p", or a byte size. */
export function parseLimit(v: unknown): Parsed<{ bytes: number } | { packets: number } | null> {
  if (v === 'auto') return ok(null);
  if (typeof v === 'string') {
    const m = /^(\d+)\s*(p|packets?)$/.exec(v.trim());
    if (m) return Number(m[1]) > 0 ? ok({ packets: Number(m[1]) }) : bad(`${show(v)} must be at least 1 packet`, ALLOWED.limit);
    const s = parseSize(v);
    if (s.ok) return s.value > 0 ? ok({ bytes: s.value }) : bad(`${show(v)} must be greater than zero`, ALLOWED.limit);
  }
  return bad(`${show(v)} is not a queue limit`, ALLOWED.limit);
}

// ------------------------------------------------------------- formatting for labels

export function formatRate(bits: number | null): string {
  if (bits === null) return 'unlimited';
  for (const [u, m] of [['gbit', 1e9], ['mbit', 1e6], ['kbit', 1e3]] as const) {
    if (bits >= m) return `${+(bits / m).toFixed(3)}${u}`;
  }
  return `${bits}bit`;
}

export function formatBytes(n: number): string {
  for (const [u, m] of [['GB', 1e9], ['MB', 1e6], ['KB', 1e3]] as const) {
    if (n >= m && n % (m / 1000) === 0) return `${+(n / m).toFixed(3)}${u}`;
  }
  return `${n}B`;
}
