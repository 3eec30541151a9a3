// The `transports` list of a scenario: registry names (harness/subjects/index.ts) and
// command-defined transports, with the checks the schema can't express (names taken twice,
// placeholders in commands).
import type { ValidateFunction } from 'ajv';
import { durationField, type FieldPath } from '../core/problems.js';
import { PLACEHOLDERS, type CommandTransport } from '../subjects/command.js';
import { BUILTIN_TRANSPORTS, DEFAULT_TRANSPORTS, isBuiltinTransport, type TransportSpec } from '../subjects/index.js';
import { shapeProblems } from './schema.js';
import type { Problems } from './source.js';

export const BUILTIN_LIST = BUILTIN_TRANSPORTS.join(', ');

export function resolveTransports(v: unknown, probs: Problems, validateCommand: ValidateFunction): TransportSpec[] {
  if (!Array.isArray(v)) return DEFAULT_TRANSPORTS.map((name) => ({ kind: 'builtin', name }));
  const out: TransportSpec[] = [];
  const seen = new Set<string>();
  v.forEach((item, i) => {
    const path: FieldPath = ['transports', i];
    if (typeof item === 'string') {
      if (!isBuiltinTransport(item)) {
        probs.add(path, `unknown transport "${item}" (allowed: ${BUILTIN_LIST}, or a mapping {name, server, client} for external commands)`);
        return;
      }
      if (seen.has(item)) probs.add(path, `transport "${item}" is listed twice`);
      seen.add(item);
      out.push({ kind: 'builtin', name: item });
      return;
    }
    if (item === null || typeof item !== 'object') return; // the schema already reported it
    if (!validateCommand(item)) {
      probs.addShape(shapeProblems(validateCommand.errors, [...path]));
      return;
    }
    const c = item as { name: string; server: string; client: string; implementation?: string; readyTimeout?: string; user?: string; carries?: CommandTransport['carries']; stats?: CommandTransport['stats'] };
    if (isBuiltinTransport(c.name) || seen.has(c.name)) {
      probs.add([...path, 'name'], `transport name "${c.name}" is already taken (built-ins: ${BUILTIN_LIST})`);
    }
    seen.add(c.name);
    for (const key of ['server', 'client'] as const) {
      for (const m of c[key].matchAll(/\{([^}]*)\}/g)) {
        if (!(PLACEHOLDERS as readonly string[]).includes(m[1])) {
          probs.add([...path, key], `unknown placeholder {${m[1]}} (allowed: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`);
        }
      }
    }
    if (!c.client.includes('{clientPort}')) probs.add([...path, 'client'], 'the client command must listen on {clientPort}, where bench connects');
    const carries = c.carries ?? 'tcp';
    // A TCP relay's counters are read from its link-facing sockets; only a transport whose
    // own protocol crosses the link has counters to hand over.
    if (carries === 'tcp' && c.stats === 'sigusr1') probs.add([...path, 'stats'], 'a transport that carries tcp has its counters read from its sockets (allowed with carries: tcp: none)');
    out.push({
      kind: 'command',
      name: c.name,
      server: c.server,
      client: c.client,
      implementation: c.implementation ?? c.name,
      readyTimeoutMs: durationField(c.readyTimeout, [...path, 'readyTimeout'], probs, 10_000),
      // Only when given: a scenario that does not use it keeps the hash it had before the field existed.
      ...(c.user ? { user: c.user } : {}),
      carries,
      stats: c.stats ?? 'none',
    });
  });
  return out;
}
