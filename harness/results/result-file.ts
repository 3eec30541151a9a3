// Reading and writing the versioned result file. Writes are atomic (temp file + rename in
// the same directory) because the run rewrites the file after every cell: a crash or a
// kill at any moment leaves either the previous complete file or the new one.
import { chown, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { InputError } from '../core/errors.js';
import { parseJsonText } from './json-text.js';
import { checkResultShape } from './schema.js';
import { FORMAT_VERSION, type ResultFile } from './types.js';

export async function readResultFile(path: string): Promise<ResultFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read result file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseResult(parseJsonText(text, path), path);
}

export function parseResult(data: unknown, path = '<result>'): ResultFile {
  if (typeof data !== 'object' || data === null || !('formatVersion' in data)) {
    throw new InputError(`${path} is not a bench result file (no formatVersion)`);
  }
  const v = (data as { formatVersion: unknown }).formatVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new InputError(`${path}: formatVersion ${JSON.stringify(v)} is not a valid format version`);
  }
  if (v > FORMAT_VERSION) {
    throw new InputError(
      `${path} has result format ${v}, newer than this bench understands (${FORMAT_VERSION})`,
      'upgrade bench to read it',
    );
  }
  checkResultShape(data, path);
  return data as ResultFile;
}

export interface WriteOptions {
  /** uid/gid to give the file (the invoking user under sudo). */
  owner?: { uid: number; gid: number } | null;
}

export async function writeFileAtomic(path: string, content: string, opts: WriteOptions = {}): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(tmp, content);
  if (opts.owner) await chown(tmp, opts.owner.uid, opts.owner.gid);
  await rename(tmp, path);
}

export async function writeResultFileAtomic(path: string, result: ResultFile, opts: WriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(result, null, 1)}\n`, opts);
}
