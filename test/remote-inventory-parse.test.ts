// Where endpoints run: `local` or ssh:// specs on the command line, or a hosts file. Every
// mistake is reported at once, positioned (`file:line:col field: problem (allowed: ...)`) in
// a hosts file, or naming the flag on the command line; nothing is contacted while parsing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../harness/core/errors.js';
import { parseImpairFlag } from '../harness/remote/impair.js';
import { destination, FILE_FIELDS, InventoryError, parseEndpointFlag, parseHostsFile, resolveInventory, URL_KEYS } from '../harness/remote/inventory.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bench-inv-'));
  dirs.push(d);
  return d;
}

function flagProblems(role: 'client' | 'server', spec: string): string[] {
  try {
    parseEndpointFlag(role, spec);
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    return err.message.split('\n');
  }
  assert.fail(`accepted ${spec}`);
}

function fileProblems(text: string): string[] {
  try {
    parseHostsFile('hosts.yaml', text);
  } catch (err) {
    assert.ok(err instanceof InventoryError, String(err));
    return err.message.split('\n');
  }
  assert.fail('accepted the hosts file');
}

test('ssh:// spec: user, host, port, test address and options; the test address defaults to an IPv4 host', () => {
  const p = parseEndpointFlag('client', 'ssh://root@198.19.200.2?addr=198.18.1.2');
  assert.deepEqual(p, { kind: 'ssh', role: 'client', origin: '--client', host: '198.19.200.2', user: 'root', port: 22, testAddress: '198.18.1.2', identityFile: null, knownHostsFile: null, sudo: false, benchPath: null, node: 'node' });
  const q = parseEndpointFlag('server', 'ssh://ops@[fd00::7]:2222?addr=10.1.0.2&identity=~/.ssh/lab&known-hosts=/etc/lab_known_hosts&sudo=yes&bench=/opt/bench&node=/usr/local/bin/node');
  assert.equal(q.kind, 'ssh');
  if (q.kind !== 'ssh') return;
  assert.equal(q.host, 'fd00::7');
  assert.equal(q.port, 2222);
  assert.equal(q.identityFile, join(homedir(), '.ssh/lab'));
  assert.equal(q.knownHostsFile, '/etc/lab_known_hosts');
  assert.equal(q.sudo, true);
  assert.equal(q.benchPath, '/opt/bench');
  assert.equal(q.node, '/usr/local/bin/node');
  assert.equal(destination(q), 'ops@[fd00::7]:2222');
  const r = parseEndpointFlag('client', 'ssh://10.0.0.1');
  assert.equal(r.kind === 'ssh' && r.testAddress, '10.0.0.1');
  assert.equal(r.kind === 'ssh' && r.user, null);
  assert.deepEqual(parseEndpointFlag('client', 'local'), { kind: 'local' });
});

test('ssh:// spec mistakes: every one named with the flag and the spec', () => {
  const spec = 'ssh://root:secret@box:99999/x?adr=1.2.3.4&sudo=maybe';
  const pre = `--client "${spec}"`;
  assert.deepEqual(flagProblems('client', spec), [
    `${pre} password: passwords are not accepted: bench runs ssh with BatchMode (keys only)`,
    `${pre} path: unexpected path "/x" (the form is ssh://[user@]host[:port]?addr=...)`,
    `${pre} port: "99999" is not a TCP port (allowed: 1-65535)`,
    `${pre} adr: unknown key (allowed: ${URL_KEYS.join(', ')})`,
    `${pre} sudo: "maybe" (allowed: yes, no)`,
    `${pre} addr: required when the host is not an IPv4 literal ("box"): the address the peer sends test traffic to`,
  ]);
  assert.deepEqual(flagProblems('server', 'tcp://x'), ['--server "tcp://x": "tcp://x" is not an endpoint (allowed: local, ssh://[user@]host[:port]?addr=<test address>)']);
  assert.deepEqual(flagProblems('server', 'ssh://10.0.0.2?addr=fd00::1&bench=opt/bench'), [
    '--server "ssh://10.0.0.2?addr=fd00::1&bench=opt/bench" addr: "fd00::1" is not an IPv4 address (test traffic is IPv4 only, like the lab)',
    '--server "ssh://10.0.0.2?addr=fd00::1&bench=opt/bench" bench: "opt/bench" must be an absolute path on the remote host',
  ]);
  assert.deepEqual(flagProblems('client', 'ssh://-oProxyCommand=x?addr=10.0.0.1'), ['--client "ssh://-oProxyCommand=x?addr=10.0.0.1" host: "-oProxyCommand=x" would be read by ssh as an option']);
});

