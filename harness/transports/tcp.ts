// Plain TCP (node:net). One session = one connection = one stream.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { AgentTransport, ClientSession, ClientTransport, Endpoint, ServerTransport } from './types.js';

export function singleStreamSession(sock: Duplex & { destroy(): void }): ClientSession {
  let taken = false;
  return {
    async openStream() {
      if (taken) throw new Error('a TCP/TLS session carries exactly one stream');
      taken = true;
      return sock;
    },
    async close() {
      sock.destroy();
    },
  };
}

/** Resolve when `sock` emits `ev`, reject on error/close first. */
export function once(sock: Duplex, ev: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      sock.off(ev, ok);
      sock.off('error', bad);
      sock.off('close', closed);
    };
    const ok = (): void => {
      cleanup();
      resolve();
    };
    const bad = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const closed = (): void => {
      cleanup();
      reject(new Error(`connection closed before ${ev}`));
    };
    sock.once(ev, ok);
    sock.once('error', bad);
    sock.once('close', closed);
  });
}

export const tcpClient: ClientTransport = {
  implementation: `node:net (Node ${process.versions.node})`,
  multiStream: false,
  async connect(to: Endpoint, _creds, opts) {
    const sock = net.connect({ host: to.host, port: to.port, noDelay: opts?.noDelay ?? false });
    await once(sock, 'connect');
    return singleStreamSession(sock);
  },
};

export const tcpServer: ServerTransport = {
  implementation: tcpClient.implementation,
  async listen(at, _creds, onStream) {
    const srv = net.createServer({ noDelay: true }, (sock) => onStream(sock));
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ host: at.host, port: at.port, backlog: 1024 }, () => resolve());
    });
    return {
      port: (srv.address() as net.AddressInfo).port,
      close: () => new Promise<void>((r) => srv.close(() => r())),
    };
  },
};

export const tcp: AgentTransport = {
  family: 'stream',
  carries: 'tcp',
  encrypted: false,
  defaultRank: 1,
  reference: null,
  // connect() resolves on the SYN-ACK.
  handshake: { promisedRoundTrips: 1, expectedRoundTrips: 1, note: null },
  resumption: { unsupported: 'plain TCP keeps no session to resume (node:net offers no TCP Fast Open)' },
  client: tcpClient,
  server: tcpServer,
};
