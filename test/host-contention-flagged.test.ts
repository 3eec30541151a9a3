// A cell measured while the host's CPUs are taken by other work is flagged "host-contended"
// (apart from CPU-bound), with the host's load and the endpoints' run-queue delays recorded;
// CPU shares come from the scheduler's nanosecond accounting, so a short cell cannot read
// "303 % of a core" from 10 ms ticks.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cpuBetween, cpuMark, cpuSince } from '../harness/results/cpu.js';
import { contention, CONTENTION } from '../harness/results/host-load.js';
import { benchRun, skipUnlessRoot } from './kit/testkit.js';

const idleLoad = { cpus: 2, busyFraction: 0.3, softirqFraction: 0.01, stealFraction: 0, cpuPressureSome: 0.01 };
const usage = (runQueueFraction: number) => ({ userUs: 0, sysUs: 0, wallMs: 1000, coreFraction: 0.2, runQueueFraction });

test('contention rule: a saturated host, an endpoint kept waiting, or steal, each flags; a quiet host does not', () => {
  assert.equal(contention(idleLoad, { client: usage(0.01), server: usage(0.02) }), null);
  assert.match(contention({ ...idleLoad, busyFraction: CONTENTION.busyFraction }, { client: null, server: null }) ?? '', /CPUs were 90 % busy/);
  assert.match(contention(idleLoad, { client: usage(0.3), server: usage(0) }) ?? '', /client endpoint waited for a CPU 30 % of the time it was ready to run/);
  assert.match(contention({ ...idleLoad, stealFraction: 0.06 }, { client: null, server: null }) ?? '', /hypervisor stole 6 %/);
});

test('run-queue delay is a share of the time the threads were ready to run: never above 1, however many threads waited', () => {
  const at = (ms: number, runNs: number, waitNs: number) => ({ pid: 1, userUs: 0, sysUs: 0, sched: { runNs, waitNs }, at: ms });
  // Ten threads, each ready for the whole second and on a CPU a fifth of it: 8 s of waiting in 1 s.
  const busy = cpuBetween(at(0, 0, 0), at(1000, 2e9, 8e9));
  assert.equal(busy?.runQueueFraction, 0.8);
  // An endpoint that ran 1 ms and waited 1 ms in a second barely ran: not "half the time waiting".
  const idle = cpuBetween(at(0, 0, 0), at(1000, 1e6, 1e6));
  assert.ok(idle!.runQueueFraction! <= 0.02, String(idle?.runQueueFraction));
});

test('CPU share of a short burst is measured in nanoseconds, never above the cores a process can use', async () => {
  const m = cpuMark(process.pid);
  const end = performance.now() + 3;
  while (performance.now() < end) {
    /* 3 ms of work: shorter than one 10 ms tick */
  }
  const u = cpuSince(m);
  assert.ok(u && u.runQueueFraction !== undefined, 'schedstat read');
  // Physical bounds only (the machine is shared): some CPU was used...
  assert.ok(u.coreFraction > 0, `core fraction ${u.coreFraction}`);
  // ...and, over a window long against the kernel's accounting lag (a thread's sum is
  // brought up to date at its next tick or switch, up to a few ms late: over a 3 ms burst
  // that read 2.04 cores on 2 CPUs), no more than all CPUs.
  const m2 = cpuMark(process.pid);
  const end2 = performance.now() + 200;
  while (performance.now() < end2) {
    /* 200 ms of work */
  }
  const u2 = cpuSince(m2);
  assert.ok(u2 && u2.coreFraction > 0 && u2.coreFraction <= cpus().length, `core fraction ${u2?.coreFraction}`);
});

test('a run on a host whose CPUs are all busy flags its cells as host-contended and records the load', { skip: skipUnlessRoot(), timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-contention-'));
  // Two busy loops per CPU: the endpoints must wait for a CPU whatever else runs here.
  const loops: ChildProcess[] = Array.from({ length: 2 * cpus().length }, () => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
  t.after(async () => {
    for (const l of loops) l.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  const { result } = await benchRun(dir, `name: contended
description: cells measured while the host's CPUs are taken
link: { delay: 1ms }
transports: [tcp]
workloads:
  - echo: { payload: 64B, duration: 1s }
  - bulk: { direction: download, duration: 1s }
repetitions: 2
`);
  assert.equal(result.cells.length, 4);
  for (const c of result.cells) {
    assert.ok(c.host, `${c.id}: host load recorded`);
    assert.ok(c.host.busyFraction >= 0.9, `${c.id}: host busy ${c.host.busyFraction}`);
    assert.equal(c.host.contended, true);
    const w = c.warnings.find((x) => x.code === 'host-contended');
    assert.ok(w, `${c.id} flagged: ${c.warnings.map((x) => x.code).join(',')}`);
    assert.match(w.message, /this figure reflects a contended host/);
  }
});
