// A node Duplex over one QUIC stream's WHATWG readable/writable pair. Hand-written instead of
// Duplex.fromWeb so the stream semantics the tunnel relies on are explicit:
// - end()               -> writable close -> STREAM FIN
// - peer FIN            -> 'end'
// - destroy(), destroy(err) with a side still open -> writable abort (RESET_STREAM) and
//   readable cancel (STOP_SENDING), the QUIC equivalent of a TCP RST
// - peer RESET_STREAM / STOP_SENDING -> 'error' with code ECONNRESET / EPIPE
// It is also leaner than fromWeb: one pending read at a time, Buffers passed through
// untouched, and queued small writes coalesced into one streamSend (writev).
import { Duplex } from 'node:stream';
import type { ReadableStream, ReadableStreamDefaultReader, WritableStream, WritableStreamDefaultWriter } from 'node:stream/web';

/** Error a QUIC stream reset arrives as; `quicCode` is the application error code on the wire. */
export class StreamResetError extends Error {
  constructor(
    message: string,
    readonly code: 'ECONNRESET' | 'EPIPE',
    readonly quicCode: number,
  ) {
    super(message);
    this.name = 'StreamResetError';
  }
}

/** Application error code sent with RESET_STREAM/STOP_SENDING when we abort a stream. */
export const RESET_CODE = 1;

export interface QuicDuplexOptions {
  /** Called once when the duplex is closed (both sides done, or destroyed). */
  onClose?: () => void;
}

export class QuicStreamDuplex extends Duplex {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private pumping = false;
  private readEnded = false;
  private writeClosed = false;

  constructor(
    readable: ReadableStream<Uint8Array>,
    writable: WritableStream<Uint8Array>,
    readonly streamId: number,
    opts: QuicDuplexOptions = {},
  ) {
    // 64 KiB each way: bytes buffered before reading from QUIC pauses, and accepted by
    // write() before it returns false.
    super({ allowHalfOpen: true, readableHighWaterMark: 65536, writableHighWaterMark: 65536 });
    this.reader = readable.getReader();
    this.writer = writable.getWriter();
    // A peer reset must be seen even while we are not reading or writing (backpressure can
    // hold us idle for long), so watch both sides' closed promises, not only read()/write().
    this.reader.closed.catch((err) => {
      this.readEnded = true;
      if (!this.destroyed) this.destroy(asReset(err, 'ECONNRESET'));
    });
    this.writer.closed.catch((err) => {
      this.writeClosed = true;
      if (!this.destroyed) this.destroy(asReset(err, 'EPIPE'));
    });
    if (opts.onClose) this.once('close', opts.onClose);
  }

  override _read(): void {
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done) {
          this.readEnded = true;
          this.push(null);
          return;
        }
        // The library hands out a fresh Buffer per chunk, so no copy is needed here.
        if (!this.push(value)) return;
      }
    } catch (err) {
      this.readEnded = true;
      if (!this.destroyed) this.destroy(asReset(err, 'ECONNRESET'));
    } finally {
      this.pumping = false;
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writer.write(chunk).then(
      () => cb(),
      (err) => {
        this.writeClosed = true;
        cb(asReset(err, 'EPIPE'));
      },
    );
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    const buf = chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk));
    this._write(buf, 'binary', cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.writer.close().then(
      () => {
        this.writeClosed = true;
        cb();
      },
      (err) => {
        this.writeClosed = true;
        cb(asReset(err, 'EPIPE'));
      },
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const reason = err ?? new StreamResetError('stream destroyed locally', 'ECONNRESET', RESET_CODE);
    if (!this.readEnded) {
      this.readEnded = true;
      this.reader.cancel(reason).catch(() => {});
    }
    if (!this.writeClosed) {
      this.writeClosed = true;
      this.writer.abort(reason).catch(() => {});
    }
    cb(err);
  }
}

function asReset(err: unknown, code: 'ECONNRESET' | 'EPIPE'): Error {
  if (err instanceof StreamResetError) return err;
  // The library cancels streams with its connection's last error, which may be null.
  const msg = err instanceof Error ? err.message : err == null ? 'stream closed with its QUIC connection' : String(err);
  return new StreamResetError(msg, code, RESET_CODE);
}
