// `bench tunnel server|client|cert`: bench's TCP-over-QUIC tunnel as standalone endpoints.
// The run engine starts them as separate processes in the lab namespaces, so each prints one
// `listening ...` line on stdout when ready, logs to stderr, reports its counters as a JSON
// line on stderr on SIGUSR1 and at exit, and stops cleanly on SIGTERM/SIGINT (exit 0).
import { mkdir, readFile } from 'node:fs/promises';
import { writeOutputFile } from '../core/safe-write.js';
import { settleWithin } from '../core/settle.js';
import { join } from 'node:path';
import type { Command } from 'commander';
import { fingerprintOf, generateCredentials, normalizeFingerprint } from '../core/certs.js';
import { EnvironmentError, InputError } from '../core/errors.js';
import type { QuicTuning } from '../transports/quic-lib.js';
import type { TunnelMode } from '../tunnel/client.js';
import { parseAllowlist, parseHostPort, parseListen, isValidToken } from '../tunnel/protocol.js';

interface Common {
  idleTimeoutMs?: string;
  maxUdpPayload?: string;
  streamWindow?: string;
  exitOnStdinEof?: boolean;
}

function addCommon(c: Command): Command {
  return c
    .option('--idle-timeout-ms <ms>', 'QUIC idle timeout, 0 = never (default 30000)')
    .option('--max-udp-payload <bytes>', 'largest UDP payload sent/accepted (default 1452)')
    .option('--stream-window <bytes>', 'initial QUIC per-stream receive window (default 1048576)')
    .option('--exit-on-stdin-eof', 'stop when stdin closes (for a parent process that may die)');
}

