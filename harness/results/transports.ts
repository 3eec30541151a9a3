// The facts of each transport of a run (family, what crossed the link, encryption, whether
// it is a reference row) as reports need them: recorded in the result by the run, or, for
// files written before they were, taken from the transport registry by name.
import { factsOf, isBuiltinTransport } from '../subjects/index.js';
import type { ResultFile, TransportRecord } from './types.js';

export function transportFacts(r: ResultFile): Map<string, TransportRecord> {
  const out = new Map<string, TransportRecord>();
  for (const spec of r.scenario.transports) {
    const known = spec.kind === 'command' || isBuiltinTransport(spec.name);
    const recorded = r.transports?.[spec.name];
    if (recorded) {
      // Facts recorded later than this file are taken from the registry.
      const later = known && recorded.handshake === undefined ? { handshake: factsOf(spec).handshake, resumption: factsOf(spec).resumption } : {};
      out.set(spec.name, { ...later, ...recorded });
      continue;
    }
    const { family, carries, encrypted, reference, handshake, resumption } = known
      ? factsOf(spec)
      : { family: 'tunnel' as const, carries: 'tcp' as const, encrypted: false, reference: null, handshake: null, resumption: undefined };
    const implementation = r.cells.find((c) => c.transport === spec.name && c.implementation !== 'n/a')?.implementation ?? 'n/a';
    out.set(spec.name, { family, carries, encrypted, reference, handshake, resumption, implementation });
  }
  return out;
}

/**
 * Whether a transport's name alone names it: a stack that is not under test itself (node's
 * TCP, TLS, UDP), so its series keeps one label across releases. QUIC stacks and tunnels are
 * the subjects under test: their implementation is part of the label.
 */
export function nameSuffices(t: TransportRecord | undefined): boolean {
  return t !== undefined && t.family !== 'tunnel' && t.carries !== 'quic';
}

/** A TCP connection end to end across the link (tcp, tls): the Mathis bound applies to it. */
export function isTcpStream(t: TransportRecord | undefined): boolean {
  return t !== undefined && t.family === 'stream' && t.carries === 'tcp';
}

/** The baseline verdicts read against: plain TCP, else TCP+TLS, else the first transport. */
export function baselineRank(t: TransportRecord | undefined): number {
  if (t && t.family === 'stream' && t.carries === 'tcp') return t.encrypted ? 1 : 0;
  return 2;
}
