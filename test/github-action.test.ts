// The reusable GitHub Action (action.yml) and the example workflow that uses it (issue 19):
// both parse, every input and output they reference exists, and the action's own step
// scripts run here as a runner would run them: two real loopback runs compared on the same
// machine, a refused baseline, a run without baseline, and the exit-code -> verdict mapping
// on the compare fixtures.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../harness/core/version.js';
import { loadAction, references, runAction, stepId, type ActionRun } from './fixtures/action-runner.js';
import { makeResult, standardSeries, writeResults } from './fixtures/compare-fixtures.js';
import { fixtureFile } from './fixtures/report-load.js';

const action = loadAction(join(PROJECT_ROOT, 'action.yml'));
const workflow = parse(readFileSync(join(PROJECT_ROOT, '.github', 'workflows', 'bench.yml'), 'utf8')) as {
  on: unknown;
  jobs: Record<string, { 'runs-on': string; steps: { uses?: string; id?: string; with?: Record<string, string>; run?: string; env?: Record<string, string> }[] }>;
};

const tmp = mkdtempSync(join(tmpdir(), 'bench-action-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('action.yml: a composite action whose inputs, outputs and step references all exist', () => {
  assert.equal(action.runs.using, 'composite');
  assert.ok(action.name && action.description);
  for (const [k, v] of Object.entries(action.inputs)) assert.ok(v.description?.length > 10, `input ${k} has no description`);
  for (const [k, v] of Object.entries(action.outputs)) {
    assert.ok(v.description?.length > 10, `output ${k} has no description`);
    assert.match(v.value, /^\$\{\{ steps\.[\w-]+\.outputs\.[\w-]+ \}\}$/, `output ${k}`);
  }
  const ids: string[] = [];
  const check = (text: string, where: string, seen: string[]): void => {
    for (const ref of references(text)) {
      const [ctx, name, kind] = ref.split('.');
      if (ctx === 'inputs') assert.ok(name in action.inputs, `${where}: ${ref} is not an input`);
      if (ctx === 'steps') {
        assert.ok(seen.includes(name), `${where}: ${ref} names no earlier step`);
        assert.ok(['outputs', 'outcome', 'conclusion'].includes(kind), `${where}: ${ref}`);
      }
    }
  };
  action.runs.steps.forEach((s, n) => {
    const where = `step ${s.id ?? s.name ?? n}`;
    if (s.if) check(`\${{ ${s.if} }}`, where, ids);
    for (const v of Object.values(s.env ?? {})) check(String(v), where, ids);
    for (const v of Object.values(s.with ?? {})) check(String(v), where, ids);
    if (s.run !== undefined) {
      assert.equal(s.shell, 'bash', `${where}: composite run steps need shell: bash`);
      // Inputs reach scripts through env only: a ${{ }} inside a script is an injection.
      assert.doesNotMatch(s.run, /\$\{\{/, `${where}: expression inside run`);
    } else assert.match(s.uses ?? '', /^[\w-]+\/[\w-]+@v\d+$/, `${where}: neither run nor a pinned uses`);
    ids.push(stepId(s, n));
  });
  for (const [k, v] of Object.entries(action.outputs)) check(v.value, `output ${k}`, ids);
  // Every step output an action output reads is written by that step's script.
  for (const [k, v] of Object.entries(action.outputs)) {
    const [, id, name] = /steps\.([\w-]+)\.outputs\.([\w-]+)/.exec(v.value)!;
    const run = action.runs.steps.find((s) => s.id === id)?.run ?? '';
    assert.ok(run.includes(`${name}=`) || (id === 'candidate' && /for f in result\.json report\.html summary\.md/.test(run)), `output ${k}: step ${id} never writes ${name}`);
  }
});

test('the example workflow is valid and uses the action with inputs it has', () => {
  assert.ok(workflow.on && workflow.jobs);
  const job = Object.values(workflow.jobs)[0];
  assert.ok(job['runs-on']);
  const iCheckout = job.steps.findIndex((s) => s.uses?.startsWith('actions/checkout@'));
  const iAction = job.steps.findIndex((s) => s.uses === './');
  assert.ok(iCheckout >= 0 && iAction > iCheckout, 'checks out the repository, then uses ./');
  const w = job.steps[iAction].with ?? {};
  for (const k of Object.keys(w)) assert.ok(k in action.inputs, `with: ${k} is not an input of action.yml`);
  for (const [k, v] of Object.entries(action.inputs)) if (v.required) assert.ok(k in w, `required input ${k} missing`);
  assert.ok(existsSync(join(PROJECT_ROOT, w.scenario)), `${w.scenario} does not exist`);
  const id = job.steps[iAction].id!;
  for (const s of job.steps) for (const v of Object.values(s.env ?? {})) {
    const m = new RegExp(`steps\\.${id}\\.outputs\\.([\\w-]+)`).exec(v);
    if (m) assert.ok(m[1] in action.outputs, `${m[1]} is not an output of action.yml`);
  }
});

// ------------------------------------------------------------------ running the steps

/**
 * A user's repository: a tiny loopback scenario in the first commit, a second commit on top,
 * checked out shallow as actions/checkout does (depth 1): the action must fetch the base.
 */
const origin = join(tmp, 'origin');
mkdirSync(origin);
const gitIn = (dir: string, ...a: string[]): string => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...a], { encoding: 'utf8' }).trim();
gitIn(origin, 'init', '-q');
writeFileSync(join(origin, 'tiny.yaml'), 'name: tiny\ndescription: action test\ntransports: [tcp, udp]\nworkloads:\n  - echo: { payload: 64B, count: 30 }\nrepetitions: 3\n');
gitIn(origin, 'add', 'tiny.yaml');
gitIn(origin, 'commit', '-q', '-m', 'base');
const baseSha = gitIn(origin, 'rev-parse', 'HEAD');
writeFileSync(join(origin, 'README'), 'head\n');
gitIn(origin, 'add', 'README');
gitIn(origin, 'commit', '-q', '-m', 'head');
const repo = join(tmp, 'repo');
execFileSync('git', ['clone', '-q', '--depth=1', `file://${origin}`, repo]);
const git = (...a: string[]): string => gitIn(repo, ...a);

