// Reading a file given on the command line (a scenario, a result file) without trusting it
// (issue 16, item 10): a FIFO or device would block the read forever or never end, and a
// huge file would be parsed whole (a 50 MB description took 2.4 GB and wrote 105 MB of
// reports). Only regular files are read, and only up to a cap; the open does not block
// (O_NONBLOCK) so a FIFO is refused rather than waited on.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { InputError } from './errors.js';

export interface ReadInputOptions {
  /** What the file is, for messages: "scenario", "result file". */
  what: string;
  /** Largest size accepted, bytes. */
  maxBytes: number;
  /** Text for a missing file (default: the errno code, e.g. "ENOENT"). */
  describeCode?: (code: string) => string;
}

const KIND: [keyof import('node:fs').Stats, string][] = [
  ['isFIFO', 'a FIFO'],
  ['isCharacterDevice', 'a character device'],
  ['isBlockDevice', 'a block device'],
  ['isSocket', 'a socket'],
  ['isDirectory', 'a directory'],
];

export function fmtSize(bytes: number): string {
  return bytes >= 1 << 20 ? `${Math.round((bytes / (1 << 20)) * 10) / 10} MiB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} B`;
}

/** The file's text, or an InputError saying why not (missing, not a regular file, too big). */
export async function readInputFile(path: string, o: ReadInputOptions): Promise<string> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new InputError(`cannot read ${o.what} ${path}: ${o.describeCode ? o.describeCode(code) : code}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      const kind = KIND.find(([k]) => (st[k] as () => boolean).call(st))?.[1] ?? 'not a regular file';
      throw new InputError(`cannot read ${o.what} ${path}: it is ${kind}, not a regular file`, `give bench a ${o.what} saved as a file`);
    }
    if (st.size > o.maxBytes) {
      throw new InputError(`${o.what} ${path} is ${fmtSize(st.size)}, more than the ${fmtSize(o.maxBytes)} a ${o.what} may have`);
    }
    // One byte more than its size: a file that grows while read is refused, not read on.
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > st.size) throw new InputError(`${o.what} ${path} changed while it was read`, 'read it once it is complete');
    }
    return buf.toString('utf8', 0, n);
  } finally {
    await fh.close();
  }
}
