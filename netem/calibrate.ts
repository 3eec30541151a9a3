// Calibration: before any workload, measure what the lab link really does with a paced UDP
// echo (netem/probe-agent.ts, one process per namespace) and compare it with the
// configuration. Differences become warnings with a remedy, never silent.
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { EnvironmentError } from '../harness/core/errors.js';
import { spawn, type Child } from '../harness/core/exec.js';
import { appliedLossBetween } from '../harness/core/link.js';
import { summarize } from '../harness/core/stats.js';
import type { Calibration, LinkDirection, Warning } from '../harness/core/types.js';
import type { Lab } from './lab.js';
import { lossOutsideEmulator, lossWarning, planProbes, unresolvedWarning } from './calibrate-loss.js';
import { UDP_IP_OVERHEAD_BYTES } from './sizing.js';

const AGENT = fileURLToPath(new URL('./probe-agent.js', import.meta.url));

export interface CalibrateOptions {
  /**
   * Probes to send. @default enough to resolve each direction's configured loss to ±30 % at
   * 95 % (calibrate-loss.ts), at least 500, at most what fits in maxProbeMs.
   */
  probes?: number;
  /** Longest the sized probe may run, ms. @default 30000 */
  maxProbeMs?: number;
  /** UDP payload per probe, bytes (>= 8). @default 64 */
  payloadBytes?: number;
  /**
   * Gap between probes, ms. @default 2. Raised when needed so probes use at most 5 % of a
   * rate-limited direction: calibration must measure the link, not a queue it filled.
   * Short on purpose: on this VM kind, a process woken from a 10 ms idle takes ~0.1 ms
   * longer per hop (RTT p50 over a 50 ms link: 50.47 ms at 10 ms gaps, 50.16 ms at 2 ms).
   */
  intervalMs?: number;
  /** Told once the probing plan is known: probes to send and how long that should take, ms. */
  onStart?: (plan: { probes: number; expectedMs: number }) => void;
  /** Told as probes go out (about every 250 ms): probes sent so far. */
  onProgress?: (sent: number) => void;
}

/** Lowest probe interval that keeps probe traffic at <= 5 % of the slower rate, ms. */
export function minIntervalMs(up: LinkDirection, down: LinkDirection, payloadBytes: number): number {
  const rate = Math.min(up.rateBitsPerSec ?? Infinity, down.rateBitsPerSec ?? Infinity);
  return Number.isFinite(rate) ? (((payloadBytes + UDP_IP_OVERHEAD_BYTES) * 8) / (0.05 * rate)) * 1000 : 0;
}

/** RTT the configuration promises for one probe: both delays plus serialisation each way, ms. */
export function expectedRttMs(up: LinkDirection, down: LinkDirection, payloadBytes: number): number {
  const ser = (d: LinkDirection): number => (d.rateBitsPerSec ? (((payloadBytes + UDP_IP_OVERHEAD_BYTES) * 8) / d.rateBitsPerSec) * 1000 : 0);
  return up.delayMs + down.delayMs + ser(up) + ser(down);
}

