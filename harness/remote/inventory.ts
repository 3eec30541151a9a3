// Where the endpoints run, kept apart from what is measured (issue 18): `local` (today's lab
// on this machine) or `ssh://[user@]host[:port]?addr=<test address>&...`, given per role on
// the command line (--client / --server) or in a small hosts file (--hosts hosts.yaml).
// Parsing is pure: nothing is contacted here. Problems are reported all at once, positioned
// like the scenario parser's (`file:line:col field: problem (allowed: ...)`), or naming the
// flag for command-line specs.
import { readFile } from 'node:fs/promises';
import { isIP, isIPv4 } from 'node:net';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { formatProblem, Problems, SourceFile, type Problem } from '../scenario/source.js';

export type Role = 'client' | 'server';
/** A host of a remote run: an endpoint, or a middle hop that only carries impairment (no bench, no node needed there). */
export type HostRole = Role | 'router';

export interface LocalPlacement {
  kind: 'local';
}

/** An endpoint on another machine, reached with OpenSSH. */
export interface SshPlacement {
  kind: 'ssh';
  role: HostRole;
  /** Where it was given, for messages: `--client` or `hosts.yaml:3:3 client`. */
  origin: string;
  /** Name, IPv4 or IPv6 literal (without brackets), as ssh takes it. */
  host: string;
  /** null: ssh's own default (ssh_config User, else the controller's user). */
  user: string | null;
  /** @default 22 */
  port: number;
  /** The IPv4 address the test traffic uses on this host (the peer connects to or from it); '' for a router. */
  testAddress: string;
  /** ssh -i; null: ssh's defaults (agent, ~/.ssh/id_*). */
  identityFile: string | null;
  /** UserKnownHostsFile; null: the user's ~/.ssh/known_hosts. Host keys are always checked. */
  knownHostsFile: string | null;
  /** Privileged commands (impairment) run through `sudo -n` when the user is not root. @default false */
  sudo: boolean;
  /** A bench installed on the host (its root directory); null: bench pushes its own bundle. */
  benchPath: string | null;
  /** The remote node executable (non-interactive ssh sessions have no nvm PATH). @default "node" */
  node: string;
}

export type Placement = LocalPlacement | SshPlacement;

export interface Inventory {
  client: Placement;
  server: Placement;
  /** A middle hop reached over SSH only to impair the path there (hosts file `router:`, or --router). */
  router?: SshPlacement;
}

/** Both endpoints over SSH: what the remote modules work with. */
export interface SshInventory {
  client: SshPlacement;
  server: SshPlacement;
}

export function isSshInventory(inv: Inventory): inv is SshInventory {
  return inv.client.kind === 'ssh' && inv.server.kind === 'ssh';
}

/** `root@host:2222` (brackets around IPv6), as people write it. */
export function destination(p: SshPlacement): string {
  const h = p.host.includes(':') ? `[${p.host}]` : p.host;
  return `${p.user ? `${p.user}@` : ''}${h}${p.port === 22 ? '' : `:${p.port}`}`;
}

/** e.g. "client host root@198.19.200.2": how every remote error names the host. */
export function hostLabel(p: SshPlacement): string {
  return `${p.role} host ${destination(p)}`;
}

/** Query keys of an ssh:// spec, and the hosts-file fields they correspond to. */
export const URL_KEYS = ['addr', 'identity', 'known-hosts', 'sudo', 'bench', 'node'] as const;
export const FILE_FIELDS = ['host', 'user', 'port', 'address', 'identity', 'knownHosts', 'sudo', 'bench', 'node'] as const;
const BOOLEAN_WORDS: Record<string, boolean> = { yes: true, true: true, '1': true, no: false, false: false, '0': false };

interface Fields {
  host: string;
  user: string | null;
  port: number;
  testAddress: string | null;
  identityFile: string | null;
  knownHostsFile: string | null;
  sudo: boolean;
  benchPath: string | null;
  node: string;
}

/** One problem of a spec: the field it concerns and what is wrong. */
type Report = (field: string, message: string) => void;

/** `~/x` as the controller's user; relative paths against `base` (the hosts file's folder, or the current directory). */
function localPath(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  return isAbsolute(p) ? p : resolve(base, p);
}

function checkPort(raw: string, report: Report, field = 'port'): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 65535) {
    report(field, `"${raw}" is not a TCP port (allowed: 1-65535)`);
    return 22;
  }
  return n;
}

