// One cleanup mechanism (STYLE rule 4): every acquisition (namespace, link, emulator,
// agent, temp dir) pushes its undo right after it succeeds. Undo runs in reverse order on
// success, on error, and on SIGINT/SIGTERM; one failing undo never stops the others.
export type UndoFn = () => Promise<void> | void;

interface Entry {
  what: string;
  fn: UndoFn;
}

export class UndoStack {
  private entries: Entry[] = [];
  private running: Promise<string[]> | null = null;

  push(what: string, fn: UndoFn): void {
    this.entries.push({ what, fn });
  }

  /** Run every undo, newest first. Returns the problems seen (never throws). */
  run(): Promise<string[]> {
    if (this.running) return this.running;
    this.running = (async () => {
      const problems: string[] = [];
      while (this.entries.length > 0) {
        const e = this.entries.pop()!;
        try {
          await e.fn();
        } catch (err) {
          problems.push(`undo ${e.what}: ${(err as Error).message}`);
        }
      }
      this.running = null;
      return problems;
    })();
    return this.running;
  }

  /** Nested scope: a child stack whose whole content is undone as one entry of this one. */
  child(what: string): UndoStack {
    const c = new UndoStack();
    this.push(what, async () => {
      const p = await c.run();
      if (p.length) throw new Error(p.join('; '));
    });
    return c;
  }
}

/** How a body run by withUndo ended: its value, or the signal that interrupted it. */
export type UndoOutcome<T> = { interrupted: null; value: T } | { interrupted: NodeJS.Signals; value: T | undefined };

export interface WithUndoOptions {
  /** Called first on a signal, before cleanup (e.g. to stop starting new work). */
  onSignal?: (signal: NodeJS.Signals) => void;
  /**
   * After cleanup on a signal, wait at most this long for the body to settle (its
   * resources are gone, so its pending work fails soon), ms. @default 5000
   */
  settleMs?: number;
}

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Run `body` with an undo stack that is unwound on return, on throw and on SIGINT/SIGTERM/
 * SIGHUP. Interruption is a value, not an exit: on a signal the stack is unwound at once,
 * and the outcome names the signal (with the body's value if it settled meanwhile); the
 * body's own error after a signal is the interruption's consequence and is not rethrown.
 * Only harness/cli.ts turns an interruption into an exit code.
 */
export async function withUndo<T>(body: (undo: UndoStack) => Promise<T>, opts: WithUndoOptions = {}): Promise<UndoOutcome<T>> {
  const undo = new UndoStack();
  let interrupted: NodeJS.Signals | null = null;
  let cleaned!: Promise<string[]>;
  let onCleaned!: () => void;
  const cleanedBySignal = new Promise<void>((r) => (onCleaned = r));
  const handler = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = signal;
    opts.onSignal?.(signal);
    cleaned = undo.run();
    void cleaned.then(() => onCleaned());
  };
  for (const sig of STOP_SIGNALS) process.on(sig, handler);
  try {
    const work = body(undo).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    let settled = await Promise.race([work, cleanedBySignal.then(() => null)]);
    if (settled === null) {
      // Cleanup after a signal is done; the body usually ends right after (its agents and
      // links are gone). Give it a moment, then go on without it.
      let timer: NodeJS.Timeout | undefined;
      settled = await Promise.race([work, new Promise<null>((r) => (timer = setTimeout(() => r(null), opts.settleMs ?? 5000).unref()))]);
      clearTimeout(timer);
    }
    const problems = await (interrupted ? cleaned : undo.run());
    for (const p of problems) process.stderr.write(`bench: warning: cleanup: ${p}\n`);
    if (interrupted) return { interrupted, value: settled?.ok ? settled.value : undefined };
    if (!settled!.ok) throw settled!.error;
    return { interrupted: null, value: settled!.value };
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, handler);
  }
}
