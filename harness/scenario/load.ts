// Scenario files: YAML -> one immutable ResolvedScenario, or every problem at once as
// `file:line:col field.path: problem (allowed: ...)`. Nothing privileged happens before this
// returns (STYLE rule 2: parse, don't validate).
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import { expandSweep, resolveLinkFields, type RawLink } from './link.js';
import { shapeProblems, validateCommandTransport, validateProfileShape, validateScenarioShape } from './schema.js';
import { applyOverrides, type Override } from './overrides.js';
import { Problems, ScenarioError, SourceFile } from './source.js';
import { resolveTransports } from './transports.js';
import { readInputFile } from '../core/read-input.js';
import { SCENARIO_MAX_BYTES } from './limits.js';
import type { ResolvedScenario } from './types.js';
import { resolveWorkloads } from './workloads.js';
import { resolveRepetitions } from './repetitions.js';
import { durationField } from '../core/problems.js';
import { stableJson } from '../core/stable-json.js';
import { PROJECT_ROOT } from '../core/version.js';

export const PROFILES_DIR = join(PROJECT_ROOT, 'netem', 'profiles');

export interface Profile {
  name: string;
  description: string;
  source: string;
  file: string;
  link: RawLink;
  src: SourceFile;
}

export async function listProfiles(dir = PROFILES_DIR): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
}

export async function loadProfile(name: string, dir = PROFILES_DIR): Promise<Profile> {
  const file = join(dir, `${name}.yaml`);
  const src = new SourceFile(file, await readFile(file, 'utf8'));
  const probs = new Problems(src);
  probs.list.push(...src.syntaxProblems());
  if (probs.list.length) throw new ScenarioError(probs.sorted());
  const data = src.data() as Record<string, unknown>;
  if (!validateProfileShape(data)) probs.addShape(shapeProblems(validateProfileShape.errors));
  else {
    if (data.name !== name) probs.add(['name'], `must match the file name "${name}"`);
    // A profile is one link, not a sweep: resolving it checks units and forbids lists.
    resolveLinkFields(data.link as RawLink, ['link'], probs, { allowLists: false });
  }
  if (probs.list.length) throw new ScenarioError(probs.sorted());
  return { name, description: String(data.description), source: String(data.source), file, link: data.link as RawLink, src };
}

export async function loadScenario(file: string, overrides: readonly Override[] = []): Promise<ResolvedScenario> {
  const text = await readInputFile(file, {
    what: 'scenario',
    maxBytes: SCENARIO_MAX_BYTES,
    describeCode: (code) => (code === 'ENOENT' ? 'no such file (ENOENT)' : code),
  });
  return parseScenario(file, text, PROFILES_DIR, overrides);
}

export async function parseScenario(file: string, text: string, profilesDir = PROFILES_DIR, overrides: readonly Override[] = []): Promise<ResolvedScenario> {
  const src = new SourceFile(file, text);
  const probs = new Problems(src, overrides);
  probs.list.push(...src.syntaxProblems());
  if (probs.list.length) throw new ScenarioError(probs.sorted());
  // Overrides edit the document, then everything below checks it as if the file said so.
  for (const message of applyOverrides(src.doc, overrides)) probs.list.push({ file: '--set', line: 0, col: 0, path: '', message });
  if (probs.list.length) throw new ScenarioError(probs.sorted());
  const data = src.data();
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    probs.add([], `a scenario must be a YAML mapping with name, description, link, transports, workloads`);
    throw new ScenarioError(probs.sorted());
  }
  const d = data as Record<string, unknown>;
  if (!validateScenarioShape(d)) probs.addShape(shapeProblems(validateScenarioShape.errors));

  let profile: Profile | null = null;
  if (typeof d.profile === 'string') {
    const names = await listProfiles(profilesDir);
    if (!names.includes(d.profile)) probs.add(['profile'], `unknown profile "${d.profile}" (allowed: ${names.join(', ')})`);
    else {
      // A broken profile is reported with the scenario's own problems, not instead of them.
      try {
        profile = await loadProfile(d.profile, profilesDir);
      } catch (err) {
        if (!(err instanceof ScenarioError)) throw err;
        probs.list.push(...err.problems);
      }
    }
  }
  const link = (d.link && typeof d.link === 'object' ? d.link : {}) as RawLink;
  const { sweep, points } = expandSweep(link, profile?.link ?? null, probs);
  const transports = resolveTransports(d.transports, probs, validateCommandTransport);
  const workloads = resolveWorkloads(d.workloads, probs);
  const timeoutMs = durationField(d.timeout, ['timeout'], probs, 60_000);
  const reps = resolveRepetitions(d.repetitions, probs);

  const sorted = probs.sorted();
  if (sorted.length) throw new ScenarioError(sorted);
  return deepFreeze({
    name: String(d.name),
    description: String(d.description).trim(),
    sourceFile: file,
    profile: profile?.name ?? null,
    sweep,
    points,
    transports,
    workloads,
    // `adaptive` only when auto, so fixed scenarios keep the hash they had.
    ...reps,
    warmup: (d.warmup as number | undefined) ?? 0,
    timeoutMs,
    congestionControl: (d.congestionControl as string | undefined) ?? 'cubic',
    seed: (d.seed as number | undefined) ?? 1,
    ...(overrides.length ? { overrides: overrides.map((o) => o.text) } : {}),
  });
}

export function scenarioSha256(s: ResolvedScenario): string {
  // Hash the resolved content, not the text: comments and formatting don't change a run.
  // Overrides are in the content they changed; how they were spelled is not.
  const { sourceFile: _f, overrides: _o, ...content } = s;
  return createHash('sha256').update(stableJson(content)).digest('hex');
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