/** The test address: an IPv4 literal, or the SSH host itself when that is one. */
function checkTestAddress(f: Fields, report: Report, field: string): string | null {
  if (f.testAddress !== null) {
    if (!isIPv4(f.testAddress)) report(field, `"${f.testAddress}" is not an IPv4 address (test traffic is IPv4 only, like the lab)`);
    return f.testAddress;
  }
  if (isIPv4(f.host)) return f.host;
  report(field, `required when the host is not an IPv4 literal ("${f.host}"): the address the peer sends test traffic to`);
  return null;
}

function checkHost(host: string, report: Report, field: string): void {
  if (!host) report(field, 'empty host');
  else if (host.startsWith('-')) report(field, `"${host}" would be read by ssh as an option`);
  else if (host.includes(':') && isIP(host) !== 6) report(field, `"${host}" is neither a host name nor an IP address`);
}

function checkUser(user: string | null, report: Report, field: string): void {
  if (user !== null && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(user)) report(field, `"${user}" is not a user name`);
}

function placement(role: HostRole, origin: string, f: Fields, testAddress: string): SshPlacement {
  return { kind: 'ssh', role, origin, host: f.host, user: f.user, port: f.port, testAddress, identityFile: f.identityFile, knownHostsFile: f.knownHostsFile, sudo: f.sudo, benchPath: f.benchPath, node: f.node };
}

/**
 * Parse one endpoint spec: `local` or `ssh://[user@]host[:port][?addr=..&identity=..&known-hosts=..&sudo=yes&bench=/path&node=/path]`.
 * `report` gets (field, problem) pairs; the result is null when there was any.
 */
