// UDP datagrams (node:dgram): the `udp` transport. It runs the echo workload only, as a
// reference for what the bare link does to a request/response exchange: lost datagrams are
// counted, never retransmitted.
import dgram from 'node:dgram';
import type { AgentTransport, DatagramSocket } from './types.js';

const implementation = `node:dgram (Node ${process.versions.node})`;

export const udp: AgentTransport = {
  family: 'datagram',
  carries: 'udp',
  encrypted: false,
  defaultRank: 5,
  handshake: null,
  resumption: { unsupported: 'a datagram transport has no connection to resume' },
  reference: 'udp is a datagram echo: a lost request is counted as lost, not retransmitted, so its latencies are no competitor for a reliable transport\'s',
  datagram: {
    implementation,
    async connect(to): Promise<DatagramSocket> {
      const sock = dgram.createSocket('udp4');
      await new Promise<void>((r) => sock.connect(to.port, to.host, () => r()));
      return {
        send: (b) => sock.send(b),
        onMessage: (fn) => void sock.on('message', fn),
        close: () => sock.close(),
      };
    },
    async listenEcho(at) {
      const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
      sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
      sock.on('error', () => {
        /* a bad datagram must not stop the server */
      });
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(at.port, at.host, () => resolve());
      });
      return { port: sock.address().port, close: () => new Promise<void>((r) => sock.close(() => r())) };
    },
  },
};
