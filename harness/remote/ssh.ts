// OpenSSH as the engine for remote hosts (issue 18: no daemon or control transport of our
// own). One multiplexed connection per host: the first command starts a master (ControlMaster
// =auto) with its socket in a private directory, later commands and agent sessions ride on it,
// and ControlPersist bounds how long a master outlives its last session when bench is killed
// before its undo runs. Never interactive: BatchMode (keys only, no prompt), host keys always
// checked against known_hosts (StrictHostKeyChecking=yes; a test names its own file).
import { createReadStream } from 'node:fs';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentError } from '../core/errors.js';
import { formatCommand, hasCommand, run, spawn, type Child, type RunResult } from '../core/exec.js';
import type { UndoStack } from '../core/undo.js';
import { classifySshFailure, identityMissing, knownHostsMissing } from './errors.js';
import { hostLabel, type SshPlacement } from './inventory.js';

export interface SshOptions {
  /** Seconds a master stays up after its last session: bounds what a killed bench leaves on this machine. @default 30 */
  persistSec?: number;
  /** @default 10 */
  connectTimeoutSec?: number;
  /**
   * ssh -F: a config file, or "none" to read neither ~/.ssh/config nor /etc/ssh/ssh_config
   * (tests, so the machine's config cannot change them). undefined: ssh's defaults, so a
   * user's Host entries (ProxyJump, aliases) apply.
   */
  configFile?: string;
  /** Seconds between keepalives on the master; ssh gives up after 3 unanswered. @default 5 */
  serverAliveSec?: number;
  /** Tests only: the network namespace the ssh client runs in (the controller namespace of test/kit/ssh-hosts). */
  clientNetns?: string | null;
  /** Where the private socket directory is made. @default os.tmpdir() */
  controlBase?: string;
}

/** The file in a socket directory naming the bench process that made it (for `bench cleanup`). */
const OWNER_FILE = 'owner-pid';

/** Exit status ssh uses for its own failures (connection, authentication); a remote command's status otherwise. */
export const SSH_FAILED = 255;

/** A remote command line: argv quoted for the remote POSIX shell (ssh joins its arguments into one string). */
export function remoteCommand(argv: readonly string[]): string {
  return formatCommand(argv[0], argv.slice(1));
}

export class SshHost {
  private controlDir: string | null = null;
  private connected = false;

  constructor(
    readonly placement: SshPlacement,
    private readonly opts: SshOptions = {},
  ) {}

  get label(): string {
    return hostLabel(this.placement);
  }

  get clientNetns(): string | null {
    return this.opts.clientNetns ?? null;
  }

  /** The ssh arguments before the destination: every session of this host uses the same master. */
  private args(extra: string[] = []): string[] {
    if (!this.controlDir) throw new Error(`${this.label}: not connected`);
    const p = this.placement;
    const o = (k: string, v: string | number): string[] => ['-o', `${k}=${v}`];
    return [
      ...(this.opts.configFile ? ['-F', this.opts.configFile] : []),
      ...o('BatchMode', 'yes'),
      ...o('StrictHostKeyChecking', 'yes'),
      ...(p.knownHostsFile ? o('UserKnownHostsFile', p.knownHostsFile) : []),
      ...(p.identityFile ? [...o('IdentitiesOnly', 'yes'), '-i', p.identityFile] : []),
      ...o('ConnectTimeout', this.opts.connectTimeoutSec ?? 10),
      ...o('ServerAliveInterval', this.opts.serverAliveSec ?? 5),
      ...o('ServerAliveCountMax', 3),
      ...o('ControlMaster', 'auto'),
      // %C: a hash of local host, remote host, port and user, short enough for a socket path.
      ...o('ControlPath', join(this.controlDir, '%C')),
      ...o('ControlPersist', `${this.opts.persistSec ?? 30}s`),
      ...o('LogLevel', 'ERROR'),
      // No forwarding of any kind: the session carries the command's stdio and nothing else.
      '-T', '-x', '-a',
      ...o('ClearAllForwardings', 'yes'),
      '-p', String(p.port),
      ...(p.user ? ['-l', p.user] : []),
      ...extra,
      '--',
      p.host,
    ];
  }

  /** Check the key files, start the master and run `true` on the host; ssh's failures become typed errors. */
  async connect(): Promise<void> {
    const p = this.placement;
    if (p.identityFile && !(await exists(p.identityFile))) throw identityMissing(p);
    if (p.knownHostsFile && !(await exists(p.knownHostsFile))) throw knownHostsMissing(p);
    if (!(await hasCommand('ssh'))) throw new EnvironmentError(`${this.label}: no ssh on this machine`, 'install OpenSSH\'s client (Debian: apt-get install openssh-client)');
    // The socket directory is private: whoever can open the socket can run commands as the remote user.
    // Its owner's pid in a file, not in the name: the socket path must stay under 108 bytes.
    this.controlDir = await mkdtemp(join(this.opts.controlBase ?? tmpdir(), 'bench-ssh-'));
    await writeFile(join(this.controlDir, OWNER_FILE), `${process.pid}\n`, { mode: 0o600 });
    const r = await run('ssh', [...this.args(), 'true'], { netns: this.clientNetns, reject: false, timeoutMs: ((this.opts.connectTimeoutSec ?? 10) + 20) * 1000 });
    if (r.exitCode !== 0) {
      await this.close();
      throw classifySshFailure(p, r.stderr || (r.exitCode === -1 ? 'Connection timed out (ssh did not finish)' : ''));
    }
    this.connected = true;
  }

