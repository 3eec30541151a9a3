// Two "remote hosts" on this machine for the remote tests (issue 18): network namespaces,
// each running Debian's OpenSSH server, reached from a controller namespace and joined to
// each other through a router namespace.
//
//   controller (ctl)  -- mgmt veth 198.19.200.1/30 <-> 198.19.200.2/30 --  host a
//                     -- mgmt veth 198.19.200.5/30 <-> 198.19.200.6/30 --  host b
//   host a 198.18.1.2/30 <-> 198.18.1.1/30 router 198.18.2.1/30 <-> 198.18.2.2/30 host b
//
// sshd listens on the management address only, so SSH and test traffic take different
// interfaces, as on real hosts with a management network. The ssh client runs inside the
// controller namespace (SshOptions.clientNetns); nothing is added to the host's namespace.
// Each sshd has its own config, a host key generated per kit, and a per-kit authorized key.
// Logins: root with that key only (PermitRootLogin prohibit-password), plus optional
// non-root users that exist only for the kit's sshd: sshd runs in a private mount namespace
// where /etc/passwd, /etc/group and /etc/shadow are bind-mounted copies with the users added,
// and /run is a private tmpfs holding sshd's privilege-separation directory (/run/sshd is
// absent on a machine where sshd is not running). The machine's own files are not touched.
// The kit's root has its own home and /bin/sh, so the machine's /root dotfiles do not run in
// the hosts' sessions. StrictModes is off: the key files live under /tmp, which is world-writable (sticky), and
// StrictModes refuses any authorized_keys below a group/world-writable directory. UsePAM is
// off (no PAM session, no password checks). Impairment: the router can carry a tbf rate
// limit in both directions (this kernel has no sch_netem). For delay and loss, option `lab`
// joins the hosts by a lab link instead (netem/lab.ts, userspace emulator): the lab's client
// and server namespaces become hosts a and b (test addresses 198.18.0.1 and 198.18.0.2), so
// one link can be driven by local agents and by agents over SSH.
//
// Namespaces are named bench-k<pid>-<hex>-{ctl,a,b,r} (a lab's: -c, -s): a kit whose test
// process died is swept by the next kit (its pid is gone). Every sshd, session and ssh master lives in one of
// these namespaces and dies with it.
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, spawn, type Child } from '../../harness/core/exec.js';
import type { SshPlacement, Role } from '../../harness/remote/inventory.js';
import type { SshOptions } from '../../harness/remote/ssh.js';
import type { LinkPoint } from '../../harness/core/types.js';
import { UndoStack } from '../../harness/core/undo.js';
import { cleanup } from '../../netem/cleanup.js';
import { labUp, type Lab } from '../../netem/lab.js';
import { remains as labRemains } from './testkit.js';
import { deleteNamespace, listNamespaces } from '../../netem/namespaces.js';
import { listening, until } from './testkit.js';

export type HostName = 'a' | 'b';

export interface KitHost {
  name: HostName;
  netns: string;
  sshAddress: string;
  port: number;
  testAddress: string;
  /** The router-side address of this host's test link (its gateway); null on a lab link. */
  gateway: string | null;
  sshdPid: number;
}

export interface KitUser {
  name: string;
  uid: number;
}

export interface SshHostsOptions {
  /** Non-root users to create for the kit's sshd only. */
  users?: KitUser[];
  /** sshd port of host b (a uses 22). @default 22 */
  portB?: number;
  /** tbf rate on the router, each direction; null: none. */
  rateBitsPerSec?: number | null;
  /**
   * Join the hosts by a lab link instead of the router: the lab's own client and server
   * namespaces (userspace emulator, any delay, loss, rate) become hosts a and b, so the same
   * link can be driven by local agents and by agents over SSH.
   */
  lab?: LinkPoint;
}

const NS_RE = /^bench-(k(\d+)-[0-9a-f]+)-(ctl|a|b|r|c|s)$/;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove what kits of dead test processes left: their namespaces (with every process inside) and temp dirs. */
async function sweepDeadKits(): Promise<void> {
  for (const ns of await listNamespaces()) {
    const m = NS_RE.exec(ns);
    if (!m || pidAlive(Number(m[2]))) continue;
    // A lab's namespaces come with an emulator and a state file: the lab cleanup removes all three.
    if (m[3] === 'c' || m[3] === 's') await cleanup({ runId: m[1] });
    else await deleteNamespace(ns);
  }
  for (const e of await readdir(tmpdir())) {
    const m = /^bench-sshkit-(\d+)-/.exec(e);
    if (m && !pidAlive(Number(m[1]))) await rm(join(tmpdir(), e), { recursive: true, force: true });
  }
}

