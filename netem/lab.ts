// The lab: a client and a server namespace joined by an emulated link, built for one
// LinkPoint: a router namespace with netem between them (netem/router.ts), or the userspace
// emulator holding a TUN device in each. The run engine calls labUp() per point and
// calibrate() before any workload; `bench lab up` uses the same code with a detached emulator.
import { access, constants, readFile } from 'node:fs/promises';
import { EMULATOR_BIN, NATIVE_BUILD_HINT } from '../harness/core/native.js';
import { EnvironmentError, InputError } from '../harness/core/errors.js';
import { stalledOrGone } from '../harness/core/proc.js';
import type { BackendName, LabRecord, LinkPoint, Warning } from '../harness/core/types.js';
import type { UndoStack } from '../harness/core/undo.js';
import { netemRefusals, probeNetem } from './backend-netem.js';
import { detachedHandle, startAttached, startDetached, TUN_DEV, waitTagGone, type Emulator } from './backend-userspace.js';
import { addressLink, CLIENT_ADDR, createNamespace, listNamespaces, namespaceNames, SERVER_ADDR, tuneNamespace } from './namespaces.js';
import { buildRouterLink, netemCounters, netemPlacement, routerNamespace, tuneRouter, type NetemStep } from './router.js';
import { LabSetup } from './setup.js';
import { decimal, expectedLoss, impairments, lossSampleFactor, tcpBufferMaxBytes } from './sizing.js';
import { appliedLoss } from '../harness/core/link.js';
import { binomialInterval } from '../harness/core/stats.js';
import { processStart, removeState, statsFile, validRunId, writeState, type LabState } from './state.js';

export interface LabOptions {
  runId: string;
  point: LinkPoint;
  backend: BackendName | 'auto';
  congestionControl: string;
  seed: number;
  /**
   * Seed of the loss calibration probes meet (userspace backend), until the lab's
   * workloadLoss() switches to `seed`'s. Absent: `seed`'s from the start.
   */
  probeSeed?: number;
  undo: UndoStack;
  /** Leave the lab running after this process exits (`bench lab up`). @default false */
  detach?: boolean;
}

export interface Lab {
  backend: BackendName;
  runId: string;
  clientNs: string | null;
  serverNs: string | null;
  clientAddr: string;
  serverAddr: string;
  record: LabRecord;
  /** Why this backend (auto's choice, or "requested"). */
  backendReason: string;
  emulatorCounters(): Promise<Record<string, number> | null>;
  /**
   * End calibration's loss streams: from now on the emulator draws loss from the workloads'
   * seed. Resolves with its counters at the switch (null: no emulator, or none read).
   */
  workloadLoss(): Promise<Record<string, number> | null>;
  /** Seed of the loss the calibration probe meets (LabOptions.probeSeed), null when it meets the workloads'. */
  probeSeed: number | null;
  /** Why the link cannot carry traffic now (its emulator died or is stopped), or null. */
  health(): string | null;
  down(): Promise<void>;
}

const LOOPBACK_ADDR = '127.0.0.1';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export async function tunUsable(): Promise<string | null> {
  try {
    await access('/dev/net/tun', constants.R_OK | constants.W_OK);
    return null;
  } catch {
    return '/dev/net/tun is missing or not accessible (load the tun module, or run the container with --device /dev/net/tun)';
  }
}

export async function emulatorBuilt(): Promise<string | null> {
  try {
    await access(EMULATOR_BIN, constants.X_OK);
    return null;
  } catch {
    return `the link emulator is not built (${EMULATOR_BIN}); run: ${NATIVE_BUILD_HINT}`;
  }
}

/** Why the userspace backend cannot run here, or null when it can. */
async function userspaceProblem(): Promise<string | null> {
  return (await tunUsable()) ?? (await emulatorBuilt());
}

