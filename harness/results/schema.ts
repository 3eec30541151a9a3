// The shape of a result file (harness/types.ts ResultFile), checked with Ajv whenever a file
// is read (reports, compare, trend): result files travel as CI artifacts and are untrusted
// input (issue 16). A wrong type is an exit-2 InputError naming the field, e.g.
// `result.json: cells[3].metrics.goodputBitsPerSec: must be a number`, instead of a crash
// (exit 3) or a value rendered where a number was promised. Unknown fields are allowed:
// within one format version, later bench versions add optional fields.
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { InputError } from '../core/errors.js';
import { WORKLOAD_KINDS } from '../workloads/index.js';

const require = createRequire(import.meta.url);
const Ajv = require('ajv') as typeof import('ajv').default;

const num = { type: 'number' };
const int = { type: 'integer', minimum: 0 };
const str = { type: 'string' };
const nullable = (s: object): object => ({ anyOf: [s, { type: 'null' }] });
const obj = (required: Record<string, object>, optional: Record<string, object> = {}): object => ({
  type: 'object',
  required: Object.keys(required),
  properties: { ...required, ...optional },
});
const record = (values: object): object => ({ type: 'object', additionalProperties: values });
const list = (items: object): object => ({ type: 'array', items });

const warning = obj({ code: str, message: str, remedy: str }, { point: int, cellId: str });
const gilbert = obj({ pPct: num, rPct: num, badLossPct: num, goodLossPct: num });
const queueLimit = { anyOf: [obj({ bytes: num }), obj({ packets: num }), { type: 'null' }], 'x-expected': '{ "bytes": n }, { "packets": n } or null' };
const direction = obj({
  delayMs: num,
  jitterMs: num,
  reorder: { type: 'boolean' },
  lossPct: num,
  gilbert: nullable(gilbert),
  rateBitsPerSec: nullable(num),
  limit: queueLimit,
});
const link = obj({ uplink: direction, downlink: direction });
const endCounters = {
  anyOf: [
    obj({ protocol: { const: 'tcp' }, scope: { enum: ['namespace', 'link-sockets'] }, retransSegs: num, outSegs: num }),
    obj({ protocol: { enum: ['quic', 'udp'] }, implementation: str, settings: record({ type: ['string', 'number', 'boolean'] }), stats: record(num) }),
  ],
  'x-expected': 'TCP counters { protocol: "tcp", scope, retransSegs, outSegs } or packet counters { protocol: "quic"|"udp", implementation, settings, stats }',
};
const percentiles = obj({ n: num, min: num, mean: num, p50: num, p90: num, p99: num, p999: num, max: num });

const workload = {
  type: 'object',
  required: ['kind', 'id'],
  properties: {
    kind: { enum: WORKLOAD_KINDS },
    id: str,
    payloadBytes: num,
    count: nullable(num),
    durationMs: nullable(num),
    concurrency: num,
    idleTimeoutMs: num,
    direction: { enum: ['upload', 'download'] },
    bytes: nullable(num),
    streams: num,
  },
};

const transport = {
  type: 'object',
  required: ['kind', 'name'],
  properties: { kind: { enum: ['builtin', 'command'] }, name: str, server: str, client: str, implementation: str, readyTimeoutMs: num },
};

const scenario = obj({
  name: str,
  description: str,
  sourceFile: str,
  profile: nullable(str),
  sweep: list(obj({ field: str, values: list(str) })),
  points: list(obj({ index: int, label: str, params: record(str), link })),
  transports: list(transport),
  workloads: list(workload),
  repetitions: int,
  warmup: int,
  timeoutMs: num,
  congestionControl: str,
  seed: int,
}, { overrides: list(str), adaptive: obj({ maxReps: int, budgetMs: num }) });

const cpuUsage = nullable(obj({ userUs: num, sysUs: num, wallMs: num, coreFraction: num }, { busiestFraction: num, runQueueFraction: num }));
const hostLoad = nullable(obj({ cpus: int, busyFraction: num, softirqFraction: num, stealFraction: num, cpuPressureSome: nullable(num), contended: { type: 'boolean' } }));

