// Backend `userspace`: the C link emulator (netem/emulator/linkemu.c) as its own process.
// It creates one TUN device inside each lab namespace itself (setns), so nothing appears
// in the host namespace, and the devices vanish with the process.
import { readdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { EMULATOR_BIN } from '../harness/core/native.js';
import { EnvironmentError } from '../harness/core/errors.js';
import { formatCommand, run, spawn, type Child } from '../harness/core/exec.js';
import type { LinkDirection, ResolvedLink } from '../harness/core/types.js';
import { decimal, MTU_BYTES, queueLimitBytes } from './sizing.js';

export const TUN_DEV = 'lab0';
/** Below this the kernel drops silently in front of the emulator at high rates (DESIGN.md). */
const TUN_TXQUEUELEN = 10_000;

export function directionSpec(dir: LinkDirection, link: ResolvedLink): string {
  const items = [`delay_us=${Math.round(dir.delayMs * 1000)}`];
  if (dir.jitterMs > 0) items.push(`jitter_us=${Math.round(dir.jitterMs * 1000)}`, `reorder=${dir.reorder ? 1 : 0}`);
  if (dir.gilbert) {
    const g = dir.gilbert;
    items.push(`ge=${[g.pPct, g.rPct, g.badLossPct, g.goodLossPct].map((x) => decimal(x)).join(':')}`);
  } else if (dir.lossPct > 0) items.push(`loss_pct=${decimal(dir.lossPct)}`);
  if (dir.rateBitsPerSec !== null) {
    items.push(`rate_bps=${Math.round(dir.rateBitsPerSec)}`, `limit_bytes=${queueLimitBytes(dir, link)}`);
  }
  return items.join(',');
}

export interface EmulatorArgsOptions {
  clientNs: string;
  serverNs: string;
  link: ResolvedLink;
  seed: number;
  /**
   * Seed of the loss streams calibration probes meet, until Emulator.workloads() switches to
   * `seed`'s: the probe's loss pattern is then its own, and the workloads' does not depend on
   * how many packets calibration sent. Absent: `seed`'s streams from the start.
   */
  probeSeed?: number;
  /** Names the run in the process's command line, for `bench cleanup`. */
  tag: string;
  /** Detach (own session, no parent-death signal) for labs that outlive the CLI. */
  daemon?: boolean;
  statsFile?: string;
}

/** argv of the emulator for a link (pure; tested as data). */
export function emulatorArgs(o: EmulatorArgsOptions): string[] {
  const args = [
    '--client-ns', `/run/netns/${o.clientNs}`,
    '--server-ns', `/run/netns/${o.serverNs}`,
    '--dev', TUN_DEV,
    '--mtu', String(MTU_BYTES),
    '--txqueuelen', String(TUN_TXQUEUELEN),
    '--seed', String(o.seed),
    ...(o.probeSeed !== undefined ? ['--probe-seed', String(o.probeSeed)] : []),
    '--tag', o.tag,
    '--up', directionSpec(o.link.uplink, o.link),
    '--down', directionSpec(o.link.downlink, o.link),
  ];
  if (o.daemon) args.push('--daemon');
  if (o.statsFile) args.push('--stats-file', o.statsFile);
  return args;
}

export function parseCounters(line: string): Record<string, number> | null {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (!v || typeof v !== 'object' || 'event' in v) return null;
    const out: Record<string, number> = {};
    for (const [k, x] of Object.entries(v)) if (typeof x === 'number') out[k] = x;
    return out;
  } catch {
    return null;
  }
}

/** A running emulator, attached (child of this process) or detached (daemon, by pid). */
export interface Emulator {
  pid: number;
  command: string;
  counters(): Promise<Record<string, number> | null>;
  /**
   * Switch both directions to the workloads' loss streams (after calibration); resolves with
   * the counters at the switch, once every later packet draws from them. Idempotent.
   */
  workloads(): Promise<Record<string, number> | null>;
  /** Stop it; returns its final counters when they could be read. Idempotent. */
  stop(): Promise<Record<string, number> | null>;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!pidAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !pidAlive(pid);
}

/** linkemu processes and the tag (`bench-<runid>`) on their command line. */
export async function emulatorProcesses(): Promise<{ pid: number; tag: string | null }[]> {
  const out: { pid: number; tag: string | null }[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let argv: string[];
    try {
      argv = (await readFile(`/proc/${d}/cmdline`, 'utf8')).split('\0');
    } catch {
      continue;
    }
    if (!/(^|\/)linkemu$/.test(argv[0] ?? '')) continue;
    const i = argv.indexOf('--tag');
    out.push({ pid: Number(d), tag: i >= 0 ? (argv[i + 1] ?? null) : null });
  }
  return out;
}

/**
 * Wait until no emulator process tagged `tag` is left; kill stragglers. Needed only when
 * the main process did not exit cleanly: on a clean exit it kills and reaps its downlink
 * worker itself, otherwise the worker dies through PR_SET_PDEATHSIG a few ms later.
 */
export async function waitTagGone(tag: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const left = (await emulatorProcesses()).filter((e) => e.tag === tag);
    if (left.length === 0) return;
    if (Date.now() > end) {
      for (const e of left) await killAndWait(e.pid, 500);
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kill `pid` politely, then firmly; true when it is gone. */
export async function killAndWait(pid: number, ms = 3000): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return true;
  }
  if (await waitGone(pid, ms)) return true;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return true;
  }
  return waitGone(pid, 1000);
}

