// Request/response exchanges of chosen sizes on one byte stream (stream mode `exchange` of
// ./protocol.ts), for the exchange and streams workloads. Every exchange ends by length,
// never by a half-close (a relay or tunnel that mishandles FIN cannot end one early):
//
//   client -> server  request header: u32 request bytes, u32 response bytes (BE), then the
//                     request bytes
//   server -> client  response header: u32 status (0 = every request byte verified,
//                     1 = a request byte differed), u32 the offset of that byte in the
//                     stream's request bytes (0 when status is 0), then the response bytes
//
// Both directions are windows onto bench's payload pattern (./data.ts), continued from one
// exchange to the next, so every byte each way is verified at its receiver: requests at the
// server (which answers with its verdict), responses at the client.
import type { Duplex } from 'node:stream';
import { fmtBytes } from '../../core/format.js';
import { sizeField, type FieldPath, type ProblemSink } from '../../core/problems.js';
import { slice, Verifier } from './data.js';
import { StreamReader } from './reader.js';

export const REQUEST_HEADER_BYTES = 8;
export const RESPONSE_HEADER_BYTES = 8;
/** Largest request or response bench asks for (the schema's bound): 64 MiB. */
export const MAX_EXCHANGE_BYTES = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** The YAML fields `request` and `response` of a workload made of exchanges (JSON Schema). */
export const EXCHANGE_SIZE_SCHEMA = { request: { type: ['string', 'number'] }, response: { type: ['string', 'number'] } };

/** `request` and `response` of a workload's mapping, in bytes (defaults when absent). */
export function exchangeSizes(o: Record<string, unknown>, path: FieldPath, probs: ProblemSink, dflt: { requestBytes: number; responseBytes: number }): { requestBytes: number; responseBytes: number } {
  const size = (key: string, d: number): number => {
    const v = sizeField(o, key, path, probs, d) ?? d;
    if (v > MAX_EXCHANGE_BYTES) probs.add([...path, key], `at most ${fmtBytes(MAX_EXCHANGE_BYTES)}`);
    return v;
  };
  return { requestBytes: size('request', dflt.requestBytes), responseBytes: size('response', dflt.responseBytes) };
}

/** The response direction's pattern seed: a different window than the requests'. */
const responseSeed = (seed: number): number => (seed ^ 0x5a5a5a5a) >>> 0;

/** Write `len` pattern bytes of `seed` from `offset`, honouring backpressure. */
async function writePattern(s: Duplex, seed: number, offset: number, len: number, prefix: Buffer | null): Promise<void> {
  let off = 0;
  let first = prefix;
  while (off < len || first) {
    const n = Math.min(CHUNK, len - off);
    const body = slice(seed, offset + off, n);
    const ok = s.write(first ? Buffer.concat([first, body]) : body);
    first = null;
    off += n;
    if (!ok && off < len) await drained(s);
  }
}

function drained(s: Duplex): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      s.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      s.off('drain', onDrain);
      reject(new Error('stream closed while writing'));
    };
    s.once('drain', onDrain);
    s.once('close', onClose);
  });
}

/** The client end of an exchange stream (its `exchange` header already written). */
export class Exchanger {
  private readonly reader: StreamReader;
  private readonly responses: Verifier;
  private requestOffset = 0;
  /** Exchanges completed. */
  done = 0;

  constructor(
    private readonly s: Duplex,
    private readonly seed: number,
  ) {
    this.reader = new StreamReader(s);
    this.responses = new Verifier(responseSeed(seed));
  }

  /** One exchange: send the request, receive and verify the whole response. */
  async exchange(requestBytes: number, responseBytes: number): Promise<void> {
    const head = Buffer.alloc(REQUEST_HEADER_BYTES);
    head.writeUInt32BE(requestBytes, 0);
    head.writeUInt32BE(responseBytes, 4);
    await writePattern(this.s, this.seed, this.requestOffset, requestBytes, head);
    this.requestOffset += requestBytes;
    const rh = await this.reader.read(RESPONSE_HEADER_BYTES);
    const status = rh.readUInt32BE(0);
    if (status !== 0) throw new Error(`exchange ${this.done}: the server found request byte ${rh.readUInt32BE(4)} different from what was sent`);
    // Read in slices so a large response is verified as it arrives, never buffered whole.
    let left = responseBytes;
    while (left > 0) {
      const part = await this.reader.read(Math.min(left, 256 * 1024));
      if (!this.responses.push(part)) throw new Error(`exchange ${this.done}: response byte ${this.responses.badOffset} differs from what the server sent`);
      left -= part.length;
    }
    this.done++;
  }
}

/** The server end: answer requests until the peer closes; errors end the stream, never the server. */
export function serveExchanges(s: Duplex, seed: number, rest: Buffer): void {
  const requests = new Verifier(seed);
  let responseOffset = 0;
  let buf: Buffer = rest;
  // Request bytes still to come for the exchange in progress, and its response size.
  let want = -1;
  let respond = 0;
  let busy = false;
  let badAt: number | null = null;

  const step = (): void => {
    while (!busy) {
      if (want < 0) {
        if (buf.length < REQUEST_HEADER_BYTES) return;
        want = buf.readUInt32BE(0);
        respond = buf.readUInt32BE(4);
        buf = buf.subarray(REQUEST_HEADER_BYTES);
        if (want > MAX_EXCHANGE_BYTES || respond > MAX_EXCHANGE_BYTES) {
          s.destroy();
          return;
        }
      }
      if (want > 0) {
        if (!buf.length) return;
        const take = buf.subarray(0, Math.min(want, buf.length));
        buf = buf.subarray(take.length);
        want -= take.length;
        if (badAt === null && !requests.push(take)) badAt = requests.badOffset;
        if (want > 0) return;
      }
      want = -1;
      busy = true;
      void answer().then(
        () => {
          busy = false;
          step();
        },
        () => s.destroy(),
      );
    }
  };

  const answer = async (): Promise<void> => {
    const head = Buffer.alloc(RESPONSE_HEADER_BYTES);
    if (badAt !== null) {
      // The verdict goes out, then the stream ends: nothing after a bad byte is trusted.
      head.writeUInt32BE(1, 0);
      head.writeUInt32BE(Math.min(badAt, 0xffffffff), 4);
      s.end(head);
      throw new Error('bad request');
    }
    await writePattern(s, responseSeed(seed), responseOffset, respond, head);
    responseOffset += respond;
  };

  s.on('data', (c: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, c]) : c;
    step();
  });
  s.on('end', () => s.end());
  s.resume();
  step();
}
