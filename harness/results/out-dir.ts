// Where a run writes its results. A default directory is created exclusively, so two runs
// started in the same second never share one; a directory given with --out that already
// holds a result is refused unless forced, so no measurement is silently overwritten. Under
// sudo the directory is handed to the invoking user through a descriptor opened without
// following links, so a link planted in its place cannot redirect the chown.
import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../core/errors.js';

export interface Owner {
  uid: number;
  gid: number;
}

function utcStamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** chown a directory we created, by descriptor: a symlink in its place fails instead of being followed. */
async function chownDir(path: string, owner: Owner): Promise<void> {
  const fh = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    await fh.chown(owner.uid, owner.gid);
  } finally {
    await fh.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export interface OutDirOptions {
  /** --out as given, or undefined for results/<scenario>-<utc>. */
  out: string | undefined;
  scenario: string;
  /** Names the run; makes a default directory unique when the stamp is taken. */
  runId: string;
  owner: Owner | null;
  /** Write into a directory that already holds a result.json. */
  force: boolean;
  now?: Date;
}

/** Create (or accept) the run's output directory and return its absolute path. */
export async function prepareOutDir(o: OutDirOptions): Promise<string> {
  if (o.out !== undefined) {
    const dir = resolve(o.out);
    if (!o.force && (await exists(join(dir, 'result.json')))) {
      throw new InputError(`${dir} already holds a result.json`, 'choose another --out, or add --force to overwrite it');
    }
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined && o.owner) await chownDir(dir, o.owner);
    return dir;
  }
  const parent = resolve('results');
  const made = await mkdir(parent, { recursive: true });
  if (made !== undefined && o.owner) await chownDir(parent, o.owner);
  const base = join(parent, `${o.scenario}-${utcStamp(o.now ?? new Date())}`);
  // Exclusive: a second run in the same second gets its run id appended, never the same directory.
  for (const dir of [base, `${base}-${o.runId}`]) {
    try {
      await mkdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    if (o.owner) await chownDir(dir, o.owner);
    return dir;
  }
  throw new InputError(`${base} and ${base}-${o.runId} both exist`, 'use --out to choose a directory');
}
