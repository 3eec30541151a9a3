// Stream multiplexing over one byte stream (stream mode `mux` of ./protocol.ts), written for
// bench: what HTTP/2 does for the web, reduced to what the streams workload needs. It lets
// tcp and tls carry N concurrent streams on ONE connection, so that one lost TCP segment
// stalls every stream behind it (head-of-line blocking), as it does for HTTP/2; QUIC carries
// the same N streams natively, each delivered on its own.
//
// Frames, each way:  u32 stream id | u8 type | u8 0 | u16 payload length | payload
//   type 0 DATA (1..16384 payload bytes, HTTP/2's default maximum), 1 END (no more data
//   from this side), 2 RESET
// The client opens streams with odd ids (1, 3, 5, ...); a frame for an unknown id opens a
// stream at the server, which serves it like any accepted stream (its own bench header).
//
// Sending is round-robin between streams, one frame of at most SEND_QUANTUM bytes (about
// one TCP segment) at a time, in batches written while the connection takes data without
// queueing (write() true): N responses written at once share the connection segment by
// segment, as QUIC's streams share packets (quiche and quic-go schedule streams
// round-robin), instead of going out one after another. With 16 KiB frames, a 16 KB
// response was one frame and the streams of a round completed one after another (measured
// at 1 % loss, 50 ms RTT: first stream done after 108 ms, the last after 485 ms), so the
// comparison with QUIC measured a scheduling policy rather than head-of-line blocking.
// There is no per-stream flow control: bench's readers consume everything as it arrives,
// and a window would only add stalls that are not the link's.
import { Duplex } from 'node:stream';
import type { ClientSession } from '../../transports/types.js';

export const FRAME_HEADER_BYTES = 8;
export const MAX_FRAME_BYTES = 16384;
const DATA = 0;
const END = 1;
const RESET = 2;
/** Frames are written to the connection in batches of about this size. */
const BATCH_BYTES = 256 * 1024;
/** Data bytes per frame when sending: a frame and its header fill about one 1448-byte TCP segment. */
export const SEND_QUANTUM = 1400;

interface Pending {
  buf: Buffer;
  off: number;
  /** Called once every byte of buf went to the connection (the stream's write completes). */
  cb: ((err?: Error | null) => void) | null;
}

export function encodeFrame(id: number, type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const f = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  f.writeUInt32BE(id >>> 0, 0);
  f[4] = type;
  f[5] = 0;
  f.writeUInt16BE(payload.length, 6);
  payload.copy(f, FRAME_HEADER_BYTES);
  return f;
}

/** One stream of a multiplexed connection. */
export class MuxStream extends Duplex {
  /** Data waiting for its turn on the connection, in order; `end` once END is queued after it. */
  readonly queue: Pending[] = [];
  endQueued = false;
  private readDone = false;
  private writeDone = false;

  constructor(
    readonly id: number,
    private readonly conn: MuxConnection,
  ) {
    // Writers are never held back by the stream itself: the connection's scheduler paces
    // them (a write completes when its bytes went to the connection).
    super({ allowHalfOpen: true, writableHighWaterMark: 1 << 20 });
  }

  override _read(): void {
    /* data is pushed as frames arrive */
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!chunk.length) return cb();
    this.queue.push({ buf: chunk, off: 0, cb });
    this.conn.ready(this);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.endQueued = true;
    this.writeDone = true;
    this.conn.ready(this);
    cb();
    this.maybeForget();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    for (const p of this.queue.splice(0)) p.cb?.(err ?? new Error('stream destroyed'));
    if (!this.readDone || !this.writeDone) this.conn.reset(this);
    this.conn.forget(this.id);
    cb(err);
  }

  /** A frame from the peer. */
  receive(type: number, payload: Buffer): void {
    if (type === DATA) {
      if (!this.readDone) this.push(payload);
    } else if (type === END) {
      this.readDone = true;
      this.push(null);
      this.maybeForget();
    } else {
      this.readDone = true;
      this.writeDone = true;
      this.destroy(Object.assign(new Error('peer reset the stream'), { code: 'ECONNRESET' }));
    }
  }

  private maybeForget(): void {
    if (this.readDone && this.writeDone) this.conn.forget(this.id);
  }
}

/** One end of a multiplexed connection over `sock`. */
export class MuxConnection {
  private readonly streams = new Map<number, MuxStream>();
  /** Streams with something to send, in round-robin order. */
  private readonly turn: MuxStream[] = [];
  private blocked = false;
  private scheduled = false;
  private inbuf: Buffer = Buffer.alloc(0);
  private nextId = 1;
  private closed: Error | null = null;

  constructor(
    private readonly sock: Duplex,
    /** Server side: every stream the peer opens. Absent on the client, which only opens. */
    private readonly onStream: ((s: MuxStream) => void) | null = null,
  ) {
    sock.on('data', (c: Buffer) => this.parse(c));
    sock.on('drain', () => {
      this.blocked = false;
      this.flush();
    });
    const gone = (err?: Error): void => this.fail(err ?? new Error('the multiplexed connection closed'));
    sock.on('error', gone);
    sock.on('close', () => gone());
    sock.on('end', () => gone());
  }