const sh = (ns: string | null, ...args: string[]): Promise<unknown> => run('ip', ns ? ['-n', ns, ...args] : args);

export class SshHosts {
  readonly id: string;
  readonly ctl: string;
  readonly router: string;
  readonly hosts: Record<HostName, KitHost> = {} as Record<HostName, KitHost>;
  /** The lab link between the hosts (option `lab`), else null. */
  lab: Lab | null = null;
  private readonly undo = new UndoStack();
  private readonly netns: Record<HostName, string>;
  dir = '';
  identityFile = '';
  knownHostsFile = '';
  private readonly children: Child[] = [];
  private namespaces: string[] = [];
  private destroyed = false;

  private constructor(private readonly o: SshHostsOptions) {
    this.id = `k${process.pid}-${randomBytes(3).toString('hex')}`;
    this.ctl = `bench-${this.id}-ctl`;
    this.router = `bench-${this.id}-r`;
    this.netns = { a: `bench-${this.id}-a`, b: `bench-${this.id}-b` };
  }

  /** Build the topology and start both sshds; on any failure everything built so far is removed. */
  static async create(o: SshHostsOptions = {}): Promise<SshHosts> {
    await sweepDeadKits();
    const kit = new SshHosts(o);
    try {
      await kit.build();
      return kit;
    } catch (err) {
      await kit.destroy();
      throw err;
    }
  }

  private ns(name: HostName): string {
    return this.netns[name];
  }