  /**
   * Run a command (argv, quoted for the remote shell) to completion. A non-zero remote status
   * is returned, not thrown; ssh's own failure (255 with ssh's message) is thrown as a typed error.
   */
  async exec(argv: readonly string[], o: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return this.shell(remoteCommand(argv), o);
  }

  /** Run a remote shell command line as given. */
  async shell(command: string, o: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    const r = await run('ssh', [...this.args(), command], { netns: this.clientNetns, reject: false, input: o.input, timeoutMs: o.timeoutMs ?? 60_000 });
    if (r.exitCode === SSH_FAILED && isSshOwnFailure(r.stderr)) throw classifySshFailure(this.placement, r.stderr);
    if (r.exitCode === -1) throw classifySshFailure(this.placement, `Connection timed out (no answer within ${o.timeoutMs ?? 60_000} ms): ${r.stderr}`);
    return r;
  }

  /** Stream a local file into a remote command's stdin (the bundle push). */
  async pipeFile(localFile: string, command: string): Promise<RunResult> {
    const child = spawn('ssh', [...this.args(), command], { netns: this.clientNetns });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => {
      if (stderr.length < 8192) stderr += b.toString();
    });
    child.stdout!.resume();
    const src = createReadStream(localFile);
    src.pipe(child.stdin!);
    // A remote end that dies early closes the pipe; its status says why, not the EPIPE.
    child.stdin!.on('error', () => undefined);
    const r = await child;
    const exitCode = typeof r.exitCode === 'number' ? r.exitCode : -1;
    if (exitCode === SSH_FAILED && isSshOwnFailure(stderr)) throw classifySshFailure(this.placement, stderr);
    return { command: `ssh ... ${command} < ${localFile}`, exitCode, stdout: '', stderr };
  }

  /** A long-running remote command with its stdio piped (an agent). The caller owns its undo. */
  spawn(argv: readonly string[]): Child {
    return spawn('ssh', [...this.args(), remoteCommand(argv)], { netns: this.clientNetns });
  }

  /** Stop the master (every session on it ends) and remove the socket directory. Idempotent. */
  async close(): Promise<void> {
    const dir = this.controlDir;
    if (!dir) return;
    if (this.connected) await run('ssh', [...this.args(['-O', 'exit'])], { netns: this.clientNetns, reject: false, timeoutMs: 10_000 });
    this.connected = false;
    this.controlDir = null;
    await rm(dir, { recursive: true, force: true });
  }

  /** Pid of the master process (tests kill it to drop the connection), or null. */
  async masterPid(): Promise<number | null> {
    if (!this.controlDir) return null;
    const r = await run('ssh', [...this.args(['-O', 'check'])], { netns: this.clientNetns, reject: false, timeoutMs: 10_000 });
    const m = /pid=(\d+)/.exec(r.stderr + r.stdout);
    return m ? Number(m[1]) : null;
  }
}

/** ssh's own messages, as opposed to a remote command that happened to exit 255. */
function isSshOwnFailure(stderr: string): boolean {
  return /^(ssh|kex_exchange_identification|Connection |Host key|Permission denied|@@@|.*port \d+: )/m.test(stderr) || /Could not resolve|No route|timed out|refused|verification failed|Permission denied/i.test(stderr);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * The controller's sign of life to a remote agent wrapper (agent-wrapper.ts): an empty line
 * every `ms`, which the wrapper drops. Returns the function that stops it.
 */
export function keepAlive(child: Child, ms: number): () => void {
  const timer = setInterval(() => {
    if (child.stdin?.writable) child.stdin.write('\n');
  }, ms);
  timer.unref();
  const stop = (): void => clearInterval(timer);
  void child.finally(stop);
  return stop;
}

/** Connect to a host and register the master's shutdown on `undo`. */
export async function openSsh(p: SshPlacement, undo: UndoStack, opts: SshOptions = {}): Promise<SshHost> {
  const h = new SshHost(p, opts);
  await h.connect();
  undo.push(`ssh connection to ${h.label}`, () => h.close());
  return h;
}

/**
 * `bench cleanup`: the ssh socket directories and bundle temp dirs a killed bench left on
 * this machine (bench-ssh-* with its owner's pid inside, bench-pack-<pid>-*), once that pid
 * is gone. A master still inside its ControlPersist time exits by itself.
 */
export async function removeDeadControllerDirs(o: { dryRun?: boolean } = {}): Promise<string[]> {
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const out: string[] = [];
  for (const e of await readdir(tmpdir())) {
    const dir = join(tmpdir(), e);
    const pid = e.startsWith('bench-ssh-')
      ? Number(await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => 'NaN'))
      : Number(/^bench-pack-(\d+)-/.exec(e)?.[1] ?? NaN);
    if (!Number.isInteger(pid) || alive(pid)) continue;
    if (!o.dryRun) await rm(dir, { recursive: true, force: true });
    out.push(dir);
  }
  return out;
}