function parseSpec(role: HostRole, spec: string, origin: string, base: string, report: Report): Placement | null {
  let bad = false;
  const r: Report = (field, message) => {
    bad = true;
    report(field, message);
  };
  if (spec === 'local') return { kind: 'local' };
  if (!spec.startsWith('ssh://')) {
    r('', `"${spec}" is not an endpoint (allowed: local, ssh://[user@]host[:port]?addr=<test address>)`);
    return null;
  }
  // By hand rather than with URL: WHATWG URL rejects a bad port as a whole, where the
  // message should name the port.
  const m = /^ssh:\/\/(?:([^@/?#]*)@)?(\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?(\/[^?#]*)?(?:\?([^#]*))?(#.*)?$/.exec(spec);
  if (!m) {
    r('', `"${spec}" is not an ssh:// URL (the form is ssh://[user@]host[:port]?addr=...)`);
    return null;
  }
  const [, userinfo, rawHost, rawPort, path, query, hash] = m;
  if (userinfo?.includes(':')) r('password', 'passwords are not accepted: bench runs ssh with BatchMode (keys only)');
  if (path && path !== '/') r('path', `unexpected path "${path}" (the form is ssh://[user@]host[:port]?addr=...)`);
  if (hash) r('fragment', `unexpected "${hash}"`);
  const host = rawHost.replace(/^\[(.*)\]$/, '$1');
  let user: string | null = null;
  try {
    user = userinfo ? decodeURIComponent(userinfo.split(':')[0]) : null;
  } catch {
    r('user', `"${userinfo}" is not valid percent-encoding`);
  }
  const f: Fields = { host, user, port: rawPort !== undefined ? checkPort(rawPort, r) : 22, testAddress: null, identityFile: null, knownHostsFile: null, sudo: false, benchPath: null, node: 'node' };
  checkHost(host, r, 'host');
  checkUser(f.user, r, 'user');
  for (const [k, v] of new URLSearchParams(query ?? '')) {
    if (!(URL_KEYS as readonly string[]).includes(k)) {
      r(k, `unknown key (allowed: ${URL_KEYS.join(', ')})`);
      continue;
    }
    if (!v && k !== 'sudo') r(k, 'empty value');
    else if (k === 'addr') f.testAddress = v;
    else if (k === 'identity') f.identityFile = localPath(v, base);
    else if (k === 'known-hosts') f.knownHostsFile = localPath(v, base);
    else if (k === 'bench') f.benchPath = v;
    else if (k === 'node') f.node = v;
    else if (k === 'sudo') {
      const b = BOOLEAN_WORDS[v || 'yes'];
      if (b === undefined) r('sudo', `"${v}" (allowed: yes, no)`);
      else f.sudo = b;
    }
  }
  // A router carries no test traffic of its own: it needs no test address.
  const addr = role === 'router' ? (f.testAddress ?? '') : checkTestAddress(f, r, 'addr');
  if (f.benchPath !== null && !f.benchPath.startsWith('/')) r('bench', `"${f.benchPath}" must be an absolute path on the remote host`);
  return bad || addr === null ? null : placement(role, origin, f, addr);
}

/** An endpoint given with --client / --server. */
export function parseEndpointFlag(role: HostRole, spec: string): Placement {
  const flag = `--${role}`;
  const problems: string[] = [];
  const p = parseSpec(role, spec.trim(), flag, process.cwd(), (field, message) => problems.push(`${flag} ${JSON.stringify(spec)}${field ? ` ${field}` : ''}: ${message}`));
  if (!p) throw new InputError(problems.join('\n'), 'the form is local, or ssh://[user@]host[:port]?addr=<test address> (see "Two hosts" in the README)');
  return p;
}

/** Every problem of a hosts file, positioned like a scenario's. */
export class InventoryError extends InputError {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'), 'the hosts file format is in the README, "Two hosts"');
  }
}

/** A hosts file (--hosts): `client:` and `server:` entries, each `local`, an ssh:// spec, or a mapping of FILE_FIELDS. */
export function parseHostsFile(file: string, text: string): Inventory {
  const src = new SourceFile(file, text);
  const probs = new Problems(src);
  probs.list.push(...src.syntaxProblems());
  if (probs.list.length) throw new InventoryError(probs.sorted());
  const data = src.data();
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    probs.add([], 'a hosts file is a mapping with client and server entries');
    throw new InventoryError(probs.sorted());
  }
  const d = data as Record<string, unknown>;
  for (const k of Object.keys(d)) if (k !== 'client' && k !== 'server' && k !== 'router') probs.add([k], `unknown field (allowed: client, server, router)`, true);
  const base = dirname(resolve(file));
  const out: Partial<Inventory> = {};
  for (const role of ['client', 'server'] as const) {
    const v = d[role];
    if (v === undefined) {
      probs.add([], `${role} is missing (allowed: local, an ssh:// spec, or a mapping of ${FILE_FIELDS.join(', ')})`);
      continue;
    }
    const origin = `${file}:${src.locate([role]).line}:${src.locate([role]).col} ${role}`;
    if (typeof v === 'string') {
      const p = parseSpec(role, v.trim(), origin, base, (field, message) => probs.add([role], field ? `${field}: ${message}` : message));
      if (p) out[role] = p;
    } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const p = parseEntry(role, v as Record<string, unknown>, origin, base, probs);
      if (p) out[role] = p;
    } else probs.add([role], 'must be local, an ssh:// spec, or a mapping');
  }
  if (d.router !== undefined) {
    const origin = `${file}:${src.locate(['router']).line}:${src.locate(['router']).col} router`;
    const v = d.router;
    const p =
      typeof v === 'string'
        ? parseSpec('router', v.trim(), origin, base, (field, message) => probs.add(['router'], field ? `${field}: ${message}` : message))
        : typeof v === 'object' && v !== null && !Array.isArray(v)
          ? parseEntry('router', v as Record<string, unknown>, origin, base, probs)
          : (probs.add(['router'], 'must be an ssh:// spec or a mapping'), null);
    if (p?.kind === 'ssh') out.router = p;
    else if (p) probs.add(['router'], 'a router is a remote host: an ssh:// spec or a mapping');
  }
  const sorted = probs.sorted();
  if (sorted.length || !out.client || !out.server) throw new InventoryError(sorted);
  return checkPair(out as Inventory, file);
}

