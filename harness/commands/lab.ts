// `bench lab up|down|list`: a lab for any tool. `up` builds the lab of one scenario point,
// calibrates it, prints how to use it and leaves it running (detached emulator, state in
// /run/bench/<runid>.json); `down` removes it. `up --foreground` holds it until Ctrl-C.
import { randomBytes, randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { calibrate } from '../../netem/calibrate.js';
import { cleanup } from '../../netem/cleanup.js';
import { appliedLossWarnings, emulatorOf, labUp, overloadWarning, type Lab } from '../../netem/lab.js';
import { listStates, readState, validRunId, writeState } from '../../netem/state.js';
import { InputError, InterruptedError } from '../core/errors.js';
import { loadScenario } from '../scenario/load.js';
import type { BackendName, LinkDirection } from '../core/types.js';
import { UndoStack, withUndo } from '../core/undo.js';

const BACKENDS = ['auto', 'netem', 'userspace', 'loopback'] as const;

function describe(d: LinkDirection): string {
  const parts = [`delay ${d.delayMs} ms`];
  if (d.jitterMs) parts.push(`jitter ${d.jitterMs} ms`);
  if (d.gilbert) parts.push(`Gilbert-Elliott loss p=${d.gilbert.pPct}% r=${d.gilbert.rPct}%`);
  else if (d.lossPct) parts.push(`loss ${d.lossPct} %`);
  if (d.rateBitsPerSec !== null) parts.push(`rate ${d.rateBitsPerSec / 1e6} Mbit/s`);
  return parts.join(', ');
}

export function usageLines(lab: Lab, detached: boolean): string[] {
  const out = [`lab ${lab.runId} is up (backend ${lab.backend}: ${lab.backendReason})`];
  if (lab.clientNs && lab.serverNs) {
    out.push(`  client: namespace ${lab.clientNs}, address ${lab.clientAddr}`, `  server: namespace ${lab.serverNs}, address ${lab.serverAddr}`);
    const r = lab.record.applied.router;
    if (r) out.push(`  router: namespace ${r.namespace}, netem on ${r.uplinkDev} (uplink) and ${r.downlinkDev} (downlink)`);
  }
  out.push(`  uplink:   ${describe(lab.record.configured.uplink)}`, `  downlink: ${describe(lab.record.configured.downlink)}`);
  out.push(`  TCP congestion control: ${lab.record.applied.congestionControl}`);
  const m = lab.record.measured;
  if (m) {
    const emu = (d: { packets: number; dropped: number } | undefined): string => (d && d.packets ? ` (emulator dropped ${((100 * d.dropped) / d.packets).toFixed(2)} %)` : '');
    out.push(`  calibrated: RTT p50 ${m.rttMs.p50.toFixed(3)} ms (p99 ${m.rttMs.p99.toFixed(3)}), loss up ${m.uplinkLossPct.toFixed(2)} %${emu(m.emulator?.uplink)}, down ${m.downlinkLossPct.toFixed(2)} %${emu(m.emulator?.downlink)} over ${m.probes} probes`);
  }
  for (const w of lab.record.warnings) out.push(`  warning: ${w.message}`, `    remedy: ${w.remedy}`);
  if (lab.clientNs && lab.serverNs) {
    out.push('use it with any tool, e.g.:');
    out.push(`  sudo ip netns exec ${lab.serverNs} iperf3 -s -D`);
    out.push(`  sudo ip netns exec ${lab.clientNs} iperf3 -c ${lab.serverAddr}`);
    out.push(`  sudo ip netns exec ${lab.clientNs} bash    # a shell on the client side`);
  }
  if (!lab.clientNs) out.push(`nothing to keep up: with the loopback backend both ends use ${lab.serverAddr} directly`);
  else out.push(detached ? `remove it with: sudo bench lab down ${lab.runId}` : 'press Ctrl-C to remove it');
  return out;
}

/**
 * Never resolves, and keeps the event loop alive meanwhile: a bare pending promise does
 * not (with the netem backend no handle is left open, and Node would exit 13 at once
 * without running the undo). A signal ends it: withUndo returns the interruption.
 */
function holdUntilSignal(): Promise<never> {
  return new Promise<never>(() => {
    setInterval(() => undefined, 2 ** 31 - 1);
  });
}

interface UpOptions {
  point: string;
  backend: string;
  runId?: string;
  calibrate: boolean;
  probes: string;
  foreground?: boolean;
}

async function up(file: string, o: UpOptions): Promise<void> {
  if (!(BACKENDS as readonly string[]).includes(o.backend)) throw new InputError(`bad --backend "${o.backend}" (allowed: ${BACKENDS.join(', ')})`);
  const runId = o.runId ?? `lab-${randomBytes(3).toString('hex')}`;
  if (!validRunId(runId)) throw new InputError(`bad --run-id "${runId}" (allowed: letters, digits, _ . -; at most 48 characters; not ending in .stats)`);
  const probes = o.probes === 'auto' ? undefined : Number(o.probes);
  if (probes !== undefined && (!Number.isInteger(probes) || probes < 1)) throw new InputError(`bad --probes "${o.probes}" (allowed: auto or a positive integer)`);
  const scenario = await loadScenario(file);
  const index = Number(o.point);
  const point = scenario.points.find((p) => p.index === index);
  if (!point) {
    throw new InputError(`scenario ${scenario.name} has no point ${o.point} (allowed: ${scenario.points.map((p) => `${p.index} (${p.label})`).join(', ')})`);
  }
  const detach = !o.foreground;
  const outcome = await withUndo(
    async (undo) => {
      // The lab's own undo runs only when setup fails or is interrupted: a detached lab
      // that came up is meant to outlive this process.
      const labUndo = new UndoStack();
      let keep = false;
      undo.push(`lab ${runId}`, async () => {
        if (!keep || !detach) {
          const problems = await labUndo.run();
          if (problems.length) throw new Error(problems.join('; '));
        }
      });
      const lab = await labUp({
        runId,
        point,
        backend: o.backend as BackendName | 'auto',
        congestionControl: scenario.congestionControl,
        seed: scenario.seed,
        // Only a calibrated lab starts on the probe's own loss seed; calibrate() switches it back.
        probeSeed: o.calibrate ? randomInt(2 ** 47) : undefined,
        undo: labUndo,
        detach,
      });
      if (o.calibrate) await calibrate(lab, { probes });
      const lines = usageLines(lab, detach);
      if (detach && lab.clientNs) {
        // Only now is the lab marked as left up on purpose: until here (setup, calibration)
        // its state names this process as owner, so `bench cleanup` removes the remains
        // of a `lab up` killed midway instead of keeping them as a live lab.
        const s = await readState(runId);
        if (s) await writeState({ ...s, detached: true, record: lab.record, usage: lines });
      }
      process.stdout.write(`${lines.join('\n')}\n`);
      keep = true;
      if (!detach && lab.clientNs) await holdUntilSignal(); // until a signal: withUndo then removes the lab
    },
    // A held lab waits for nothing but the signal: do not wait for it after cleanup.
    { settleMs: 0 },
  );
  if (outcome.interrupted) throw new InterruptedError(outcome.interrupted, `lab ${runId} removed`);
}

async function down(runId: string | undefined, o: { all?: boolean }): Promise<void> {
  const states = (await listStates()).filter((s) => s.detached);
  let ids: string[];
  if (o.all) ids = states.map((s) => s.runId);
  else if (runId !== undefined) {
    if (!validRunId(runId)) throw new InputError(`bad run id "${runId}"`);
    ids = [runId];
  } else if (states.length === 1) ids = [states[0].runId];
  else {
    throw new InputError(
      states.length ? `${states.length} labs are up; say which: ${states.map((s) => s.runId).join(', ')}` : 'no lab is up',
      states.length ? 'bench lab down <runid>, or --all' : undefined,
    );
  }
  for (const id of ids) {
    const s = await readState(id);
    const counters = s ? await emulatorOf(s)?.stop() : null;
    const r = await cleanup({ runId: id });
    if (r.removed.length === 0) throw new InputError(`no lab ${id} (see: bench lab list)`);
    process.stdout.write(`lab ${id} removed${counters ? `; emulator counters: ${JSON.stringify(counters)}` : ''}\n`);
    // The same judgement `bench run` makes of a point's counters, so a lab used by other
    // tools is not trusted on figures its emulator shaped or dropped differently.
    const found = counters && s?.record ? [overloadWarning(counters, s.record.point), ...appliedLossWarnings(s.record, counters)] : [];
    for (const w of found) if (w) process.stderr.write(`bench: warning: ${w.message}\n  remedy: ${w.remedy}\n`);
    if (r.problems.length) process.stderr.write(`bench: warning: ${r.problems.join('; ')}\n`);
  }
}

export function registerLab(program: Command): void {
  const lab = program.command('lab').description('bring an emulated link up for any tool, or take it down');
  lab
    .command('up <scenario>')
    .description('build the lab of one scenario point and leave it running')
    .option('--point <n>', 'sweep point index', '0')
    .option('--backend <name>', `link backend (${BACKENDS.join('|')})`, 'auto')
    .option('--run-id <id>', 'run id (namespaces are bench-<id>-c and bench-<id>-s)')
    .option('--no-calibrate', 'skip the UDP echo calibration')
    .option('--probes <n>', 'calibration probes (2 ms apart, slower on rate-limited links); auto: enough to resolve the configured loss to ±30 % at 95 % (at least 500, at most 30 s)', 'auto')
    .option('--foreground', 'keep the lab only while this command runs (Ctrl-C removes it)')
    .action((file: string, o: UpOptions) => up(file, o));
  lab
    .command('down [runid]')
    .description('remove a lab left up by `bench lab up`')
    .option('--all', 'remove every lab left up')
    .action((runId: string | undefined, o: { all?: boolean }) => down(runId, o));
  lab
    .command('list')
    .description('labs that are up')
    .action(async () => {
      const states = await listStates();
      if (states.length === 0) process.stdout.write('no lab is up\n');
      for (const s of states) {
        process.stdout.write(`${s.runId}  ${s.backend}  ${s.detached ? 'detached' : `owned by pid ${s.ownerPid}`}  ${s.namespaces.client} ${s.namespaces.server}  since ${s.createdAt}\n`);
      }
    });
}
