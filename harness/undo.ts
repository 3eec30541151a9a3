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

/**
 * Run `body` with an undo stack that is unwound on return, on throw and on SIGINT/SIGTERM.
 * On a signal, `onSignal` is called after cleanup (the CLI turns it into exit 130).
 */
export async function withUndo<T>(body: (undo: UndoStack) => Promise<T>, onSignal: (signal: NodeJS.Signals) => void): Promise<T> {
  const undo = new UndoStack();
  let interrupted = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    void undo.run().then(() => onSignal(signal));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', handler);
  try {
    return await body(undo);
  } finally {
    const problems = await undo.run();
    for (const p of problems) process.stderr.write(`bench: warning: cleanup: ${p}\n`);
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    process.off('SIGHUP', handler);
  }
}
