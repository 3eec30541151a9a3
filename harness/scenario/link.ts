// The `link` part of a scenario: unit checking, profile merging, and sweep expansion.
// Precedence, lowest first: profile (both ways) < profile.uplink/downlink < scenario link
// (both ways) < scenario uplink/downlink. A scenario's plain `rate: 10mbit` thus overrides
// a profile's asymmetric rates, which is what someone writing it means.
import { DEFAULT_DIRECTION } from '../core/link.js';
import type { Problems } from './source.js';
import { parseDuration, parseLimit, parsePercent, parseRate, type Parsed } from '../core/units.js';
import type { GilbertElliott, LinkDirection, LinkPoint, QueueLimit, ResolvedLink, SweepAxis } from '../core/types.js';
import { jitterProblem, linkFieldBound } from './bounds.js';

export type RawLink = Record<string, unknown> & { uplink?: Record<string, unknown>; downlink?: Record<string, unknown> };

const SWEEPABLE = ['delay', 'jitter', 'loss', 'rate', 'limit'] as const;
type Field = (typeof SWEEPABLE)[number];
const DIRS = [[], ['uplink'], ['downlink']] as const;

type Path = (string | number)[];

function parseLoss(v: unknown, path: Path, probs: Problems | null): { lossPct: number; gilbert: GilbertElliott | null } | null {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length !== 1 || keys[0] !== 'gilbert' || typeof o.gilbert !== 'object' || o.gilbert === null) {
      probs?.add(path, 'a loss mapping must be {gilbert: {p, r, bad, good}} (allowed: 5%, or gilbert: {p: 1%, r: 30%, bad: 100%, good: 0%})');
      return null;
    }
    const g = o.gilbert as Record<string, unknown>;
    const gp = [...path, 'gilbert'];
    let okAll = true;
    const pct = (k: string, required: boolean, dflt: number): number => {
      if (!(k in g)) {
        if (required) {
          probs?.add(gp, `missing required field "${k}" (p: good->bad transition %, r: bad->good %, bad: loss in bad state %, good: loss in good state %)`);
          okAll = false;
        }
        return dflt;
      }
      const r = parsePercent(g[k]);
      if (!r.ok) {
        probs?.add([...gp, k], `${r.problem} (allowed: ${r.allowed})`);
        okAll = false;
        return dflt;
      }
      return r.value;
    };
    for (const k of Object.keys(g)) {
      if (!['p', 'r', 'bad', 'good'].includes(k)) {
        probs?.add([...gp, k], 'unknown field (allowed: p, r, bad, good)', true);
        okAll = false;
      }
    }
    const ge = { pPct: pct('p', true, 0), rPct: pct('r', true, 100), badLossPct: pct('bad', false, 100), goodLossPct: pct('good', false, 0) };
    if (okAll && ge.rPct === 0) {
      probs?.add([...gp, 'r'], 'r = 0% would never leave the bad state (allowed: > 0%)');
      okAll = false;
    }
    return okAll ? { lossPct: 0, gilbert: ge } : null;
  }
  const r = parsePercent(v);
  if (!r.ok) {
    probs?.add(path, `${r.problem} (allowed: ${r.allowed}, or gilbert: {p: 1%, r: 30%})`);
    return null;
  }
  return { lossPct: r.value, gilbert: null };
}

function parseField(field: Field, v: unknown, path: Path, probs: Problems | null): Partial<LinkDirection> | null {
  if (field === 'loss') return parseLoss(v, path, probs);
  const parsers: Record<Exclude<Field, 'loss'>, (x: unknown) => Parsed<unknown>> = {
    delay: parseDuration, jitter: parseDuration, rate: parseRate, limit: parseLimit,
  };
  const r = parsers[field](v);
  if (!r.ok) {
    probs?.add(path, `${r.problem} (allowed: ${r.allowed})`);
    return null;
  }
  const parsed: Partial<LinkDirection> =
    field === 'delay' ? { delayMs: r.value as number }
    : field === 'jitter' ? { jitterMs: r.value as number }
    : field === 'rate' ? { rateBitsPerSec: r.value as number | null }
    : { limit: r.value as QueueLimit | null };
  const outOfRange = linkFieldBound(field, v, parsed);
  if (outOfRange) {
    probs?.add(path, outOfRange);
    return null;
  }
  return parsed;
}

/** Check every unit in a raw link (list elements one by one); report problems with paths. */
export function resolveLinkFields(raw: RawLink, base: Path, probs: Problems, opts: { allowLists: boolean }): void {
  for (const dir of DIRS) {
    const o = (dir.length ? raw[dir[0]] : raw) as Record<string, unknown> | undefined;
    if (!o || typeof o !== 'object') continue;
    for (const f of SWEEPABLE) {
      if (!(f in o)) continue;
      const path = [...base, ...dir, f];
      const v = o[f];
      // The schema already reported a value of the wrong type; one problem per field is enough.
      if (v === null || typeof v === 'boolean' || (f !== 'loss' && typeof v === 'object' && !Array.isArray(v))) continue;
      if (Array.isArray(v)) {
        if (!opts.allowLists) probs.add(path, 'a profile describes one link; lists (sweeps) belong in the scenario');
        else if (v.length === 0) probs.add(path, 'an empty list sweeps nothing (allowed: a value or a non-empty list)');
        else v.forEach((item, i) => parseField(f, item, [...path, i], probs));
      } else parseField(f, v, path, probs);
    }
  }
}