export async function resolveBackend(requested: BackendName | 'auto'): Promise<{ backend: BackendName; reason: string }> {
  if (requested === 'loopback') return { backend: 'loopback', reason: 'requested' };
  if (!isRoot()) {
    throw new EnvironmentError(
      `the ${requested} backend needs root (namespaces, TUN devices, tc)`,
      'run with sudo, or use --backend loopback for an unimpaired baseline',
    );
  }
  if (requested === 'netem') {
    const p = await probeNetem();
    if (!p.ok) throw new EnvironmentError(`the netem backend is unavailable: ${p.detail}`, 'WSL2, Docker Desktop and minimal kernels lack sch_netem; use --backend userspace (or auto)');
    return { backend: 'netem', reason: 'requested' };
  }
  if (requested === 'userspace') {
    const why = await userspaceProblem();
    if (why) throw new EnvironmentError(`the userspace backend is unavailable: ${why}`);
    return { backend: 'userspace', reason: 'requested' };
  }
  const p = await probeNetem();
  if (p.ok) return { backend: 'netem', reason: `auto: ${p.detail}` };
  const why = await userspaceProblem();
  if (why) throw new EnvironmentError(`no usable link backend: netem: ${p.detail}; userspace: ${why}`, 'run `bench doctor` for what to install');
  return { backend: 'userspace', reason: `auto: sch_netem is unavailable (${p.detail}); using the userspace emulator` };
}

function emptyRecord(opts: LabOptions, backend: BackendName, ns: { client: string; server: string } | null, addr: string[]): LabRecord {
  return {
    point: opts.point.index,
    backend,
    namespaces: ns,
    addresses: { client: addr[0], server: addr[1] },
    configured: opts.point.link,
    measured: null,
    applied: { congestionControl: opts.congestionControl, sysctls: {}, commands: [], readback: [] },
    warnings: [],
  };
}

/**
 * Refuse, before anything is built, what netem would silently get wrong (all points at once,
 * so `bench run` can check a whole sweep up front).
 */
export function refuseForNetem(points: readonly LinkPoint[]): void {
  const problems = points.flatMap((p) => netemRefusals(p));
  if (problems.length) {
    throw new InputError(problems.join('; '), 'drop `reorder: true` or the rate of that direction, or use --backend userspace, whose emulator serialises first and then applies (reordering) jitter');
  }
}

export async function labUp(opts: LabOptions): Promise<Lab> {
  if (!validRunId(opts.runId)) throw new InputError(`bad run id "${opts.runId}" (allowed: letters, digits, _ . -; at most 48 characters; not ending in .stats)`);
  const { backend, reason } = await resolveBackend(opts.backend);
  if (backend === 'netem') refuseForNetem([opts.point]);
  return backend === 'loopback' ? loopbackLab(opts, reason) : namespacedLab(opts, backend, reason);
}

async function loopbackLab(opts: LabOptions, reason: string): Promise<Lab> {
  const { uplink, downlink } = opts.point.link;
  const asked = [...impairments(uplink).map((i) => `uplink ${i}`), ...impairments(downlink).map((i) => `downlink ${i}`)];
  if (asked.length) {
    throw new InputError(
      `the loopback backend cannot impair a link, but point ${opts.point.index} (${opts.point.label}) asks for: ${asked.join(', ')}`,
      'use --backend auto (needs root), or a scenario without delay, jitter, loss or rate',
    );
  }
  const record = emptyRecord(opts, 'loopback', null, [LOOPBACK_ADDR, LOOPBACK_ADDR]);
  // Loopback sockets use the host's congestion control, which bench never changes.
  const hostCc = (await readFile('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').catch(() => 'unknown')).trim();
  record.applied.congestionControl = hostCc;
  if (hostCc !== opts.congestionControl) {
    record.warnings.push({
      code: 'congestion-control',
      message: `loopback uses the host's TCP congestion control (${hostCc}), not the requested ${opts.congestionControl}`,
      remedy: 'use the netem or userspace backend to set congestion control per lab',
      point: opts.point.index,
    });
  }
  return {
    backend: 'loopback',
    backendReason: reason,
    runId: opts.runId,
    clientNs: null,
    serverNs: null,
    clientAddr: LOOPBACK_ADDR,
    serverAddr: LOOPBACK_ADDR,
    record,
    emulatorCounters: async () => null,
    workloadLoss: async () => null,
    probeSeed: null,
    health: () => null,
    down: async () => undefined,
  };
}

