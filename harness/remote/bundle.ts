// The bench a remote host runs, when it has none of its own: a self-contained bundle made
// from the controller's own build, streamed over the SSH connection into a temporary
// directory there. Chosen over a required install because both ends must run the very same
// code (the version check would otherwise fail after every local commit), and the remote
// needs only Node.js and tar: no npm, no compiler, no network access. Contents: package.json,
// package-lock.json, the compiled harness and netem JavaScript, the production dependencies
// (with @matrixai/quic's native module for this platform, hence the same-platform check),
// the C emulator's source (for impairment on a remote host, issue 18 item 4), and a manifest
// naming the git commit it was made from. ~4 MB compressed, ~20 MB unpacked.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run } from '../core/exec.js';
import type { UndoStack } from '../core/undo.js';
import { PROJECT_ROOT, gitSha } from '../core/version.js';
import { codeIdentity, type CodeIdentity } from './host-probe.js';

export interface Bundle {
  tarPath: string;
  bytes: number;
  identity: CodeIdentity;
  /** process.platform-process.arch the native modules inside are for. */
  platform: string;
  entries: string[];
}

export const MANIFEST = 'bench-bundle.json';

/** Production packages of package-lock.json present on disk, outermost only (a nested one travels with its parent). */
async function productionPackages(root: string): Promise<string[]> {
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const dirs = Object.entries(lock.packages)
    .filter(([k, v]) => k !== '' && !v.dev && existsSync(join(root, k)))
    .map(([k]) => k)
    .sort();
  return dirs.filter((d) => !dirs.some((o) => o !== d && d.startsWith(`${o}/`)));
}

/** Build the bundle of the bench at `root` (default: this one) in a new temp dir, removed by `undo`. */
export async function buildBundle(undo: UndoStack, root = PROJECT_ROOT): Promise<Bundle> {
  const identity = codeIdentity(root);
  const dir = await mkdtemp(join(tmpdir(), `bench-pack-${process.pid}-`));
  undo.push('bundle temp dir', () => rm(dir, { recursive: true, force: true }));
  const manifest = join(dir, MANIFEST);
  const platform = `${process.platform}-${process.arch}`;
  await writeFile(manifest, `${JSON.stringify({ version: identity.version, gitSha: identity.gitSha ?? gitSha(root), codeSha256: identity.codeSha256, platform, createdAt: new Date().toISOString() }, null, 2)}\n`);
  const entries = ['package.json', 'package-lock.json', 'dist/harness', 'dist/netem', 'netem/emulator', ...(await productionPackages(root))];
  const tarPath = join(dir, 'bench.tgz');
  await run('tar', [
    '-czf', tarPath,
    // Reproducible owners; the remote user owns what it unpacks.
    '--owner=0', '--group=0', '--numeric-owner',
    '--exclude=*.map', '--exclude=dist/test',
    '-C', dirname(manifest), MANIFEST,
    '-C', root, ...entries,
  ]);
  return { tarPath, bytes: (await stat(tarPath)).size, identity, platform, entries };
}
