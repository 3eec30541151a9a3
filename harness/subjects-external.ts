// Subjects made of extra processes started in the lab: transports a scenario defines by
// external commands (a user's tunnel release, the real quic-tun, socat...), and bench's own
// TCP-over-QUIC tunnel and the quic-go tunnel, which are the same thing with built-in
// commands. bench's TCP workloads run through the client endpoint.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawn, type Child } from './exec.js';
import { runOnClient, type Subject, type SubjectEnv } from './subjects.js';
import type { CommandTransport, Workload } from './types.js';
import type { Credentials } from './transports/types.js';
import type { UndoStack } from './undo.js';
import { isCounter } from './metrics.js';
import { PLACEHOLDERS } from './scenario-parts.js';
import { settleWithin } from './settle.js';
import { PROJECT_ROOT } from './version.js';
import { BENCH_QUIC_ALPN } from './transports/quic.js';
import { QUICGO_BIN } from './build-native.js';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const TAIL_LINES = 30;

class Proc {
  readonly tail: string[] = [];
  exit: string | null = null;
  constructor(
    readonly role: string,
    readonly child: Child,
  ) {
    for (const s of [child.stdout, child.stderr]) {
      if (!s) continue;
      createInterface({ input: s }).on('line', (l) => {
        this.tail.push(l);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        this.waiter?.(l);
      });
    }
    this.ended = Promise.resolve(child).then((r) => {
      this.exit = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
    });
  }
  /** Resolves once the process has exited and its output has been read. */
  readonly ended: Promise<void>;
  private waiter: ((line: string) => void) | null = null;

  /**
   * Ask a built-in tunnel endpoint for its counters: SIGUSR1 makes `bench tunnel` and the
   * quic-go subject print one JSON line (flat, or with a nested "quic" object). Only for
   * programs known to handle SIGUSR1: its default action would kill anything else.
   */
  async counters(timeoutMs = 1000): Promise<Record<string, number> | null> {
    if (this.exit) return null;
    const got = new Promise<Record<string, number> | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      this.waiter = (line) => {
        let o: Record<string, unknown>;
        try {
          o = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        if (o.event !== 'tunnel-counters' && o.event !== 'stats') return;
        clearTimeout(timer);
        const flat: Record<string, number> = {};
        for (const src of [o, (o.quic ?? {}) as Record<string, unknown>]) {
          for (const [k, v] of Object.entries(src)) if (typeof v === 'number') flat[k] = v;
        }
        resolve(flat);
      };
    });
    this.child.kill('SIGUSR1');
    const r = await got;
    this.waiter = null;
    return r;
  }

  tailText(n = 10): string {
    return this.tail.slice(-n).join('\n');
  }
  async stop(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.child.catch(() => undefined);
    clearTimeout(t);
  }
}

const usedPorts = new Set<number>();

/** Ports for the subject's endpoints: below the namespaces' ephemeral range (32768-60999),
 * so no socket of the agents can hold one; random and never repeated in a run, which avoids
 * reuse across points (TIME_WAIT) and makes a wrong placeholder fail loudly. */
function pickPort(): number {
  let p: number;
  do p = 10000 + Math.floor(Math.random() * 22000);
  while (usedPorts.has(p));
  usedPorts.add(p);
  return p;
}

