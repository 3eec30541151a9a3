// The SSH layer against a real OpenSSH server (test/kit/ssh-hosts.ts): commands run over one
// multiplexed connection with their exit status and stderr, and every way a login fails is a
// typed error naming the host and the remedy (issue 18, deliverable 5).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../harness/core/exec.js';
import { EnvironmentError, EXIT, InputError, type BenchError } from '../harness/core/errors.js';
import { requirePrivilege } from '../harness/remote/hosts.js';
import { probeNode } from '../harness/remote/install.js';
import { SshHost } from '../harness/remote/ssh.js';
import type { SshPlacement } from '../harness/remote/inventory.js';
import { UndoStack } from '../harness/core/undo.js';
import { skipUnlessSsh, SshHosts } from './kit/ssh-hosts.js';

const skip = skipUnlessSsh();
let kit: SshHosts;
const USER = { name: 'benchu', uid: 64991 };

before(async () => {
  if (!skip) kit = await SshHosts.create({ users: [USER], portB: 2222 });
});
after(async () => {
  await kit?.destroy();
  if (kit) assert.deepEqual(await kit.remains(), []);
});

/** Connect with `p` and return the typed error it fails with. */
async function refused(p: SshPlacement): Promise<BenchError> {
  const h = new SshHost(p, kit.sshOptions());
  try {
    await h.connect();
  } catch (err) {
    return err as BenchError;
  } finally {
    await h.close();
  }
  assert.fail(`connected to ${p.host}:${p.port}`);
}

test('one connection per host: commands ride on the master, exit status and stderr come back', { skip, timeout: 60_000 }, async () => {
  const undo = new UndoStack();
  try {
    const h = new SshHost(kit.placement('b', 'server'), kit.sshOptions());
    await h.connect();
    undo.push('ssh', () => h.close());
    const master = await h.masterPid();
    assert.ok(master, 'a master is running');
    const r = await h.exec(['sh', '-c', 'echo "out $1"; echo "err $1" >&2; exit 7', 'sh', "it's quoted"]);
    assert.deepEqual({ code: r.exitCode, out: r.stdout, err: r.stderr }, { code: 7, out: "out it's quoted", err: "err it's quoted" });
    const addrs = await h.exec(['ip', '-4', '-o', 'addr', 'show', 'dev', 'test0']);
    assert.match(addrs.stdout, / inet 198\.18\.2\.2\/30 /, 'the command ran on host b');
    for (let i = 0; i < 3; i++) assert.equal((await h.exec(['true'])).exitCode, 0);
    assert.equal(await h.masterPid(), master, 'the same master carried every command');
    // sshd logs one accepted login per connection, however many sessions ran on it.
    const log = await readFile(join(kit.dir, 'sshd-b.log'), 'utf8');
    assert.equal(log.match(/Accepted publickey for root/g)?.length, 1, log);
  } finally {
    await undo.run();
  }
  // Closing the master ended the connection on the host.
  await kit.settled('b', 10_000, { sessions: true });
});

test('unreachable host: sshd not listening, or no route; error names the host, exit 3', { skip, timeout: 60_000 }, async () => {
  const e1 = await refused(kit.placement('a', 'client', { port: 2200 }));
  assert.ok(e1 instanceof EnvironmentError && e1.exitCode === EXIT.environment);
  assert.match(e1.message, /^client host root@198\.19\.200\.2:2200: unreachable \(.*Connection refused\)$/);
  assert.match(e1.hint ?? '', /sshd listens on port 2200, .*\(`ssh -p 2200 root@198\.19\.200\.2 true`\)$/);
  const e2 = await refused(kit.placement('a', 'client', { host: '198.19.201.9' }));
  assert.match(e2.message, /^client host root@198\.19\.201\.9: unreachable \(.*Network is unreachable\)$/);
});

