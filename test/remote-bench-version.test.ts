// The bench a remote host runs is the controller's own code, or nothing runs: a pushed bundle
// (unpacked over the SSH connection, removed afterwards) or an install at bench=, both
// checked by code hash; another version, a missing or unbuilt install, a missing or too old
// Node.js are errors naming the host and the remedy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../harness/core/exec.js';
import { EnvironmentError, type BenchError } from '../harness/core/errors.js';
import { buildBundle, type Bundle } from '../harness/remote/bundle.js';
import { ensureBench, localIdentity, probeNode } from '../harness/remote/install.js';
import { SshHost } from '../harness/remote/ssh.js';
import type { SshPlacement } from '../harness/remote/inventory.js';
import { UndoStack } from '../harness/core/undo.js';
import { PROJECT_ROOT } from '../harness/core/version.js';
import { oldNode, OLD_NODE_VERSION } from './kit/old-node.js';
import { skipUnlessSsh, SshHosts } from './kit/ssh-hosts.js';

const skip = skipUnlessSsh();
let kit: SshHosts;
let bundle: Bundle;
const bundleUndo = new UndoStack();
const scratch: string[] = [];

before(async () => {
  if (skip) return;
  kit = await SshHosts.create({ users: [{ name: 'benchv', uid: 64992 }] });
  bundle = await buildBundle(bundleUndo);
});
after(async () => {
  await bundleUndo.run();
  for (const d of scratch) await rm(d, { recursive: true, force: true });
  await kit?.destroy();
  if (kit) assert.deepEqual(await kit.remains(), []);
});

/** Connect to host a with `o` overrides, run `body`, undo everything. */
async function onHostA<T>(o: Partial<SshPlacement>, body: (h: SshHost, undo: UndoStack) => Promise<T>): Promise<T> {
  const undo = new UndoStack();
  const h = new SshHost(kit.placement('a', 'client', o), kit.sshOptions());
  await h.connect();
  undo.push('ssh', () => h.close());
  try {
    return await body(h, undo);
  } finally {
    assert.deepEqual(await undo.run(), []);
    // Refused or not, nothing of the check is left on the host: no process, no connection.
    await kit.settled('a', 10_000, { sessions: true });
  }
}

/** A copy of this bench's code (what the code hash covers), for installs that differ from it. */
async function copyOfBench(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-other-'));
  scratch.push(dir);
  for (const f of ['package.json', 'package-lock.json', 'dist/harness', 'dist/netem']) await cp(join(PROJECT_ROOT, f), join(dir, f), { recursive: true });
  return dir;
}

test('the bundle carries the compiled code and production dependencies only', { skip }, async () => {
  const list = (await run('tar', ['-tzf', bundle.tarPath])).stdout.split('\n');
  for (const f of ['bench-bundle.json', 'package.json', 'package-lock.json', 'dist/harness/agent/main.js', 'dist/harness/remote/agent-wrapper.js', 'dist/netem/probe-agent.js', 'netem/emulator/linkemu.c', 'node_modules/@matrixai/quic/package.json', 'node_modules/execa/package.json']) {
    assert.ok(list.includes(f), `bundle has ${f}`);
  }
  for (const dev of ['node_modules/typescript/', 'node_modules/playwright-core/', 'dist/test/']) assert.ok(!list.some((f) => f.startsWith(dev)), `bundle leaves out ${dev}`);
  assert.ok(!list.some((f) => f.endsWith('.map')), 'no source maps');
  // Physical bound: the production dependencies alone are ~18 MB unpacked.
  assert.ok(bundle.bytes > 500_000 && bundle.bytes < 20_000_000, `bundle size ${bundle.bytes} B`);
});