let runs = 0;
function runIt(inputs: Record<string, string>, extra: { only?: string[]; preset?: Record<string, Record<string, string>> } = {}): ActionRun {
  const dir = join(tmp, `run-${++runs}`);
  const runnerTemp = join(dir, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|GITHUB_|RUNNER_|INPUT_)/i.test(k)) env[k] = v;
  Object.assign(env, { CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_ACTION_PATH: PROJECT_ROOT, GITHUB_WORKSPACE: repo, GITHUB_SHA: git('rev-parse', 'HEAD'), RUNNER_TEMP: runnerTemp });
  // What this machine cannot or need not do: install packages, set up node (both `uses:` or apt).
  return runAction(action, { inputs: { 'apt-packages': '', 'node-version': '', backend: 'loopback', 'working-directory': repo, ...inputs }, env, dir, ...extra });
}

function step(r: ActionRun, id: string) {
  return r.steps.find((s) => s.id === id)!;
}

function explain(r: ActionRun): string {
  return r.steps.map((s) => `--- ${s.id} ${s.outcome}\n${s.stdout}${s.stderr}`).join('\n');
}

test('baseline = a git ref: both commits measured on this machine, compared, summarised, uploaded', { timeout: 180_000 }, () => {
  assert.throws(() => git('rev-parse', '--verify', '-q', `${baseSha}^{commit}`), 'the shallow checkout lacks the base commit');
  const r = runIt({ scenario: 'tiny.yaml', baseline: baseSha, threshold: '7', label: 'pr head', undecided: 'pass' });
  assert.equal(r.failed, false, explain(r));
  // Loopback echo over 3 against 3 repetitions: decided the same (exit 0) when the machine is
  // quiet, else undecided (exit 5), which `undecided: pass` accepts; never a regression.
  const passed = ({ 'no-regression': '0', undecided: '5' } as Record<string, string>)[r.outputs.verdict];
  assert.ok(passed !== undefined, explain(r));
  assert.equal(r.outputs['exit-code'], passed);
  assert.equal(r.outputs.failed, 'false');
  for (const k of ['result', 'report', 'summary', 'baseline-result', 'compare-markdown', 'compare-html', 'dir']) {
    assert.ok(r.outputs[k] && existsSync(r.outputs[k]), `output ${k} = "${r.outputs[k]}" does not exist`);
  }
  const base = JSON.parse(readFileSync(r.outputs['baseline-result'], 'utf8')) as { label: string; scenarioSha256: string };
  const cand = JSON.parse(readFileSync(r.outputs.result, 'utf8')) as { label: string; scenarioSha256: string };
  assert.equal(base.label, `baseline ${baseSha} (${baseSha})`);
  assert.equal(cand.label, 'pr head');
  assert.equal(base.scenarioSha256, cand.scenarioSha256, 'both sides ran the candidate\'s scenario');
  assert.match(r.summary, new RegExp(`^### bench: ${r.outputs.verdict}\\n\\nbench compare exited ${passed}; threshold 7 %, alpha 0\\.05; this verdict passes the job\\.`));
  assert.ok(r.summary.includes(readFileSync(r.outputs['compare-markdown'], 'utf8')), 'the compare table is in the job summary');
  assert.match(r.summary, /<details><summary>candidate run summary<\/summary>[\s\S]*<details><summary>baseline run summary<\/summary>/);
  const upload = r.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
  assert.deepEqual(upload.with, { name: 'bench-reports', path: r.outputs.dir, 'if-no-files-found': 'warn' });
  assert.equal(step(r, r.steps[r.steps.length - 1].id).outcome, 'skipped', 'the gate did not fail the job');
  assert.equal(git('worktree', 'list').split('\n').length, 1, 'the baseline worktree was removed');
});

