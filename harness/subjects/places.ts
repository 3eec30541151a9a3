// Where a subject's own processes run (a tunnel endpoint, a relay, the quic-go server): in the
// lab's namespaces on this machine, or on the remote hosts of a real path (the run engine's
// remote link provides that side, over SSH). Subjects ask this interface instead of spawning
// themselves, so each of them runs unchanged on either.
import { join } from 'node:path';
import type { Credentials } from '../core/certs.js';
import { EnvironmentError } from '../core/errors.js';
import { run, spawn } from '../core/exec.js';
import { QUICGO_BIN } from '../core/native.js';
import type { UndoStack } from '../core/undo.js';
import { PROJECT_ROOT } from '../core/version.js';
import { credentialFiles, SubjectProcess } from './process.js';
import { QUICGO_MISSING, quicGoVersion } from './quicgo.js';

export type End = 'client' | 'server';

export interface StartOptions {
  /** Run as this user instead of bench's own (command transports' `user:`). */
  user?: string | null;
}

export interface SubjectPlaces {
  /** `lab`: namespaces of this machine; `remote`: the hosts of a real path. */
  readonly kind: 'lab' | 'remote';
  /**
   * Start a shell command line at `end`, its undo (stop) on `undo`. It gets SIGTERM when bench
   * dies, even by SIGKILL (setpriv --pdeathsig here, the agent wrapper's session on a host).
   */
  start(end: End, role: string, command: string, undo: UndoStack, o?: StartOptions): Promise<SubjectProcess>;
  /** The run's certificate and key as files at `end`, readable by `user` when given. */
  credentialFiles(end: End, creds: Credentials, undo: UndoStack, o?: StartOptions): Promise<{ cert: string; key: string }>;
  /** What {bench} (a command line) and {benchDir} stand for at `end`. */
  bench(end: End): { command: string; dir: string };
  /** The quic-go subject's binary and version at `end`, or why there is none. */
  quicGo(end: End): Promise<{ bin: string; version: string } | { missing: string }>;
}

/** uid and primary gid of a user of this machine (an environment problem when there is none). */
async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  const [u, g] = await Promise.all([run('id', ['-u', user], { reject: false }), run('id', ['-g', user], { reject: false })]);
  if (u.exitCode !== 0 || g.exitCode !== 0) throw new EnvironmentError(`command transport user "${user}" does not exist on this machine`, 'create the user, or change `user:` in the scenario');
  return { uid: Number(u.stdout), gid: Number(g.stdout) };
}

/** The lab's namespaces on this machine (null: loopback, this machine's own namespace). */
export function labPlaces(ns: Record<End, string | null>, runTmpDir: string): SubjectPlaces {
  return {
    kind: 'lab',
    async start(end, role, command, undo, o = {}) {
      const as = o.user ? await userIds(o.user) : null;
      // setpriv: the command gets SIGTERM when bench dies (even by SIGKILL), and runs as
      // `user` when one is given. `exec` all the way, so the pid we measure and signal is the
      // command's own.
      const priv = ['--pdeathsig', 'TERM', ...(as ? ['--reuid', String(as.uid), '--regid', String(as.gid), '--init-groups'] : [])];
      const p = new SubjectProcess(role, spawn('setpriv', [...priv, '--', 'sh', '-c', `exec ${command}`], { netns: ns[end], stdinPipe: true }));
      undo.push(`${role} process`, () => p.stop());
      return p;
    },
    async credentialFiles(_end, creds, undo, o = {}) {
      return credentialFiles(creds, runTmpDir, undo, o.user ? await userIds(o.user) : null);
    },
    bench: () => ({ command: `${process.execPath} ${join(PROJECT_ROOT, 'dist', 'harness', 'cli.js')}`, dir: PROJECT_ROOT }),
    async quicGo() {
      const version = quicGoVersion();
      return version ? { bin: QUICGO_BIN, version } : { missing: QUICGO_MISSING };
    },
  };
}
