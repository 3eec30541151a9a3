// The single wrapper around execa: every external command (ip, tc, the emulator, agents,
// reference tools) goes through here, so an execa upgrade touches one file and every
// command can be placed in a lab namespace the same way.
import { execa, type ResultPromise } from 'execa';

export interface RunOptions {
  /** Network namespace to run in (`ip netns exec <ns> ...`); null/undefined = host. */
  netns?: string | null;
  timeoutMs?: number;
  input?: string;
  /** Throw on non-zero exit. @default true */
  reject?: boolean;
  env?: Record<string, string>;
  cwd?: string;
}

export interface RunResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(`\`${command}\` failed${exitCode === undefined ? '' : ` (exit ${exitCode})`}: ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no output'}`);
    this.name = 'CommandError';
  }
}

/** argv placed into a namespace: ip netns exec <ns> file args... */
function inNetns(netns: string | null | undefined, file: string, args: readonly string[]): [string, string[]] {
  if (!netns) return [file, [...args]];
  return ['ip', ['netns', 'exec', netns, file, ...args]];
}

export function formatCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Run a command to completion and return its output. */
export async function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [f, a] = inNetns(opts.netns, file, args);
  const command = formatCommand(f, a);
  const r = await execa(f, a, {
    reject: false,
    timeout: opts.timeoutMs,
    input: opts.input,
    env: opts.env,
    cwd: opts.cwd,
    stripFinalNewline: true,
  });
  const exitCode = typeof r.exitCode === 'number' ? r.exitCode : -1;
  const res: RunResult = { command, exitCode, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if ((opts.reject ?? true) && (r.failed || exitCode !== 0)) {
    throw new CommandError(command, r.exitCode, res.stderr || (r.timedOut ? 'timed out' : String(r.message ?? '')));
  }
  return res;
}

export interface SpawnOptions {
  netns?: string | null;
  env?: Record<string, string>;
  cwd?: string;
  /** Keep stdin open as a pipe (for line-delimited JSON commands). @default true */
  stdinPipe?: boolean;
}

export type Child = ResultPromise<{ reject: false; buffer: false }>;

/** Start a long-running process (agent, emulator, external subject). The caller owns its undo. */
export function spawn(file: string, args: readonly string[], opts: SpawnOptions = {}): Child {
  const [f, a] = inNetns(opts.netns, file, args);
  return execa(f, a, {
    reject: false,
    buffer: false,
    env: opts.env,
    cwd: opts.cwd,
    stdin: opts.stdinPipe === false ? 'ignore' : 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    // The undo stack owns the normal shutdown order; execa's cleanup is only the safety net
    // that kills children still running when this process exits (as do PR_SET_PDEATHSIG in
    // the emulator and stdin EOF in the agents).
    cleanup: true,
  }) as Child;
}

/** True when `file` can be executed (found on PATH). */
export async function hasCommand(file: string): Promise<boolean> {
  const r = await execa('sh', ['-c', `command -v ${file}`], { reject: false });
  return r.exitCode === 0;
}
