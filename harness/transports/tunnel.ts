// The `tunnel` transport: bench's TCP workloads carried through its own TCP-over-QUIC tunnel.
// In the lab the two endpoints are separate processes, `bench tunnel server` in the server
// namespace next to the backend and `bench tunnel client` on loopback in the client
// namespace; the workload is plain TCP to the client endpoint. This module builds their
// command lines, starts them (registering their undo), reads their counters, and provides
// the ClientTransport that dials the client endpoint.
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawn, type Child } from '../exec.js';
import { PROJECT_ROOT } from '../version.js';
import type { UndoStack } from '../undo.js';
import { QUIC_IMPLEMENTATION } from '../quic/lib.js';
import type { TunnelMode } from '../tunnel/client.js';
import { once, singleStreamSession } from './tcp.js';
import type { ClientTransport, Credentials, Endpoint } from './types.js';

export const TUNNEL_IMPLEMENTATION = `bench tunnel over ${QUIC_IMPLEMENTATION}`;
const CLI = join(PROJECT_ROOT, 'dist', 'harness', 'cli.js');

/** TCP to the tunnel's client endpoint; one session = one TCP connection = one QUIC stream. */
export function tunnelClientTransport(mode: TunnelMode = 'stream'): ClientTransport {
  return {
    implementation: TUNNEL_IMPLEMENTATION,
    multiStream: false,
    async connect(to, _creds, opts) {
      const sock = net.connect({ host: to.host, port: to.port, noDelay: opts?.noDelay ?? false });
      await once(sock, 'connect');
      return singleStreamSession(sock);
    },
    settings: () => ({ tunnel: 'bench tunnel', mode, quic: QUIC_IMPLEMENTATION }),
  };
}

export const tunnelClient: ClientTransport = tunnelClientTransport();