export function registerTunnel(program: Command): void {
  const tunnel = program
    .command('tunnel')
    .description("bench's TCP-over-QUIC tunnel (quic-tun style): one QUIC stream per TCP connection");

  addCommon(
    tunnel
      .command('server')
      .description('accept tunnel streams over QUIC and connect each to an allowlisted backend')
      .requiredOption('--listen <host:port>', 'UDP address to listen on (port 0 = any)')
      .requiredOption('--cert <file>', 'certificate (PEM) presented to clients')
      .requiredOption('--key <file>', 'private key (PEM) of --cert')
      .requiredOption('--allow <token=host:port>', 'backend a token may reach (repeatable); nothing else is ever connected to', collect, [])
      .option('--client-fingerprint <hex>', 'require a client certificate with this SHA-256 fingerprint')
      .option('--max-connections <n>', 'QUIC connections at once; more are closed as busy (default 256)')
      .option('--max-streams <n>', 'streams set up or relayed at once; more are answered ERR busy (default 1024)'),
  )
    .addHelpText('after', `
Prints "listening udp HOST:PORT" when ready. Every refusal a client can provoke (unknown
or malformed token) is answered "ERR refused"; an address that had 10 tokens refused gets
one more try per second, and a connection is closed after 3 refused tokens.
Example: bench tunnel server --listen 0.0.0.0:4433 --cert cert.pem --key key.pem --allow web=127.0.0.1:8080`)
    .action(async (o: Common & { listen: string; cert: string; key: string; allow: string[]; clientFingerprint?: string; maxConnections?: string; maxStreams?: string }) => {
      const at = input(() => parseHostPort(o.listen));
      const allow = input(() => parseAllowlist(o.allow));
      const [certPem, keyPem] = await Promise.all([readPem(o.cert, '--cert'), readPem(o.key, '--key')]);
      // Loaded here, not at the top: every other bench command would pay for loading QUIC.
      const { TunnelServer } = await import('../tunnel/server.js');
      const srv = await TunnelServer.start({
        host: at.host, port: at.port, certPem, keyPem, allow, quic: tuning(o),
        maxConnections: o.maxConnections === undefined ? undefined : positive(o.maxConnections, '--max-connections'),
        limits: o.maxStreams === undefined ? undefined : { maxStreams: positive(o.maxStreams, '--max-streams') },
        clientFingerprint: o.clientFingerprint && input(() => normalizeFingerprint(o.clientFingerprint!), '--client-fingerprint'),
      });
      await serveUntilStopped('server', `listening udp ${fmt(srv.host, srv.port)}`, srv, o.exitOnStdinEof);
    });

  addCommon(
    tunnel
      .command('client')
      .description('accept TCP (or UNIX socket) connections and carry each over a QUIC stream to the tunnel server')
      .requiredOption('--listen <host:port|path>', 'TCP address (port 0 = any) or UNIX socket path (unix:PATH or containing /)')
      .requiredOption('--server <host:port>', 'tunnel server UDP address')
      .requiredOption('--token <token>', "backend to reach, as named in the server's --allow")
      .option('--fingerprint <hex>', "pin the server certificate's SHA-256 fingerprint")
      .option('--ca-cert <file>', 'pin the certificate in this PEM file (the server\'s cert.pem)')
      .option('--cert <file>', 'client certificate (PEM), for servers started with --client-fingerprint')
      .option('--key <file>', 'private key (PEM) of --cert')
      .option('--mode <mode>', 'stream: one QUIC connection, one stream per TCP connection; connection: one QUIC connection per TCP connection', 'stream')
      .option('--linger-ms <ms>', 'mode connection: keep a connection this long after its stream ends (default 2000)'),
  )
    .addHelpText('after', '\nPrints "listening tcp HOST:PORT" or "listening unix PATH" when ready.\nExample: bench tunnel client --listen 127.0.0.1:8080 --server 192.0.2.1:4433 --token web --fingerprint $(cat fp)')
    .action(async (o: Common & { listen: string; server: string; token: string; fingerprint?: string; caCert?: string; cert?: string; key?: string; mode: string; lingerMs?: string }) => {
      const listen = input(() => parseListen(o.listen));
      const server = input(() => parseHostPort(o.server, false));
      if (!isValidToken(o.token)) throw new InputError(`invalid --token "${o.token}"`, 'allowed: 1-128 of A-Z a-z 0-9 . _ ~ -');
      if (o.mode !== 'stream' && o.mode !== 'connection') throw new InputError(`invalid --mode "${o.mode}" (allowed: stream, connection)`);
      if (!!o.fingerprint === !!o.caCert) throw new InputError('give exactly one of --fingerprint and --ca-cert', 'the server certificate is always verified, by pinning');
      if (!!o.cert !== !!o.key) throw new InputError('--cert and --key go together');
      const caPem = o.caCert ? await readPem(o.caCert, '--ca-cert') : '';
      const fingerprint = o.fingerprint ? input(() => normalizeFingerprint(o.fingerprint!), '--fingerprint') : input(() => fingerprintOf(pemCert(caPem)));
      const [certPem, keyPem] = o.cert ? await Promise.all([readPem(o.cert, '--cert'), readPem(o.key!, '--key')]) : [undefined, undefined];
      const { TunnelClient } = await import('../tunnel/client.js');
      const { QuicCertificateError } = await import('../transports/quic-lib.js');
      let cli;
      try {
        cli = await TunnelClient.start({
          listen, server, token: o.token, fingerprint, certPem, keyPem, mode: o.mode as TunnelMode, quic: tuning(o),
          lingerMs: o.lingerMs === undefined ? undefined : num(o.lingerMs, '--linger-ms'),
        });
      } catch (err) {
        if (err instanceof QuicCertificateError) throw new EnvironmentError(err.message, 'check --fingerprint/--ca-cert against the server\'s certificate (bench tunnel cert prints its fingerprint)');
        const e = err as Error & { code?: string };
        throw new EnvironmentError(e.message, e.code === 'EADDRINUSE' ? `${o.listen} is in use` : 'is the tunnel server running and reachable over UDP?');
      }
      const where = cli.path !== undefined ? `listening unix ${cli.path}` : `listening tcp ${fmt(cli.host!, cli.port!)}`;
      await serveUntilStopped('client', where, cli, o.exitOnStdinEof);
    });

  tunnel
    .command('cert')
    .description('write a self-signed EC P-256 cert.pem/key.pem for a standalone tunnel; prints the SHA-256 fingerprint')
    .requiredOption('--out <dir>', 'directory to write cert.pem and key.pem into (created, mode 0700)')
    .option('--cn <name>', 'certificate common name', 'bench.test')
    .action(async (o: { out: string; cn: string }) => {
      const creds = await generateCredentials(o.cn);
      await mkdir(o.out, { recursive: true, mode: 0o700 });
      // Never through a link planted in --out (the key would go wherever it points).
      await writeOutputFile(join(o.out, 'cert.pem'), creds.certPem, { mode: 0o644 });
      await writeOutputFile(join(o.out, 'key.pem'), creds.keyPem, { mode: 0o600 });
      process.stdout.write(`${creds.fingerprintSha256}\n`);
    });
}

