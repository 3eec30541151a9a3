// Before anything is measured, the test addresses are checked: each on its own host, the
// server's reachable from the client over TCP and over UDP (QUIC needs UDP), along a path
// that leaves the client host. Each failure names the host and the remedy, and whatever the
// preparation did on the hosts (nothing here: bench= is used) is undone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../harness/core/exec.js';
import { EnvironmentError, InputError, type BenchError } from '../harness/core/errors.js';
import { prepareRemoteHosts } from '../harness/remote/hosts.js';
import type { SshPlacement } from '../harness/remote/inventory.js';
import { UndoStack } from '../harness/core/undo.js';
import { PROJECT_ROOT } from '../harness/core/version.js';
import { skipUnlessSsh, SshHosts } from './kit/ssh-hosts.js';

const skip = skipUnlessSsh();
let kit: SshHosts;

before(async () => {
  if (skip) return;
  kit = await SshHosts.create();
  // An address of host b that host a has no route to.
  await run('ip', ['-n', kit.hosts.b.netns, 'addr', 'add', '198.18.9.9/32', 'dev', 'lo']);
});
after(async () => {
  await kit?.destroy();
  if (kit) assert.deepEqual(await kit.remains(), []);
});

async function refused(client: Partial<SshPlacement>, server: Partial<SshPlacement>, clientHost: 'a' | 'b' = 'a'): Promise<BenchError> {
  const undo = new UndoStack();
  try {
    await prepareRemoteHosts({ client: kit.placement(clientHost, 'client', { benchPath: PROJECT_ROOT, ...client }), server: kit.placement('b', 'server', { benchPath: PROJECT_ROOT, ...server }) }, undo, { ssh: kit.sshOptions(), reachTimeoutMs: 2000 });
  } catch (err) {
    return err as BenchError;
  } finally {
    assert.deepEqual(await undo.run(), []);
    await kit.settled('a', 10_000, { sessions: true });
    await kit.settled('b', 10_000, { sessions: true });
  }
  assert.fail('the hosts were accepted');
}

test('a test address that is not on its host: named, with the addresses it has', { skip, timeout: 60_000 }, async () => {
  const e = await refused({}, { testAddress: '198.18.7.7' });
  assert.ok(e instanceof InputError);
  const m = /^server host root@198\.19\.200\.6: test address 198\.18\.7\.7 is not an address of this host \(it has (.*)\) \(kit host b\)$/.exec(e.message);
  assert.ok(m, e.message);
  assert.deepEqual(m[1].split(', ').sort(), ['127.0.0.1', '198.18.2.2', '198.18.9.9', '198.19.200.6']);
});

test('the server\'s test address not reachable from the client: named with both hosts and the remedy', { skip, timeout: 60_000 }, async () => {
  const e = await refused({}, { testAddress: '198.18.9.9' });
  assert.ok(e instanceof EnvironmentError);
  // Host a has no route to 198.18.9.9: its kernel refuses at once.
  assert.match(e.message, /^server host root@198\.19\.200\.6: test address 198\.18\.9\.9 not reachable over TCP from client host root@198\.19\.200\.2 \(connect ENETUNREACH 198\.18\.9\.9:\d+/);
  assert.match(e.hint ?? '', /ip route get 198\.18\.9\.9/);
});

test('UDP blocked on the path (TCP passes): refused, since QUIC needs UDP', { skip, timeout: 60_000 }, async () => {
  await run('ip', ['-n', kit.router, 'rule', 'add', 'ipproto', 'udp', 'blackhole']);
  try {
    const e = await refused({}, {});
    assert.ok(e instanceof EnvironmentError);
    assert.equal(e.message, 'server host root@198.19.200.6: test address 198.18.2.2 not reachable over UDP from client host root@198.19.200.2 (no UDP echo within 2000 ms)');
    assert.match(e.hint ?? '', /QUIC needs UDP/);
  } finally {
    await run('ip', ['-n', kit.router, 'rule', 'del', 'ipproto', 'udp', 'blackhole']);
  }
});

test('client and server on one host: the traffic would never leave it, refused', { skip, timeout: 60_000 }, async () => {
  // Both on host b, the server at b's second address: reached through lo.
  const e = await refused({ testAddress: '198.18.2.2' }, { testAddress: '198.18.9.9' }, 'b');
  assert.ok(e instanceof InputError);
  assert.match(e.message, /^client host root@198\.19\.200\.6: reaches 198\.18\.9\.9 \(server\) through lo, i\.e\. without leaving the host/);
});
