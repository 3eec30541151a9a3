// Command-line overrides of a scenario (`--set link.loss=1%`, `--transports tcp,quic`), as
// flent's --test-parameter and k6's --env do. An override edits the parsed YAML document
// before the scenario is checked, so it goes through exactly the same validation; a problem
// with an overridden field names the flag (`--set link.loss=1`) instead of a file line. The
// resolved scenario lists its overrides; its hash covers what they changed.
import { isMap, isSeq, parse, type Document } from 'yaml';
import type { Problem } from '../core/problems.js';

export interface Override {
  /** As the user typed it: "link.loss=1%". */
  text: string;
  /** Field path: ["link", "loss"], ["workloads", 0, "echo", "count"]. */
  path: (string | number)[];
  value: unknown;
}

/** "workloads[0].echo.count" -> ["workloads", 0, "echo", "count"], or null when malformed. */
function parsePath(s: string): (string | number)[] | null {
  const out: (string | number)[] = [];
  for (const part of s.split('.')) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return null;
    out.push(m[1]);
    for (const i of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]));
  }
  return out;
}

/**
 * Parse `--set` arguments: `path=value`, the value read as YAML (so `1%` is a string, `5` a
 * number, `[0%, 1%]` a sweep list, `{rate: 5mbit}` a mapping). Throws a message for the
 * first malformed one.
 */
export function parseOverrides(sets: readonly string[], transports?: string): Override[] {
  const out: Override[] = [];
  for (const text of sets) {
    const eq = text.indexOf('=');
    const path = eq > 0 ? parsePath(text.slice(0, eq).trim()) : null;
    if (!path) throw new Error(`--set ${text}: expected field=value with a field path like link.loss or workloads[0].echo.count`);
    let value: unknown;
    try {
      value = parse(text.slice(eq + 1));
    } catch (err) {
      throw new Error(`--set ${text}: the value is not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
    out.push({ text, path, value: value ?? null });
  }
  if (transports !== undefined) {
    const names = transports.split(',').map((s) => s.trim()).filter(Boolean);
    if (!names.length) throw new Error('--transports: give a comma-separated list, e.g. --transports tcp,quic');
    out.push({ text: `transports=[${names.join(', ')}]`, path: ['transports'], value: names });
  }
  return out;
}

/** Apply overrides to a parsed document; a path through a value that is not a mapping or list is a problem. */
export function applyOverrides(doc: Document.Parsed, overrides: readonly Override[]): string[] {
  const problems: string[] = [];
  for (const o of overrides) {
    const problem = pathProblem(doc, o);
    if (problem) problems.push(`--set ${o.text}: ${problem}`);
    else doc.setIn(o.path, doc.createNode(o.value));
  }
  return problems;
}

/** Why `o.path` cannot be set in `doc`: a step through a value that is not a mapping (or a list, for an index). */
function pathProblem(doc: Document.Parsed, o: Override): string | null {
  for (let n = 1; n <= o.path.length; n++) {
    const wantSeq = typeof o.path[n - 1] === 'number';
    const parent = n === 1 ? doc.contents : doc.getIn(o.path.slice(0, n - 1), true);
    if (parent === undefined || parent === null) return wantSeq ? `${o.path.slice(0, n - 1).join('.')} is not a list in the scenario` : null;
    if (wantSeq ? !isSeq(parent) : !isMap(parent)) {
      return `${o.path.slice(0, n - 1).join('.') || 'the scenario'} is not a ${wantSeq ? 'list' : 'mapping'}, so it has no ${String(o.path[n - 1])}`;
    }
  }
  return null;
}

/** A problem at or under an overridden field is the flag's, not the file's. */
export function attribute(p: Problem, path: readonly (string | number)[], overrides: readonly Override[]): Problem {
  const o = [...overrides].reverse().find((x) => x.path.length <= path.length && x.path.every((s, i) => String(s) === String(path[i])));
  return o ? { ...p, file: `--set ${o.text}`, line: 0, col: 0 } : p;
}