function decode(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

function has(bits: Uint8Array, seq: number): boolean {
  return (seq >> 3) < bits.length && (bits[seq >> 3] & (1 << (seq & 7))) !== 0;
}

/** Starts a probe agent (`probe-agent.js <args>`) on one side of the path: in a lab namespace, or on a remote host. */
export type ProbeSpawner = (side: 'client' | 'server', args: string[]) => Child;

/** Spawned agent with a line reader; `next` resolves with the next JSON line of `event`. */
function agent(start: ProbeSpawner, side: 'client' | 'server', args: string[], onProgress?: (sent: number) => void): { child: Child; next: (event: string, ms: number) => Promise<Record<string, unknown>> } {
  const child = start(side, args);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const queue: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let closed = false;
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (l) => {
    try {
      const e = JSON.parse(l) as Record<string, unknown>;
      // Progress is told as it comes, never queued: nothing waits for it.
      if (e.event === 'progress') onProgress?.(Number(e.sent));
      else queue.push(e);
    } catch {
      /* not ours */
    }
    waiters.splice(0).forEach((w) => w());
  });
  rl.on('close', () => {
    closed = true;
    waiters.splice(0).forEach((w) => w());
  });
  const next = async (event: string, ms: number): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = queue.findIndex((e) => e.event === event);
      if (i >= 0) return queue.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (closed || left <= 0) {
        throw new EnvironmentError(`calibration probe (${args[0]}) gave no ${event}: ${stderr.trim().split('\n')[0] || (closed ? 'it exited' : 'timed out')}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        waiters.push(() => (clearTimeout(t), r()));
      });
    }
  };
  return { child, next };
}

export interface ProbeResult {
  sent: number;
  /** Sequence numbers that reached the server / whose answer came back. */
  reached: number;
  answered: number;
  /** Sequence numbers that never reached the server: the uplink's loss pattern. */
  uplinkLostSeqs: number[];
  /** Answers that arrived after the answer of a later probe (reordering on the link). */
  reordered: number;
  /** Datagrams the kernel dropped because a probe agent did not read in time (both ends). */
  socketDrops: number;
  rttMs: number[];
  durationMs: number;
}

export interface ProbeOptions {
  probes: number;
  payloadBytes: number;
  intervalMs: number;
  waitMs: number;
  /** Probes sent so far, about every 250 ms (an agent too old to say is silent). */
  onProgress?: (sent: number) => void;
}

/** One paced UDP echo run between the lab's namespaces: raw numbers only. */
export function probeLink(lab: Lab, o: ProbeOptions): Promise<ProbeResult> {
  return probePath((side, args) => spawn(process.execPath, [AGENT, ...args], { netns: side === 'client' ? lab.clientNs : lab.serverNs }), lab.serverAddr, o);
}

/** One paced UDP echo run to `serverAddr`, the probe agents started by `start` (a lab's namespaces, or remote hosts). */
export async function probePath(start: ProbeSpawner, serverAddr: string, o: ProbeOptions): Promise<ProbeResult> {
  const server = agent(start, 'server', ['server', '--bind', serverAddr]);
  let client: ReturnType<typeof agent> | null = null;
  try {
    const ready = await server.next('ready', 10_000);
    client = agent(start, 'client', [
      'client', '--to', serverAddr, '--port', String(ready.port), '--count', String(o.probes),
      '--interval-ms', String(o.intervalMs), '--payload', String(o.payloadBytes), '--wait-ms', String(o.waitMs),
    ], o.onProgress);
    const result = await client.next('result', o.probes * o.intervalMs + o.waitMs + 15_000);
    server.child.stdin?.write('report\n');
    const report = await server.next('report', 5000);
    const atServer = decode(String(report.seqs));
    const answered = decode(String(result.seqs));
    let reached = 0;
    let back = 0;
    const uplinkLostSeqs: number[] = [];
    for (let s = 0; s < o.probes; s++) {
      if (!has(atServer, s)) {
        uplinkLostSeqs.push(s);
        continue;
      }
      reached++;
      if (has(answered, s)) back++;
    }
    return {
      sent: o.probes,
      reached,
      answered: back,
      uplinkLostSeqs,
      reordered: Number(result.reordered),
      socketDrops: (Number(result.drops) || 0) + (Number(report.drops) || 0), // each probe socket's own kernel drops
      rttMs: (result.rttUs as number[]).map((us) => us / 1000),
      durationMs: Number(result.durationMs),
    };
  } finally {
    for (const a of [client, server]) {
      if (!a) continue;
      a.child.stdin?.end();
      const t = setTimeout(() => a.child.kill('SIGKILL'), 2000);
      await a.child;
      clearTimeout(t);
    }
  }
}

/** RTT percentiles and loss each way of one probe run, as the result file records them. */
export function calibrationOf(r: ProbeResult, payloadBytes: number): Calibration {
  const probes = r.sent;
  return {
    probes,
    payloadBytes,
    rttMs: summarize(r.rttMs),
    uplinkLost: probes - r.reached,
    downlinkLost: r.reached - r.answered,
    uplinkLossPct: ((probes - r.reached) / probes) * 100,
    downlinkLossPct: r.reached ? ((r.reached - r.answered) / r.reached) * 100 : 0,
    uplinkRateBitsPerSec: null,
    downlinkRateBitsPerSec: null,
    durationMs: r.durationMs,
  };
}

export async function calibrate(lab: Lab, opts: CalibrateOptions = {}): Promise<Calibration> {
  const { uplink, downlink } = lab.record.configured;
  const payloadBytes = Math.max(8, Math.round(opts.payloadBytes ?? 64));
  const intervalMs = Math.max(opts.intervalMs ?? 2, minIntervalMs(uplink, downlink, payloadBytes));
  const fixed = opts.probes === undefined ? undefined : Math.max(1, Math.round(opts.probes));
  const plan = planProbes(uplink, downlink, intervalMs, { fixed, maxProbeMs: opts.maxProbeMs });
  const probes = plan.probes;
  const expected = expectedRttMs(uplink, downlink, payloadBytes);
  const waitMs = Math.round(Math.max(500, 4 * (expected + uplink.jitterMs + downlink.jitterMs) + 200));
  opts.onStart?.({ probes, expectedMs: probes * intervalMs + waitMs });
  const before = await lab.emulatorCounters();
  let r: ProbeResult;
  let after: Record<string, number> | null;
  try {
    r = await probeLink(lab, { probes, payloadBytes, intervalMs, waitMs, onProgress: opts.onProgress });
  } finally {
    // Whatever happened to the probe, the workloads meet their own seed's loss.
    after = await lab.workloadLoss();
  }
  const cal = calibrationOf(r, payloadBytes);
  const emuUp = appliedLossBetween(before, after, 'up');
  const emuDown = appliedLossBetween(before, after, 'down');
  if (emuUp && emuDown) cal.emulator = { uplink: emuUp, downlink: emuDown };
  if (lab.probeSeed !== null) cal.lossSeed = lab.probeSeed;
  cal.lossRelativeError = plan.relativeError;
  const point = lab.record.point;
  const warnings: Warning[] = [];
  const tolerance = Math.max(0.5, 0.05 * expected);
  if (r.rttMs.length && Math.abs(cal.rttMs.p50 - expected) > tolerance) {
    warnings.push({
      code: 'calibration-rtt',
      message: `RTT p50 measured ${cal.rttMs.p50.toFixed(3)} ms, configured ${expected.toFixed(3)} ms (tolerance ${tolerance.toFixed(2)} ms)`,
      remedy:
        cal.rttMs.p50 > expected
          ? 'the host adds latency: close CPU-heavy programs, check VM steal time, or prefer the netem backend where available'
          : 'the delay was not applied fully: check record.applied.readback',
      point,
    });
  }
  if (r.socketDrops > 0) {
    warnings.push({
      code: 'calibration-probe-overrun',
      message: `${r.socketDrops} probe datagrams were dropped by a probe agent's socket, not by the link; measured loss is overstated`,
      remedy: 'the host is too busy for this probe rate: reduce other load on the host, then run again',
      point,
    });
  }
  if (r.rttMs.length === 0) {
    warnings.push({ code: 'calibration-no-answers', message: 'no calibration probe came back', remedy: 'check the lab link: bench doctor, and record.applied.readback', point });
  }
  const found = [
    lossWarning('uplink', uplink, cal.uplinkLost, probes, emuUp, point),
    lossWarning('downlink', downlink, cal.downlinkLost, r.reached, emuDown, point),
    lossOutsideEmulator('uplink', cal.uplinkLost, emuUp, point),
    lossOutsideEmulator('downlink', cal.downlinkLost, emuDown, point),
    unresolvedWarning(plan, intervalMs, point),
  ];
  for (const w of found) if (w) warnings.push(w);
  lab.record.measured = cal;
  lab.record.warnings.push(...warnings);
  return cal;
}
