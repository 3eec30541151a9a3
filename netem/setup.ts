// The mechanics shared by lab construction: every command is recorded in the LabRecord,
// every acquisition pushes its undo, and teardown waits for the step in flight, so a
// SIGINT during setup can never race an `ip netns add` that completes after cleanup.
import { run, type RunOptions, type RunResult } from '../harness/core/exec.js';
import { InterruptedError } from '../harness/core/errors.js';
import type { LabRecord } from '../harness/core/types.js';
import { UndoStack } from '../harness/core/undo.js';

const COMMAND_TIMEOUT_MS = 15_000;

export class LabSetup {
  readonly undo = new UndoStack();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(readonly record: LabRecord) {}

  /** Run one acquisition step; refuses to start once teardown has begun. */
  async step<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new InterruptedError('teardown');
    const p = fn();
    const settled = p.catch(() => undefined);
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return p;
  }

  /**
   * Acquire something and register its undo inside the same step, so a teardown that waits
   * for this step always finds the undo (pushing it after `await` could miss a teardown).
   * `ifFailed` removes what a failed `fn` may still have made (a command killed by its
   * timeout after it acted, a daemon that started but did not report).
   */
  acquire<T>(what: string, fn: () => Promise<T>, undo: (v: T) => Promise<unknown> | void, ifFailed?: (err: unknown) => Promise<unknown>): Promise<T> {
    return this.step(async () => {
      const v = await fn().catch(async (err: unknown) => {
        await ifFailed?.(err).catch(() => undefined);
        throw err;
      });
      this.undo.push(what, async () => void (await undo(v)));
      return v;
    });
  }

  /** Run a command as a step and record it. */
  cmd(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.step(() => this.exec(file, args, opts));
  }

  /** Run and record a command; for use inside a step. */
  async exec(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = await run(file, args, { timeoutMs: COMMAND_TIMEOUT_MS, ...opts });
    this.record.applied.commands.push(r.command);
    return r;
  }

  /** Read-only command: not an acquisition, recorded as readback. */
  async readback(label: string, file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
    const r = await run(file, args, { timeoutMs: COMMAND_TIMEOUT_MS, reject: false, ...opts });
    const text = `${label}: ${r.command}\n${(r.stdout || r.stderr).trim()}`;
    this.record.applied.readback.push(text);
    return r.stdout;
  }

  /** Undo everything acquired so far; waits for the step in flight first. Idempotent. */
  async teardown(): Promise<string[]> {
    this.closed = true;
    await Promise.all([...this.inFlight]);
    return this.undo.run();
  }
}
