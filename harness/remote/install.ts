// The bench a remote host runs: found (bench=/path, a required install) or pushed (the
// controller's bundle), and in both cases checked against the controller's own code before
// anything runs. Node.js is checked first, since nothing else can run without it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '../core/errors.js';
import type { UndoStack } from '../core/undo.js';
import { PROJECT_ROOT } from '../core/version.js';
import type { Bundle } from './bundle.js';
import { benchMissing, MIN_NODE_MAJOR, nodeMissing, nodeTooOld, platformMismatch, versionMismatch } from './errors.js';
import { codeIdentity, PROBE_MARK, type CodeIdentity } from './host-probe.js';
import { keepAlive, type SshHost } from './ssh.js';

let probeText: string | null = null;
/** The compiled host probe, sent on the command line of each probe run. */
function probeSource(): string {
  probeText ??= readFileSync(join(PROJECT_ROOT, 'dist', 'harness', 'remote', 'host-probe.js'), 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  return probeText;
}

/** argv of a host-probe run on the host. */
export function probeArgv(ssh: SshHost, mode: string, args: readonly string[]): string[] {
  return [ssh.placement.node, '--input-type=module', '-e', probeSource(), PROBE_MARK, mode, ...args];
}

/** Run the host probe remotely and parse its JSON answer. */
export async function runProbe<T>(ssh: SshHost, mode: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<T> {
  const r = await ssh.exec(probeArgv(ssh, mode, args), { timeoutMs });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.exitCode !== 0 || !last.startsWith('{')) {
    throw new Error(`${ssh.label}: host probe "${mode}" failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ') || 'no output'}`);
  }
  return JSON.parse(last) as T;
}

export interface RemoteNode {
  version: string;
  platform: string;
  arch: string;
  uid: number | null;
}

/** Node.js on the host: present, recent enough, and on which platform. */
export async function probeNode(ssh: SshHost): Promise<RemoteNode> {
  const p = ssh.placement;
  // `node --version` first: it works on any Node, where the probe's ESM would not.
  const v = await ssh.exec([p.node, '--version'], { timeoutMs: 30_000 });
  if (v.exitCode !== 0) throw nodeMissing(p, v.stderr.trim().split('\n').pop() || `exit ${v.exitCode}`);
  const m = /^v(\d+)\./.exec(v.stdout.trim());
  if (!m) throw nodeMissing(p, `"${p.node} --version" printed "${v.stdout.trim().slice(0, 40)}"`);
  if (Number(m[1]) < MIN_NODE_MAJOR) throw nodeTooOld(p, v.stdout.trim());
  const n = await runProbe<{ node: string; platform: string; arch: string; uid: number | null }>(ssh, 'node');
  return { version: n.node, platform: n.platform, arch: n.arch, uid: n.uid };
}

export interface RemoteBench {
  /** Absolute path of the bench root on the host. */
  root: string;
  identity: CodeIdentity;
  /** true: a bundle this run pushed (removed at the end); false: the host's own install. */
  pushed: boolean;
  node: RemoteNode;
}

type IdentityAnswer = CodeIdentity | { error: string; exists: boolean };

/** The controller's own code identity (the bench this process runs from). */
export function localIdentity(): CodeIdentity {
  return codeIdentity(PROJECT_ROOT);
}

/** Compare the host's bench at `root` with the controller's; throw the host-named error when they differ. */
export async function checkIdentity(ssh: SshHost, root: string, local: CodeIdentity): Promise<CodeIdentity> {
  const a = await runProbe<IdentityAnswer>(ssh, 'identity', [root]);
  if ('error' in a) throw benchMissing(ssh.placement, root, a.exists ? a.error : 'no such directory');
  if (a.version !== local.version || a.codeSha256 !== local.codeSha256) throw versionMismatch(ssh.placement, root, a, local);
  return a;
}

/** Push `bundle` into a new temporary directory on the host; `undo` removes it. Returns the directory. */
export async function pushBundle(ssh: SshHost, bundle: Bundle, undo: UndoStack): Promise<string> {
  const mk = await ssh.exec(['mktemp', '-d', '-t', 'bench-bundle-XXXXXXXX']);
  const dir = mk.stdout.trim();
  if (mk.exitCode !== 0 || !dir.startsWith('/')) throw new Error(`${ssh.label}: cannot make a temporary directory: ${mk.stderr.trim()}`);
  undo.push(`bundle ${dir} on ${ssh.label}`, async () => {
    await ssh.exec(['rm', '-rf', '--', dir], { timeoutMs: 30_000 });
  });
  const untar = await ssh.pipeFile(bundle.tarPath, `tar -xzf - --no-same-owner -C ${dir}`);
  if (untar.exitCode === 127) throw new EnvironmentError(`${ssh.label}: no tar on the host (${untar.stderr.trim().split('\n').pop()})`, 'install tar there (Debian: apt-get install tar), or install bench on the host and give its path with bench=');
  if (untar.exitCode !== 0) throw new Error(`${ssh.label}: unpacking the bundle in ${dir} failed (exit ${untar.exitCode}): ${untar.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return dir;
}

/**
 * A session that holds the pushed bundle for the whole run and removes it when the
 * controller is gone (killed, or its connection dropped or went silent): the agent wrapper in
 * --hold mode. Agents come and go per lab point; the bundle stays until this ends.
 */
export async function holdBundle(ssh: SshHost, dir: string, undo: UndoStack, o: { keepaliveMs?: number; idleExitMs?: number; benchRoot?: string } = {}): Promise<void> {
  // The wrapper comes from the bench at benchRoot (default: the bundle itself); `dir` may be any directory of the run's (credential files).
  const child = ssh.spawn([ssh.placement.node, `${o.benchRoot ?? dir}/dist/harness/remote/agent-wrapper.js`, '--idle-exit-ms', String(o.idleExitMs ?? 30_000), '--hold', dir]);
  const stopKeepalive = keepAlive(child, o.keepaliveMs ?? 5000);
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  undo.push(`holder of ${dir} on ${ssh.label}`, async () => {
    stopKeepalive();
    child.stdin?.end();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await child.catch(() => undefined);
    clearTimeout(t);
  });
  // It says {"holding": dir} once it watches its stdin; anything else is a failure.
  const first = await new Promise<string | null>((resolve) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    void child.then(() => resolve(null));
  });
  if (first !== JSON.stringify({ holding: dir })) throw new Error(`${ssh.label}: the bundle holder did not start: ${(first ?? stderr).trim().split('\n').slice(-2).join(' | ') || 'no output'}`);
}

/**
 * Make sure the host runs the controller's code: its install at bench= (checked), or the
 * bundle (pushed, then checked like an install: it must unpack and hash the same there).
 */
export async function ensureBench(ssh: SshHost, undo: UndoStack, bundle: () => Promise<Bundle>, local = localIdentity()): Promise<RemoteBench> {
  const node = await probeNode(ssh);
  const p = ssh.placement;
  if (p.benchPath !== null) {
    const identity = await checkIdentity(ssh, p.benchPath, local);
    return { root: p.benchPath, identity, pushed: false, node };
  }
  const b = await bundle();
  const remotePlatform = `${node.platform}-${node.arch}`;
  if (remotePlatform !== b.platform) throw platformMismatch(p, remotePlatform, b.platform);
  const root = await pushBundle(ssh, b, undo);
  const identity = await checkIdentity(ssh, root, local);
  await holdBundle(ssh, root, undo);
  return { root, identity, pushed: true, node };
}