test('pushed: unpacked into a temporary directory, same code hash as the controller, removed at the end', { skip, timeout: 60_000 }, async () => {
  let root = '';
  await onHostA({ user: 'benchv' }, async (h, undo) => {
    const b = await ensureBench(h, undo, async () => bundle);
    root = b.root;
    assert.equal(b.pushed, true);
    assert.match(root, /^\/tmp\/bench-bundle-\w{8}$/);
    assert.deepEqual(b.identity, { ...localIdentity(), gitSha: localIdentity().gitSha });
    assert.equal(b.node.uid, 64992);
    const owner = await h.exec(['stat', '-c', '%u %a', `${root}/dist/harness/agent/main.js`]);
    assert.equal(owner.stdout.split(' ')[0], '64992', 'the login user owns what it unpacked');
    const manifest = JSON.parse((await h.exec(['cat', `${root}/bench-bundle.json`])).stdout) as { gitSha: string; codeSha256: string };
    assert.equal(manifest.codeSha256, localIdentity().codeSha256);
  });
  await assert.rejects(readFile(join(root, 'package.json')), /ENOENT/, 'the bundle directory is gone after undo');
});

test('found: an install at bench= with the same code is used as it is', { skip, timeout: 60_000 }, async () => {
  await onHostA({ benchPath: PROJECT_ROOT }, async (h, undo) => {
    const b = await ensureBench(h, undo, async () => assert.fail('nothing is pushed when bench= is given'));
    assert.deepEqual({ root: b.root, pushed: b.pushed, sha: b.identity.codeSha256 }, { root: PROJECT_ROOT, pushed: false, sha: localIdentity().codeSha256 });
  });
});

test('another version at bench=: refused before anything runs, naming the host, both versions and the remedy', { skip, timeout: 60_000 }, async () => {
  const edited = await copyOfBench();
  await writeFile(join(edited, 'dist/harness/agent/main.js'), `${await readFile(join(edited, 'dist/harness/agent/main.js'), 'utf8')}\n// local edit\n`);
  const bumped = await copyOfBench();
  const pkg = JSON.parse(await readFile(join(bumped, 'package.json'), 'utf8')) as { version: string };
  await writeFile(join(bumped, 'package.json'), JSON.stringify({ ...pkg, version: '9.9.9' }));
  const local = localIdentity();
  for (const [dir, version] of [[edited, local.version], [bumped, '9.9.9']] as const) {
    await onHostA({ benchPath: dir }, async (h, undo) => {
      await assert.rejects(ensureBench(h, undo, async () => assert.fail('not pushed')), (e: BenchError) => {
        assert.ok(e instanceof EnvironmentError);
        assert.match(e.message, new RegExp(`^client host root@198\\.19\\.200\\.2: ${dir} has bench ${version.replace(/\./g, '\\.')} \\(code [0-9a-f]{12}(, git [0-9a-f]{12})?\\), this controller runs bench ${local.version.replace(/\./g, '\\.')} \\(code ${local.codeSha256.slice(0, 12)}`));
        assert.match(e.message, /both ends must run the same code$/);
        if (local.gitSha) assert.match(e.hint ?? '', new RegExp(`git checkout ${local.gitSha} && npm ci; or leave bench= out`));
        return true;
      });
    });
  }
});

test('no bench at bench=, or one not built: named with the host and the remedy', { skip, timeout: 60_000 }, async () => {
  const unbuilt = await copyOfBench();
  await rm(join(unbuilt, 'dist'), { recursive: true });
  for (const [dir, why] of [['/nonexistent/bench', 'no such directory'], [unbuilt, 'not built: dist/harness/agent/main.js is missing (run npm ci there)']] as const) {
    await onHostA({ benchPath: dir }, async (h, undo) => {
      await assert.rejects(ensureBench(h, undo, async () => assert.fail('not pushed')), (e: BenchError) => {
        assert.ok(e instanceof EnvironmentError);
        assert.equal(e.message, `client host root@198.19.200.2: no usable bench at ${dir} (${why})`);
        assert.match(e.hint ?? '', /leave bench= out and let bench push its own bundle/);
        return true;
      });
    });
  }
});

test(`remote Node.js ${OLD_NODE_VERSION} (older than bench supports): refused with the remedy`, { skip, timeout: 300_000 }, async () => {
  const node18 = await oldNode();
  await onHostA({ node: node18 }, async (h) => {
    await assert.rejects(probeNode(h), (e: BenchError) => {
      assert.ok(e instanceof EnvironmentError);
      assert.equal(e.message, `client host root@198.19.200.2: Node.js v${OLD_NODE_VERSION} is too old (bench needs >= 20)`);
      assert.match(e.hint ?? '', /install Node\.js >= 20 on the host, or give the path of a newer one with node=/);
      return true;
    });
  });
});
