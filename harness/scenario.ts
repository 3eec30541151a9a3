// Scenario files: YAML -> one immutable ResolvedScenario, or every problem at once as
// `file:line:col field.path: problem (allowed: ...)`. Nothing privileged happens before this
// returns (STYLE rule 2: parse, don't validate).
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { InputError } from './errors.js';
import { expandSweep, resolveLinkFields, type RawLink } from './scenario-link.js';
import { shapeProblems, validateCommandTransport, validateProfileShape, validateScenarioShape, type ShapeProblem } from './scenario-schema.js';
import { resolveTransports, resolveWorkloads, resolveDurationField } from './scenario-parts.js';
import type { ResolvedScenario } from './types.js';
import { PROJECT_ROOT } from './version.js';

export const PROFILES_DIR = join(PROJECT_ROOT, 'netem', 'profiles');

export interface Problem {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path || '(top)'}: ${p.message}`;
}

export class ScenarioError extends InputError {
  constructor(readonly problems: Problem[]) {
    super(
      problems.map(formatProblem).join('\n'),
      problems.length > 1 ? `${problems.length} problems; fix them and run \`bench validate\` again` : undefined,
    );
  }
}

/** A parsed YAML file that can turn a path into a line:col. */
export class SourceFile {
  readonly doc: Document.Parsed;
  private readonly lc = new LineCounter();
  constructor(readonly file: string, readonly text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lc, prettyErrors: false, uniqueKeys: true });
  }

  syntaxProblems(): Problem[] {
    return this.doc.errors.map((e) => {
      const pos = this.lc.linePos(e.pos[0]);
      return { file: this.file, line: pos.line, col: pos.col, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` };
    });
  }

  data(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  /** Position of the node at `path`; the deepest existing ancestor when it is missing. */
  locate(path: readonly (string | number)[], atKey = false): { line: number; col: number } {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      if (atKey && n === path.length && n > 0) {
        const parent = sub.length > 1 ? this.doc.getIn(sub.slice(0, -1), true) : this.doc.contents;
        if (isMap(parent)) {
          const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === String(sub[sub.length - 1]));
          if (pair && isScalar(pair.key) && pair.key.range) return this.lc.linePos(pair.key.range[0]);
        }
        continue;
      }
      const node = n === 0 ? this.doc.contents : (this.doc.getIn(sub, true) as { range?: [number, number, number] } | undefined);
      if (node && (node as { range?: unknown }).range) return this.lc.linePos((node as { range: [number, number, number] }).range[0]);
    }
    return { line: 1, col: 1 };
  }

  problem(path: readonly (string | number)[], message: string, atKey = false): Problem {
    const { line, col } = this.locate(path, atKey);
    return { file: this.file, line, col, path: dotted(path), message };
  }
}

function dotted(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}

/** Collects problems in document order. */
export class Problems {
  readonly list: Problem[] = [];
  constructor(readonly src: SourceFile) {}
  add(path: readonly (string | number)[], message: string, atKey = false): void {
    this.list.push(this.src.problem(path, message, atKey));
  }
  addShape(ps: ShapeProblem[]): void {
    for (const p of ps) this.add(p.path, p.message, p.atKey);
  }
  sorted(): Problem[] {
    return [...this.list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  }
}

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

export async function loadScenario(file: string): Promise<ResolvedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read scenario ${file}: ${code === 'ENOENT' ? 'no such file (ENOENT)' : (code ?? (err as Error).message)}`);
  }
  return parseScenario(file, text);
}

export async function parseScenario(file: string, text: string, profilesDir = PROFILES_DIR): Promise<ResolvedScenario> {
  const src = new SourceFile(file, text);
  const probs = new Problems(src);
  probs.list.push(...src.syntaxProblems());
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
  const timeoutMs = resolveDurationField(d.timeout, ['timeout'], probs, 60_000);

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
    repetitions: (d.repetitions as number | undefined) ?? 3,
    warmup: (d.warmup as number | undefined) ?? 0,
    timeoutMs,
    congestionControl: (d.congestionControl as string | undefined) ?? 'cubic',
    seed: (d.seed as number | undefined) ?? 1,
  });
}

export function scenarioSha256(s: ResolvedScenario): string {
  // Hash the resolved content, not the text: comments and formatting don't change a run.
  const { sourceFile: _f, ...content } = s;
  return createHash('sha256').update(stableJson(content)).digest('hex');
}

export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

