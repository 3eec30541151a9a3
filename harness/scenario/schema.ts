// JSON Schema for scenario and profile files, checked with Ajv. Ajv was chosen because the
// schema is plain JSON Schema (publishable for editor completion in YAML language servers),
// it reports every error at once (allErrors) with a JSON pointer we can map back to a YAML
// line:col, and its error params carry what we need to say what is allowed. Unit-bearing
// values ("25ms", "5%") are typed loosely here and checked by harness/units.ts, whose
// messages know the accepted forms. Strings have length caps (issue 16): a description is
// copied into every report, a 50 MB one made 105 MB of them.
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { WORKLOAD_KINDS, workloads } from '../workloads/index.js';

const require = createRequire(import.meta.url);
const Ajv = require('ajv') as typeof import('ajv').default;

const unitValue = { type: ['string', 'number'] };
// No minItems: resolveLinkFields reports an empty sweep list with a clearer message.
const sweepable = { anyOf: [unitValue, { type: 'array', items: {} }] };

const directionProps = {
  delay: sweepable,
  jitter: sweepable,
  loss: { type: ['string', 'number', 'object', 'array'] },
  rate: sweepable,
  limit: sweepable,
  reorder: { type: 'boolean' },
};

const linkSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...directionProps,
    uplink: { type: 'object', additionalProperties: false, properties: directionProps },
    downlink: { type: 'object', additionalProperties: false, properties: directionProps },
  },
};

export const scenarioSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 64, 'x-allowed': 'lowercase letters, digits, ".", "_", "-"' },
    description: { type: 'string', minLength: 1, maxLength: 2000 },
    profile: { type: 'string', maxLength: 64 },
    link: linkSchema,
    transports: { type: 'array', minItems: 1, items: { type: ['string', 'object'] } },
    workloads: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        minProperties: 1,
        maxProperties: 1,
        additionalProperties: false,
        'x-allowed': `exactly one of ${WORKLOAD_KINDS.join(', ')}`,
        // Each workload's own file says which fields its mapping takes.
        properties: Object.fromEntries(WORKLOAD_KINDS.map((k) => [k, { type: ['object', 'null'], additionalProperties: false, properties: workloads[k].schema }])),
      },
    },
    // A count, `auto`, or { auto: { min, max, budget } }: numeric, string and mapping keywords
    // each apply to their own type (harness/scenario/repetitions.ts checks the rest).
    repetitions: {
      type: ['integer', 'string', 'object'],
      minimum: 1,
      maximum: 1000,
      pattern: '^auto$',
      'x-allowed': 'a whole number of repetitions (1..1000), auto, or { auto: { min, max, budget } }',
      additionalProperties: false,
      properties: {
        auto: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { min: { type: 'integer', minimum: 2, maximum: 1000 }, max: { type: 'integer', minimum: 2, maximum: 1000 }, budget: unitValue },
        },
      },
    },
    warmup: { type: 'integer', minimum: 0, maximum: 100 },
    timeout: unitValue,
    congestionControl: { type: 'string', pattern: '^[a-z0-9_]+$', maxLength: 32, 'x-allowed': 'a kernel TCP congestion control name, e.g. cubic, bbr, reno' },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
  },
};

const commandTransportSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'server', 'client'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 64, 'x-allowed': 'lowercase letters, digits, ".", "_", "-"' },
    implementation: { type: 'string', maxLength: 200 },
    server: { type: 'string', minLength: 1, maxLength: 4096 },
    client: { type: 'string', minLength: 1, maxLength: 4096 },
    readyTimeout: unitValue,
    user: { type: 'string', pattern: '^[a-z_][a-z0-9_-]*[$]?$', 'x-allowed': 'a user name of this machine, e.g. nobody' },
    carries: { enum: ['tcp', 'quic', 'udp'] },
    stats: { enum: ['none', 'sigusr1'] },
  },
};

const profileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description', 'source', 'link'],
  properties: {
    name: { type: 'string', maxLength: 64 },
    description: { type: 'string', maxLength: 2000 },
    source: { type: 'string', minLength: 1, maxLength: 2000 },
    link: linkSchema,
  },
};

const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
export const validateScenarioShape: ValidateFunction = ajv.compile(scenarioSchema);
export const validateCommandTransport: ValidateFunction = ajv.compile(commandTransportSchema);
export const validateProfileShape: ValidateFunction = ajv.compile(profileSchema);

export interface ShapeProblem {
  /** Path segments into the document. */
  path: (string | number)[];
  /** Point at the key itself rather than its value (unknown fields). */
  atKey: boolean;
  message: string;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Turn Ajv errors into our problems; drop the noise anyOf produces alongside its own error. */
export function shapeProblems(errors: ErrorObject[] | null | undefined, base: (string | number)[] = []): ShapeProblem[] {
  const out: ShapeProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    const path = [...base, ...pointerToPath(e.instancePath)];
    const ps = e.parentSchema as Record<string, unknown> | undefined;
    let p: ShapeProblem | null = null;
    switch (e.keyword) {
      case 'additionalProperty':
      case 'additionalProperties': {
        const prop = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys((ps?.properties as object) ?? {}).join(', ');
        p = { path: [...path, prop], atKey: true, message: `unknown field (allowed: ${allowed})` };
        break;
      }
      case 'required': {
        const prop = (e.params as { missingProperty: string }).missingProperty;
        p = { path, atKey: false, message: `missing required field "${prop}"` };
        break;
      }
      case 'enum':
        p = { path, atKey: false, message: `${JSON.stringify(e.data)} is not allowed (allowed: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` };
        break;
      case 'type':
        p = { path, atKey: false, message: `must be ${describeType((e.params as { type: string | string[] }).type)}, not ${typeName(e.data)}` };
        break;
      case 'pattern':
      case 'minProperties':
      case 'maxProperties':
        p = { path, atKey: false, message: `${JSON.stringify(e.data)} is not valid (allowed: ${String(ps?.['x-allowed'] ?? e.message)})` };
        if (e.keyword !== 'pattern') p.message = `must have ${String(ps?.['x-allowed'])}`;
        break;
      case 'maxLength':
        p = { path, atKey: false, message: `is ${String(e.data).length} characters long (allowed: at most ${(e.params as { limit: number }).limit})` };
        break;
      case 'minimum':
      case 'maximum':
      case 'minItems':
      case 'minLength':
        p = { path, atKey: false, message: e.keyword === 'minLength' || e.keyword === 'minItems' ? 'must not be empty' : `${JSON.stringify(e.data)} ${e.message}` };
        break;
      case 'anyOf':
        p = { path, atKey: false, message: `must be a value with a unit or a list of them (a sweep), not ${typeName(e.data)}` };
        break;
      default:
        p = { path, atKey: false, message: e.message ?? e.keyword };
    }
    // anyOf reports each branch's failure too; keep one message per path.
    const key = `${path.join('.')}|${p.atKey}`;
    if (e.keyword !== 'anyOf' && errors!.some((o) => o.keyword === 'anyOf' && o.instancePath === e.instancePath)) continue;
    if (seen.has(key + p.message)) continue;
    seen.add(key + p.message);
    out.push(p);
  }
  return out;
}

function describeType(t: string | string[]): string {
  const names = (Array.isArray(t) ? t : [t]).filter((x) => x !== 'null').map((x) => (x === 'object' ? 'a mapping' : x === 'array' ? 'a list' : x === 'integer' ? 'an integer' : `a ${x}`));
  return names.join(' or ');
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}
