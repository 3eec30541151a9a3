// Explicit transport registry (STYLE rule 1): adding a transport touches this file and one
// new module. `udp` is datagram-only and handled by workloads/udp.ts for echo.
import { quicClient, quicServer } from './quic.js';
import { tcpClient, tcpServer } from './tcp.js';
import { tlsClient, tlsServer } from './tls.js';
import type { ClientTransport, ServerTransport } from './types.js';

export interface StreamTransport {
  client: ClientTransport;
  server: ServerTransport;
}

export const streamTransports: Record<string, StreamTransport> = {
  tcp: { client: tcpClient, server: tcpServer },
  tls: { client: tlsClient, server: tlsServer },
  quic: { client: quicClient, server: quicServer },
};
