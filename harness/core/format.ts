// Plain number formatting shared by the workloads' own descriptions and every report: three
// significant digits, units chosen to read best. Raw numbers cross file boundaries; text is
// made only where it is shown (STYLE rule 3).

/** Three significant digits, no exponent for the ranges bench produces. */
export function sig(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const mag = Math.floor(Math.log10(Math.abs(v)));
  const decimals = Math.max(0, digits - 1 - mag);
  return v.toFixed(Math.min(decimals, 6));
}

/** sig() without trailing zeros: "50 ms" and "1%" rather than "50.0 ms" and "1.00%". */
export function sigTrim(v: number, digits = 3): string {
  const t = sig(v, digits);
  return t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t;
}

/** Microseconds as µs / ms / s, whichever reads best. */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return '–';
  if (Math.abs(us) < 1000) return `${sigTrim(us)} µs`;
  if (Math.abs(us) < 1e6) return `${sigTrim(us / 1000)} ms`;
  return `${sigTrim(us / 1e6)} s`;
}

export function fmtMs(ms: number): string {
  return fmtUs(ms * 1000);
}

/** A span of wall time: "45 s", "5 min", "2 min 30 s". */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
}

export function fmtRate(bitsPerSec: number | null): string {
  if (bitsPerSec === null) return 'unlimited';
  if (!Number.isFinite(bitsPerSec)) return '–';
  const a = Math.abs(bitsPerSec);
  if (a >= 1e9) return `${sigTrim(bitsPerSec / 1e9)} Gbit/s`;
  if (a >= 1e6) return `${sigTrim(bitsPerSec / 1e6)} Mbit/s`;
  if (a >= 1e3) return `${sigTrim(bitsPerSec / 1e3)} kbit/s`;
  return `${sigTrim(bitsPerSec)} bit/s`;
}

export function fmtPct(pct: number): string {
  if (!Number.isFinite(pct)) return '–';
  return `${sigTrim(pct, pct !== 0 && Math.abs(pct) < 1 ? 2 : 3)}%`;
}

export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return '–';
  if (b >= 1 << 30) return `${sigTrim(b / (1 << 30))} GiB`;
  if (b >= 1 << 20) return `${sigTrim(b / (1 << 20))} MiB`;
  if (b >= 1 << 10) return `${sigTrim(b / (1 << 10))} KiB`;
  return `${b} B`;
}
