// A "subject" is one transport made ready inside one lab: servers listening, tunnel or
// external endpoints started, and a way to run a workload through it. Built-in transports,
// bench's own tunnel and command-defined transports all look the same to the run engine.
import type { Agent } from './agents.js';
import type { RunRequest } from './agent.js';
import { streamTransports } from './transports/index.js';
import type { Credentials } from './transports/types.js';
import type { CellResult, ResolvedScenario, TransportSpec, Workload } from './types.js';
import type { UndoStack } from './undo.js';
import type { Outcome } from './workloads/client.js';
import type { Lab } from '../netem/lab.js';
import { benchTunnelTransport, commandSubject, quicGoEchoSubject, quicGoTunnelTransport, quicGoVersion, QUICGO_MISSING } from './subjects-external.js';

export interface SubjectEnv {
  lab: Lab;
  server: Agent;
  client: Agent;
  creds: Credentials;
  undo: UndoStack;
  scenario: ResolvedScenario;
}

export type SubjectOutcome = Outcome & {
  tcp?: { retransSegs: number; outSegs: number };
  quic?: CellResult['quic'];
  logs?: Record<string, string>;
};

export interface Subject {
  implementation: string;
  /** True when the cell's traffic crosses the link as TCP (its retransmits are counted). */
  countsTcp: boolean;
  /** A reason when this subject cannot run the workload, else null. */
  unsupported(w: Workload): string | null;
  clientPids(): number[];
  serverPids(): number[];
  run(w: Workload, o: { seed: number; timeoutMs: number }): Promise<SubjectOutcome>;
  /** Bookkeeping just before run(), outside the cell's clock and CPU window (counter reads). */
  begin?(): Promise<void>;
  /** Bookkeeping just after run(), outside the window: counters, a dying process's cause. */
  end?(out: SubjectOutcome): Promise<SubjectOutcome>;
  stop?(): Promise<void>;
}

const UDP_ONLY_ECHO = 'udp is a datagram echo: there is no connection to set up (handshake) and no reliable byte stream to verify (bulk)';

/** Run a workload on the client agent, with a controller-side guard in case the agent hangs. */
export async function runOnClient(client: Agent, req: Omit<RunRequest, 'op'>): Promise<SubjectOutcome> {
  const guardMs = req.timeoutMs + 15_000;
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`client agent did not answer within ${guardMs} ms`)), guardMs);
  });
  try {
    return await Promise.race([client.request<SubjectOutcome>({ op: 'run', ...req }), guard]);
  } finally {
    clearTimeout(timer);
  }
}

export async function subjectFor(t: TransportSpec, env: SubjectEnv): Promise<Subject> {
  if (t.kind === 'command') return commandSubject(t, env);
  if (t.name === 'tunnel') {
    const quic = streamTransports.quic;
    if (!quic) return unavailable('bench tunnel needs the quic transport, which is not available in this build');
    return commandSubject(benchTunnelTransport(`bench tunnel over ${quic.client.implementation}`), env, { quicCounters: true });
  }
  if (t.name === 'quic-quicgo') {
    const v = quicGoVersion();
    return v ? quicGoEchoSubject(v, env) : unavailable(QUICGO_MISSING);
  }
  if (t.name === 'quicgo-tunnel') {
    const v = quicGoVersion();
    return v ? commandSubject(quicGoTunnelTransport(v), env, { quicCounters: true }) : unavailable(QUICGO_MISSING);
  }
  const name = t.name;
  const known = name === 'udp' || name in streamTransports;
  if (!known) return unavailable(`transport "${name}" is not available in this build of bench`);
  const maxIdle = Math.max(30_000, ...env.scenario.workloads.map((w) => (w.kind === 'echo' ? w.idleTimeoutMs : 0)));
  const { ports } = await env.server.request<{ ports: Record<string, number> }>({
    op: 'serve', host: env.lab.serverAddr, transports: [name], creds: env.creds, idleTimeoutMs: maxIdle,
  });
  const implementation = name === 'udp' ? `node:dgram (Node ${process.versions.node})` : streamTransports[name].client.implementation;
  const countsTcp = name === 'tcp' || name === 'tls';
  return {
    implementation,
    countsTcp,
    unsupported: (w) => (name === 'udp' && w.kind !== 'echo' ? UDP_ONLY_ECHO : null),
    clientPids: () => [env.client.pid ?? 0].filter(Boolean),
    serverPids: () => [env.server.pid ?? 0].filter(Boolean),
    async run(w, o) {
      return runOnClient(env.client, { transport: name, workload: w, host: env.lab.serverAddr, port: ports[name], creds: env.creds, seed: o.seed, timeoutMs: o.timeoutMs, tcpCounters: countsTcp });
    },
  };
}

function unavailable(reason: string): Subject {
  return {
    implementation: 'n/a',
    countsTcp: false,
    unsupported: () => reason,
    clientPids: () => [],
    serverPids: () => [],
    run: () => Promise.reject(new Error(reason)),
  };
}