  private async addNamespace(ns: string): Promise<void> {
    await run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await sh(ns, 'link', 'set', 'lo', 'up');
    await run('sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], { netns: ns });
  }

  /** A veth pair created inside the two namespaces (never in the host's), addressed /30 and up. */
  private async veth(nsA: string, devA: string, addrA: string, nsB: string, devB: string, addrB: string): Promise<void> {
    await sh(nsA, 'link', 'add', devA, 'type', 'veth', 'peer', 'name', devB, 'netns', nsB);
    await sh(nsA, 'addr', 'add', `${addrA}/30`, 'dev', devA);
    await sh(nsB, 'addr', 'add', `${addrB}/30`, 'dev', devB);
    await sh(nsA, 'link', 'set', devA, 'up');
    await sh(nsB, 'link', 'set', devB, 'up');
  }

  private async build(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), `bench-sshkit-${process.pid}-`));
    // Traversable by the kit's non-root users (their sshd reads authorized_keys as them).
    await chmod(this.dir, 0o755);
    let test: Record<HostName, { address: string; gateway: string | null }>;
    if (this.o.lab) {
      this.lab = await labUp({ runId: this.id, point: this.o.lab, backend: 'userspace', congestionControl: 'cubic', seed: 1, undo: this.undo });
      this.netns.a = this.lab.clientNs!;
      this.netns.b = this.lab.serverNs!;
      await this.addNamespace(this.ctl);
      test = { a: { address: this.lab.clientAddr, gateway: null }, b: { address: this.lab.serverAddr, gateway: null } };
    } else {
      for (const ns of [this.ctl, this.router, this.ns('a'), this.ns('b')]) await this.addNamespace(ns);
      await this.veth(this.router, 'ra', '198.18.1.1', this.ns('a'), 'test0', '198.18.1.2');
      await this.veth(this.router, 'rb', '198.18.2.1', this.ns('b'), 'test0', '198.18.2.2');
      await run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1'], { netns: this.router });
      await sh(this.ns('a'), 'route', 'add', '198.18.2.0/30', 'via', '198.18.1.1');
      await sh(this.ns('b'), 'route', 'add', '198.18.1.0/30', 'via', '198.18.2.1');
      if (this.o.rateBitsPerSec) {
        for (const dev of ['ra', 'rb']) {
          await run('tc', ['qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${this.o.rateBitsPerSec}bit`, 'burst', '32kb', 'latency', '50ms'], { netns: this.router });
        }
      }
      test = { a: { address: '198.18.1.2', gateway: '198.18.1.1' }, b: { address: '198.18.2.2', gateway: '198.18.2.1' } };
    }
    await this.veth(this.ctl, 'toa', '198.19.200.1', this.ns('a'), 'mgmt0', '198.19.200.2');
    await this.veth(this.ctl, 'tob', '198.19.200.5', this.ns('b'), 'mgmt0', '198.19.200.6');

    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `bench-kit-${this.id}`, '-f', join(this.dir, 'id_ed25519')]);
    this.identityFile = join(this.dir, 'id_ed25519');
    const pub = await readFile(`${this.identityFile}.pub`, 'utf8');
    await writeFile(join(this.dir, 'authorized_keys'), pub, { mode: 0o644 });
    await this.accounts();

    const known: string[] = [];
    const specs: [HostName, string, number][] = [
      ['a', '198.19.200.2', 22],
      ['b', '198.19.200.6', this.o.portB ?? 22],
    ];
    for (const [name, sshAddress, port] of specs) {
      const { address: testAddress, gateway } = test[name];
      const key = join(this.dir, `host-${name}`);
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `bench-kit-host-${name}`, '-f', key]);
      const [type, b64] = (await readFile(`${key}.pub`, 'utf8')).split(' ');
      known.push(`${port === 22 ? sshAddress : `[${sshAddress}]:${port}`} ${type} ${b64}`);
      const sshdPid = await this.startSshd(name, sshAddress, port, key);
      this.hosts[name] = { name, netns: this.ns(name), sshAddress, port, testAddress, gateway, sshdPid };
    }
    this.knownHostsFile = join(this.dir, 'known_hosts');
    await writeFile(this.knownHostsFile, `${known.join('\n')}\n`);
  }

  /** passwd/group/shadow copies with the kit's users, bind-mounted for the sshds only. */
  private async accounts(): Promise<void> {
    const users = this.o.users ?? [];
    // root gets a home of its own and /bin/sh: bash runs ~/.bashrc even for `ssh host cmd`,
    // and this machine's /root/.bashrc (a pyenv init) took 1-2 s per session under load.
    const rootHome = join(this.dir, 'home-root');
    await run('mkdir', ['-m', '700', rootHome]);
    const passwd = (await readFile('/etc/passwd', 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => (l.startsWith('root:') ? `root:x:0:0:root:${rootHome}:/bin/sh` : l));
    const group = (await readFile('/etc/group', 'utf8')).trimEnd().split('\n');
    const shadow = (await readFile('/etc/shadow', 'utf8')).trimEnd().split('\n');
    for (const u of users) {
      const home = join(this.dir, `home-${u.name}`);
      await run('mkdir', ['-m', '755', home]);
      await chown(home, u.uid, u.uid);
      passwd.push(`${u.name}:x:${u.uid}:${u.uid}:bench kit user:${home}:/bin/sh`);
      group.push(`${u.name}:x:${u.uid}:`);
      // "*": no password, not locked (a "!" would make sshd refuse the account).
      shadow.push(`${u.name}:*:19000:0:99999:7:::`);
    }
    await writeFile(join(this.dir, 'passwd'), `${passwd.join('\n')}\n`, { mode: 0o644 });
    await writeFile(join(this.dir, 'group'), `${group.join('\n')}\n`, { mode: 0o644 });
    await writeFile(join(this.dir, 'shadow'), `${shadow.join('\n')}\n`, { mode: 0o640 });
  }

  private async startSshd(name: HostName, address: string, port: number, hostKey: string): Promise<number> {
    const config = join(this.dir, `sshd_config-${name}`);
    await writeFile(
      config,
      [
        `ListenAddress ${address}:${port}`,
        `HostKey ${hostKey}`,
        'PidFile none',
        `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'PrintMotd no',
        'AllowTcpForwarding no',
        'X11Forwarding no',
        // Enough sessions on one connection for both agents plus probes.
        'MaxSessions 20',
        'LogLevel INFO',
        '',
      ].join('\n'),
    );
    const d = this.dir;
    const script = [
      'set -e',
      'mount -t tmpfs -o mode=755 tmpfs /run',
      'mkdir -m 755 /run/sshd',
      `mount --bind ${d}/passwd /etc/passwd`,
      `mount --bind ${d}/group /etc/group`,
      `mount --bind ${d}/shadow /etc/shadow`,
      `exec /usr/sbin/sshd -D -f ${config} -E ${d}/sshd-${name}.log`,
    ].join('\n');
    const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { netns: this.ns(name), stdinPipe: false });
    this.children.push(child);
    // Fail at once, with sshd's own words, when it exits instead of listening.
    let onExit!: (e: Error) => void;
    const exited = new Promise<never>((_, reject) => (onExit = reject));
    exited.catch(() => undefined);
    void child.then(async (r) => onExit(new Error(`sshd of host ${name} exited (${r.exitCode ?? r.signal}): ${await readFile(join(d, `sshd-${name}.log`), 'utf8').catch(() => '')}`)));
    await Promise.race([listening(this.ns(name), port, 15_000), exited]);
    return child.pid!;
  }

  /** Where a test ssh client runs and which config it reads: the controller namespace, no machine config. */
  sshOptions(extra: SshOptions = {}): SshOptions {
    // Socket directories inside the kit's: a test's controller killed without its undo leaves them there, and destroy() removes them.
    return { clientNetns: this.ctl, configFile: 'none', persistSec: 10, controlBase: this.dir, ...extra };
  }

  /** An inventory entry for host `name` in `role`, logging in as `user` with the kit's key. */
  placement(name: HostName, role: Role, o: Partial<SshPlacement> = {}): SshPlacement {
    const h = this.hosts[name];
    return {
      kind: 'ssh',
      role,
      origin: `kit host ${name}`,
      host: h.sshAddress,
      user: 'root',
      port: h.port,
      testAddress: h.testAddress,
      identityFile: this.identityFile,
      knownHostsFile: this.knownHostsFile,
      sudo: false,
      benchPath: null,
      node: process.execPath,
      ...o,
    };
  }

  /** Processes in host `name`'s namespace other than its listening sshd: `sessions` keeps sshd's per-connection processes out too. */
  async processes(name: HostName, o: { sessions?: boolean } = {}): Promise<{ pid: number; cmd: string }[]> {
    const r = await run('ip', ['netns', 'pids', this.ns(name)], { reject: false });
    const out: { pid: number; cmd: string }[] = [];
    for (const pid of r.stdout.split(/\s+/).filter(Boolean).map(Number)) {
      if (pid === this.hosts[name]?.sshdPid) continue;
      const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ').trim();
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      if (!cmd || /\) Z /.test(stat)) continue; // gone, or a zombie its parent has not reaped
      if (o.sessions === false && /^sshd: /.test(cmd)) continue;
      out.push({ pid, cmd: cmd.slice(0, 160) });
    }
    return out;
  }

  /** Wait until host `name` runs nothing of ours (sshd's connection processes aside unless `sessions`). */
  async settled(name: HostName, ms: number, o: { sessions?: boolean } = {}): Promise<void> {
    await until(async () => (await this.processes(name, { sessions: o.sessions ?? false })).length === 0, ms, `host ${name} to run nothing but sshd`).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await this.processes(name, { sessions: o.sessions ?? false }))}`);
    });
  }

  /** Remove every namespace (with every process in it: sshds, sessions, agents, ssh masters) and the kit's files. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const ns of this.namespaces.reverse()) await deleteNamespace(ns);
    // The lab's namespaces (with the sshds in them), its emulator and its state file.
    await this.undo.run();
    for (const c of this.children) c.kill('SIGKILL');
    await Promise.allSettled(this.children);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** What is left of this kit: namespaces, sshd processes using its files, its directory. */
  async remains(): Promise<string[]> {
    const left: string[] = [];
    for (const ns of await listNamespaces()) if (ns.startsWith(`bench-${this.id}-`)) left.push(`namespace ${ns}`);
    const ps = await run('ps', ['-eo', 'pid=,args='], { reject: false });
    for (const line of ps.stdout.split('\n')) if (this.dir && line.includes(this.dir) && !line.includes('ps -eo')) left.push(`process ${line.trim()}`);
    if (this.dir && (await readdir(this.dir).then(() => true, () => false))) left.push(`directory ${this.dir}`);
    // A lab's emulator and state file (and anything else named after the run id).
    for (const l of await labRemains(this.id)) if (!left.includes(l)) left.push(l);
    return left;
  }
}

export function skipUnlessSsh(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, sshd)';
  return false;
}
