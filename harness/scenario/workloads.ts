// The `workloads` list of a scenario: each item is a one-key mapping naming a workload of
// the registry (harness/workloads/index.ts), whose own file resolves it; ids must differ.
import type { FieldPath } from '../core/problems.js';
import { defOf, isWorkloadKind, WORKLOAD_KINDS, workloads, type Workload } from '../workloads/index.js';
import type { Problems } from './source.js';

/** The workloads of a scenario that lists none. */
const DEFAULT_WORKLOADS: Record<string, unknown>[] = WORKLOAD_KINDS.flatMap((k) => {
  const d = workloads[k].byDefault;
  return d ? [{ [k]: d }] : [];
});

export function resolveWorkloads(v: unknown, probs: Problems): Workload[] {
  const items = Array.isArray(v) ? (v as unknown[]) : DEFAULT_WORKLOADS;
  const out: Workload[] = [];
  const ids = new Map<string, number>();
  items.forEach((item, i) => {
    if (!item || typeof item !== 'object' || Object.keys(item).length !== 1) return; // schema reported it
    const [kind, raw] = Object.entries(item as Record<string, unknown>)[0];
    if (!isWorkloadKind(kind)) return; // schema reported it
    const path: FieldPath = ['workloads', i, kind];
    const w = defOf(kind).resolve((raw ?? {}) as Record<string, unknown>, path, probs) as Workload;
    if (ids.has(w.id)) probs.add(['workloads', i], `same workload as workloads[${ids.get(w.id)}] (${w.id})`);
    ids.set(w.id, i);
    out.push(w);
  });
  return out;
}