/** The run's certificate and key as files (private temp dir, removed on undo) for external programs. */
async function credentialFiles(creds: Credentials, undo: UndoStack): Promise<{ cert: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-subject-'));
  undo.push(`temp dir ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  await writeFile(files.cert, creds.certPem, { mode: 0o600 });
  await writeFile(files.key, creds.keyPem, { mode: 0o600 });
  return files;
}

function fillPlaceholders(cmd: string, values: Record<string, string>): string {
  return cmd.replace(/\{([A-Za-z]+)\}/g, (m, k: string) => values[k] ?? m);
}

/** Counters are differenced over a cell; gauges (RTT, cwnd) keep the value at its end. */
function cellCounters(before: Record<string, number> | null, after: Record<string, number> | null): Record<string, number> | null {
  if (!before || !after) return null;
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, isCounter(k) ? v - (before[k] ?? 0) : v]));
}

export async function commandSubject(t: CommandTransport, env: SubjectEnv, opts: { quicCounters?: boolean } = {}): Promise<Subject> {
  const { lab, server, client, creds, undo } = env;
  // The backend the subject carries traffic to: bench's own TCP server, in the server namespace.
  const { ports } = await server.request<{ ports: Record<string, number> }>({
    op: 'serve', host: lab.serverAddr, transports: ['tcp'], creds, idleTimeoutMs: 60_000,
  });
  const files = await credentialFiles(creds, undo);
  const values: Record<(typeof PLACEHOLDERS)[number], string> = {
    serverAddr: lab.serverAddr,
    serverPort: String(pickPort()),
    clientAddr: '127.0.0.1',
    clientPort: String(pickPort()),
    targetAddr: lab.serverAddr,
    targetPort: String(ports.tcp),
    certFile: files.cert,
    keyFile: files.key,
    fingerprint: creds.fingerprintSha256,
    token: 'bench',
    bench: `${process.execPath} ${join(PROJECT_ROOT, 'dist', 'harness', 'cli.js')}`,
    benchDir: PROJECT_ROOT,
  };
  const start = (role: string, netns: string | null, cmd: string): Proc => {
    // `exec` so the command replaces the shell: its pid is the one we measure and signal.
    const p = new Proc(role, spawn('sh', ['-c', `exec ${fillPlaceholders(cmd, values)}`], { netns, stdinPipe: true }));
    undo.push(`${t.name} ${role} process`, () => p.stop());
    return p;
  };
  const srv = start('server', lab.serverNs, t.server);
  const cli = start('client', lab.clientNs, t.client);
  const logs = (): Record<string, string> => ({ server: srv.tailText(TAIL_LINES), client: cli.tailText(TAIL_LINES) });
  const dead = (): string | null => {
    for (const p of [srv, cli]) if (p.exit) return `${t.name} ${p.role} command ${p.exit}${p.tail.length ? `; last output: ${p.tailText(5).replace(/\n/g, ' | ')}` : ''}`;
    return null;
  };
  let startProblem: string | null = null;
  let c0: Record<string, number> | null = null; // the tunnel client's counters at the cell's start
  let ran = false; // whether the current cell reached the workload
  try {
    await client.request({ op: 'probe', host: values.clientAddr, port: Number(values.clientPort), timeoutMs: t.readyTimeoutMs });
  } catch (err) {
    startProblem = dead() ?? `${t.name}: ${(err as Error).message}`;
  }
  return {
    implementation: t.implementation,
    // bench's and quic-go's tunnels carry QUIC across the link: their only TCP is loopback in
    // each namespace. A command-defined subject is taken to carry TCP, as a relay does.
    countsTcp: !opts.quicCounters,
    // A subject that failed to start yields `failed` cells (with its output), not `unsupported`.
    unsupported: (_w: Workload) => null,
    clientPids: () => [client.pid, cli.child.pid].filter((p): p is number => !!p),
    serverPids: () => [server.pid, srv.child.pid].filter((p): p is number => !!p),
    async begin() {
      c0 = opts.quicCounters && !dead() && !startProblem ? await cli.counters() : null;
    },
    async run(w, o) {
      const before = dead() ?? startProblem;
      ran = !before;
      if (before) return { status: 'failed', reason: before, samples: {}, logs: logs() };
      return runOnClient(client, { transport: 'tcp', workload: w, host: values.clientAddr, port: Number(values.clientPort), creds, seed: o.seed, timeoutMs: o.timeoutMs, tcpCounters: !opts.quicCounters });
    },
    async end(out) {
      if (!ran) return out; // failed before it ran: nothing to add
      const quicStats = c0 ? cellCounters(c0, await cli.counters()) : null;
      if (quicStats) out.quic = { settings: {}, stats: quicStats };
      // A cell that went wrong may be the first sign of a dying subject: give it up to 1 s
      // to be reaped, so the cell names the real cause.
      if (out.status !== 'ok') await settleWithin(Promise.race([srv.ended, cli.ended]), 1000);
      const after = dead();
      if (after && out.status === 'ok') return { ...out, status: 'failed', reason: after, logs: logs() };
      if (after) return { ...out, reason: `${out.reason ?? out.status}; ${after}`, logs: logs() };
      return { ...out, logs: logs() };
    },
    stop: async () => {
      await Promise.all([cli.stop(), srv.stop()]);
    },
  };
}

/** bench's own TCP-over-QUIC tunnel (harness/tunnel), run exactly as a user would run it. */
export function benchTunnelTransport(implementation: string): CommandTransport {
  return {
    name: 'tunnel',
    implementation,
    server: '{bench} tunnel server --listen {serverAddr}:{serverPort} --cert {certFile} --key {keyFile} --allow {token}={targetAddr}:{targetPort}',
    client: '{bench} tunnel client --listen {clientAddr}:{clientPort} --server {serverAddr}:{serverPort} --fingerprint {fingerprint} --token {token}',
    readyTimeoutMs: 15_000,
  };
}

let quicGoVersionCache: string | null | undefined;

/** Version line of the quic-go subject, or null when it isn't built (asked once per process). */
export function quicGoVersion(): string | null {
  if (quicGoVersionCache !== undefined) return quicGoVersionCache;
  quicGoVersionCache = null;
  if (existsSync(QUICGO_BIN)) {
    try {
      quicGoVersionCache = execFileSync(QUICGO_BIN, ['version'], { encoding: 'utf8', timeout: 5000 }).trim();
    } catch {
      // not runnable: reported as missing
    }
  }
  return quicGoVersionCache;
}

export const QUICGO_MISSING =
  'the quic-go subject is not built: install Debian packages golang-go and golang-github-lucas-clemente-quic-go-dev, then npm run build';

/** The quic-go TCP-over-QUIC tunnel (harness/subjects/quic-go), a native QUIC reference. */
export function quicGoTunnelTransport(version: string): CommandTransport {
  const bin = QUICGO_BIN;
  return {
    name: 'quicgo-tunnel',
    implementation: `${version} tunnel (harness/subjects/quic-go)`,
    server: `${bin} tunnel-server --exit-on-stdin-eof --listen {serverAddr}:{serverPort} --cert {certFile} --key {keyFile} --allow {token}={targetAddr}:{targetPort}`,
    client: `${bin} tunnel-client --exit-on-stdin-eof --listen {clientAddr}:{clientPort} --server {serverAddr}:{serverPort} --fingerprint {fingerprint} --token {token}`,
    readyTimeoutMs: 15_000,
  };
}

/**
 * Interoperability: bench's @matrixai/quic client against the quic-go echo server. The echo
 * header is echo-safe, so echo and handshake run unchanged; a pure echo server has no sink
 * or source, so bulk is unsupported here.
 */
export async function quicGoEchoSubject(version: string, env: SubjectEnv): Promise<Subject> {
  const { lab, client, creds, undo } = env;
  const files = await credentialFiles(creds, undo);
  const port = pickPort();
  const args = ['echo-server', '--exit-on-stdin-eof', '--listen', `${lab.serverAddr}:${port}`, '--cert', files.cert, '--key', files.key, '--alpn', BENCH_QUIC_ALPN];
  const srv = new Proc('server', spawn(QUICGO_BIN, args, { netns: lab.serverNs, stdinPipe: true }));
  undo.push('quic-go echo server', () => srv.stop());
  // It prints "ready udp ADDR" once listening; UDP can't be probed with a connect.
  const t0 = Date.now();
  while (!srv.tail.some((l) => l.startsWith('ready udp')) && !srv.exit && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
  const problem = srv.exit ? `quic-go echo server ${srv.exit}: ${srv.tailText(5)}` : srv.tail.some((l) => l.startsWith('ready udp')) ? null : 'quic-go echo server did not report ready within 10 s';
  return {
    implementation: `@matrixai/quic client -> ${version} echo server`,
    countsTcp: false,
    unsupported: (w) => (w.kind === 'bulk' ? 'the quic-go echo server only echoes: bulk needs bench\'s sink/source server' : null),
    clientPids: () => [client.pid].filter((p): p is number => !!p),
    serverPids: () => [srv.child.pid].filter((p): p is number => !!p),
    async run(w, o) {
      const dead = problem ?? (srv.exit ? `quic-go echo server ${srv.exit}` : null);
      if (dead) return { status: 'failed', reason: dead, samples: {}, logs: { server: srv.tailText(TAIL_LINES) } };
      const out = await runOnClient(client, { transport: 'quic', workload: w, host: lab.serverAddr, port, creds, seed: o.seed, timeoutMs: o.timeoutMs, tcpCounters: false });
      return { ...out, logs: { server: srv.tailText(TAIL_LINES) } };
    },
    stop: () => srv.stop(),
  };
}
