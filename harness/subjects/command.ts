// Subjects made of two processes started in the lab, a server endpoint in the server
// namespace and a client endpoint in the client namespace: transports a scenario defines by
// external commands (a user's tunnel release, the real quic-tun, socat...), and bench's own
// TCP-over-QUIC tunnel and the quic-go tunnel, which are the same thing with built-in
// commands. bench's TCP workloads run through the client endpoint to bench's own TCP server.
import { stalledOrGone } from '../core/proc.js';
import { settleWithin } from '../core/settle.js';
import type { LinkProtocol } from '../transports/types.js';
import type { Workload } from '../workloads/index.js';
import type { End } from './places.js';
import { pickPort, type SubjectProcess, TAIL_LINES } from './process.js';
import { runOnClient, SERVE_DEADLINE_MS, type CounterSource, type Outcome, type Subject, type SubjectEnv } from './types.js';

/**
 * A transport defined by external commands (a tunnel or relay under test). Placeholders
 * such as {serverAddr} {serverPort} {clientPort} {targetPort} are filled in by the run.
 */
export interface CommandTransport {
  name: string;
  /** Command started in the server namespace. */
  server: string;
  /** Command started in the client namespace; bench's TCP workloads connect to its {clientPort}. */
  client: string;
  /** Implementation name shown in reports, e.g. "quic-go 0.29". */
  implementation: string;
  /** How long to wait for the client endpoint to accept, ms. @default 10000 */
  readyTimeoutMs: number;
  /**
   * Run both commands as this user instead of bench's own (root for a lab run): a scenario's
   * commands are code, and root is more than a relay or tunnel needs. Absent or null: bench's
   * own user (result files written before this field have none).
   */
  user?: string | null;
  /**
   * What crosses the link between the two endpoints (README "Scenario format"). tcp: the
   * app's TCP, relayed (socat, an SSH forward, a proxy): bench counts the endpoints'
   * link-facing TCP sockets. quic: a QUIC tunnel; udp: another datagram protocol: their
   * counters are the endpoints' own, handed over through `stats`, or none. @default 'tcp'
   */
  carries: LinkProtocol;
  /**
   * How the endpoints hand over their counters (quic and udp only). sigusr1: they answer
   * SIGUSR1 with a `{"event":"stats",...}` JSON line (process.ts). @default 'none'
   */
  stats: StatsChannel;
}

export const STATS_CHANNELS = ['none', 'sigusr1'] as const;
export type StatsChannel = (typeof STATS_CHANNELS)[number];

/** Placeholders a command-defined transport may use; anything else in braces is an error. */
export const PLACEHOLDERS = ['serverAddr', 'serverPort', 'clientAddr', 'clientPort', 'targetAddr', 'targetPort', 'certFile', 'keyFile', 'fingerprint', 'token', 'bench', 'benchDir'] as const;

function fillPlaceholders(cmd: string, values: Record<string, string>): string {
  return cmd.replace(/\{([A-Za-z]+)\}/g, (m, k: string) => values[k] ?? m);
}

export class CommandSubject implements Subject {
  readonly implementation: string;
  readonly carries: LinkProtocol;
  readonly counterSources: Subject['counterSources'];
  /** Set when the endpoints did not come up: every cell fails with it, and its output. */
  private startProblem: string | null = null;
  /** Whether the current cell reached the workload (a cell refused before it has nothing to check). */
  private ran = false;

  private constructor(
    private readonly t: CommandTransport,
    private readonly env: SubjectEnv,
    private readonly values: Record<End, Record<(typeof PLACEHOLDERS)[number], string>>,
    private readonly srv: SubjectProcess,
    private readonly cli: SubjectProcess,
  ) {
    this.implementation = t.implementation;
    this.carries = t.carries;
    const lab = env.lab;
    this.counterSources =
      t.carries === 'tcp'
        ? { client: { kind: 'link-sockets', peer: lab.serverAddr }, server: { kind: 'link-sockets', peer: lab.clientAddr } }
        : t.stats === 'sigusr1'
          ? { client: this.reading(cli), server: this.reading(srv) }
          : { client: null, server: null };
  }

  /** An endpoint's own counters, through its stats channel (not from a dead or never-started subject). */
  private reading(p: SubjectProcess): CounterSource {
    const protocol = this.t.carries === 'udp' ? 'udp' : 'quic';
    return {
      kind: 'reading',
      read: async () => {
        if (this.dead() || this.startProblem) return null;
        const r = await p.counters();
        return r && { protocol, implementation: this.implementation, settings: r.settings, stats: r.stats };
      },
    };
  }

