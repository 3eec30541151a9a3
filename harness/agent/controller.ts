// Controller side of the agent protocol (./protocol.ts): start an agent in a namespace
// through the execa wrapper, send typed requests, match responses by id. The agent's stderr
// is kept (tail) for error messages; its death fails every pending request at once, and a
// request given a deadline fails when the agent does not answer in time.
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { spawn, type Child } from '../core/exec.js';
import { stalledOrGone } from '../core/proc.js';
import type { AgentRequest, AgentResults } from './protocol.js';
import type { UndoStack } from '../core/undo.js';
import { PROJECT_ROOT } from '../core/version.js';

const AGENT_JS = join(PROJECT_ROOT, 'dist', 'harness', 'agent', 'main.js');

export class Agent {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderrTail: string[] = [];
  private exited: string | null = null;
  readonly ready: Promise<void>;
  /**
   * The agent's pid on the host it runs on, as it reported when ready: the same as `pid` for a
   * local agent (`ip netns exec` execs into node), the remote process for an agent over SSH.
   * CPU readings use it; signals and health checks use `pid`, the process this one started.
   */
  endPid: number | undefined;

  constructor(
    readonly role: string,
    private readonly child: Child,
  ) {
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    this.endPid = child.pid;
    this.pending.set(0, {
      resolve: (r) => {
        const pid = (r as { pid?: unknown } | undefined)?.pid;
        if (typeof pid === 'number') this.endPid = pid;
        readyResolve();
      },
      reject: readyReject,
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: { id: number; ok: boolean; result?: unknown; error?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        this.stderrTail.push(`(stdout) ${line}`);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`${this.role} agent: ${msg.error}`));
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
    });
    void child.then((r) => {
      this.exited = `exited with ${r.exitCode ?? r.signal ?? 'unknown status'}`;
      const err = new Error(`${this.role} agent ${this.exited}${this.stderrTail.length ? `: ${this.stderrTail.slice(-5).join(' | ')}` : ''}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Why this agent cannot do its work now ("server agent exited with SIGKILL", "... is stopped"), or null. */
  health(): string | null {
    if (this.exited) return `${this.role} agent ${this.exited}`;
    const why = stalledOrGone(this.child.pid);
    return why ? `${this.role} agent (pid ${this.child.pid}) ${why}` : null;
  }

  /** Send a request; with `deadlineMs`, reject when no answer came within it. */
  request<R extends AgentRequest>(req: R, opts: { deadlineMs?: number } = {}): Promise<AgentResults[R['op']]> {
    if (this.exited) return Promise.reject(new Error(`${this.role} agent ${this.exited}`));
    const id = this.nextId++;
    return new Promise<AgentResults[R['op']]>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        this.pending.delete(id);
      };
      this.pending.set(id, {
        resolve: (v) => (done(), resolve(v as AgentResults[R['op']])),
        reject: (e) => (done(), reject(e)),
      });
      if (opts.deadlineMs !== undefined) {
        timer = setTimeout(() => {
          this.pending.get(id)?.reject(new Error(`${this.role} agent did not answer "${req.op}" within ${opts.deadlineMs} ms`));
        }, opts.deadlineMs);
      }
      this.child.stdin!.write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.stdin?.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.child.catch(() => undefined);
    clearTimeout(t);
  }
}

/**
 * V8 flags for agents. With the TLS and QUIC modules loaded, V8's default old-space limit
 * sits just above the agent's resting heap, so a multi-Gbit/s receive (one 64 KiB buffer per
 * read) set off a full mark-compact every ~100 ms: measured 0.61 vs 0.55 of a core for the
 * same bytes, and that CPU is taken from the link emulator on a small machine. A larger
 * initial old space removes those collections; it reserves no memory up front.
 */
export const AGENT_NODE_FLAGS = ['--initial-old-space-size=64'];

/** Start an agent (in `netns` when given) and register its stop on `undo`. */
export async function startAgent(role: string, netns: string | null, undo: UndoStack): Promise<Agent> {
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, AGENT_JS], { netns });
  const agent = new Agent(role, child);
  undo.push(`${role} agent`, () => agent.stop());
  await agent.ready;
  return agent;
}
