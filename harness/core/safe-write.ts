// Creating output files as root without being turned against the machine (issue 16, items 5
// and 12). bench runs under sudo and writes into a directory the invoking user owns, who
// could plant a link there during the run; and `-o /dev/null` is a reasonable thing to type.
// What went wrong before, and what this module does instead:
// - the temporary file had a predictable name (`.report.html.<pid>.tmp`) and was opened
//   following links: a link planted under that name made root write, and then chown to the
//   user, any file. Now: a random name, created with O_CREAT|O_EXCL|O_NOFOLLOW (an existing
//   name or a link there fails instead of being followed), chowned by its descriptor.
// - the rename replaced whatever the output path was: a device node became a regular file
//   (-o /dev/null destroyed the system's /dev/null). Now: a rename only replaces a regular
//   file or a missing path; a character device or a FIFO named directly is written to as
//   it is, never replaced or chowned; a symbolic link is refused (never followed); anything
//   else (directory, block device, socket) is refused.
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from './errors.js';

export interface SafeWriteOptions {
  /** uid/gid to give a newly written file (the invoking user under sudo); devices are never chowned. */
  owner?: { uid: number; gid: number } | null;
  /** Permission bits of a newly written file, before the umask. @default 0o666 */
  mode?: number;
}

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isFIFO()) return 'a FIFO';
  return 'not a regular file';
}

/** Write `content` to `path`: atomically for a file, directly to a device or FIFO, never through a link. */
export async function writeOutputFile(path: string, content: string | Buffer, opts: SafeWriteOptions = {}): Promise<void> {
  const st = await lstatOrNull(path);
  if (st === null || st.isFile()) return replaceFile(path, content, opts);
  if (st.isCharacterDevice() || st.isFIFO()) return writeSpecial(path, content);
  throw new InputError(
    `refusing to write ${path}: it is ${kindOf(st)}`,
    st.isSymbolicLink() ? 'bench never writes through a link (it could be aimed at any file); give the path of the file itself, or - for stdout where a command offers it' : 'give the path of a file to create or replace',
  );
}

/** A temporary file beside `path` with a random name, then a rename over a regular file or nothing. */
async function replaceFile(path: string, content: string | Buffer, opts: SafeWriteOptions): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  const fh = await open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, opts.mode ?? 0o666);
  try {
    try {
      await fh.writeFile(content);
      // fchown: the descriptor is the file just created, whatever the name points to now.
      if (opts.owner) await fh.chown(opts.owner.uid, opts.owner.gid);
    } finally {
      await fh.close();
    }
    // The path may have changed since it was looked at: rename only over a regular file or
    // nothing. (A link put there now is replaced, not followed: rename never follows.)
    const now = await lstatOrNull(path);
    if (now !== null && !now.isFile() && !now.isSymbolicLink()) {
      throw new InputError(`refusing to replace ${path}: it became ${kindOf(now)} while bench was writing`);
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Write to a character device or FIFO as it is: no temp file, no rename, no chown. */
async function writeSpecial(path: string, content: string | Buffer): Promise<void> {
  // A FIFO without a reader would block the open forever: ask first without blocking. The
  // probe stays open until the real (blocking) descriptor is: closing it first would be the
  // last writer leaving, and the reader would take that as the end of the data and go.
  const probe = await open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENXIO') throw new InputError(`cannot write ${path}: it is a FIFO and no process is reading it`);
    throw err;
  });
  let fh;
  try {
    fh = await open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY);
  } finally {
    await probe.close();
  }
  try {
    const st = await fh.stat();
    if (!st.isCharacterDevice() && !st.isFIFO()) throw new InputError(`refusing to write ${path}: it changed into ${kindOf(st)} while bench was writing`);
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
}
