// A process a subject starts in a lab namespace (a tunnel endpoint, a relay, the quic-go
// echo server): its output tail for error messages, how it ended, counters on request, and
// a stop that never waits for ever. Also what such processes need: ports and credentials.
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Credentials } from '../core/certs.js';
import type { Child } from '../core/exec.js';
import { settleWithin } from '../core/settle.js';
import type { UndoStack } from '../core/undo.js';

export const TAIL_LINES = 30;

export type Settings = Record<string, string | number | boolean>;

/** A JSON object's settings: primitives as they are, lists joined; the event tag and nested objects left out. */
function settingsOf(o: Record<string, unknown>): Settings {
  const out: Settings = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'event') continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) out[k] = v.join(', ');
  }
  return out;
}

function jsonLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const o = JSON.parse(line) as unknown;
    return o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
/**
 * The line a remote agent wrapper writes first in command mode (harness/remote/agent-wrapper.ts):
 * the command's pid on its host, which the CPU readings there need. Not part of the output.
 */
export const WRAPPER_PID_LINE = /^bench-wrapper: pid (\d+)$/;

export class SubjectProcess {
  readonly tail: string[] = [];
  /** How it ended ("exited with code 1", "was killed by SIGKILL"), null while it runs. */
  exit: string | null = null;
  /** The latest settings it printed: a `{"event":"settings",...}` line, or a `settings` object inside its stats line. */
  settings: Settings = {};
  /** Resolves once the process has exited and its output has been read. */
  readonly ended: Promise<void>;
  private waiter: ((line: string) => void) | null = null;
  private readonly listeners = new Set<(line: string) => void>();
  /** The pid on the host the process runs on: a remote wrapper announces it; here, the child's own. */
  endPid: number | undefined;

  /**
   * @param signal how to signal the process: the child itself here, a request to the agent
   * wrapper on a remote host (signalling the local ssh client would kill the session).
   */
  constructor(
    readonly role: string,
    readonly child: Child,
    private readonly signal: (sig: NodeJS.Signals) => void = (sig) => void child.kill(sig),
  ) {
    this.endPid = child.pid;
    for (const s of [child.stdout, child.stderr]) {
      if (!s) continue;
      createInterface({ input: s }).on('line', (l) => {
        const pid = WRAPPER_PID_LINE.exec(l);
        if (pid) {
          this.endPid = Number(pid[1]);
          return;
        }
        this.tail.push(l);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        const o = jsonLine(l);
        if (o?.event === 'settings') this.settings = settingsOf(o);
        this.waiter?.(l);
        for (const f of this.listeners) f(l);
      });
    }
    this.ended = Promise.resolve(child).then((r) => {
      this.exit = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
    });
  }

  /** The local child's pid (a remote process's ssh client): what health checks look at. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Ask the process for its counters: SIGUSR1 makes it print one JSON line on stdout or
   * stderr, `{"event":"stats",...}` (`tunnel-counters` from `bench tunnel`), with numbers at
   * the top level or in a nested "quic" object, and optionally a nested "settings" object
   * (README "Scenario format": the stats channel). Only for programs known or declared to
   * handle SIGUSR1: its default action would kill anything else.
   */
  async counters(timeoutMs = 1000): Promise<{ stats: Record<string, number>; settings: Settings } | null> {
    if (this.exit) return null;
    const got = new Promise<{ stats: Record<string, number>; settings: Settings } | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      this.waiter = (line) => {
        const o = jsonLine(line);
        if (!o || (o.event !== 'tunnel-counters' && o.event !== 'stats')) return;
        clearTimeout(timer);
        const stats: Record<string, number> = {};
        for (const src of [o, (o.quic ?? {}) as Record<string, unknown>]) {
          for (const [k, v] of Object.entries(src)) if (typeof v === 'number') stats[k] = v;
        }
        if (o.settings && typeof o.settings === 'object') this.settings = { ...this.settings, ...settingsOf(o.settings as Record<string, unknown>) };
        resolve({ stats, settings: this.settings });
      };
    });
    this.signal('SIGUSR1');
    const r = await got;
    this.waiter = null;
    return r;
  }

  /** Every output line from now on, until the returned function is called. */
  onLine(f: (line: string) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  tailText(n = 10): string {
    return this.tail.slice(-n).join('\n');
  }

  /** "server command exited with code 1; last output: ..." */
  describeExit(name: string): string {
    return `${name} ${this.role} command ${this.exit}${this.tail.length ? `; last output: ${this.tailText(5).replace(/\n/g, ' | ')}` : ''}`;
  }

  /**
   * Stop it and every process it started: a forking relay (socat `fork`) leaves one child
   * per connection, and a child orphaned by its parent's death keeps running and keeps the
   * output pipes open (a relay that ignores EOF never ends: a point's teardown hung on one).
   * Children are signalled before the parent, while they can still be found as its
   * descendants; the wait for the pipes is bounded.
   */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (this.exit || pid === undefined) return;
    const signal = (sig: NodeJS.Signals): void => {
      for (const p of [...descendants(pid), pid]) {
        try {
          process.kill(p, sig);
        } catch {
          // already gone
        }
      }
    };
    signal('SIGTERM');
    const t = setTimeout(() => signal('SIGKILL'), 3000);
    await settleWithin(this.child.catch(() => undefined), 6000);
    clearTimeout(t);
  }
}

/** Every descendant of `pid` (from /proc), each before its own children. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(d));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const usedPorts = new Set<number>();

/** Ports for the subject's endpoints: below the namespaces' ephemeral range (32768-60999),
 * so no socket of the agents can hold one; random and never repeated in a run, which avoids
 * reuse across points (TIME_WAIT) and makes a wrong placeholder fail loudly. */
export function pickPort(): number {
  let p: number;
  do p = 10000 + Math.floor(Math.random() * 22000);
  while (usedPorts.has(p));
  usedPorts.add(p);
  return p;
}

/**
 * The run's certificate and key as files for external programs, in a directory of its own
 * inside the run's private temp dir (removed on undo, or by `bench cleanup` after a kill).
 */
export async function credentialFiles(creds: Credentials, runTmpDir: string, undo: UndoStack, owner: { uid: number; gid: number } | null = null): Promise<{ cert: string; key: string }> {
  const dir = await mkdtemp(join(runTmpDir, 'subject-'));
  undo.push(`temp dir ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  await writeFile(files.cert, creds.certPem, { mode: 0o600 });
  await writeFile(files.key, creds.keyPem, { mode: 0o600 });
  if (owner) {
    // A subject run as another user reads its files there: the run's dir lets it pass
    // (no listing), this one is its own.
    await chmod(runTmpDir, 0o711);
    for (const p of [dir, files.cert, files.key]) await chown(p, owner.uid, owner.gid);
  }
  return files;
}
