// Reading and writing the versioned result file. Writes are atomic (temp file + rename in
// the same directory, harness/core/safe-write.ts) because the run rewrites the file after
// every cell: a crash or a kill at any moment leaves either the previous complete file or
// the new one.
import { InputError } from '../core/errors.js';
import { readInputFile } from '../core/read-input.js';
import { writeOutputFile, type SafeWriteOptions } from '../core/safe-write.js';
import { parseJsonText } from './json-text.js';
import { checkResultShape } from './schema.js';
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

export type WriteOptions = SafeWriteOptions;

/**
 * Replace `path` atomically (a crash leaves the old or the new file), never through a link,
 * never over a device; a character device or FIFO given as `path` is written to as it is.
 */
export async function writeFileAtomic(path: string, content: string, opts: WriteOptions = {}): Promise<void> {
  await writeOutputFile(path, content, opts);
}

export async function writeResultFileAtomic(path: string, result: ResultFile, opts: WriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(result, null, 1)}\n`, opts);
}