  /** Start both endpoints and wait until the client endpoint accepts connections. */
  static async start(t: CommandTransport, env: SubjectEnv): Promise<CommandSubject> {
    const { lab, server, client, creds, undo } = env;
    // The backend the subject carries traffic to: bench's own TCP server, in the server namespace.
    const { ports } = await server.request({ op: 'serve', host: lab.serverAddr, transports: ['tcp'], creds, idleTimeoutMs: 60_000 }, { deadlineMs: SERVE_DEADLINE_MS });
    const user = { user: t.user ?? null };
    const [srvFiles, cliFiles] = await Promise.all((['server', 'client'] as const).map((end) => env.places.credentialFiles(end, creds, undo, user)));
    const common = {
      serverAddr: lab.serverAddr,
      serverPort: String(pickPort()),
      clientAddr: '127.0.0.1',
      clientPort: String(pickPort()),
      targetAddr: lab.serverAddr,
      targetPort: String(ports.tcp),
      fingerprint: creds.fingerprintSha256,
      token: 'bench',
    };
    // Files and bench differ per end: on remote hosts each has its own copy and its own bench.
    const at = (end: End, files: { cert: string; key: string }): Record<(typeof PLACEHOLDERS)[number], string> => {
      const b = env.places.bench(end);
      return { ...common, certFile: files.cert, keyFile: files.key, bench: b.command, benchDir: b.dir };
    };
    const values = { server: at('server', srvFiles), client: at('client', cliFiles) };
    const startOne = (end: End, cmd: string): Promise<SubjectProcess> => env.places.start(end, end, fillPlaceholders(cmd, values[end]), undo, user);
    const [srv, cli] = await Promise.all([startOne('server', t.server), startOne('client', t.client)]);
    const subject = new CommandSubject(t, env, values, srv, cli);
    try {
      await client.request({ op: 'probe', host: common.clientAddr, port: Number(common.clientPort), timeoutMs: t.readyTimeoutMs }, { deadlineMs: t.readyTimeoutMs + SERVE_DEADLINE_MS });
    } catch (err) {
      subject.startProblem = subject.dead() ?? `${t.name}: ${(err as Error).message}`;
    }
    return subject;
  }

  /** The first endpoint found dead, described with its last output; null while both run. */
  private dead(): string | null {
    for (const p of [this.srv, this.cli]) if (p.exit) return p.describeExit(this.t.name);
    return null;
  }

  /** An endpoint that is dead or stopped, named; null while both run. */
  health(): string | null {
    const dead = this.dead();
    if (dead) return dead;
    for (const p of [this.srv, this.cli]) {
      const why = stalledOrGone(p.pid);
      if (why) return `${this.t.name} ${p.role} command (pid ${p.pid}) ${why}`;
    }
    return null;
  }

  private logs(): Record<string, string> {
    return { server: this.srv.tailText(TAIL_LINES), client: this.cli.tailText(TAIL_LINES) };
  }

  // A subject that failed to start yields `failed` cells (with its output), not `unsupported`.
  unsupported(_w: Workload): string | null {
    return null;
  }

  clientPids(): number[] {
    return [this.env.client.endPid, this.cli.endPid].filter((p): p is number => !!p);
  }

  serverPids(): number[] {
    return [this.env.server.endPid, this.srv.endPid].filter((p): p is number => !!p);
  }

  async run(w: Workload, o: { seed: number; timeoutMs: number }): Promise<Outcome> {
    const before = this.dead() ?? this.startProblem;
    this.ran = !before;
    if (before) return { status: 'failed', reason: before, samples: {}, logs: this.logs() };
    return runOnClient(this.env.client, { transport: 'tcp', workload: w, host: this.values.client.clientAddr, port: Number(this.values.client.clientPort), creds: this.env.creds, seed: o.seed, timeoutMs: o.timeoutMs });
  }

  async check(out: Outcome): Promise<Outcome> {
    if (!this.ran) return out;
    // A cell that went wrong may be the first sign of a dying subject: give it up to 1 s
    // to be reaped, so the cell names the real cause.
    if (out.status !== 'ok') await settleWithin(Promise.race([this.srv.ended, this.cli.ended]), 1000);
    const after = this.health();
    if (after && out.status === 'ok') return { ...out, status: 'failed', reason: after, logs: this.logs() };
    if (after) return { ...out, reason: `${out.reason ?? out.status}; ${after}`, logs: this.logs() };
    return { ...out, logs: this.logs() };
  }

  async stop(): Promise<void> {
    await Promise.all([this.cli.stop(), this.srv.stop()]);
  }
}
