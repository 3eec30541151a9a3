// Every way a remote host can be unusable, as a typed error that names the host and says
// what to do (issue 18, deliverable 5). ssh's own failures (exit 255) are classified from
// its stderr: OpenSSH's messages are stable across releases and are the only signal it gives.
import { EnvironmentError, InputError, type BenchError } from '../core/errors.js';
import { hostLabel, type SshPlacement } from './inventory.js';

/** The last meaningful lines of ssh's stderr, for the message (banners and warnings dropped). */
export function sshDetail(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Warning: Permanently added/.test(l) && !/^\*\*|^@+$/.test(l));
  return lines.slice(-2).join(' | ') || 'no message from ssh';
}

/** `[-p PORT ]user@host` as ssh and ssh-copy-id take it (they do not read host:port). */
function sshArgs(p: SshPlacement): string {
  return `${p.port === 22 ? '' : `-p ${p.port} `}${p.user ? `${p.user}@` : ''}${p.host}`;
}

/** ssh exited 255: which of the known failures it was. */
export function classifySshFailure(p: SshPlacement, stderr: string): BenchError {
  const at = hostLabel(p);
  const detail = sshDetail(stderr);
  const dest = sshArgs(p);
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No (ED25519|ECDSA|RSA)?\s*host key is known|host key for .* has changed/i.test(stderr)) {
    return new EnvironmentError(
      `${at}: host key not verified (${detail})`,
      `bench checks host keys and never accepts one unseen; after checking the key's fingerprint out of band, add it with \`ssh-keyscan -p ${p.port} ${p.host} >> ${p.knownHostsFile ?? '~/.ssh/known_hosts'}\` (or connect once with \`ssh ${dest}\`)`,
    );
  }
  if (/Permission denied \(|Too many authentication failures|no matching host key type|Authentication failed/i.test(stderr)) {
    return new EnvironmentError(
      `${at}: authentication refused (${detail})`,
      `bench logs in with keys only (BatchMode, no password prompt): install your public key on the host (\`ssh-copy-id ${p.identityFile ? `-i ${p.identityFile} ` : ''}${dest}\`) or name the key with identity=`,
    );
  }
  if (/Could not resolve hostname|Name or service not known|Temporary failure in name resolution/i.test(stderr)) {
    return new EnvironmentError(`${at}: host name not found (${detail})`, `check the spelling of "${p.host}" (${p.origin}), or give its IP address`);
  }
  if (/Connection refused|No route to host|Network is unreachable|Connection timed out|Operation timed out|timed out during banner exchange|Connection reset|Connection closed by|kex_exchange_identification|Broken pipe/i.test(stderr)) {
    return new EnvironmentError(
      `${at}: unreachable (${detail})`,
      `check that the host is up, that sshd listens on port ${p.port}, and that this machine can reach ${p.host} (\`ssh ${dest} true\`)`,
    );
  }
  return new EnvironmentError(`${at}: ssh failed (${detail})`, `try \`ssh ${dest} true\` by hand to see why`);
}

export function identityMissing(p: SshPlacement): InputError {
  return new InputError(`${hostLabel(p)}: identity file ${p.identityFile} does not exist (${p.origin})`, 'give the path of an existing private key, or leave identity out to use ssh-agent / ~/.ssh/id_*');
}

export function knownHostsMissing(p: SshPlacement): InputError {
  return new InputError(`${hostLabel(p)}: known-hosts file ${p.knownHostsFile} does not exist (${p.origin})`, 'give an existing file, or leave it out to use ~/.ssh/known_hosts');
}

export function nodeMissing(p: SshPlacement, detail: string): EnvironmentError {
  return new EnvironmentError(
    `${hostLabel(p)}: Node.js not found as "${p.node}" (${detail})`,
    `install Node.js >= ${MIN_NODE_MAJOR} on the host (Debian 12: apt-get install nodejs, or NodeSource), or give its path with node= (non-interactive ssh sessions do not read ~/.bashrc, so an nvm install is not on PATH)`,
  );
}

