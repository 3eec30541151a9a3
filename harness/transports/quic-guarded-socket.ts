// A QUICSocket that no datagram from the network can crash (issue 16, item 1). Part of the
// @matrixai/quic wrapper (with quic-lib.ts, the only modules that import the library).
//
// Root cause, read from @matrixai/quic 2.0.9 (dist/QUICSocket.js, dist/QUICServer.js): the
// socket's 'message' listener, handleSocketMessage, is async; a datagram whose connection ID
// names no connection goes to QUICServer.acceptConnection, which admits Initial AND 0-RTT
// packets and then reads `header.token.byteLength`. quiche parses a Token field only in
// Initial packets (RFC 9000 17.2.3: 0-RTT has none), so for a 0-RTT packet of a supported
// version header.token is null and the read throws a TypeError. handleSocketMessage rethrows
// anything that is not ErrorQUICServerNewConnection, the listener's promise rejects with no
// handler, and Node ends the process: one unauthenticated 48-byte datagram, no handshake,
// source spoofable. (An unknown-connection 0-RTT packet can never start a connection there:
// without a token there is nothing to validate, so dropping it loses nothing.)
//
// The guard: (1) long-header 0-RTT packets for no known connection are dropped before the
// library sees them (RFC 9000 5.2.2 lets a server discard 0-RTT it cannot attribute); (2) any
// other rejection of the library's handler is caught, so a library bug costs one datagram,
// not every connection of the process. Both are counted (datagramsRefused), never silent.
import type { RemoteInfo } from 'node:dgram';
import { QUICConnectionId, QUICSocket, native } from '@matrixai/quic';

type MessageHandler = (data: Buffer, remoteInfo: RemoteInfo) => Promise<void>;
interface ConnectionMap {
  get(id: QUICConnectionId): unknown;
}

const LONG_HEADER = 0x80;

export class GuardedQuicSocket extends QUICSocket {
  /** Datagrams dropped by the guard: stray 0-RTT, or ones the library's handler threw on. */
  datagramsRefused = 0;
  /** The last error the library's handler threw, for a diagnostic line (not rethrown). */
  lastRefusal: unknown;

  constructor(opts: ConstructorParameters<typeof QUICSocket>[0]) {
    super(opts);
    // handleSocketMessage is an instance field (an arrow function) that start() attaches to
    // the dgram socket and stop() detaches, so replacing the field here covers both.
    const inner: MessageHandler | undefined = this.handleSocketMessage;
    if (typeof inner !== 'function') {
      throw new Error('@matrixai/quic: QUICSocket.handleSocketMessage not found; harness/quic/guarded-socket.ts needs updating for this version');
    }
    this.handleSocketMessage = async (data, remoteInfo) => {
      if (this.isStrayZeroRtt(data)) {
        this.datagramsRefused++;
        return;
      }
      try {
        await inner(data, remoteInfo);
      } catch (err) {
        this.datagramsRefused++;
        this.lastRefusal = err;
      }
    };
  }

  /** A 0-RTT packet whose destination connection ID names no connection of this socket. */
  private isStrayZeroRtt(data: Buffer): boolean {
    // Short-header (1-RTT) packets carry all the data: one byte test keeps them on the fast path.
    if (data.length === 0 || (data[0]! & LONG_HEADER) === 0) return false;
    let header: { ty: native.Type; dcid: Uint8Array };
    try {
      header = native.quiche.Header.fromSlice(data, native.quiche.MAX_CONN_ID_LEN);
    } catch {
      return false; // not QUIC: the library drops it itself
    }
    if (header.ty !== native.Type.ZeroRTT) return false;
    const map = (this as unknown as { connectionMap?: ConnectionMap }).connectionMap;
    // Without the map (a future version) the catch in the handler still holds.
    return map !== undefined && map.get(new QUICConnectionId(header.dcid)) == null;
  }
}
