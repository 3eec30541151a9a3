// Interoperability: bench's @matrixai/quic client (the agent's quic transport) against the
// quic-go echo server. The echo header is echo-safe, so echo and handshake run unchanged; a
// pure echo server has no sink or source, so bulk is unsupported here.
import { formatCommand } from '../core/exec.js';
import type { PacketEndCounters } from '../core/types.js';
import { BENCH_QUIC_ALPN } from '../transports/quic.js';
import { defOf, type Workload } from '../workloads/index.js';
import { pickPort, type SubjectProcess, TAIL_LINES } from './process.js';
import { runOnClient, unavailable, type Outcome, type Subject, type SubjectEnv, type TransportEntry } from './types.js';

/** How long the quic-go echo server may take to say it listens. */
const READY_TIMEOUT_MS = 10_000;

class QuicGoEchoSubject implements Subject {
  readonly carries = 'quic';
  readonly implementation: string;
  readonly counterSources: Subject['counterSources'];
  private problem: string | null = null;

  private constructor(
    version: string,
    private readonly env: SubjectEnv,
    private readonly srv: SubjectProcess,
    private readonly port: number,
  ) {
    this.implementation = `@matrixai/quic client -> ${version} echo server`;
    // Each end counts for itself: the agent's client sessions, the echo server's tracer (SIGUSR1).
    const server = async (): Promise<PacketEndCounters | null> => {
      const r = this.problem ? null : await this.srv.counters();
      return r && { protocol: 'quic', implementation: `${version} echo server`, settings: r.settings, stats: r.stats };
    };
    this.counterSources = { client: { kind: 'outcome' }, server: { kind: 'reading', read: server } };
  }

  static async start(q: { bin: string; version: string }, env: SubjectEnv): Promise<QuicGoEchoSubject> {
    const { lab, creds, undo } = env;
    const files = await env.places.credentialFiles('server', creds, undo);
    const port = pickPort();
    const args = ['echo-server', '--exit-on-stdin-eof', '--listen', `${lab.serverAddr}:${port}`, '--cert', files.cert, '--key', files.key, '--alpn', BENCH_QUIC_ALPN];
    const srv = await env.places.start('server', 'server', formatCommand(q.bin, args), undo);
    const subject = new QuicGoEchoSubject(q.version, env, srv, port);
    // It prints "ready udp ADDR" once listening; UDP can't be probed with a connect.
    const ready = (): boolean => srv.tail.some((l) => l.startsWith('ready udp'));
    const t0 = Date.now();
    while (!ready() && !srv.exit && Date.now() - t0 < READY_TIMEOUT_MS) await new Promise((r) => setTimeout(r, 50));
    if (srv.exit) subject.problem = `quic-go echo server ${srv.exit}: ${srv.tailText(5)}`;
    else if (!ready()) subject.problem = `quic-go echo server did not report ready within ${READY_TIMEOUT_MS / 1000} s`;
    return subject;
  }

  unsupported(w: Workload): string | null {
    return defOf(w).echoSafe ? null : `the quic-go echo server only echoes: ${w.kind} needs bench's sink/source server`;
  }

  clientPids(): number[] {
    return [this.env.client.endPid].filter((p): p is number => !!p);
  }

  serverPids(): number[] {
    return [this.srv.endPid].filter((p): p is number => !!p);
  }

  async run(w: Workload, o: { seed: number; timeoutMs: number }): Promise<Outcome> {
    const logs = (): Record<string, string> => ({ server: this.srv.tailText(TAIL_LINES) });
    const dead = this.problem ?? (this.srv.exit ? `quic-go echo server ${this.srv.exit}` : null);
    if (dead) return { status: 'failed', reason: dead, samples: {}, logs: logs() };
    const { lab, client, creds } = this.env;
    const out = await runOnClient(client, { transport: 'quic', workload: w, host: lab.serverAddr, port: this.port, creds, seed: o.seed, timeoutMs: o.timeoutMs });
    return { ...out, logs: logs() };
  }

  stop(): Promise<void> {
    return this.srv.stop();
  }
}

export const quicQuicGo: TransportEntry = {
  family: 'stream',
  carries: 'quic',
  encrypted: true,
  defaultRank: null,
  reference: null,
  // quic-go's server sends no Retry unless asked to (Config.RequireAddressValidation).
  handshake: { promisedRoundTrips: 1, expectedRoundTrips: 1, note: 'the quic-go server sends no Retry' },
  resumption: { unsupported: "the client is bench's quic transport (@matrixai/quic), which cannot resume a session (see the quic transport)" },
  async start(env) {
    const q = await env.places.quicGo('server');
    return 'missing' in q ? unavailable(q.missing, 'quic') : QuicGoEchoSubject.start(q, env);
  },
};
