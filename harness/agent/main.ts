// An endpoint agent: `node dist/harness/agent/main.js`, started by the controller inside a
// lab namespace (`ip netns exec ...`). It speaks the agent protocol (./protocol.ts) on
// stdio. It exits when stdin closes, so it never outlives the controller. It knows
// transports and workloads only through their registries.
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { PacketEndCounters } from '../core/types.js';
import { agentTransport, implementationOf } from '../transports/index.js';
import type { ServerHandle } from '../transports/types.js';
import { readCpu, readHost } from '../core/cpu-reading.js';
import { defOf, type CellSamples } from '../workloads/index.js';
import type { CellOutcome } from '../workloads/types.js';
import { serveStream } from '../workloads/wire/protocol.js';
import { Sessions } from '../workloads/wire/sessions.js';
import type { AgentRequest, AgentResults, RunRequest, ServeRequest } from './protocol.js';
import { LinkSocketWatch, namespaceTcpCounters } from './tcp-counters.js';

/** Retry a TCP connect until it succeeds or time runs out (an external endpoint coming up). */
async function probe(host: string, port: number, timeoutMs: number): Promise<{ afterMs: number }> {
  const t0 = performance.now();
  let last = '';
  while (performance.now() - t0 < timeoutMs) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', (e) => {
        last = e.message;
        resolve(false);
      });
    });
    if (ok) return { afterMs: performance.now() - t0 };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing accepted on ${host}:${port} within ${timeoutMs} ms (${last})`);
}

const servers: ServerHandle[] = [];
/** The server of each transport this agent serves, by name (their counters are asked for by name). */
const served = new Map<string, ServerHandle>();

/** Counters of the server of `name` over every connection it served, when its stack keeps them (QUIC). */
function serverStats(name: string): PacketEndCounters | null {
  const t = agentTransport(name);
  const h = served.get(name);
  if (!t || !h?.stats || t.carries === 'tcp') return null;
  return { protocol: t.carries, implementation: implementationOf(t), settings: h.settings?.() ?? {}, stats: h.stats() };
}

async function serve(req: ServeRequest): Promise<AgentResults['serve']> {
  const ports: Record<string, number> = {};
  for (const name of req.transports) {
    const t = agentTransport(name);
    if (!t) throw new Error(`this agent has no server for transport "${name}"`);
    const at = { host: req.host, port: 0 };
    const h =
      t.family === 'datagram'
        ? await t.datagram.listenEcho(at)
        : await t.server.listen(at, req.creds, (s) => serveStream(s, { idleTimeoutMs: req.idleTimeoutMs }));
    servers.push(h);
    served.set(name, h);
    ports[name] = h.port;
  }
  return { ports };
}

/** Started on the first request for a relay's link-socket counters, kept until the agent exits. */
let watch: Promise<LinkSocketWatch> | undefined;

/** The last cell's connections, open until the controller's `close` (outside the cell's window). */
let open: Sessions | null = null;

async function closeSessions(): Promise<void> {
  const s = open;
  open = null;
  await s?.closeAll();
}

async function runCell(req: RunRequest): Promise<CellOutcome<CellSamples>> {
  const t = agentTransport(req.transport);
  if (!t) throw new Error(`this agent has no client for transport "${req.transport}"`);
  const def = defOf(req.workload);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), req.timeoutMs);
  const to = { host: req.host, port: req.port };
  try {
    if (t.family === 'datagram') {
      if (!('run' in def.datagram)) throw new Error(def.datagram.unsupported);
      return await def.datagram.run({ transport: t.datagram, to, seed: req.seed, signal: ac.signal }, req.workload);
    }
    await closeSessions(); // the controller's close normally came already
    open = new Sessions();
    const out = await def.run({ transport: t.client, to, creds: req.creds, seed: req.seed, signal: ac.signal, sessions: open }, req.workload);
    const { stats, ...rest } = out;
    // A QUIC stack counts for its own connections (the client end of this cell); a TCP
    // cell's counters come from the namespaces (`tcpstats`).
    if (t.carries === 'tcp') return rest;
    return { ...rest, clientEnd: { protocol: t.carries, implementation: t.client.implementation, settings: t.client.settings?.() ?? {}, stats: stats ?? {} } };
  } finally {
    clearTimeout(timer);
  }
}

async function handle(req: AgentRequest): Promise<AgentResults[AgentRequest['op']]> {
  switch (req.op) {
    case 'serve':
      return await serve(req);
    case 'run':
      return await runCell(req);
    case 'tcpstats':
      return namespaceTcpCounters();
    case 'tcpsockets':
      watch ??= LinkSocketWatch.start();
      return await (await watch).read(req.peer);
    case 'serverstats':
      return serverStats(req.transport);
    case 'cpu':
      return { procs: [process.pid, ...req.pids].map(readCpu), host: readHost() };
    case 'close':
      return await closeSessions();
    case 'probe':
      return await probe(req.host, req.port, req.timeoutMs);
  }
}

function main(): void {
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    let msg: { id: number } & AgentRequest;
    try {
      msg = JSON.parse(line) as { id: number } & AgentRequest;
    } catch {
      process.stderr.write(`agent: ignoring a line that is not JSON: ${line.slice(0, 80)}\n`);
      return;
    }
    handle(msg).then(
      (result) => process.stdout.write(`${JSON.stringify({ id: msg.id, ok: true, result })}\n`),
      (err: Error) => process.stdout.write(`${JSON.stringify({ id: msg.id, ok: false, error: err.message })}\n`),
    );
  });
  // The controller is gone (or done): close listeners and leave.
  rl.on('close', () => {
    void watch?.then((w) => w.stop());
    void Promise.allSettled(servers.map((s) => s.close())).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
  process.on('uncaughtException', (err) => {
    process.stderr.write(`agent: uncaught: ${err.stack ?? err.message}\n`);
  });
  process.stdout.write(`${JSON.stringify({ id: 0, ok: true, result: { ready: true, pid: process.pid } })}\n`);
}

if (process.argv[1]?.endsWith(join('agent', 'main.js'))) main();
