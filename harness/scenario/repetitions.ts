// `repetitions:` of a scenario: a fixed count, or `auto` (issue 13): rounds from `min` up
// to `max` while comparisons are undecided, started only while they fit in `budget` of
// wall time. Every problem is reported with its position, nothing is guessed.
import { durationField, type ProblemSink } from '../core/problems.js';
import type { ResolvedScenario } from './types.js';

/**
 * Defaults of `repetitions: auto`: 3 to 10 repetitions, 5 minutes. 3 is the fewest at which
 * a tight comparison (a 2x change at CV 10 %) decides at the first look; 10 is where the
 * per-look alpha of Pocock-like spending has shrunk to ~0.003 and a comparison still open
 * is one the data cannot settle soon (VERDICTS.md); 5 minutes is the headline scenario's
 * target on a 2-vCPU machine.
 */
export const AUTO_DEFAULTS = { minReps: 3, maxReps: 10, budgetMs: 300_000 } as const;

const ALLOWED = 'a whole number of repetitions (1..1000), auto, or { auto: { min, max, budget } }';

export function resolveRepetitions(v: unknown, probs: ProblemSink): Pick<ResolvedScenario, 'repetitions' | 'adaptive'> {
  if (v === undefined) return { repetitions: 3 };
  // Shape errors (a boolean, 0, 1001, another word than auto, an unknown key) are reported by the schema already.
  if (typeof v === 'number') return { repetitions: Number.isInteger(v) && v >= 1 && v <= 1000 ? v : 3 };
  if (v === 'auto') return auto({}, probs);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (!('auto' in o)) {
      if (Object.keys(o).length === 0) probs.add(['repetitions'], `an empty mapping is not a repetition count (allowed: ${ALLOWED})`);
      return { repetitions: 3 };
    }
    const a = o.auto;
    return auto(a && typeof a === 'object' ? (a as Record<string, unknown>) : {}, probs);
  }
  return { repetitions: 3 };
}

function auto(o: Record<string, unknown>, probs: ProblemSink): Pick<ResolvedScenario, 'repetitions' | 'adaptive'> {
  const int = (k: 'min' | 'max', dflt: number): number => (typeof o[k] === 'number' && Number.isInteger(o[k]) ? (o[k] as number) : dflt);
  const minReps = int('min', AUTO_DEFAULTS.minReps);
  const maxReps = int('max', Math.max(AUTO_DEFAULTS.maxReps, minReps));
  if (maxReps < minReps) probs.add(['repetitions', 'auto', 'max'], `${maxReps} is below min ${minReps} (allowed: a whole number >= min)`);
  const budgetMs = durationField(o.budget, ['repetitions', 'auto', 'budget'], probs, AUTO_DEFAULTS.budgetMs);
  return { repetitions: minReps, adaptive: { maxReps: Math.max(minReps, maxReps), budgetMs } };
}