/** A mapping entry of the hosts file, every field checked and positioned. */
function parseEntry(role: HostRole, e: Record<string, unknown>, origin: string, base: string, probs: Problems): SshPlacement | null {
  const n = probs.list.length;
  const at = (k: string): (string | number)[] => [role, k];
  const str = (k: string): string | null => {
    const v = e[k];
    if (v === undefined || v === null) return null;
    if (typeof v === 'string' && v.trim()) return v.trim();
    if (typeof v === 'number' && k === 'port') return String(v);
    probs.add(at(k), `must be a non-empty string`);
    return null;
  };
  for (const k of Object.keys(e)) if (!(FILE_FIELDS as readonly string[]).includes(k)) probs.add(at(k), `unknown field (allowed: ${FILE_FIELDS.join(', ')})`, true);
  const host = str('host');
  if (host === null && e.host === undefined) probs.add([role], 'host is missing (the machine to reach with ssh)');
  const report = (k: string): Report => (_f, m) => probs.add(at(k), m);
  const portRaw = str('port');
  let sudo = false;
  const sudoWord = typeof e.sudo === 'string' ? BOOLEAN_WORDS[e.sudo] : undefined;
  if (typeof e.sudo === 'boolean') sudo = e.sudo;
  else if (sudoWord !== undefined) sudo = sudoWord;
  else if (e.sudo !== undefined) probs.add(at('sudo'), `"${String(e.sudo)}" (allowed: true, false)`);
  const f: Fields = {
    host: host ?? '',
    user: str('user'),
    port: portRaw === null ? 22 : checkPort(portRaw, report('port')),
    testAddress: str('address'),
    identityFile: (() => { const v = str('identity'); return v === null ? null : localPath(v, base); })(),
    knownHostsFile: (() => { const v = str('knownHosts'); return v === null ? null : localPath(v, base); })(),
    sudo,
    benchPath: str('bench'),
    node: str('node') ?? 'node',
  };
  if (host !== null) checkHost(host, report('host'), 'host');
  checkUser(f.user, report('user'), 'user');
  if (f.benchPath !== null && !f.benchPath.startsWith('/')) probs.add(at('bench'), `"${f.benchPath}" must be an absolute path on the remote host`);
  // A missing address is reported at the entry, a wrong one at its value.
  const addrReport: Report = (_f, m) => (e.address === undefined ? probs.add([role], `address: ${m}`) : probs.add(at('address'), m));
  const addr = host === null ? null : role === 'router' ? (f.testAddress ?? '') : checkTestAddress(f, addrReport, 'address');
  return probs.list.length > n || addr === null ? null : placement(role, origin, f, addr);
}

/** Both local, or both over SSH with different test addresses. */
function checkPair(inv: Inventory, where: string): Inventory {
  const { client, server } = inv;
  if (client.kind !== server.kind) {
    throw new InputError(
      `${where}: the client is ${client.kind === 'local' ? 'local' : 'ssh://'} and the server ${server.kind === 'local' ? 'local' : 'ssh://'}; both ends are local (the emulated lab) or both are remote hosts`,
      'to use this machine as one of two hosts, give it as ssh://root@<its address> like the other',
    );
  }
  if (client.kind === 'ssh' && server.kind === 'ssh' && client.testAddress === server.testAddress) {
    throw new InputError(`${where}: client and server have the same test address ${client.testAddress}; the test traffic would never leave the host`, 'give each host the address of its own end of the path (addr= / address:)');
  }
  return inv;
}

export interface InventoryFlags {
  client?: string;
  server?: string;
  hosts?: string;
  router?: string;
}

/** The inventory of a run from its flags: --hosts, or --client and --server, or neither (both local). */
export async function resolveInventory(flags: InventoryFlags): Promise<Inventory> {
  if (flags.hosts !== undefined) {
    if (flags.client !== undefined || flags.server !== undefined) throw new InputError('--hosts and --client/--server both given', 'give the endpoints either in the hosts file or as flags');
    let text: string;
    try {
      text = await readFile(flags.hosts, 'utf8');
    } catch (err) {
      throw new InputError(`--hosts ${flags.hosts}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    return withRouter(parseHostsFile(flags.hosts, text), flags.router);
  }
  if (flags.client === undefined && flags.server === undefined) {
    if (flags.router !== undefined) throw new InputError('--router is given but both endpoints are local', 'a router is the middle hop between two remote hosts: give --client and --server ssh://... too');
    return { client: { kind: 'local' }, server: { kind: 'local' } };
  }
  if (flags.client === undefined || flags.server === undefined) {
    const missing = flags.client === undefined ? '--client' : '--server';
    throw new InputError(`${missing} is missing: give both --client and --server (or neither, for the local lab)`);
  }
  const inv = { client: parseEndpointFlag('client', flags.client), server: parseEndpointFlag('server', flags.server) };
  return withRouter(checkPair(inv, '--client/--server'), flags.router);
}

/** --router: the middle hop of two remote hosts (it replaces a hosts file's router:). */
function withRouter(inv: Inventory, spec: string | undefined): Inventory {
  if (spec === undefined) return inv;
  if (inv.client.kind !== 'ssh') throw new InputError('--router is given but both endpoints are local', 'a router is the middle hop between two remote hosts: give --client and --server ssh://... too');
  const p = parseEndpointFlag('router', spec);
  if (p.kind !== 'ssh') throw new InputError(`--router ${spec}: a router is a remote host (ssh://[user@]host[:port])`);
  return { ...inv, router: p };
}