  /** Open a stream (client side). */
  openStream(): MuxStream {
    if (this.closed) throw this.closed;
    const s = new MuxStream(this.nextId, this);
    this.nextId += 2;
    this.streams.set(s.id, s);
    return s;
  }

  /** Feed bytes that arrived before this connection took over the socket. */
  feed(b: Buffer): void {
    if (b.length) this.parse(b);
  }

  get openStreams(): number {
    return this.streams.size;
  }

  ready(s: MuxStream): void {
    if (!this.turn.includes(s)) this.turn.push(s);
    // Flush after the current callback, so every stream that writes in it takes part in
    // the same round-robin (N requests written in one loop, N responses to one read).
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  reset(s: MuxStream): void {
    const i = this.turn.indexOf(s);
    if (i >= 0) this.turn.splice(i, 1);
    if (!this.closed && !this.sock.destroyed) this.sock.write(encodeFrame(s.id, RESET));
  }

  forget(id: number): void {
    this.streams.delete(id);
  }

  destroy(): void {
    this.sock.destroy();
  }

  private flush(): void {
    while (!this.blocked && !this.closed && this.turn.length) {
      // One write per batch of frames: the peer reads N requests in one go and answers them
      // in one round-robin, and the kernel gets whole segments rather than one per frame.
      const batch: Buffer[] = [];
      let size = 0;
      while (this.turn.length && size < BATCH_BYTES) {
        const frame = this.nextFrame(this.turn.shift()!);
        if (!frame) continue;
        batch.push(frame);
        size += frame.length;
      }
      if (batch.length && !this.sock.write(batch.length === 1 ? batch[0] : Buffer.concat(batch, size))) this.blocked = true;
    }
  }

  /** The next frame of stream `s` (which goes to the back of the turn if it has more), or null. */
  private nextFrame(s: MuxStream): Buffer | null {
    const head = s.queue[0];
    let frame: Buffer;
    if (head) {
      const n = Math.min(SEND_QUANTUM, head.buf.length - head.off);
      frame = encodeFrame(s.id, DATA, head.buf.subarray(head.off, head.off + n));
      head.off += n;
      if (head.off === head.buf.length) {
        s.queue.shift();
        const cb = head.cb;
        head.cb = null;
        // Completing a write may start the next one: after this batch went out.
        if (cb) process.nextTick(cb);
      }
    } else if (s.endQueued) {
      frame = encodeFrame(s.id, END);
      s.endQueued = false;
    } else {
      return null;
    }
    if (s.queue.length || s.endQueued) this.turn.push(s);
    return frame;
  }

  private parse(c: Buffer): void {
    let b = this.inbuf.length ? Buffer.concat([this.inbuf, c]) : c;
    while (b.length >= FRAME_HEADER_BYTES) {
      const len = b.readUInt16BE(6);
      if (b.length < FRAME_HEADER_BYTES + len) break;
      const id = b.readUInt32BE(0);
      const type = b[4];
      const payload = b.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + len);
      b = b.subarray(FRAME_HEADER_BYTES + len);
      if (type > RESET || (type === DATA && (len === 0 || len > MAX_FRAME_BYTES)) || (type !== DATA && len !== 0)) {
        this.protocolError(`bad frame (type ${type}, ${len} bytes) on stream ${id}`);
        return;
      }
      let s = this.streams.get(id);
      if (!s) {
        // Frames for a stream already forgotten (a RESET crossing its END) are dropped.
        if (!this.onStream || id % 2 === 0 || type !== DATA) continue;
        s = new MuxStream(id, this);
        this.streams.set(id, s);
        this.onStream(s);
      }
      s.receive(type, Buffer.from(payload));
    }
    this.inbuf = b.length ? Buffer.from(b) : Buffer.alloc(0);
  }

  private protocolError(why: string): void {
    this.fail(new Error(`multiplexing protocol error: ${why}`));
    this.sock.destroy();
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = err;
    this.turn.length = 0;
    for (const s of [...this.streams.values()]) s.destroy(err);
    this.streams.clear();
  }
}

/**
 * A client session whose streams are multiplexed over one stream of `inner` (tcp, tls, or a
 * tunnel's TCP), after the `mux` header `preamble` was sent on it.
 */
export async function muxSession(inner: ClientSession, preamble: Buffer): Promise<ClientSession & { mux: MuxConnection }> {
  const sock = await inner.openStream();
  sock.write(preamble);
  const mux = new MuxConnection(sock);
  return {
    mux,
    openStream: async () => mux.openStream(),
    close: () => inner.close(),
    stats: inner.stats ? () => inner.stats!() : undefined,
  };
}