function applyFields(target: LinkDirection, o: Record<string, unknown> | undefined): void {
  if (!o || typeof o !== 'object') return;
  for (const f of SWEEPABLE) if (f in o) Object.assign(target, parseField(f, o[f], [], null));
  if (typeof o.reorder === 'boolean') target.reorder = o.reorder;
}

function resolveConcrete(raw: RawLink, profile: RawLink | null): ResolvedLink {
  const dir = (name: 'uplink' | 'downlink'): LinkDirection => {
    const d: LinkDirection = { ...DEFAULT_DIRECTION };
    applyFields(d, profile ?? undefined);
    applyFields(d, profile?.[name]);
    applyFields(d, raw);
    applyFields(d, raw[name]);
    return d;
  };
  return { uplink: dir('uplink'), downlink: dir('downlink') };
}

/** Where a direction's jitter is written: its own field, the link's, else the link (a profile's). */
function jitterPath(raw: RawLink, dir: 'uplink' | 'downlink'): Path {
  if (raw[dir] && typeof raw[dir] === 'object' && 'jitter' in raw[dir]!) return ['link', dir, 'jitter'];
  if ('jitter' in raw) return ['link', 'jitter'];
  return raw[dir] && typeof raw[dir] === 'object' && 'delay' in raw[dir]! ? ['link', dir, 'delay'] : 'delay' in raw ? ['link', 'delay'] : ['profile'];
}

function valueText(v: unknown): string {
  if (v && typeof v === 'object') {
    const g = (v as { gilbert: Record<string, unknown> }).gilbert;
    return `gilbert(${Object.entries(g).map(([k, x]) => `${k}=${String(x)}`).join(',')})`;
  }
  return String(v);
}

/** Validate the scenario link and expand list-valued fields into the cross product of points. */
export function expandSweep(raw: RawLink, profile: RawLink | null, probs: Problems): { sweep: SweepAxis[]; points: LinkPoint[] } {
  const before = probs.list.length;
  resolveLinkFields(raw, ['link'], probs, { allowLists: true });
  const axes: { dir: readonly string[]; field: Field; name: string; values: unknown[] }[] = [];
  for (const dir of DIRS) {
    const o = (dir.length ? raw[dir[0]] : raw) as Record<string, unknown> | undefined;
    if (!o || typeof o !== 'object') continue;
    for (const f of SWEEPABLE) {
      if (Array.isArray(o[f])) axes.push({ dir, field: f, name: ['link', ...dir, f].join('.'), values: o[f] as unknown[] });
    }
  }
  if (probs.list.length > before) return { sweep: [], points: [] };
  const total = axes.reduce((n, a) => n * a.values.length, 1);
  if (total > 256) {
    probs.add(['link'], `the sweep has ${total} points; at most 256 are allowed (narrow a list)`);
    return { sweep: [], points: [] };
  }
  const points: LinkPoint[] = [];
  const jitterProblems = new Map<string, [Path, string]>();
  for (let i = 0; i < total; i++) {
    const concrete: RawLink = structuredClone(raw);
    const params: Record<string, string> = {};
    let rest = i;
    // Last axis varies fastest, so points read in the order the lists are written.
    const idx = axes.map((a) => 0);
    for (let k = axes.length - 1; k >= 0; k--) {
      idx[k] = rest % axes[k].values.length;
      rest = Math.floor(rest / axes[k].values.length);
    }
    axes.forEach((a, k) => {
      const v = a.values[idx[k]];
      const holder = (a.dir.length ? (concrete[a.dir[0]] as Record<string, unknown>) : concrete) as Record<string, unknown>;
      holder[a.field] = v;
      params[a.name] = valueText(v);
    });
    const label = axes.length ? Object.entries(params).map(([k, v]) => `${k.replace(/^link\./, '')}=${v}`).join(' ') : 'base';
    const link = resolveConcrete(concrete, profile);
    for (const name of ['uplink', 'downlink'] as const) {
      const problem = jitterProblem(link[name], name);
      if (!problem || jitterProblems.has(problem)) continue;
      // A swept jitter (or delay) points at the list element of this point.
      const path = jitterPath(raw, name);
      const k = axes.findIndex((a) => a.name === path.join('.'));
      jitterProblems.set(problem, [k >= 0 ? [...path, idx[k]] : path, problem]);
    }
    points.push({ index: i, label, params, link });
  }
  // Once per direction and pair of values, however many sweep points share it.
  for (const [path, message] of jitterProblems.values()) probs.add(path, message);
  if (jitterProblems.size) return { sweep: [], points: [] };
  return { sweep: axes.map((a) => ({ field: a.name, values: a.values.map(valueText) })), points };
}
