// An endpoint agent: `node dist/harness/agent.js`, started by the controller inside a lab
// namespace (`ip netns exec ...`). Line-delimited JSON: requests on stdin, one response line
// per request on stdout (data only); logs on stderr. It exits when stdin closes, so it never
// outlives the controller.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { streamTransports } from './transports/index.js';
import type { Credentials, ServerHandle } from './transports/types.js';
import type { Workload } from './types.js';
import { runBulk, runEcho, runHandshake, Sessions, type Outcome, type RunContext } from './workloads/client.js';
import { serveStream } from './workloads/protocol.js';
import { runUdpEcho, udpEchoServer } from './workloads/udp.js';

export interface ServeRequest {
  op: 'serve';
  host: string;
  transports: string[];
  creds: Credentials;
  idleTimeoutMs: number;
}

export interface RunRequest {
  op: 'run';
  transport: string;
  workload: Workload;
  host: string;
  port: number;
  creds: Credentials;
  seed: number;
  timeoutMs: number;
  /** Read this namespace's TCP counters around the cell: the controller sets it when the cell's TCP crosses the link. */
  tcpCounters: boolean;
}

export type AgentRequest =
  | ServeRequest
  | RunRequest
  | { op: 'tcpstats' }
  | { op: 'close' }
  | { op: 'probe'; host: string; port: number; timeoutMs: number };

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

const servers: { name: string; h: ServerHandle | { port: number; close(): Promise<void> } }[] = [];

/** TCP counters of this process's network namespace (/proc/net/snmp is per namespace). */
function tcpCounters(): { retransSegs: number; outSegs: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Tcp:'));
  const names = lines[0].split(/\s+/);
  const vals = lines[1].split(/\s+/);
  const get = (n: string): number => Number(vals[names.indexOf(n)]);
  return { retransSegs: get('RetransSegs'), outSegs: get('OutSegs') };
}

async function serve(req: ServeRequest): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  for (const name of req.transports) {
    if (name === 'udp') {
      const h = await udpEchoServer(req.host, 0);
      servers.push({ name, h });
      ports[name] = h.port;
      continue;
    }
    const t = streamTransports[name];
    if (!t) throw new Error(`this agent has no server for transport "${name}"`);
    const h = await t.server.listen({ host: req.host, port: 0 }, req.creds, (s) => serveStream(s, { idleTimeoutMs: req.idleTimeoutMs }));
    servers.push({ name, h });
    ports[name] = h.port;
  }
  return ports;
}

/** What a cell returns to the controller: TCP counters only where the cell ran over TCP, QUIC settings and counters only for QUIC. */
type CellOutcome = Outcome & { tcp?: { retransSegs: number; outSegs: number }; quic?: { settings: Record<string, string | number | boolean>; stats: Record<string, number> } };

async function runCell(req: RunRequest): Promise<CellOutcome> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), req.timeoutMs);
  // /proc/net/snmp is read only for cells whose TCP crosses the link (not a tunnel's loopback
  // TCP), and before the work starts.
  const before = req.tcpCounters ? tcpCounters() : null;
  try {
    if (req.transport === 'udp') {
      if (req.workload.kind !== 'echo') throw new Error('udp runs echo only');
      return await runUdpEcho(req.host, req.port, req.workload, req.seed, ac.signal);
    }
    const t = streamTransports[req.transport];
    if (!t) throw new Error(`this agent has no client for transport "${req.transport}"`);
    await closeSessions(); // the controller's close normally came already
    open = new Sessions();
    const ctx: RunContext = { transport: t.client, to: { host: req.host, port: req.port }, creds: req.creds, seed: req.seed, signal: ac.signal, sessions: open };
    const w = req.workload;
    const { stats, ...ran } = w.kind === 'echo' ? await runEcho(ctx, w) : w.kind === 'bulk' ? await runBulk(ctx, w) : await runHandshake(ctx, w);
    const out: CellOutcome = ran;
    if (req.transport === 'quic') out.quic = { settings: t.client.settings?.() ?? {}, stats: stats ?? {} };
    if (before) {
      const after = tcpCounters();
      out.tcp = { retransSegs: after.retransSegs - before.retransSegs, outSegs: after.outSegs - before.outSegs };
    }
    return out;
  } finally {
    clearTimeout(timer);
  }
}

/** The last cell's connections, open until the controller's `close` (outside the cell's window). */
let open: Sessions | null = null;

async function closeSessions(): Promise<void> {
  const s = open;
  open = null;
  await s?.closeAll();
}

async function handle(req: AgentRequest): Promise<unknown> {
  switch (req.op) {
    case 'serve':
      return { ports: await serve(req) };
    case 'run':
      return await runCell(req);
    case 'tcpstats':
      return tcpCounters();
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
    void Promise.allSettled(servers.map((s) => s.h.close())).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
  process.on('uncaughtException', (err) => {
    process.stderr.write(`agent: uncaught: ${err.stack ?? err.message}\n`);
  });
  process.stdout.write(`${JSON.stringify({ id: 0, ok: true, result: { ready: true, pid: process.pid } })}\n`);
}

if (process.argv[1]?.endsWith('agent.js')) main();
