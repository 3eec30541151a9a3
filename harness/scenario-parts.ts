// Transports and workloads of a scenario: defaults, units and the checks the schema can't
// express (exactly one of count/duration, duplicate ids, placeholders in commands).
import type { ValidateFunction } from 'ajv';
import type { Problems } from './scenario.js';
import { BUILTIN_LIST, shapeProblems } from './scenario-schema.js';
import { BUILTIN_TRANSPORTS, type BuiltinTransport, type TransportSpec, type Workload } from './types.js';
import { formatBytes, parseDuration, parseSize } from './units.js';

type Path = (string | number)[];

export const DEFAULT_TRANSPORTS: BuiltinTransport[] = ['tcp', 'tls', 'quic', 'tunnel', 'udp'];

/** Placeholders a command-defined transport may use; anything else in braces is an error. */
export const PLACEHOLDERS = ['serverAddr', 'serverPort', 'clientAddr', 'clientPort', 'targetAddr', 'targetPort', 'certFile', 'keyFile', 'fingerprint', 'token', 'bench', 'benchDir'] as const;

export function resolveDurationField(v: unknown, path: Path, probs: Problems, dflt: number): number {
  if (v === undefined) return dflt;
  const r = parseDuration(v);
  if (!r.ok) {
    probs.add(path, `${r.problem} (allowed: ${r.allowed})`);
    return dflt;
  }
  if (r.value <= 0) probs.add(path, 'must be greater than zero');
  return r.value;
}

export function resolveTransports(v: unknown, probs: Problems, validateCommand: ValidateFunction): TransportSpec[] {
  if (!Array.isArray(v)) return DEFAULT_TRANSPORTS.map((name) => ({ kind: 'builtin', name }));
  const out: TransportSpec[] = [];
  const seen = new Set<string>();
  v.forEach((item, i) => {
    const path: Path = ['transports', i];
    if (typeof item === 'string') {
      if (!(BUILTIN_TRANSPORTS as readonly string[]).includes(item)) {
        probs.add(path, `unknown transport "${item}" (allowed: ${BUILTIN_LIST}, or a mapping {name, server, client} for external commands)`);
        return;
      }
      if (seen.has(item)) probs.add(path, `transport "${item}" is listed twice`);
      seen.add(item);
      out.push({ kind: 'builtin', name: item as BuiltinTransport });
      return;
    }
    if (item === null || typeof item !== 'object') return; // the schema already reported it
    if (!validateCommand(item)) {
      probs.addShape(shapeProblems(validateCommand.errors, path));
      return;
    }
    const c = item as { name: string; server: string; client: string; implementation?: string; readyTimeout?: string };
    if ((BUILTIN_TRANSPORTS as readonly string[]).includes(c.name) || seen.has(c.name)) {
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
    out.push({
      kind: 'command',
      name: c.name,
      server: c.server,
      client: c.client,
      implementation: c.implementation ?? c.name,
      readyTimeoutMs: resolveDurationField(c.readyTimeout, [...path, 'readyTimeout'], probs, 10_000),
    });
  });
  return out;
}

const DEFAULT_WORKLOADS: Record<string, unknown>[] = [
  { echo: { payload: '64B', count: 200 } },
  { bulk: { direction: 'download', duration: '5s' } },
  { handshake: { count: 10 } },
];

function sizeField(o: Record<string, unknown>, key: string, path: Path, probs: Problems, dflt: number | null): number | null {
  if (o[key] === undefined) return dflt;
  const r = parseSize(o[key]);
  if (!r.ok) {
    probs.add([...path, key], `${r.problem} (allowed: ${r.allowed})`);
    return dflt;
  }
  if (r.value <= 0) probs.add([...path, key], 'must be greater than zero');
  return r.value;
}

/** Exactly one of count-like and duration; `dflt` applies when neither is given. */
function amount(o: Record<string, unknown>, countKey: 'count' | 'bytes', path: Path, probs: Problems): { has: 'count' | 'duration' | null } {
  const hasCount = o[countKey] !== undefined;
  const hasDur = o.duration !== undefined;
  if (hasCount && hasDur) probs.add([...path, 'duration'], `give either ${countKey} or duration, not both`);
  return { has: hasCount ? 'count' : hasDur ? 'duration' : null };
}

export function resolveWorkloads(v: unknown, probs: Problems): Workload[] {
  const items = Array.isArray(v) ? (v as unknown[]) : DEFAULT_WORKLOADS;
  const out: Workload[] = [];
  const ids = new Map<string, number>();
  items.forEach((item, i) => {
    if (!item || typeof item !== 'object' || Object.keys(item).length !== 1) return; // schema reported it
    const [kind, raw] = Object.entries(item as Record<string, unknown>)[0];
    const o = (raw ?? {}) as Record<string, unknown>;
    const path: Path = ['workloads', i, kind];
    let w: Workload | null = null;
    if (kind === 'echo') {
      const payloadBytes = sizeField(o, 'payload', path, probs, 64) ?? 64;
      const { has } = amount(o, 'count', path, probs);
      const durationMs = has === 'duration' ? resolveDurationField(o.duration, [...path, 'duration'], probs, 5000) : null;
      const count = has === 'duration' ? null : ((o.count as number | undefined) ?? 200);
      const concurrency = (o.concurrency as number | undefined) ?? 1;
      const idleTimeoutMs = resolveDurationField(o.idleTimeout, [...path, 'idleTimeout'], probs, 30_000);
      const amt = count !== null ? `n${count}` : `d${durationMs}ms`;
      w = { kind, id: `echo-${formatBytes(payloadBytes)}-c${concurrency}-${amt}`, payloadBytes, count, durationMs, concurrency, idleTimeoutMs };
    } else if (kind === 'bulk') {
      const direction = (o.direction as 'upload' | 'download' | undefined) ?? 'download';
      const { has } = amount(o, 'bytes', path, probs);
      const bytes = has === 'count' ? sizeField(o, 'bytes', path, probs, null) : null;
      const durationMs = has === 'count' ? null : resolveDurationField(o.duration, [...path, 'duration'], probs, 5000);
      const streams = (o.streams as number | undefined) ?? 1;
      const amt = bytes !== null ? formatBytes(bytes) : `${durationMs}ms`;
      w = { kind, id: `bulk-${direction}-${amt}-s${streams}`, direction, bytes, durationMs, streams };
    } else if (kind === 'handshake') {
      const count = (o.count as number | undefined) ?? 10;
      w = { kind, id: `handshake-n${count}`, count };
    }
    if (!w) return;
    if (ids.has(w.id)) probs.add(['workloads', i], `same workload as workloads[${ids.get(w.id)}] (${w.id})`);
    ids.set(w.id, i);
    out.push(w);
  });
  return out;
}