interface Endpoint {
  close(): Promise<void>;
  counters(): Record<string, number>;
  settings(): Record<string, string | number | boolean>;
}

/** Print the ready line, then run until SIGTERM/SIGINT/SIGHUP (or stdin EOF); counters on SIGUSR1 and at exit. */
async function serveUntilStopped(role: 'server' | 'client', ready: string, ep: Endpoint, exitOnStdinEof?: boolean): Promise<void> {
  // The settings ride along, so whoever asks for the counters knows what they were counted under.
  const report = (): void => void process.stderr.write(`${JSON.stringify({ event: 'tunnel-counters', role, ...ep.counters(), settings: ep.settings() })}\n`);
  process.on('SIGUSR1', report);
  process.stdout.write(`${ready}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    process.once('SIGHUP', stop);
    if (exitOnStdinEof) {
      process.stdin.once('end', stop);
      process.stdin.once('close', stop);
      process.stdin.resume();
    }
  });
  if (exitOnStdinEof) process.stdin.destroy();
  // A graceful QUIC close waits out the draining period, or the whole idle timeout when the
  // peer's CONNECTION_CLOSE is lost (a lossy lab link): stopping the server endpoint took
  // 3 s and a SIGKILL at the end of every link point. Bound it, and leave even if some
  // handle of the library is still open.
  await settleWithin(ep.close(), STOP_WAIT_MS);
  report();
  process.off('SIGUSR1', report);
  // Done: harness/cli.ts ends the process even if a handle of the QUIC library stays open.
}

/** How long a stopping tunnel endpoint waits for its QUIC close to complete, ms. */
const STOP_WAIT_MS = 500;

function tuning(o: Common): QuicTuning {
  return {
    idleTimeoutMs: o.idleTimeoutMs === undefined ? undefined : num(o.idleTimeoutMs, '--idle-timeout-ms'),
    maxUdpPayloadBytes: o.maxUdpPayload === undefined ? undefined : num(o.maxUdpPayload, '--max-udp-payload'),
    streamWindowBytes: o.streamWindow === undefined ? undefined : num(o.streamWindow, '--stream-window'),
  };
}

function collect(v: string, acc: string[]): string[] {
  return [...acc, v];
}

function num(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InputError(`${flag} wants a non-negative integer, got "${v}"`);
  return n;
}

function positive(v: string, flag: string): number {
  const n = num(v, flag);
  if (n < 1) throw new InputError(`${flag} wants a positive integer, got "${v}"`);
  return n;
}

function pemCert(pem: string): string {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error('no PEM certificate found in --ca-cert');
  return m[0];
}

/** Run a parser, turning its error into a usage error (exit 2), prefixed with the flag when given. */
function input<T>(f: () => T, flag?: string): T {
  try {
    return f();
  } catch (err) {
    throw new InputError(flag ? `${flag}: ${(err as Error).message}` : (err as Error).message);
  }
}

async function readPem(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function fmt(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
