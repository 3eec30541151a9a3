// The built binary as a user meets it: `bench validate` output and exit codes, help for every
// registered command, and the refusals of `run` that happen before anything is set up
// (exit codes from harness/errors.ts: 0 ok, 2 bad input or usage). Needs no root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../harness/core/errors.js';
import { PROJECT_ROOT } from '../harness/core/version.js';
import { CLI, tempDir } from './kit/testkit.js';

const SCENARIOS = join(PROJECT_ROOT, 'scenarios');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function bench(args: string[], cwd = PROJECT_ROOT): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const STACK_LINE = /^\s+at /m;
const tmp = (): string => tempDir('bench-cli-');

/** Command names listed under "Commands:" in a help text (commander's own `help` left out). */
function commandsIn(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
}

test('validate scenarios/*.yaml: exit 0, one "ok" line per file on stdout, nothing on stderr', async () => {
  const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')).sort().map((f) => join('scenarios', f));
  const r = await bench(['validate', ...files]);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, files.length);
  files.forEach((f, i) => assert.ok(lines[i].startsWith(`${f}: ok: `), lines[i]));
  assert.match(r.stdout, /^scenarios\/sweep-loss\.yaml: ok: sweep-loss: 5 link points, /m);
});

test('validate a file with several mistakes: exit 2, every problem with file:line:col, no stack trace', async () => {
  const dir = tmp();
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'name: Bad Name\ndescription: d\nlink:\n  delay: 25\n  loss: 0.05\ntransports: [tcp, sctp]\nworkloads:\n  - bulk: { direction: sideways }\n');
  const r = await bench(['validate', 'scenarios/baseline.yaml', bad, join(dir, 'missing.yaml')]);
  assert.equal(r.code, EXIT.usage, r.stderr);
  assert.doesNotMatch(r.stderr, STACK_LINE);
  assert.match(r.stdout, /^scenarios\/baseline\.yaml: ok: /, 'valid files are still reported');
  const lines = r.stderr.trimEnd().split('\n');
  assert.deepEqual(lines.slice(0, 5).map((l) => l.slice(0, l.indexOf(': '))), [
    `${bad}:1:7 name`,
    `${bad}:4:10 link.delay`,
    `${bad}:5:9 link.loss`,
    `${bad}:6:19 transports[1]`,
    `${bad}:8:24 workloads[0].bulk.direction`,
  ]);
  for (const l of lines.slice(0, 5)) assert.match(l, /\(allowed: .+\)$/);
  assert.equal(lines[5], `cannot read scenario ${join(dir, 'missing.yaml')}: no such file (ENOENT)`);
  assert.equal(lines[6], 'bench: error: 6 problems found');
  assert.match(lines[7], /^ {2}hint: /);
  assert.equal(lines.length, 8);
});

test('--help of every registered command exits 0 and describes it', async () => {
  const top = await bench(['--help']);
  assert.equal(top.code, EXIT.ok, top.stderr);
  const commands = commandsIn(top.stdout);
  for (const c of ['run', 'validate', 'compare', 'report']) assert.ok(commands.includes(c), `${c} is registered`);
  // One at a time: nine CLIs starting at once on a loaded 2-CPU machine ran past the
  // per-process 15 s limit, which said nothing about --help.
  const helps: Ran[] = [];
  for (const c of commands) helps.push(await bench([c, '--help']));
  helps.forEach((r, i) => {
    const name = commands[i];
    assert.equal(r.code, EXIT.ok, `${name} --help: ${r.stderr}`);
    assert.equal(r.stderr, '', name);
    const [usage, blank, description] = r.stdout.split('\n');
    assert.ok(usage.startsWith(`Usage: bench ${name}`), `${name}: ${usage}`);
    assert.equal(blank, '', name);
    assert.ok(description.trim().length > 10, `${name} --help describes the command: ${JSON.stringify(description)}`);
  });
});

test('an unknown command exits 2 and says so', async () => {
  const r = await bench(['frobnicate']);
  assert.equal(r.code, EXIT.usage, r.stderr);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  assert.doesNotMatch(r.stderr, STACK_LINE);
});

test('run with a missing scenario file exits 2 with one clear line', async () => {
  const dir = tmp();
  const r = await bench(['run', join(dir, 'nope.yaml'), '--backend', 'loopback'], dir);
  assert.equal(r.code, EXIT.usage, r.stderr);
  assert.equal(r.stderr, `bench: error: cannot read scenario ${join(dir, 'nope.yaml')}: no such file (ENOENT)\n`);
  assert.equal(r.stdout, '');
  assert.deepEqual(readdirSync(dir), []);
});

test('run of an impaired scenario on the loopback backend exits 2 with the reason, creating nothing', async () => {
  const dir = tmp();
  const r = await bench(['run', join(SCENARIOS, 'loss-5pct.yaml'), '--backend', 'loopback', '--out', join(dir, 'out')], dir);
  assert.equal(r.code, EXIT.usage, r.stderr);
  assert.match(r.stderr, /^bench: error: scenario loss-5pct asks for link impairment, which the loopback backend cannot emulate\n {2}hint: .*baseline\.yaml/);
  assert.doesNotMatch(r.stderr, STACK_LINE);
  assert.equal(r.stdout, '');
  assert.deepEqual(readdirSync(dir), [], 'no results directory, no --out directory');
});

test('--version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  const r = await bench(['--version']);
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.equal(r.stdout, `${version}\n`);
});