async function namespacedLab(opts: LabOptions, backend: 'netem' | 'userspace', reason: string): Promise<Lab> {
  const ns = namespaceNames(opts.runId);
  const router = routerNamespace(opts.runId);
  const placement = backend === 'netem' ? netemPlacement() : null;
  const existing = await listNamespaces();
  if (existing.includes(ns.client) || existing.includes(ns.server) || existing.includes(router)) {
    throw new InputError(`run id "${opts.runId}" is in use: namespace bench-${opts.runId}-* exists`, `pick another run id, or remove it: bench lab down ${opts.runId}`);
  }
  const record = emptyRecord(opts, backend, ns, [CLIENT_ADDR, SERVER_ADDR]);
  const setup = new LabSetup(record);
  const down = (): Promise<void> =>
    setup.teardown().then((problems) => {
      if (problems.length) throw new Error(problems.join('; '));
    });
  opts.undo.push(`lab ${opts.runId}`, down);

  const state: LabState = {
    runId: opts.runId,
    backend,
    ownerPid: process.pid,
    ownerStart: processStart(process.pid),
    // Owned by this process even when detaching: `bench lab up` marks the state detached
    // only once the lab is complete, so a lab killed midway is a leftover, not a live lab.
    detached: false,
    emulatorPid: null,
    statsFile: null,
    namespaces: ns,
    createdAt: new Date().toISOString(),
    record: null,
  };
  // Written before anything exists, so a SIGKILL at any later point leaves a trail.
  await setup.acquire('state file', () => writeState(state), () => removeState(opts.runId));

  const tuning = { congestionControl: opts.congestionControl, tcpBufferMaxBytes: tcpBufferMaxBytes(opts.point.link, backend) };
  for (const [role, name] of [['client', ns.client], ['server', ns.server]] as const) {
    await createNamespace(setup, name);
    await tuneNamespace(setup, name, role, tuning);
  }

  let emulator: Emulator | null = null;
  let netem: NetemStep[] = [];
  if (placement) {
    await createNamespace(setup, router);
    await tuneRouter(setup, router);
    netem = await buildRouterLink(setup, { ...ns, router }, opts.point.link, opts.congestionControl, placement);
  } else {
    const eo = { clientNs: ns.client, serverNs: ns.server, link: opts.point.link, seed: opts.seed, probeSeed: opts.probeSeed, tag: `bench-${opts.runId}` };
    if (opts.detach) {
      const stats = statsFile(opts.runId);
      emulator = await setup.acquire('emulator', () => startDetached({ ...eo, statsFile: stats }), async (em) => keepCounters(record, await em.stop()), () => waitTagGone(eo.tag, 0));
      Object.assign(state, { emulatorPid: emulator.pid, statsFile: stats });
    } else {
      emulator = await setup.step(() =>
        startAttached(eo, (stop) =>
          setup.undo.push('emulator', async () => keepCounters(record, (await stop()) as Record<string, number> | null)),
        ),
      );
    }
    record.applied.commands.push(emulator.command);
    await addressLink(setup, ns.client, TUN_DEV, CLIENT_ADDR, SERVER_ADDR, 'p2p', opts.congestionControl);
    await addressLink(setup, ns.server, TUN_DEV, SERVER_ADDR, CLIENT_ADDR, 'p2p', opts.congestionControl);
    for (const name of [ns.client, ns.server]) {
      await setup.readback(name, 'ip', ['-n', name, '-d', 'link', 'show', 'dev', TUN_DEV]);
      await setup.readback(name, 'ip', ['-n', name, 'route', 'show']);
      await setup.readback(name, 'tc', ['-n', name, '-s', 'qdisc', 'show', 'dev', TUN_DEV]);
    }
  }
  state.record = record;
  await setup.step(() => writeState(state));
  return {
    backend,
    backendReason: reason,
    runId: opts.runId,
    clientNs: ns.client,
    serverNs: ns.server,
    clientAddr: CLIENT_ADDR,
    serverAddr: SERVER_ADDR,
    record,
    emulatorCounters: () => (emulator ? emulator.counters() : netemCounters(netem)),
    // netem draws loss from the kernel's own random numbers: nothing to switch.
    workloadLoss: () => (emulator ? emulator.workloads() : netemCounters(netem)),
    probeSeed: emulator ? (opts.probeSeed ?? null) : null,
    health: () => {
      const why = emulator ? stalledOrGone(emulator.pid) : null;
      return why ? `the link emulator (linkemu, pid ${emulator!.pid}) ${why}: the link carries nothing` : null;
    },
    down,
  };
}

