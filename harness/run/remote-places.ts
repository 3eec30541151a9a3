// Where a subject's own processes run on a real path: on the two remote hosts, each started
// through the agent wrapper over the host's SSH connection (harness/remote/agent-wrapper.ts,
// --sh), so that a dropped session or a killed bench leaves nothing running there, exactly as
// for an agent. The lab counterpart is harness/subjects/places.ts labPlaces.
import type { Credentials } from '../core/certs.js';
import { EnvironmentError } from '../core/errors.js';
import { QUICGO_BIN } from '../core/native.js';
import type { UndoStack } from '../core/undo.js';
import { PROJECT_ROOT } from '../core/version.js';
import type { RemoteHost, RemoteHosts } from '../remote/hosts.js';
import { holdBundle } from '../remote/install.js';
import { keepAlive } from '../remote/ssh.js';
import type { End, SubjectPlaces } from '../subjects/places.js';
import { SubjectProcess } from '../subjects/process.js';

/** The keepalive period and the silence after which a host's wrapper stops its command (as for agents). */
const KEEPALIVE_MS = 5000;
const IDLE_EXIT_MS = 30_000;

/** Where the quic-go subject's binary is in a bench tree (the same relative place on every host). */
const QUICGO_REL = QUICGO_BIN.slice(PROJECT_ROOT.length + 1);

export function remotePlaces(hosts: RemoteHosts): SubjectPlaces {
  const quicGo = new Map<End, Promise<{ bin: string; version: string } | { missing: string }>>();
  const refuseUser = (h: RemoteHost, user: string | null | undefined): void => {
    // bench does not switch users on a host it does not own; the session's user runs everything.
    if (user) throw new EnvironmentError(`${h.ssh.label}: a command transport's \`user: ${user}\` is not supported on remote hosts`, `remove \`user:\` from the transport (commands run as the ssh user, ${h.placement.user ?? 'ssh\'s default'}), or run it in the local lab`);
  };
  return {
    kind: 'remote',
    async start(end, role, command, undo, o = {}) {
      const h = hosts[end];
      refuseUser(h, o.user);
      const child = h.ssh.spawn([h.placement.node, `${h.bench.root}/dist/harness/remote/agent-wrapper.js`, '--idle-exit-ms', String(IDLE_EXIT_MS), '--grace-ms', '3000', '--sh', command]);
      const stopKeepalive = keepAlive(child, KEEPALIVE_MS);
      child.stdin!.on('error', () => undefined);
      // Signals go to the wrapper as a line: signalling the ssh client would end the session.
      const p = new SubjectProcess(`${role} on ${h.ssh.label}`, child, (sig) => void child.stdin?.write(`signal ${sig}\n`));
      undo.push(`${role} process on ${h.ssh.label}`, async () => {
        stopKeepalive();
        // EOF: the wrapper ends the command's group and exits, and the session with it.
        child.stdin?.end();
        const t = setTimeout(() => void p.stop(), 5000);
        await p.ended;
        clearTimeout(t);
      });
      return p;
    },
    async credentialFiles(end, creds: Credentials, undo: UndoStack, o = {}) {
      const h = hosts[end];
      refuseUser(h, o.user);
      const mk = await h.ssh.exec(['mktemp', '-d', '-t', 'bench-creds-XXXXXXXX']);
      const dir = mk.stdout.trim();
      if (mk.exitCode !== 0 || !dir.startsWith('/')) throw new Error(`${h.ssh.label}: cannot make a temporary directory: ${mk.stderr.trim()}`);
      undo.push(`credentials ${dir} on ${h.ssh.label}`, async () => {
        await h.ssh.exec(['rm', '-rf', '--', dir], { timeoutMs: 30_000 });
      });
      const files = { cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
      // One file per call through stdin: keys never appear on a command line.
      for (const [file, text] of [[files.cert, creds.certPem], [files.key, creds.keyPem]] as const) {
        const w = await h.ssh.shell(`umask 077 && cat > '${file}'`, { input: text });
        if (w.exitCode !== 0) throw new Error(`${h.ssh.label}: cannot write ${file}: ${w.stderr.trim()}`);
      }
      // Removed by the host itself when the controller is gone (killed bench, dropped session).
      await holdBundle(h.ssh, dir, undo, { benchRoot: h.bench.root });
      return files;
    },
    bench(end) {
      const h = hosts[end];
      return { command: `${h.placement.node} ${h.bench.root}/dist/harness/cli.js`, dir: h.bench.root };
    },
    quicGo(end) {
      let q = quicGo.get(end);
      if (!q) {
        const h = hosts[end];
        const bin = `${h.bench.root}/${QUICGO_REL}`;
        q = h.ssh.exec([bin, 'version'], { timeoutMs: 15_000 }).then((r) =>
          r.exitCode === 0 && r.stdout.trim()
            ? { bin, version: r.stdout.trim() }
            : {
                missing: h.bench.pushed
                  ? `the quic-go subject cannot run on ${h.ssh.label}: the bundle bench pushes carries no native binaries; install bench there (npm ci with Debian's golang-go and golang-github-lucas-clemente-quic-go-dev builds it) and give its path with bench=`
                  : `the quic-go subject is not built in ${h.bench.root} on ${h.ssh.label} (${r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`}): install Debian's golang-go and golang-github-lucas-clemente-quic-go-dev there, then npm run build`,
              },
        );
        quicGo.set(end, q);
      }
      return q;
    },
  };
}