/**
 * Start the emulator as a child; `onSpawn` runs as soon as it has a pid (register its undo
 * there, before waiting for it to come up).
 */
export async function startAttached(o: EmulatorArgsOptions, onSpawn: (stop: () => Promise<unknown>) => void): Promise<Emulator> {
  const args = emulatorArgs(o);
  const child: Child = spawn(EMULATOR_BIN, args);
  const lines: string[] = [];
  let waiter: ((l: string | null) => void) | null = null;
  let closed = false;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (l) => (waiter ? (waiter(l), (waiter = null)) : lines.push(l)));
  rl.on('close', () => {
    closed = true;
    waiter?.(null);
    waiter = null;
  });
  const nextLine = (ms: number): Promise<string | null> =>
    lines.length
      ? Promise.resolve(lines.shift()!)
      : closed
        ? Promise.resolve(null)
        : new Promise((resolve) => {
            const t = setTimeout(() => ((waiter = null), resolve(null)), ms);
            waiter = (l) => (clearTimeout(t), resolve(l));
          });
  let last: Record<string, number> | null = null;
  let stopping: Promise<Record<string, number> | null> | null = null;
  const stop = (): Promise<Record<string, number> | null> =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.pid) {
        child.stdin?.end(); // EOF is its cue to print final counters and exit
        let timer: NodeJS.Timeout | undefined;
        const exited = await Promise.race([child.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 3000)))]);
        clearTimeout(timer); // left running, it kept every bench process alive 3 s after its work
        if (!exited && child.pid) await killAndWait(child.pid);
      }
      const { exitCode } = await child;
      if (exitCode !== 0) await waitTagGone(o.tag);
      for (const l of lines) last = parseCounters(l) ?? last;
      return last;
    })());
  onSpawn(stop);
  const ready = await nextLine(5000);
  if (!ready || !ready.includes('"ready"')) {
    await stop();
    throw new EnvironmentError(
      `the link emulator did not start: ${stderr.trim().split('\n')[0] || 'no output'}`,
      `command: ${formatCommand(EMULATOR_BIN, args)}`,
    );
  }
  let chain: Promise<unknown> = Promise.resolve();
  // One request at a time, so each answer (one counters line) pairs with its own request.
  const request = (command: string): Promise<Record<string, number> | null> => {
    const p = chain.then(async () => {
      if (stopping || closed) return last;
      // Drop lines printed on SIGUSR1 from outside, so the answer is to this request.
      for (const l of lines.splice(0)) last = parseCounters(l) ?? last;
      child.stdin?.write(`${command}\n`);
      const l = await nextLine(2000);
      return l ? parseCounters(l) : null;
    });
    chain = p.catch(() => undefined);
    return p;
  };
  return {
    pid: child.pid!,
    command: formatCommand(EMULATOR_BIN, args),
    counters: () => request('stats'),
    workloads: () => request('workloads'),
    stop,
  };
}

/** Start the emulator detached; it survives this process and answers through `statsFile`. */
export async function startDetached(o: EmulatorArgsOptions & { statsFile: string }): Promise<Emulator> {
  const args = emulatorArgs({ ...o, daemon: true });
  const r = await run(EMULATOR_BIN, args, { reject: false, timeoutMs: 10_000 });
  const m = /"pid":(\d+)/.exec(r.stdout);
  if (r.exitCode !== 0 || !m) {
    throw new EnvironmentError(`the link emulator did not start: ${r.stderr.trim().split('\n')[0] || `exit ${r.exitCode}`}`, `command: ${r.command}`);
  }
  return detachedHandle(Number(m[1]), o.statsFile, r.command, o.tag);
}

/** Handle on a detached emulator by pid (also used by `bench lab down`). */
export function detachedHandle(pid: number, statsFile: string, command: string, tag: string): Emulator {
  const read = async (): Promise<Record<string, number> | null> => {
    try {
      return parseCounters((await readFile(statsFile, 'utf8')).trim());
    } catch {
      return null;
    }
  };
  let reported = false; // a report after SIGTERM: written once the worker is reaped
  const fresh = async (signal: NodeJS.Signals | null): Promise<Record<string, number> | null> => {
    const before = await read();
    try {
      if (signal) process.kill(pid, signal);
    } catch {
      return before;
    }
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const now = await read();
      if (now && (!before || now.uptime_ms !== before.uptime_ms)) {
        reported = signal === 'SIGTERM';
        return now;
      }
      if (signal === 'SIGTERM' && !pidAlive(pid)) return now;
    }
    return null;
  };
  let stopping: Promise<Record<string, number> | null> | null = null;
  return {
    pid,
    command,
    counters: () => (pidAlive(pid) ? fresh('SIGUSR1') : read()),
    workloads: () => (pidAlive(pid) ? fresh('SIGUSR2') : read()),
    stop: () =>
      (stopping ??= (async () => {
        if (!pidAlive(pid)) return waitTagGone(tag).then(read);
        const counters = await fresh('SIGTERM');
        await killAndWait(pid);
        if (!reported) await waitTagGone(tag);
        return counters ?? (await read());
      })()),
  };
}
