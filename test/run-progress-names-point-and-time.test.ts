// `bench run`'s progress (issue 19, item 5), on a real lab: a CI log (stderr not a TTY) and a
// terminal (tmux) show the same facts. Every progress line names its point by its link
// (a sweep's "loss=2%", a single point's whole link); the lab, calibration, the agents and
// each warm-up cell are told before any cell; lines carry elapsed and remaining time. On a
// terminal the live line shows calibration's probes and the warm-up cell while they run.
// No timing is asserted: only what is said, and in which order.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { ResultFile } from '../harness/results/types.js';
import { cleanup } from '../netem/cleanup.js';
import { CLI, remains, skipUnlessRoot } from './kit/testkit.js';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Remove the run's lab whatever happened (its run id is in the result file), then check nothing is left. */
async function labGone(out: string): Promise<string[]> {
  const r = await readFile(join(out, 'result.json'), 'utf8').then((x) => JSON.parse(x) as ResultFile, () => null);
  const ns = r?.labs[0]?.namespaces?.client;
  if (!ns) return [];
  const runId = ns.replace(/^bench-/, '').replace(/-c$/, '');
  await cleanup({ runId });
  return remains(runId);
}

async function workDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-progress-'));
  t.after(async () => {
    assert.deepEqual(await labGone(join(dir, 'out')), [], 'nothing of the run is left');
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/**
 * The facts both outputs must hold, for the point named `tag` with `cells` recorded cells:
 * every line from the lab to its last cell names the point; the lab, calibration (start and
 * result), agents, warm-up and the cells come in that order; cell lines carry elapsed and
 * remaining time.
 */
function assertPointTold(lines: string[], tag: string, o: { warmups: number; cellLines: number }): void {
  const mine = lines.filter((l) => l.startsWith(`${tag} `));
  const at = (re: RegExp, what: string): number => {
    const i = mine.findIndex((l) => re.test(l));
    assert.ok(i >= 0, `${tag}: a line for ${what}; lines:\n${mine.join('\n')}`);
    return i;
  };
  const order = [
    at(/point \d of \d: building the lab \(RTT /, 'the lab'),
    at(/calibration: \d+ UDP echo probes, about [\d.]+ s/, 'calibration starting'),
    at(/calibrated in [\d.]+ s: RTT p50 [\d.]+ [µm]?s, loss [\d.]+% up \/ [\d.]+% down/, 'calibration ended'),
    at(/agents and \d transports? started in /, 'agents and transports'),
    at(/warm-up: \d+ cells? \(\d rounds?\), not recorded/, 'warm-up announced'),
    at(/warm-up 1\/\d+ ok /, 'the first warm-up cell'),
    at(/\[\d+\/\d+\] ok /, 'the first cell'),
  ];
  assert.deepEqual(order, [...order].sort((a, b) => a - b), `${tag}: lab, calibration, agents, warm-up, cells in this order:\n${mine.join('\n')}`);
  assert.equal(mine.filter((l) => /warm-up \d+\/\d+ ok /.test(l)).length, o.warmups, `${tag}: one line per warm-up cell`);
  const cells = mine.filter((l) => /\[\d+\/\d+\] ok /.test(l));
  assert.equal(cells.length, o.cellLines, `${tag}: one line per cell`);
  for (const l of cells) assert.match(l, /\| \d+:\d\d elapsed, ~\d+:\d\d left$/, 'a cell line says elapsed and remaining time');
}

test('a CI log (stderr not a TTY): every line names its point by its link; calibration, warm-up, elapsed and remaining time', { skip: skipUnlessRoot(), timeout: 240_000 }, async (t) => {
  const dir = await workDir(t);
  const scenario = join(dir, 's.yaml');
  await writeFile(scenario, 'name: progress-plain\ndescription: progress lines in a CI log\nlink: { delay: 2ms, loss: [0%, 2%] }\ntransports: [tcp, udp]\nworkloads:\n  - echo: { payload: 64B, count: 30 }\nrepetitions: 2\nwarmup: 1\n');
  const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, [CLI, 'run', scenario, '--out', join(dir, 'out'), '--backend', 'userspace', '--calibration-probes', '200'], { timeout: 200_000 }, (err, _o, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  assert.doesNotMatch(r.stderr, /\r|\x1b\[/, 'plain lines: no carriage return, no terminal control');
  const lines = r.stderr.split('\n');
  const progress = lines.slice(1, lines.findIndex((l) => l.startsWith('summary (')) - 1);
  // Every progress line names its point: the sweep's values, padded to the longest.
  for (const l of progress) assert.match(l, /^loss=[02]% {2}/, `every line names its point: ${JSON.stringify(l)}`);
  assertPointTold(progress, 'loss=0%', { warmups: 2, cellLines: 4 });
  assertPointTold(progress, 'loss=2%', { warmups: 2, cellLines: 4 });
  const first = progress.map((l) => l.slice(0, 7));
  assert.ok(first.indexOf('loss=2%') > first.lastIndexOf('loss=0%'), 'the second point is told after the first');
  // The summary after the run names its rows' points the same way.
  const rows = lines.slice(lines.findIndex((l) => l.startsWith('summary (')) + 2);
  // The table's rows run to the first blank line (the verdicts follow it).
  const summary = rows.slice(0, rows.indexOf(''));
  assert.equal(summary.length, 4, lines.join('\n'));
  for (const l of summary) assert.match(l, /^loss=[02]% +(tcp|udp) /);
  // The second point's lab is priced from the first: its line already says the time left.
  assert.match(progress.find((l) => /^loss=2% {2}point 2 of 2/.test(l)) ?? '', /~\d+:\d\d left$/);
});

test('a terminal (tmux): the live line shows calibration and warm-up running; the same facts stay on screen', { skip: skipUnlessRoot() || (spawnSync('tmux', ['-V']).status !== 0 ? 'needs tmux (Debian package tmux, in .ci/apt-packages)' : false), timeout: 240_000 }, async (t) => {
  const dir = await workDir(t);
  // Its own tmux server: other tests' and users' sessions are never touched, and killing it ends everything of this test.
  // Its socket is a path of its own, removed with it (tmux leaves socket files behind).
  const socket = join(tmpdir(), `bench-progress-tmux-${randomBytes(4).toString('hex')}`);
  const tmux = (...args: string[]): string => {
    const r = spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  t.after(async () => {
    spawnSync('tmux', ['-S', socket, 'kill-server']);
    await rm(socket, { force: true });
  });
  const scenario = join(dir, 's.yaml');
  await writeFile(scenario, 'name: progress-tty\ndescription: progress in a terminal\nlink: { delay: 2ms, loss: 1% }\ntransports: [tcp, udp]\nworkloads:\n  - echo: { payload: 64B, count: 30 }\nrepetitions: 2\nwarmup: 1\n');
  // 1500 probes take at least 3 s: the live line is seen counting them.
  const cmd = [process.execPath, CLI, 'run', scenario, '--out', join(dir, 'out'), '--backend', 'userspace', '--calibration-probes', '1500'].map((a) => `'${a}'`).join(' ');
  tmux('new-session', '-d', '-s', 'run', '-x', '160', '-y', '50', `${cmd}; echo "exit $?" > '${join(dir, 'rc')}'; sleep 600`);
  const live = new Set<string>();
  const deadline = Date.now() + 200_000;
  let rc = '';
  while (!rc && Date.now() < deadline) {
    // The live line is the screen's last non-empty line.
    const screen = tmux('capture-pane', '-p', '-t', 'run').split('\n').filter((l) => l.trim());
    if (screen.length) live.add(screen[screen.length - 1].trimEnd());
    rc = await readFile(join(dir, 'rc'), 'utf8').catch(() => '');
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.equal(rc.trim(), 'exit 0', 'bench run ended well in the terminal');
  const tag = 'delay=2ms loss=1%';
  const seen = [...live];
  const says = (re: RegExp, what: string): void => assert.ok(seen.some((l) => re.test(l)), `the live line showed ${what}; it showed:\n${seen.join('\n')}`);
  says(new RegExp(`^${escape(tag)} {2}calibration [1-9]\\d*/1500 probes`), 'calibration counting probes, named by the link');
  says(new RegExp(`^${escape(tag)} {2}warm-up 1/2 `), 'the first warm-up cell running');
  says(new RegExp(`^${escape(tag)} {2}\\[\\d/4\\] tcp .*\\| \\d+:\\d\\d elapsed, ~\\d+:\\d\\d left`), 'a cell running with elapsed and remaining time');
  // What stays on screen (scrollback included) holds the same facts as the CI log.
  const screen = tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'run').split('\n').map((l) => l.trimEnd());
  assertPointTold(screen, tag, { warmups: 2, cellLines: 4 });
});
