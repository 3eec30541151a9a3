// Reading and writing the versioned result file. Writes are atomic (temp file + rename in
// the same directory) because the run rewrites the file after every cell: a crash or a
// kill at any moment leaves either the previous complete file or the new one.
import { chown, rename, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { InputError } from '../core/errors.js';
import { parseJsonText } from './json-text.js';
import { checkResultShape } from './schema.js';
import { readInputFile } from '../core/read-input.js';
import { FORMAT_VERSION, type ResultFile } from './types.js';

/** Largest result file read: V8's longest string is 2^29 - 24 characters (Node 20). */
const RESULT_MAX_BYTES = (1 << 29) - 24;

export async function readResultFile(path: string): Promise<ResultFile> {
  const text = await readInputFile(path, { what: 'result file', maxBytes: RESULT_MAX_BYTES });
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
