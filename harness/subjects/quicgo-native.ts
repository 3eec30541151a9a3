// quic-go at both ends, natively: the quic-go subject's setup client (harness/subjects/quic-go,
// setup-client) against its echo server accepting 0-RTT, for the workloads that are series
// of connection setups (handshake, resumption: a workload's `setups`). It is the QUIC stack
// here that can resume a session and send 0-RTT data; bench's other workloads run over
// quic-go through quicgo-tunnel.
import { formatCommand } from '../core/exec.js';
import { QUICGO_BIN } from '../core/native.js';
import { BENCH_QUIC_ALPN } from '../transports/quic.js';
import { defOf, type Workload } from '../workloads/index.js';
import type { SetupRecord } from '../workloads/types.js';
import { pickPort, type SubjectProcess, TAIL_LINES } from './process.js';
import { QUICGO_MISSING, quicGoVersion } from './quicgo.js';
import { unavailable, type Outcome, type Subject, type SubjectEnv, type TransportEntry } from './types.js';

/** How long each process may take to say it is ready. */
const READY_TIMEOUT_MS = 10_000;
/** Beyond the cell's timeout, how long the client may take to answer before the cell fails. */
const REPLY_GRACE_MS = 5000;

interface SetupReply {
  id: number;
  records: SetupRecord[];
  error: string;
  quic?: Record<string, number>;
}

async function ready(p: SubjectProcess, line: string, what: string): Promise<string | null> {
  const t0 = Date.now();
  while (!p.tail.some((l) => l.startsWith(line)) && !p.exit && Date.now() - t0 < READY_TIMEOUT_MS) await new Promise((r) => setTimeout(r, 50));
  if (p.exit) return `${what} ${p.exit}: ${p.tailText(5)}`;
  return p.tail.some((l) => l.startsWith(line)) ? null : `${what} did not report ready within ${READY_TIMEOUT_MS / 1000} s`;
}

class QuicGoNativeSubject implements Subject {
  readonly carries = 'quic';
  readonly implementation: string;
  /** The quic-go client returns its connections' counters with each reply; the echo server keeps none bench reads. */
  readonly counterSources: Subject['counterSources'] = { client: { kind: 'outcome' }, server: null };
  private readonly version: string;
  private problem: string | null = null;
  private nextId = 1;

  private constructor(
    version: string,
    private readonly srv: SubjectProcess,
    private readonly cli: SubjectProcess,
  ) {
    this.version = version;
    this.implementation = `${version} client and echo server (harness/subjects/quic-go)`;
  }

  static async start(version: string, env: SubjectEnv): Promise<QuicGoNativeSubject> {
    const { lab, creds, undo } = env;
    const files = await env.places.credentialFiles('server', creds, undo);
    const at = `${lab.serverAddr}:${pickPort()}`;
    const common = ['--exit-on-stdin-eof', '--alpn', BENCH_QUIC_ALPN];
    const srv = await env.places.start('server', 'server', formatCommand(QUICGO_BIN, ['echo-server', ...common, '--allow-0rtt', '--listen', at, '--cert', files.cert, '--key', files.key]), undo);
    const cli = await env.places.start('client', 'client', formatCommand(QUICGO_BIN, ['setup-client', ...common, '--server', at, '--fingerprint', creds.fingerprintSha256]), undo);
    const subject = new QuicGoNativeSubject(version, srv, cli);
    subject.problem = (await ready(srv, 'ready udp', 'quic-go echo server')) ?? (await ready(cli, 'ready stdin', 'quic-go setup client'));
    return subject;
  }

  unsupported(w: Workload): string | null {
    return defOf(w).setups ? null : `the quic-go setup client runs only series of connection setups (handshake, resumption); ${w.kind} runs over quic-go through quicgo-tunnel`;
  }

  clientPids(): number[] {
    return [this.cli.pid].filter((p): p is number => !!p);
  }

  serverPids(): number[] {
    return [this.srv.pid].filter((p): p is number => !!p);
  }

  async run(w: Workload, o: { seed: number; timeoutMs: number }): Promise<Outcome> {
    const logs = (): Record<string, string> => ({ server: this.srv.tailText(TAIL_LINES), client: this.cli.tailText(TAIL_LINES) });
    const dead = this.problem ?? (this.srv.exit ? `quic-go echo server ${this.srv.exit}` : this.cli.exit ? `quic-go setup client ${this.cli.exit}` : null);
    if (dead) return { status: 'failed', reason: dead, samples: {}, logs: logs() };
    const setups = defOf(w).setups!;
    const plan = setups.plan(w);
    const id = this.nextId++;
    const reply = await this.request({ id, connections: plan.connections, resume: plan.resume, seed: o.seed, timeoutMs: o.timeoutMs }, o.timeoutMs + REPLY_GRACE_MS);
    if (typeof reply === 'string') return { status: 'failed', reason: reply, samples: {}, logs: logs() };
    const samples = setups.samples(reply.records);
    const quic = reply.quic ? { clientEnd: { protocol: 'quic' as const, implementation: this.version, settings: {}, stats: reply.quic } } : {};
    if (!reply.error) return { status: 'ok', reason: null, samples, ...quic, logs: logs() };
    const timedOut = /deadline exceeded/.test(reply.error);
    return { status: timedOut ? 'timeout' : 'failed', reason: timedOut ? `cell timeout while setting up connections; samples gathered so far are kept (${reply.error})` : reply.error, samples, ...quic, logs: logs() };
  }

  /** One request to the setup client; its reply, or why there is none. */
  private request(req: Record<string, unknown> & { id: number }, waitMs: number): Promise<SetupReply | string> {
    return new Promise((resolve) => {
      const stop = this.cli.onLine((line) => {
        if (!line.startsWith('{')) return;
        let r: SetupReply;
        try {
          r = JSON.parse(line) as SetupReply;
        } catch {
          return;
        }
        if (r.id !== req.id) return;
        finish(r);
      });
      const timer = setTimeout(() => finish(`the quic-go setup client did not answer within ${Math.round(waitMs / 1000)} s`), waitMs);
      const onExit = (): void => finish(`quic-go setup client ${this.cli.exit ?? 'exited'}`);
      void this.cli.ended.then(onExit);
      let done = false;
      const finish = (r: SetupReply | string): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        stop();
        resolve(r);
      };
      this.cli.child.stdin?.write(`${JSON.stringify(req)}\n`);
    });
  }

  async stop(): Promise<void> {
    await Promise.all([this.cli.stop(), this.srv.stop()]);
  }
}

export const quicGoNative: TransportEntry = {
  family: 'stream',
  carries: 'quic',
  encrypted: true,
  defaultRank: null,
  reference: null,
  // quic-go 0.29 sends a Retry only when Config.RequireAddressValidation asks (the subject never does).
  handshake: { promisedRoundTrips: 1, expectedRoundTrips: 1, note: 'no Retry (quic-go sends one only when asked to validate addresses)' },
  resumption: {
    roundTrips: 0,
    earlyData: true,
    note: 'quic-go resumes with the earlier connection\'s session ticket and sends the request as 0-RTT data (DialEarly against ListenEarly): usable at once, the first response one round trip later',
  },
  async start(env) {
    // Its setup client takes requests on stdin, which the remote agent wrapper does not carry.
    if (env.places.kind === 'remote') return unavailable('quicgo-native drives its setup client over stdin, which bench does not carry to a remote host; run it in the local lab (quicgo-tunnel and quic-quicgo run on remote hosts)', 'quic');
    const version = quicGoVersion();
    return version ? QuicGoNativeSubject.start(version, env) : unavailable(QUICGO_MISSING, 'quic');
  },
};