const hp = (e: Endpoint): string => (e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`);

export interface TunnelServerArgs {
  listen: Endpoint;
  certFile: string;
  keyFile: string;
  /** token -> backend; the server connects nowhere else. */
  allow: Record<string, Endpoint>;
  clientFingerprint?: string;
  idleTimeoutMs?: number;
}

export function tunnelServerArgv(o: TunnelServerArgs): string[] {
  const a = ['tunnel', 'server', '--exit-on-stdin-eof', '--listen', hp(o.listen), '--cert', o.certFile, '--key', o.keyFile];
  for (const [token, backend] of Object.entries(o.allow)) a.push('--allow', `${token}=${hp(backend)}`);
  if (o.clientFingerprint) a.push('--client-fingerprint', o.clientFingerprint);
  if (o.idleTimeoutMs !== undefined) a.push('--idle-timeout-ms', String(o.idleTimeoutMs));
  return a;
}

export interface TunnelClientArgs {
  /** TCP endpoint (port 0 = any) or UNIX socket path. */
  listen: Endpoint | string;
  server: Endpoint;
  token: string;
  fingerprint: string;
  mode?: TunnelMode;
  idleTimeoutMs?: number;
}

export function tunnelClientArgv(o: TunnelClientArgs): string[] {
  const a = ['tunnel', 'client', '--exit-on-stdin-eof', '--listen', typeof o.listen === 'string' ? o.listen : hp(o.listen)];
  a.push('--server', hp(o.server), '--token', o.token, '--fingerprint', o.fingerprint, '--mode', o.mode ?? 'stream');
  if (o.idleTimeoutMs !== undefined) a.push('--idle-timeout-ms', String(o.idleTimeoutMs));
  return a;
}

export interface TunnelProcess {
  /** The endpoint's ready line, e.g. "listening tcp 127.0.0.1:40123". */
  ready: string;
  /** Where it listens (tcp/udp host+port); a UNIX socket path is in `ready`. */
  endpoint: Endpoint | null;
  pid: number | undefined;
  /** Ask for its counters (SIGUSR1) and wait for the JSON line. */
  counters(timeoutMs?: number): Promise<Record<string, number>>;
  /** SIGTERM, then SIGKILL after 3 s; resolves with the counters it printed at exit, if any. */
  stop(): Promise<Record<string, number> | null>;
}

/** Start `node dist/harness/cli.js <argv>` (in `netns` when given) and wait for its ready line. */
export async function startTunnelProcess(argv: string[], o: { netns?: string | null; undo: UndoStack; readyTimeoutMs?: number; what?: string }): Promise<TunnelProcess> {
  const child: Child = spawn(process.execPath, [CLI, ...argv], { netns: o.netns, stdinPipe: true });
  const what = o.what ?? `bench ${argv.slice(0, 2).join(' ')}`;
  const tail: string[] = [];
  const waiters = new Set<(c: Record<string, number>) => void>();
  let last: Record<string, number> | null = null;
  createInterface({ input: child.stderr! }).on('line', (l) => {
    if (l.startsWith('{"event":"tunnel-counters"')) {
      const { event: _e, role: _r, ...c } = JSON.parse(l) as Record<string, number>;
      last = c;
      for (const w of waiters) w(c);
      waiters.clear();
    } else if (tail.push(l) > 20) tail.shift();
  });
  let exited: string | null = null;
  const exit = child.then((r) => void (exited = r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`));
  const stop = async (): Promise<Record<string, number> | null> => {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(t);
    }
    return last;
  };
  o.undo.push(what, async () => void (await stop()));
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not ready within ${o.readyTimeoutMs ?? 15_000} ms; stderr: ${tail.join(' | ')}`)), o.readyTimeoutMs ?? 15_000);
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`${what} ${exited} before it was ready: ${tail.join(' | ') || 'no output'}`));
    });
  }).catch(async (err: Error) => {
    await stop();
    throw err;
  });
  const m = /^listening (?:tcp|udp) (?:\[(.+)\]|([^:\s]+)):(\d+)$/.exec(ready);
  return {
    ready,
    endpoint: m ? { host: (m[1] ?? m[2])!, port: Number(m[3]) } : null,
    pid: child.pid,
    stop,
    counters: (timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        if (exited) return last ? resolve(last) : reject(new Error(`${what} ${exited}`));
        const timer = setTimeout(() => reject(new Error(`${what}: no counters within ${timeoutMs} ms`)), timeoutMs);
        waiters.add((c) => {
          clearTimeout(timer);
          resolve(c);
        });
        child.kill('SIGUSR1');
      }),
  };
}

export interface StandUpOptions {
  undo: UndoStack;
  creds: Credentials;
  /** The TCP server the tunnel carries traffic to (reachable from the server namespace). */
  backend: Endpoint;
  /** UDP address the tunnel server listens on, in the server namespace; the client dials it, so not 0.0.0.0. */
  serverListen: Endpoint;
  serverNetns?: string | null;
  clientNetns?: string | null;
  /** @default 127.0.0.1 port 0 */
  clientListen?: Endpoint;
  mode?: TunnelMode;
  idleTimeoutMs?: number;
}

export interface StoodUpTunnel {
  /** Where workloads connect (TCP, in the client namespace). */
  client: Endpoint;
  server: Endpoint;
  serverPid: number | undefined;
  clientPid: number | undefined;
  counters(): Promise<{ client: Record<string, number>; server: Record<string, number> }>;
}

/** Stand the tunnel up: cert files, server endpoint, then client endpoint. Undo tears it down. */
export async function standUpTunnel(o: StandUpOptions): Promise<StoodUpTunnel> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-tunnel-'));
  o.undo.push(`tunnel cert dir ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  await writeFile(certFile, o.creds.certPem, { mode: 0o600 });
  await writeFile(keyFile, o.creds.keyPem, { mode: 0o600 });
  const server = await startTunnelProcess(
    tunnelServerArgv({ listen: o.serverListen, certFile, keyFile, allow: { bench: o.backend }, idleTimeoutMs: o.idleTimeoutMs }),
    { netns: o.serverNetns, undo: o.undo, what: 'bench tunnel server' },
  );
  const client = await startTunnelProcess(
    tunnelClientArgv({
      listen: o.clientListen ?? { host: '127.0.0.1', port: 0 },
      server: server.endpoint!, token: 'bench', fingerprint: o.creds.fingerprintSha256, mode: o.mode, idleTimeoutMs: o.idleTimeoutMs,
    }),
    { netns: o.clientNetns, undo: o.undo, what: 'bench tunnel client' },
  );
  return {
    client: client.endpoint!,
    server: server.endpoint!,
    serverPid: server.pid,
    clientPid: client.pid,
    counters: async () => {
      const [c, s] = await Promise.all([client.counters(), server.counters()]);
      return { client: c, server: s };
    },
  };
}