const cell = obj(
  {
    id: str,
    point: int,
    transport: str,
    implementation: str,
    workload: str,
    kind: { enum: WORKLOAD_KINDS },
    repetition: int,
    status: { enum: ['ok', 'failed', 'timeout', 'unsupported'] },
    reason: nullable(str),
    startedAt: str,
    durationMs: num,
    samples: obj(
      {},
      {
        rttUs: list(num),
        rttAtUs: list(num),
        firstExchangeUs: num,
        handshakeUs: list(num),
        bytes: num,
        elapsedMs: num,
        series: obj({ intervalMs: num, bytes: list(num) }),
        lost: num,
        sent: num,
      },
    ),
    metrics: record(num),
    cpu: nullable(obj({ client: cpuUsage, server: cpuUsage, cpuBound: { type: 'boolean' } })),
    warnings: list(warning),
  },
  {
    logs: record(str),
    metricsWithheld: record(str),
    host: hostLoad,
    // Per-end counters (issue 15); the two fields after them in files written before.
    counters: nullable(obj({ sender: { enum: ['client', 'server', 'both'] }, client: nullable(endCounters), server: nullable(endCounters) })),
    tcp: nullable(obj({ retransSegs: num, outSegs: num })),
    quic: nullable(obj({ settings: record({ type: ['string', 'number', 'boolean'] }), stats: record(num) })),
  },
);

const lab = obj(
  {
    point: int,
    backend: str,
    namespaces: nullable(obj({ client: str, server: str })),
    addresses: obj({ client: str, server: str }),
    configured: link,
    measured: nullable(
      obj({
        probes: int,
        payloadBytes: int,
        rttMs: percentiles,
        uplinkLost: num,
        downlinkLost: num,
        uplinkLossPct: num,
        downlinkLossPct: num,
        uplinkRateBitsPerSec: nullable(num),
        downlinkRateBitsPerSec: nullable(num),
        durationMs: num,
      }, {
        lossSeed: num,
        emulator: obj({ uplink: obj({ packets: num, dropped: num }), downlink: obj({ packets: num, dropped: num }) }),
        lossRelativeError: obj({ uplink: nullable(num), downlink: nullable(num) }),
      }),
    ),
    applied: obj(
      { congestionControl: str, sysctls: record(str), commands: list(str), readback: list(str) },
      // The netem backend's middle hop (netem/router.ts).
      { router: obj({ namespace: str, uplinkDev: str, downlinkDev: str, netemOn: { enum: ['router', 'endpoints'] } }) },
    ),
    warnings: list(warning),
  },
  { emulatorCounters: record(num) },
);

// The verdicts a run recorded (results/verdict-types.ts, issue 13): reporters print their
// figures and reasons, so their types are checked like the cells'.
const decision = obj({
  verdict: { enum: ['faster', 'slower', 'same', 'undecided'] },
  deltaPct: nullable(num),
  ciPct: nullable({ type: 'array', items: num, minItems: 2, maxItems: 2 }),
  ciLevel: num,
  p: nullable(num),
  n: { type: 'array', items: int, minItems: 2, maxItems: 2 },
  lookAlpha: num,
  alphaSpent: num,
  moreRepsNeeded: nullable(int),
  method: { enum: ['welch-log', 'welch-fieller', 'permutation', 'identical', 'too-few'] },
  reason: str,
});
const stopReason = { enum: ['decided', 'max-reps', 'budget', 'futile', 'interrupted', 'no-data'] };
const verdicts = obj(
  {
    rule: obj({
      repetitions: { enum: ['fixed', 'auto'] },
      minReps: int,
      maxReps: int,
      budgetMs: nullable(num),
      alpha: num,
      marginPct: num,
      spending: { enum: ['pocock', 'linear'] },
      lookAlphas: list(num),
    }),
    comparisons: list(obj({ point: int, workload: str, kind: { enum: WORKLOAD_KINDS }, metric: str, baseline: str, transport: str, decision, look: nullable(int), stoppedBy: stopReason })),
    points: list(obj({ point: int, rounds: int, elapsedMs: num, stoppedBy: { enum: ['all-decided', 'futile', 'max-reps', 'budget', 'interrupted', 'failed'] } })),
  },
  {
    gate: obj({
      baseline: obj({ label: str, startedAt: str, scenarioSha256: str, identity: str }),
      alpha: num,
      thresholdPct: num,
      force: { type: 'boolean' },
      rows: int,
      decisions: list(obj({ key: str, decision, look: nullable(int), stoppedBy: stopReason })),
    }),
  },
);