/** Mean lateness above which the emulator, not the configured link, shaped the traffic. */
const OVERLOAD_ERROR_US = 1000;

/**
 * The warning emulator counters call for: packets forwarded late on average means the
 * emulator, not the configured link, shaped the traffic. Used by `bench run` and `bench lab down`.
 */
export function overloadWarning(c: Record<string, number>, point: number): Warning | null {
  const late = Math.max(c.up_delay_error_us_mean ?? 0, c.down_delay_error_us_mean ?? 0);
  if (!(late > OVERLOAD_ERROR_US)) return null;
  return {
    code: 'emulator-overload',
    message: `the link emulator forwarded packets ${(late / 1000).toFixed(1)} ms late on average: it was CPU-bound, so the fastest cells saw extra queueing delay`,
    remedy: 'set a rate limit below what the emulator forwards on this host (~1 Gbit/s), reduce other load, or use the netem backend',
    point,
  };
}

/**
 * The loss the emulator's draws applied over the whole point against the configuration,
 * beyond binomial noise at 99.9 % (two directions per point, tens of thousands of packets:
 * a real misconfiguration shows, a fair draw almost never warns). Userspace emulator only:
 * netem's qdisc counts queue drops with its loss.
 */
export function appliedLossWarnings(record: LabRecord, c: Record<string, number>): Warning[] {
  const out: Warning[] = [];
  for (const [which, key] of [['uplink', 'up'], ['downlink', 'down']] as const) {
    if (typeof c[`${key}_dropped_loss`] !== 'number') continue;
    const a = appliedLoss(c, key);
    const dir = record.configured[which];
    if (!a || a.packets === 0) continue;
    const nEff = Math.max(1, Math.round(a.packets * lossSampleFactor(dir)));
    const iv = binomialInterval(Math.round((a.dropped / a.packets) * nEff), nEff, 0.999);
    const p = expectedLoss(dir);
    if (p >= iv.lo && p <= iv.hi) continue;
    out.push({
      code: `emulator-loss-${which}`,
      message: `the link emulator dropped ${decimal((100 * a.dropped) / a.packets, 3)} % of the ${which} packets over the point (${a.dropped}/${a.packets}; 99.9 % interval ${decimal(iv.lo * 100, 3)}-${decimal(iv.hi * 100, 3)} %), configured ${decimal(p * 100, 3)} %`,
      remedy: 'the emulator did not apply the configured loss: check its command line in record.applied.commands, and report it with the result file',
      point: record.point,
    });
  }
  return out;
}

/** Final emulator counters into the record, with a warning when it could not keep up or its loss was not the configured one. */
function keepCounters(record: LabRecord, c: Record<string, number> | null): void {
  if (!c) return;
  record.emulatorCounters = c;
  const w = overloadWarning(c, record.point);
  if (w) record.warnings.push(w);
  record.warnings.push(...appliedLossWarnings(record, c));
}

/** Reattach to a detached lab's emulator by its state (for `bench lab` subcommands). */
export function emulatorOf(s: LabState): Emulator | null {
  return s.emulatorPid && s.statsFile ? detachedHandle(s.emulatorPid, s.statsFile, 'linkemu (detached)', `bench-${s.runId}`) : null;
}