test('baseline = a result file of another scenario: refused (exit 2), the gate fails the job', { timeout: 120_000 }, () => {
  const r = runIt({ scenario: 'tiny.yaml', baseline: fixtureFile('single') });
  assert.equal(r.outputs.verdict, 'refused', explain(r));
  assert.equal(r.outputs['exit-code'], '2');
  assert.equal(r.outputs.failed, 'true');
  assert.equal(r.failed, true);
  assert.equal(r.steps[r.steps.length - 1].outcome, 'failure');
  assert.match(r.steps[r.steps.length - 1].stdout, /^::error title=bench::refused: bench compare exited 2$/m);
  assert.match(r.summary, /```\nbench: error: refusing to compare[\s\S]*scenarioSha256 differs[\s\S]*```/, 'compare\'s refusal is in the summary');
  assert.equal(r.outputs['baseline-result'], fixtureFile('single'));
});

test('no baseline: the run is reported, not compared, and passes', { timeout: 120_000 }, () => {
  const r = runIt({ scenario: 'tiny.yaml', 'run-args': '--label from-run-args' });
  assert.equal(r.failed, false, explain(r));
  assert.equal((JSON.parse(readFileSync(r.outputs.result, 'utf8')) as { label: string }).label, 'from-run-args', 'run-args reach bench run, after the action\'s own');
  assert.deepEqual([r.outputs.verdict, r.outputs['exit-code'], r.outputs['compare-markdown'], r.outputs['baseline-result']], ['not-compared', '0', '', '']);
  assert.equal(step(r, 'baseline').outcome, 'skipped');
  assert.ok(r.summary.includes(readFileSync(r.outputs.summary, 'utf8')));
});

test('exit codes map to verdicts in one place: a regression fails, undecided rows fail unless undecided: pass, failed cells without a baseline fail', () => {
  const f = writeResults({
    'base.json': makeResult({ label: 'main', series: standardSeries(1, 10) }),
    'slow.json': makeResult({ label: 'pr-slow', series: standardSeries(101, 10, { rttFactor: 1.2 }) }),
  });
  const out = join(tmp, 'verdict-out');
  mkdirSync(out, { recursive: true });
  const setup = { wd: repo, out, mode: 'file', bench: `${process.execPath} ${join(PROJECT_ROOT, 'dist', 'harness', 'cli.js')}` };
  const r = runIt({ scenario: 'tiny.yaml' }, { only: ['verdict'], preset: { setup, baseline: { result: f['base.json'] }, candidate: { result: f['slow.json'], 'run-exit': '0' } } });
  assert.deepEqual([r.outputs.verdict, r.outputs['exit-code'], r.outputs.failed], ['regression', '1', 'true'], explain(r));
  assert.match(r.summary, /REGRESSION/);
  assert.match(r.summary, /bench: 1 regression beyond 5 % \(decided slower\)/);

  // Exit 5 (rows undecided, nothing regressed) is 'undecided': it fails the job unless the
  // undecided input is pass. Two repetitions a side, 3 % apart: too few to decide either row.
  const u = writeResults({
    'base.json': makeResult({ label: 'main', series: standardSeries(1, 2) }),
    'near.json': makeResult({ label: 'pr-near', series: standardSeries(201, 2, { rttFactor: 1.03 }) }),
  });
  const undecided = { setup, baseline: { result: u['base.json'] }, candidate: { result: u['near.json'], 'run-exit': '0' } };
  const uf = runIt({ scenario: 'tiny.yaml' }, { only: ['verdict'], preset: undecided });
  assert.deepEqual([uf.outputs.verdict, uf.outputs['exit-code'], uf.outputs.failed], ['undecided', '5', 'true'], explain(uf));
  assert.match(uf.summary, /bench: 2 of 2 rows undecided, none regressed/);
  const up = runIt({ scenario: 'tiny.yaml', undecided: 'pass' }, { only: ['verdict'], preset: undecided });
  assert.deepEqual([up.outputs.verdict, up.outputs['exit-code'], up.outputs.failed], ['undecided', '5', 'false'], explain(up));
  rmSync(join(u['base.json'], '..'), { recursive: true, force: true });

  const c = runIt({ scenario: 'tiny.yaml' }, { only: ['verdict'], preset: { setup: { ...setup, mode: 'none' }, candidate: { result: f['slow.json'], 'run-exit': '4' } } });
  assert.deepEqual([c.outputs.verdict, c.outputs['exit-code'], c.outputs.failed], ['cells-failed', '4', 'true'], explain(c));
  rmSync(join(f['base.json'], '..'), { recursive: true, force: true });

  const bad = runIt({ scenario: 'tiny.yaml', undecided: 'maybe' }, { only: ['setup'] });
  assert.equal(step(bad, 'setup').outcome, 'failure');
  assert.match(step(bad, 'setup').stdout, /::error title=bench::input undecided: "maybe" is not one of fail, pass/);
});
