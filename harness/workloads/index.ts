// The workload registry (STYLE rule 1): adding a workload is one new file exporting a
// WorkloadDef (harness/workloads/types.ts) and one line here. WorkloadKind, Workload and the
// samples type are derived from this object, so the compiler sees every kind everywhere.
import { bulk } from './bulk.js';
import { echo } from './echo.js';
import { exchange } from './exchange.js';
import { halfclose } from './halfclose.js';
import { handshake } from './handshake.js';
import { resumption } from './resumption.js';
import { streams } from './streams.js';
import type { MetricDef, WorkloadBase, WorkloadDef } from './types.js';

export const workloads = { echo, bulk, handshake, exchange, streams, resumption, halfclose };

export type WorkloadKind = keyof typeof workloads;

type ResolvedOf<D> = D extends WorkloadDef<infer W, infer _S> ? W : never;
type SamplesOf<D> = D extends WorkloadDef<infer _W, infer S> ? S : never;
type Intersect<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Any resolved workload (a discriminated union on `kind`). */
export type Workload = { [K in WorkloadKind]: ResolvedOf<(typeof workloads)[K]> }[WorkloadKind];

/** A cell's raw samples: every workload's sample fields, each optional. */
export type CellSamples = Partial<Intersect<{ [K in WorkloadKind]: SamplesOf<(typeof workloads)[K]> }[WorkloadKind]>>;

export const WORKLOAD_KINDS = Object.keys(workloads) as WorkloadKind[];

export function isWorkloadKind(k: string): k is WorkloadKind {
  return Object.hasOwn(workloads, k);
}

/**
 * The definition that runs `w`, typed for any workload: the registry is keyed by kind, so
 * the definition found for `w.kind` always takes `w` (TypeScript cannot correlate the two).
 */
export function defOf(w: Workload | WorkloadKind): WorkloadDef<WorkloadBase, CellSamples> {
  const kind = typeof w === 'string' ? w : w.kind;
  return workloads[kind] as unknown as WorkloadDef<WorkloadBase, CellSamples>;
}

/** Every workload's metrics, by name, with the kind that produces them. */
export const METRICS: Readonly<Record<string, MetricDef & { kind: WorkloadKind }>> = Object.fromEntries(
  WORKLOAD_KINDS.flatMap((kind) => Object.entries(workloads[kind].metrics as Record<string, MetricDef>).map(([name, def]) => [name, { ...def, kind }])),
);
