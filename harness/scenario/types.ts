// A scenario after parsing: immutable, units resolved, sweep expanded. It is recorded whole
// in every result file (harness/results/types.ts), so a report can always be re-rendered.
import type { LinkPoint, SweepAxis } from '../core/types.js';
import type { TransportSpec } from '../subjects/index.js';
import type { Workload } from '../workloads/index.js';

export interface ResolvedScenario {
  name: string;
  description: string;
  sourceFile: string;
  profile: string | null;
  sweep: SweepAxis[];
  points: LinkPoint[];
  transports: TransportSpec[];
  workloads: Workload[];
  /** Recorded repetitions of every transport x workload; with `adaptive`, the first look's (the minimum). */
  repetitions: number;
  /**
   * `repetitions: auto`: after `repetitions` rounds, more rounds while comparisons are
   * undecided, up to maxReps and while the next round fits in budgetMs of wall time.
   * Absent for a fixed `repetitions: N` (so fixed scenarios hash as before).
   */
  adaptive?: { maxReps: number; budgetMs: number };
  /** Unrecorded warm-up repetitions of each transport x workload at every point. @default 0 */
  warmup: number;
  /** Per-cell timeout, ms. @default 60000 */
  timeoutMs: number;
  /** TCP congestion control set in the lab namespaces. @default "cubic" */
  congestionControl: string;
  /** Seed for loss patterns and payloads. @default 1 */
  seed: number;
  /** Command-line overrides applied to the file, as given ("link.loss=1%"); absent when none. */
  overrides?: string[];
}