/** Oldest Node major bench supports: package.json says `"node": ">=20"`. */
export const MIN_NODE_MAJOR = 20;

export function nodeTooOld(p: SshPlacement, version: string): EnvironmentError {
  return new EnvironmentError(`${hostLabel(p)}: Node.js ${version} is too old (bench needs >= ${MIN_NODE_MAJOR})`, `install Node.js >= ${MIN_NODE_MAJOR} on the host, or give the path of a newer one with node=`);
}

export function benchMissing(p: SshPlacement, root: string, detail: string): EnvironmentError {
  return new EnvironmentError(
    `${hostLabel(p)}: no usable bench at ${root} (${detail})`,
    `install the controller's commit there (git clone, git checkout <sha>, npm ci), or leave bench= out and let bench push its own bundle`,
  );
}

export function platformMismatch(p: SshPlacement, remote: string, local: string): EnvironmentError {
  return new EnvironmentError(
    `${hostLabel(p)}: is ${remote}, this controller ${local}; the bundle bench pushes carries native modules for ${local} only`,
    `install bench on the host (npm ci there) and give its path with bench=`,
  );
}

export interface IdentityView {
  version: string;
  codeSha256: string;
  gitSha: string | null;
}

function describe(i: IdentityView): string {
  return `bench ${i.version} (code ${i.codeSha256.slice(0, 12)}${i.gitSha ? `, git ${i.gitSha.slice(0, 12)}` : ''})`;
}

export function versionMismatch(p: SshPlacement, root: string, remote: IdentityView, local: IdentityView): EnvironmentError {
  return new EnvironmentError(
    `${hostLabel(p)}: ${root} has ${describe(remote)}, this controller runs ${describe(local)}; both ends must run the same code`,
    local.gitSha
      ? `on the host: cd ${root} && git fetch && git checkout ${local.gitSha} && npm ci; or leave bench= out and let bench push its own bundle`
      : `install the same bench on the host, or leave bench= out and let bench push its own bundle`,
  );
}

export function noPrivilege(p: SshPlacement, why: string, detail: string): EnvironmentError {
  return new EnvironmentError(
    `${hostLabel(p)}: ${why} needs root, and ${p.user ?? 'the ssh user'} is not root${p.sudo ? ` and has no passwordless sudo (${detail})` : ''}`,
    p.sudo
      ? `allow the commands without a password (a sudoers line such as "${p.user ?? 'USER'} ALL=(root) NOPASSWD: /usr/sbin/tc") or log in as root`
      : `log in as root (ssh://root@${p.host}), or add sudo=yes with passwordless sudo for ${p.user ?? 'the user'}`,
  );
}

export function addressNotOnHost(p: SshPlacement, present: string[]): InputError {
  return new InputError(
    `${hostLabel(p)}: test address ${p.testAddress} is not an address of this host (it has ${present.join(', ') || 'no IPv4 address'}) (${p.origin})`,
    'give the address of this host on the path under test (addr= / address:)',
  );
}

export function peerUnreachable(from: SshPlacement, to: SshPlacement, proto: 'TCP' | 'UDP', detail: string): EnvironmentError {
  return new EnvironmentError(
    `${hostLabel(to)}: test address ${to.testAddress} not reachable over ${proto} from ${hostLabel(from)} (${detail})`,
    `check the route from ${from.host} to ${to.testAddress} (\`ip route get ${to.testAddress}\` there) and any firewall between them (${proto === 'UDP' ? 'QUIC needs UDP' : 'TCP must pass'}); or give an address the peer can reach`,
  );
}

export function pathIsLocal(from: SshPlacement, to: SshPlacement, dev: string): InputError {
  return new InputError(
    `${hostLabel(from)}: reaches ${to.testAddress} (${to.role}) through ${dev}, i.e. without leaving the host; no link would be measured`,
    'put the client and server on two machines, or give test addresses whose path crosses the link under test',
  );
}
