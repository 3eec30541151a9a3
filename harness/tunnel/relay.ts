// Moves bytes between a TCP socket and a QUIC stream, carrying the three things a faithful
// tunnel must: half-close (a FIN on one side becomes a FIN on the other, the reverse
// direction keeps flowing), resets (a TCP RST/error resets the stream, a stream reset or
// STOP_SENDING resets the TCP connection with RST), and backpressure (a direction pauses
// its source while the destination's write() returns false, so nothing buffers beyond the
// two streams' high-water marks and the QUIC flow-control window).
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export type RelayOutcome = 'closed' | 'reset';

export interface RelayOptions {
  /** Bytes read from the TCP side (they go into the tunnel). */
  onTcpBytes(n: number): void;
  /** Bytes read from the QUIC side (they go to the TCP peer). */
  onQuicBytes(n: number): void;
  /** Called once, when both directions are over or either side was reset. */
  onDone(outcome: RelayOutcome, err?: Error): void;
}

export class Relay {
  private finished = false;
  private tcpRead = false;
  private quicRead = false;
  private tcpWritten = false;
  private quicWritten = false;

  constructor(
    private readonly tcp: Socket,
    private readonly quic: Duplex,
    private readonly o: RelayOptions,
  ) {
    tcp.on('error', (e) => this.reset(e));
    quic.on('error', (e) => this.reset(e));
    // A side that closes before its own two directions finished was torn down underneath us.
    tcp.on('close', () => {
      if (!(this.tcpRead && this.tcpWritten)) this.reset(new Error('TCP connection closed early'));
    });
    quic.on('close', () => {
      if (!(this.quicRead && this.quicWritten)) this.reset(new Error('QUIC stream closed early'));
    });
    tcp.on('finish', () => this.mark('tcpWritten'));
    quic.on('finish', () => this.mark('quicWritten'));
  }

  /** Start TCP -> QUIC (the client does this before the status line arrives: pipelining). */
  startTcpToQuic(): void {
    this.pipe(this.tcp, this.quic, this.o.onTcpBytes, 'tcpRead');
  }

  /** Start QUIC -> TCP, first writing `prefix` (bytes that arrived with the header/status line). */
  startQuicToTcp(prefix?: Buffer): void {
    if (prefix && prefix.length) {
      this.o.onQuicBytes(prefix.length);
      this.tcp.write(prefix);
    }
    this.pipe(this.quic, this.tcp, this.o.onQuicBytes, 'quicRead');
  }

  /** Tear both sides down with resets (TCP RST, QUIC RESET_STREAM + STOP_SENDING). */
  reset(err: Error): void {
    if (this.finished) return;
    this.finished = true;
    resetSocket(this.tcp);
    if (!this.quic.destroyed) this.quic.destroy(err);
    this.o.onDone('reset', err);
  }

  private pipe(src: Duplex, dst: Duplex, count: (n: number) => void, readFlag: 'tcpRead' | 'quicRead'): void {
    src.on('data', (chunk: Buffer) => {
      count(chunk.length);
      if (!dst.write(chunk)) src.pause();
    });
    dst.on('drain', () => src.resume());
    src.once('end', () => {
      const forward = (): void => {
        dst.end();
        this.mark(readFlag);
      };
      // A reset must not travel as a FIN: ask the TCP socket whether this EOF was one.
      if (src === this.tcp) void resetBehindEof(this.tcp).then((err) => (err ? this.reset(err) : forward()));
      else forward();
    });
    src.resume();
  }

  private mark(flag: 'tcpRead' | 'quicRead' | 'tcpWritten' | 'quicWritten'): void {
    this[flag] = true;
    if (this.finished || !(this.tcpRead && this.quicRead && this.tcpWritten && this.quicWritten)) return;
    this.finished = true;
    this.o.onDone('closed');
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * After a socket's 'end': was that the peer's FIN, or its RST? libuv can report an RST as a
 * plain EOF: when the socket hangs up right after a short read it signals EOF without reading
 * again, so the ECONNRESET waiting in the socket is never read. A zero-length write fetches
 * it: the kernel fails it on a reset socket and sends nothing on a healthy one. Resolves null
 * for a FIN, and for a UNIX socket. When our own side has ended or still has bytes queued, the probe cannot be made
 * without waiting behind them, so it resolves null (a queued write meets the reset anyway).
 */
export function resetBehindEof(s: Socket): Promise<Error | null> {
  // TCP only: a UNIX socket has no RST, and a peer's plain close() makes our write fail
  // (EPIPE), which would turn a normal close into a reset.
  if (s.destroyed || s.localPort === undefined) return Promise.resolve(null);
  if (s.writableEnded || s.writableLength > 0) return Promise.resolve(null);
  return new Promise((resolve) => s.write(EMPTY, (err) => resolve(err ?? null)));
}

/** Close with RST where the socket is TCP; a UNIX socket has no RST (Node throws), so just close it. */
export function resetSocket(s: Socket): void {
  if (s.destroyed) return;
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}