test('hosts file: mappings and specs, paths relative to the file', () => {
  const dir = tempDir();
  const file = join(dir, 'hosts.yaml');
  const inv = parseHostsFile(file, 'client:\n  host: site-a.example\n  user: bench\n  port: 2222\n  address: 10.1.0.1\n  identity: keys/id_ed25519\n  knownHosts: known_hosts\n  sudo: true\nserver: ssh://root@10.0.0.2?addr=10.2.0.1\n');
  assert.equal(inv.client.kind, 'ssh');
  assert.equal(inv.server.kind, 'ssh');
  if (inv.client.kind !== 'ssh' || inv.server.kind !== 'ssh') return;
  assert.deepEqual(
    { host: inv.client.host, user: inv.client.user, port: inv.client.port, addr: inv.client.testAddress, id: inv.client.identityFile, kh: inv.client.knownHostsFile, sudo: inv.client.sudo, origin: inv.client.origin },
    { host: 'site-a.example', user: 'bench', port: 2222, addr: '10.1.0.1', id: join(dir, 'keys/id_ed25519'), kh: join(dir, 'known_hosts'), sudo: true, origin: `${file}:2:3 client` },
  );
  assert.equal(inv.server.testAddress, '10.2.0.1');
  assert.deepEqual(parseHostsFile('h.yaml', 'client: local\nserver: local\n'), { client: { kind: 'local' }, server: { kind: 'local' } });
});

test('hosts file mistakes: all of them, at their line and column', () => {
  assert.deepEqual(fileProblems('client:\n  host: a.example\n  user: root\n  port: 70000\n  colour: red\n  sudo: maybe\nserver:\n  host: 10.0.0.2\n  address: nope\nextra: 1\n'), [
    'hosts.yaml:2:3 client: address: required when the host is not an IPv4 literal ("a.example"): the address the peer sends test traffic to',
    'hosts.yaml:4:9 client.port: "70000" is not a TCP port (allowed: 1-65535)',
    `hosts.yaml:5:3 client.colour: unknown field (allowed: ${FILE_FIELDS.join(', ')})`,
    'hosts.yaml:6:9 client.sudo: "maybe" (allowed: true, false)',
    'hosts.yaml:9:12 server.address: "nope" is not an IPv4 address (test traffic is IPv4 only, like the lab)',
    'hosts.yaml:10:1 extra: unknown field (allowed: client, server, router)',
  ]);
  assert.deepEqual(fileProblems('client: [1]\n'), [
    `hosts.yaml:1:1 (top): server is missing (allowed: local, an ssh:// spec, or a mapping of ${FILE_FIELDS.join(', ')})`,
    'hosts.yaml:1:9 client: must be local, an ssh:// spec, or a mapping',
  ]);
  assert.deepEqual(fileProblems('client:\n  user: root\nserver: ssh://h:0\n'), [
    'hosts.yaml:2:3 client: host is missing (the machine to reach with ssh)',
    'hosts.yaml:3:9 server: port: "0" is not a TCP port (allowed: 1-65535)',
    'hosts.yaml:3:9 server: addr: required when the host is not an IPv4 literal ("h"): the address the peer sends test traffic to',
  ]);
  assert.deepEqual(fileProblems('client: {host: x\n'), [fileProblems('client: {host: x\n')[0]]);
  assert.match(fileProblems('client: {host: x\n')[0], /^hosts\.yaml:\d+:\d+ \(top\): YAML syntax: /);
});

