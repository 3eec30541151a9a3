// A process a subject starts in a lab namespace (a tunnel endpoint, a relay, the quic-go
// echo server): its output tail for error messages, how it ended, counters on request, and
// a stop that never waits for ever. Also what such processes need: ports and credentials.
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Credentials } from '../core/certs.js';
import type { Child } from '../core/exec.js';
import type { UndoStack } from '../core/undo.js';

export const TAIL_LINES = 30;

export class SubjectProcess {
  readonly tail: string[] = [];
  /** How it ended ("exited with code 1", "was killed by SIGKILL"), null while it runs. */
  exit: string | null = null;
  /** Resolves once the process has exited and its output has been read. */
  readonly ended: Promise<void>;
  private waiter: ((line: string) => void) | null = null;
  private readonly listeners = new Set<(line: string) => void>();

  constructor(
    readonly role: string,
    readonly child: Child,
  ) {
    for (const s of [child.stdout, child.stderr]) {
      if (!s) continue;
      createInterface({ input: s }).on('line', (l) => {
        this.tail.push(l);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        this.waiter?.(l);
        for (const f of this.listeners) f(l);
      });
    }
    this.ended = Promise.resolve(child).then((r) => {
      this.exit = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Ask a built-in tunnel endpoint for its counters: SIGUSR1 makes `bench tunnel` and the
   * quic-go subject print one JSON line (flat, or with a nested "quic" object). Only for
   * programs known to handle SIGUSR1: its default action would kill anything else.
   */
  async counters(timeoutMs = 1000): Promise<Record<string, number> | null> {
    if (this.exit) return null;
    const got = new Promise<Record<string, number> | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      this.waiter = (line) => {
        let o: Record<string, unknown>;
        try {
          o = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        if (o.event !== 'tunnel-counters' && o.event !== 'stats') return;
        clearTimeout(timer);
        const flat: Record<string, number> = {};
        for (const src of [o, (o.quic ?? {}) as Record<string, unknown>]) {
          for (const [k, v] of Object.entries(src)) if (typeof v === 'number') flat[k] = v;
        }
        resolve(flat);
      };
    });
    this.child.kill('SIGUSR1');
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

  async stop(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.child.catch(() => undefined);
    clearTimeout(t);
  }
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
