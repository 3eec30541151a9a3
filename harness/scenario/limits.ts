// Limits on scenario input that the schema cannot express (issue 16, item 10): the file's
// size, and YAML aliases. Scenarios are small (the largest in scenarios/ is a few KB), so the
// caps are far above any real one and far below what hurts: a 50 MB description took 2.4 GB
// of memory and wrote 105 MB of reports. String fields have their own caps in the schema.
import { visit, type Document } from 'yaml';

/** Largest scenario file read, bytes. */
export const SCENARIO_MAX_BYTES = 1 << 20;

/** Alias expansions allowed per anchor when the document becomes data (the yaml default). */
export const MAX_ALIAS_COUNT = 100;

/**
 * Where and why toJS refused the document's aliases. The yaml library throws a ReferenceError
 * without a position, for an alias bomb ("Excessive alias count ...") or an alias whose
 * anchor comes later or never ("Unresolved alias ...: name"); point at that alias, or at the
 * first alias of the document.
 */
export function aliasProblem(doc: Document, err: ReferenceError): { offset: number; message: string } {
  const unresolved = /^Unresolved alias.*: (.+)$/s.exec(err.message)?.[1];
  let offset = -1;
  visit(doc, {
    Alias(_key, node) {
      if (unresolved !== undefined && node.source !== unresolved) return undefined;
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  const message =
    unresolved !== undefined
      ? `YAML alias *${unresolved} has no anchor &${unresolved} before it`
      : `YAML aliases expand too far (more than ${MAX_ALIAS_COUNT} expansions of one anchor): refused as a resource-exhaustion attack (allowed: aliases that expand at most ${MAX_ALIAS_COUNT} times)`;
  return { offset: Math.max(offset, 0), message };
}