test('combinations: both local or both remote, distinct test addresses, --hosts or flags', async () => {
  assert.deepEqual(await resolveInventory({}), { client: { kind: 'local' }, server: { kind: 'local' } });
  await assert.rejects(resolveInventory({ client: 'ssh://10.0.0.1' }), (e: Error) => e instanceof InputError && e.message === '--server is missing: give both --client and --server (or neither, for the local lab)');
  await assert.rejects(resolveInventory({ client: 'local', server: 'ssh://10.0.0.2' }), (e: InputError) => /both ends are local \(the emulated lab\) or both are remote hosts/.test(e.message) && /ssh:\/\/root@<its address>/.test(e.hint ?? ''));
  await assert.rejects(resolveInventory({ client: 'ssh://10.0.0.1?addr=10.9.0.1', server: 'ssh://10.0.0.2?addr=10.9.0.1' }), /same test address 10\.9\.0\.1/);
  await assert.rejects(resolveInventory({ hosts: 'x.yaml', client: 'local' }), /--hosts and --client\/--server both given/);
  await assert.rejects(resolveInventory({ hosts: '/nonexistent/hosts.yaml' }), /--hosts \/nonexistent\/hosts\.yaml: cannot read it \(ENOENT\)/);
  const both = await resolveInventory({ client: 'ssh://root@10.0.0.1', server: 'ssh://root@10.0.0.2:2222' });
  assert.equal(both.server.kind === 'ssh' && both.server.port, 2222);
  const dir = tempDir();
  writeFileSync(join(dir, 'hosts.yaml'), 'client: ssh://10.0.0.1\nserver: ssh://10.0.0.2\n');
  const f = await resolveInventory({ hosts: join(dir, 'hosts.yaml') });
  assert.equal(f.client.kind === 'ssh' && f.client.origin, `${join(dir, 'hosts.yaml')}:1:9 client`);
});

test('a router (middle hop, for impairment only): needs no test address; from --router or the hosts file; never with a local lab', async () => {
  const inv = await resolveInventory({ client: 'ssh://10.0.0.1', server: 'ssh://10.0.0.2', router: 'ssh://root@10.0.0.9:2200' });
  assert.equal(inv.router?.role, 'router');
  assert.equal(inv.router?.port, 2200);
  assert.equal(inv.router?.testAddress, '');
  await assert.rejects(resolveInventory({ router: 'ssh://10.0.0.9' }), /--router is given but both endpoints are local/);
  await assert.rejects(resolveInventory({ client: 'ssh://10.0.0.1', server: 'ssh://10.0.0.2', router: 'local' }), /a router is a remote host/);
  const dir = tempDir();
  writeFileSync(join(dir, 'hosts.yaml'), 'client: ssh://10.0.0.1\nserver: ssh://10.0.0.2\nrouter:\n  host: router.example\n  colour: red\n');
  await assert.rejects(resolveInventory({ hosts: join(dir, 'hosts.yaml') }), (e: InventoryError) => e.problems.length === 1 && /router\.colour: unknown field/.test(e.message));
  writeFileSync(join(dir, 'hosts.yaml'), 'client: ssh://10.0.0.1\nserver: ssh://10.0.0.2\nrouter:\n  host: router.example\n  user: admin\n  sudo: true\n');
  const f = await resolveInventory({ hosts: join(dir, 'hosts.yaml') });
  assert.equal(f.router?.host, 'router.example');
  assert.equal(f.router?.sudo, true);
  assert.equal(destination(f.router!), 'admin@router.example');
});

test('--impair: <host>:<interface>, host one of client, server, router', () => {
  assert.deepEqual(parseImpairFlag('router:eth1', false), { where: 'router', dev: 'eth1', allowSshInterface: false });
  assert.deepEqual(parseImpairFlag(' client:enp0s31f6 ', true), { where: 'client', dev: 'enp0s31f6', allowSshInterface: true });
  for (const bad of ['eth1', 'middle:eth1', 'server:', 'server:a-name-far-too-long', 'server:eth1;reboot']) {
    assert.throws(() => parseImpairFlag(bad, false), (e: InputError) => e instanceof InputError && /not <host>:<interface> \(allowed hosts: client, server, router/.test(e.message), bad);
  }
});