test('authentication refused: a key the host does not know; hint names ssh-copy-id', { skip, timeout: 60_000 }, async () => {
  const other = join(kit.dir, 'id_other');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const e = await refused(kit.placement('b', 'server', { identityFile: other }));
  assert.ok(e instanceof EnvironmentError);
  assert.match(e.message, /^server host root@198\.19\.200\.6:2222: authentication refused \(.*Permission denied \(publickey\)/);
  assert.match(e.hint ?? '', new RegExp(`ssh-copy-id -i ${other} -p 2222 root@198\\.19\\.200\\.6`));
  const missing = await refused(kit.placement('b', 'server', { identityFile: join(kit.dir, 'nope') }));
  assert.ok(missing instanceof InputError && missing.exitCode === EXIT.usage);
  assert.match(missing.message, /identity file .*\/nope does not exist \(kit host b\)/);
});

test('host keys are checked: an unknown key and a changed key are refused', { skip, timeout: 60_000 }, async () => {
  const empty = join(kit.dir, 'known_hosts_empty');
  await writeFile(empty, '');
  const unknown = await refused(kit.placement('a', 'client', { knownHostsFile: empty }));
  assert.match(unknown.message, /^client host root@198\.19\.200\.2: host key not verified \(.*Host key verification failed/);
  assert.match(unknown.hint ?? '', /ssh-keyscan -p 22 198\.19\.200\.2 >> .*known_hosts_empty/);
  // Host b's key recorded for host a's address: what a man-in-the-middle looks like.
  const hostB = (await readFile(kit.knownHostsFile, 'utf8')).split('\n')[1].split(' ').slice(1).join(' ');
  const wrong = join(kit.dir, 'known_hosts_wrong');
  await writeFile(wrong, `198.19.200.2 ${hostB}\n`);
  const changed = await refused(kit.placement('a', 'client', { knownHostsFile: wrong }));
  assert.match(changed.message, /host key not verified/);
});

test('remote Node.js missing: named with the host and the remedy', { skip, timeout: 60_000 }, async () => {
  const h = new SshHost(kit.placement('a', 'client', { node: '/nonexistent/node' }), kit.sshOptions());
  await h.connect();
  try {
    await assert.rejects(probeNode(h), (e: BenchError) => {
      assert.ok(e instanceof EnvironmentError);
      assert.match(e.message, /^client host root@198\.19\.200\.2: Node\.js not found as "\/nonexistent\/node" \(.*(No such file or directory|not found)\)$/);
      assert.match(e.hint ?? '', /install Node\.js >= 20 .* or give its path with node=/);
      return true;
    });
  } finally {
    await h.close();
  }
});

test('no root and no sudo on the host when impairment needs it: refused, with the remedy', { skip, timeout: 60_000 }, async () => {
  const asUser = new SshHost(kit.placement('a', 'client', { user: USER.name }), kit.sshOptions());
  const asSudoer = new SshHost(kit.placement('a', 'client', { user: USER.name, sudo: true }), kit.sshOptions());
  const asRoot = new SshHost(kit.placement('a', 'client'), kit.sshOptions());
  try {
    await asUser.connect();
    const node = await probeNode(asUser);
    assert.equal(node.uid, USER.uid, 'logged in as the kit user');
    await assert.rejects(requirePrivilege(asUser, node.uid, 'impairment on test0'), (e: BenchError) => {
      assert.ok(e instanceof EnvironmentError);
      assert.equal(e.message, `client host ${USER.name}@198.19.200.2: impairment on test0 needs root, and ${USER.name} is not root`);
      assert.match(e.hint ?? '', new RegExp(`log in as root \\(ssh://root@198\\.19\\.200\\.2\\), or add sudo=yes with passwordless sudo for ${USER.name}`));
      return true;
    });
    await asSudoer.connect();
    await assert.rejects(requirePrivilege(asSudoer, node.uid, 'impairment on test0'), (e: BenchError) => {
      assert.match(e.message, /needs root, and benchu is not root and has no passwordless sudo \(.+\)$/);
      assert.match(e.hint ?? '', /NOPASSWD/);
      return true;
    });
    await asRoot.connect();
    assert.equal(await requirePrivilege(asRoot, (await probeNode(asRoot)).uid, 'impairment'), 'root');
  } finally {
    await Promise.all([asUser.close(), asSudoer.close(), asRoot.close()]);
  }
});
