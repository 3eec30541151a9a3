// The floor plan: harness/ is made of pipeline folders with only cli.ts at its root, imports
// between folders go one way (the table below, also in README "Contributing"), and no file
// imports itself back through others. Reads the TypeScript sources, so it holds for code
// that is never run by a test too.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import test from 'node:test';
import { PROJECT_ROOT } from '../harness/core/version.js';

/** Folder -> the folders it may import from (besides itself). node: and npm packages are free. */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  transports: ['core'],
  workloads: ['core', 'transports'],
  tunnel: ['core', 'transports'],
  agent: ['core', 'transports', 'workloads'],
  netem: ['core'],
  subjects: ['core', 'transports', 'workloads', 'agent', 'netem'],
  scenario: ['core', 'workloads', 'subjects'],
  results: ['core', 'transports', 'workloads', 'subjects', 'scenario'],
  remote: ['core', 'agent', 'netem', 'scenario'],
  run: ['core', 'transports', 'workloads', 'agent', 'netem', 'subjects', 'scenario', 'results', 'remote'],
  reports: ['core', 'results'],
  commands: ['core', 'transports', 'workloads', 'tunnel', 'agent', 'netem', 'subjects', 'scenario', 'results', 'remote', 'run', 'reports'],
  dev: ['core', 'transports', 'workloads', 'tunnel', 'agent', 'netem', 'subjects', 'scenario', 'results', 'remote', 'run'],
  cli: ['core', 'commands'],
};

/** The folder a source file belongs to, or an error for a file outside the plan. */
export function folderOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'netem' || parts[0] === 'reports') return parts[0];
  if (parts[0] !== 'harness') throw new Error(`${file}: not in harness/, netem/ or reports/`);
  if (parts.length === 2) {
    if (parts[1] === 'cli.ts') return 'cli';
    throw new Error(`${file}: only cli.ts may sit at the root of harness/ (put it in a pipeline folder)`);
  }
  if (!(parts[1] in ALLOWED)) throw new Error(`${file}: harness/${parts[1]}/ is not a folder of the plan (add it to ALLOWED and README)`);
  return parts[1];
}

/** Relative imports of a TypeScript source: static, re-exports and dynamic `import()`. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/g)) out.push(m[1]);
  for (const m of text.matchAll(/import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) out.push(m[1]);
  return out;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(PROJECT_ROOT, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(join(PROJECT_ROOT, rel)).isDirectory()) out.push(...sources(rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** Edges file -> imported file (repo-relative .ts paths). */
function edges(files: string[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(join(PROJECT_ROOT, f), 'utf8');
    g.set(
      f,
      importsOf(text).map((spec) => relative(PROJECT_ROOT, resolve(PROJECT_ROOT, dirname(f), spec)).replace(/\.js$/, '.ts')),
    );
  }
  return g;
}

/** Folder-rule violations: "a.ts (run) imports b.ts (reports)". */
export function violations(g: ReadonlyMap<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [from, tos] of g) {
    const fa = folderOf(from);
    for (const to of tos) {
      const fb = folderOf(to);
      if (fa !== fb && !ALLOWED[fa].includes(fb)) bad.push(`${from} (${fa}) imports ${to} (${fb})`);
    }
  }
  return bad;
}

/** Import circles between files, each as the list of files around it. */
export function circles(g: ReadonlyMap<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const to of g.get(f) ?? []) {
      if (state.get(to) === 'open') found.push(stack.slice(stack.indexOf(to)));
      else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of g.keys()) if (!state.has(f)) visit(f);
  return found;
}

const tree = (): Map<string, string[]> => edges([...sources('harness'), ...sources('netem'), ...sources('reports')]);

test('every source file sits in a folder of the plan, and only cli.ts at the root of harness/', () => {
  for (const f of tree().keys()) assert.doesNotThrow(() => folderOf(f), f);
});

test('imports between folders go one way only', () => {
  assert.deepEqual(violations(tree()), []);
});

test('no import circles between files', () => {
  assert.deepEqual(circles(tree()).map((c) => c.join(' -> ')), []);
});

test('the checker itself sees a wrong-way import, a circle and a stray root file', () => {
  const g = new Map([
    ['harness/core/a.ts', ['harness/run/b.ts']],
    ['harness/run/b.ts', ['harness/core/a.ts']],
    ['reports/x.ts', ['netem/lab.ts']],
  ]);
  assert.deepEqual(violations(g), ['harness/core/a.ts (core) imports harness/run/b.ts (run)', 'reports/x.ts (reports) imports netem/lab.ts (netem)']);
  assert.deepEqual(circles(g), [['harness/core/a.ts', 'harness/run/b.ts']]);
  assert.throws(() => folderOf('harness/stray.ts'), /only cli.ts/);
  assert.deepEqual(importsOf("import { a } from './a.js';\nexport { b } from '../b.js';\nconst m = await import('./c.js');\nimport x from 'node:fs';"), ['./a.js', '../b.js', './c.js']);
});