export const resultSchema = obj({
  formatVersion: int,
  tool: obj({ name: str, version: str, gitSha: nullable(str) }),
  label: str,
  status: { enum: ['running', 'complete', 'interrupted', 'failed'] },
  startedAt: str,
  finishedAt: nullable(str),
  host: obj({ hostname: str, kernel: str, platform: str, arch: str, cpus: int, cpuModel: str, memBytes: num, node: str, tools: record(str) }),
  scenario,
  scenarioSha256: str,
  scenarioSource: str,
  backend: str,
  labs: list(lab),
  cells: list(cell),
  warnings: list(warning),
}, {
  transports: record(obj({ family: str, carries: str, encrypted: { type: 'boolean' }, reference: nullable(str), implementation: str })),
  verdicts,
});

// Compiled on first use: every bench command loads this module, few read result files.
let compiled: ValidateFunction | undefined;
const validator = (): ValidateFunction => (compiled ??= new Ajv({ allErrors: true, verbose: true, strict: false }).compile(resultSchema));

/** At most this many problems are listed; a broken file would print thousands. */
const MAX_LISTED = 8;

/** `cells/3/metrics/x` -> `cells[3].metrics.x`. */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}

const TYPE_NAME: Record<string, string> = { integer: 'an integer', array: 'a list', object: 'an object', null: 'null', number: 'a number', string: 'a string', boolean: 'a boolean' };
const typesOf = (e: ErrorObject): string[] => [(e.params as { type: string | string[] }).type].flat().flatMap((t) => String(t).split(','));

/** One line per problem: branch noise of anyOf folded, missing fields of one object merged. */
function problemLines(all: ErrorObject[]): string[] {
  let errors = all;
  for (const a of all.filter((e) => e.keyword === 'anyOf')) {
    const branch = (e: ErrorObject): boolean => e.schemaPath.startsWith(`${a.schemaPath}/`);
    // A value that matched a branch's type but broke inside it: report what broke inside.
    if (errors.some((e) => branch(e) && e.instancePath.length > a.instancePath.length)) {
      errors = errors.filter((e) => e !== a && !(branch(e) && e.instancePath === a.instancePath));
      continue;
    }
    const types = errors.filter((e) => branch(e) && e.keyword === 'type').flatMap(typesOf);
    const expected = (a.parentSchema as { 'x-expected'?: string } | undefined)?.['x-expected'] ?? types.map((t) => TYPE_NAME[t] ?? t).join(' or ');
    errors = errors.filter((e) => !branch(e)).map((e) => (e === a ? { ...e, keyword: 'expected', message: `must be ${expected}` } : e));
  }
  const lines = new Map<string, string>();
  for (const e of errors) {
    const at = fieldPath(e.instancePath) || '(top)';
    if (e.keyword === 'required') {
      const key = `${at} missing`;
      const name = `"${(e.params as { missingProperty: string }).missingProperty}"`;
      lines.set(key, lines.has(key) ? `${lines.get(key)}, ${name}` : `${e.instancePath ? `${at}: ` : ''}missing ${name}`);
      continue;
    }
    let text: string;
    if (e.keyword === 'type') text = `must be ${typesOf(e).map((t) => TYPE_NAME[t] ?? t).join(' or ')}`;
    else if (e.keyword === 'enum') text = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    else if (e.keyword === 'minimum') text = `must be >= ${(e.params as { limit: number }).limit}`;
    else text = e.message ?? e.keyword;
    lines.set(`${at} ${text}`, `${at}: ${text}`);
  }
  return [...lines.values()];
}

/** Throws an InputError listing what is wrong with `data` as a result file, each field named. */
export function checkResultShape(data: unknown, file: string): void {
  const validate = validator();
  if (validate(data)) return;
  const lines = problemLines(validate.errors ?? []);
  const shown = lines.slice(0, MAX_LISTED).map((l) => `${file}: ${l}`);
  if (lines.length > MAX_LISTED) shown.push(`... and ${lines.length - MAX_LISTED} more`);
  throw new InputError(shown.join('\n'), 'the file is not a result written by bench (or was edited); regenerate it with bench run');
}
