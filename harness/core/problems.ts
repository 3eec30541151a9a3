// Where a problem with user input is reported, and the field readers every part of the
// scenario format shares (workloads, transports, timeouts). The sink knows how to turn a
// path into file:line:col (harness/scenario/source.ts); the readers only know units.
import { parseDuration, parseSize } from './units.js';

export type FieldPath = readonly (string | number)[];

/** One problem with user input, where it is: file:line:col (line 0: a command-line flag named in `file`). */
export interface Problem {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

/** Collects positioned problems; `atKey` points at the key itself (unknown fields). */
export interface ProblemSink {
  add(path: FieldPath, message: string, atKey?: boolean): void;
}

/** A duration field in ms, or `dflt` when absent; must be > 0. */
export function durationField(v: unknown, path: FieldPath, probs: ProblemSink, dflt: number): number {
  if (v === undefined) return dflt;
  const r = parseDuration(v);
  if (!r.ok) {
    probs.add(path, `${r.problem} (allowed: ${r.allowed})`);
    return dflt;
  }
  if (r.value <= 0) probs.add(path, 'must be greater than zero');
  // Every duration of a scenario ends up in a timer (issue 16): past Node's range it would
  // fire at once (TimeoutOverflowWarning) and every cell would fail in milliseconds.
  if (r.value > TIMER_MAX_MS) probs.add(path, `${JSON.stringify(v)} is ${r.value} ms, more than Node's timers hold (allowed: at most ${TIMER_MAX_MS} ms, about 24.8 days)`);
  return r.value;
}

/** Node's setTimeout holds at most 2^31 - 1 ms (24.8 days); a longer delay fires at once. */
export const TIMER_MAX_MS = 2 ** 31 - 1;

/** A size field of mapping `o` in bytes, or `dflt` when absent; must be > 0. */
export function sizeField(o: Record<string, unknown>, key: string, path: FieldPath, probs: ProblemSink, dflt: number | null): number | null {
  if (o[key] === undefined) return dflt;
  const r = parseSize(o[key]);
  if (!r.ok) {
    probs.add([...path, key], `${r.problem} (allowed: ${r.allowed})`);
    return dflt;
  }
  if (r.value <= 0) probs.add([...path, key], 'must be greater than zero');
  return r.value;
}

/**
 * Which of two mutually exclusive amounts a mapping gives (`count`/`bytes` against
 * `duration`); both is a problem, neither means the workload's default.
 */
export function countOrDuration(o: Record<string, unknown>, countKey: string, path: FieldPath, probs: ProblemSink): 'count' | 'duration' | null {
  const hasCount = o[countKey] !== undefined;
  const hasDur = o.duration !== undefined;
  if (hasCount && hasDur) probs.add([...path, 'duration'], `give either ${countKey} or duration, not both`);
  return hasCount ? 'count' : hasDur ? 'duration' : null;
}
