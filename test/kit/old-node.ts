// A real Node.js older than bench supports, for the "remote Node too old" test: the official
// v18 build as published on the npm registry (package node-linux-<arch>), fetched with
// `npm pack` once and kept in the temp dir. Debian 12's own nodejs 18 would do as well but
// needs its shared libnode and system modules, which cannot be used without installing them.
import { access, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../harness/core/exec.js';

export const OLD_NODE_VERSION = '18.20.4';

/** Path of a runnable Node 18 binary (downloaded on first use, ~40 MB). */
export async function oldNode(): Promise<string> {
  const dir = join(tmpdir(), `bench-test-node${OLD_NODE_VERSION}-${process.arch}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (await access(bin).then(() => true, () => false)) return bin;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const pkg = `node-linux-${process.arch}@${OLD_NODE_VERSION}`;
  const packed = await run('npm', ['pack', pkg, '--silent', '--pack-destination', dir], { reject: false, timeoutMs: 300_000 });
  if (packed.exitCode !== 0) throw new Error(`npm pack ${pkg} failed (the npm registry is needed once for this test): ${packed.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  const tgz = join(dir, packed.stdout.trim().split('\n').pop()!);
  await run('tar', ['-xzf', tgz, '-C', dir, 'package/bin/node']);
  await rm(tgz);
  return bin;
}
