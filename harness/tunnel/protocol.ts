// Wire protocol of bench's TCP-over-QUIC tunnel (quic-tun style, one TCP connection per QUIC
// stream). The client opens a stream and writes `BTUN1 <token>\n`, then may pipeline the
// application's bytes right away. The server answers `OK\n` once connected to the backend
// the token names in its allowlist, or `ERR <reason>\n` and closes the stream. Everything
// after those lines is the application's byte stream, untouched.
import type { Readable } from 'node:stream';

export const TUNNEL_ALPN = 'bench-tun/1';
const HEADER_MAGIC = 'BTUN1';
/** Longest header or status line accepted; a peer that sends more without a newline is refused. */
const MAX_LINE_BYTES = 512;
const TOKEN_RE = /^[A-Za-z0-9._~-]{1,128}$/;

export function isValidToken(token: string): boolean {
  return TOKEN_RE.test(token);
}

export function encodeHeader(token: string): Buffer {
  if (!isValidToken(token)) throw new Error(`invalid tunnel token "${token}" (allowed: 1-128 of A-Z a-z 0-9 . _ ~ -)`);
  return Buffer.from(`${HEADER_MAGIC} ${token}\n`, 'latin1');
}

/** The token of a header line (without its newline), or null when the line is malformed. */
export function parseHeader(line: string): string | null {
  const prefix = `${HEADER_MAGIC} `;
  const token = line.startsWith(prefix) ? line.slice(prefix.length) : '';
  return isValidToken(token) ? token : null;
}

export type Status = { ok: true } | { ok: false; reason: string };

export function parseStatus(line: string): Status {
  if (line === 'OK') return { ok: true };
  if (line.startsWith('ERR ')) return { ok: false, reason: line.slice(4) || 'refused' };
  return { ok: false, reason: `malformed status line from the tunnel server: ${JSON.stringify(line.slice(0, 80))}` };
}

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port`, `[v6]:port`; port 0 allowed only where `allowZero`. */
export function parseHostPort(s: string, allowZero = true): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535 || (!allowZero && port === 0)) throw new Error(`not a host:port: "${s}"`);
  return { host: (m[1] ?? m[2])!, port };
}

/** `--allow token=host:port` entries into a token -> backend map (duplicates are an error). */
export function parseAllowlist(entries: readonly string[]): Map<string, HostPort> {
  const out = new Map<string, HostPort>();
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i <= 0) throw new Error(`--allow wants token=host:port, got "${e}"`);
    const token = e.slice(0, i);
    if (!isValidToken(token)) throw new Error(`invalid token in --allow "${e}" (allowed: 1-128 of A-Z a-z 0-9 . _ ~ -)`);
    if (out.has(token)) throw new Error(`token "${token}" is allowed twice`);
    out.set(token, parseHostPort(e.slice(i + 1), false));
  }
  return out;
}

/** A TCP `host:port` or a UNIX socket path (anything containing a slash). */
export type ListenSpec = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export function parseListen(s: string): ListenSpec {
  if (s.startsWith('unix:')) return { kind: 'unix', path: s.slice(5) };
  if (s.includes('/')) return { kind: 'unix', path: s };
  return { kind: 'tcp', ...parseHostPort(s) };
}

/**
 * Read one `\n`-terminated line from the start of `src`, then leave it paused with whatever
 * followed the line returned as `rest` (the caller forwards it first). Rejects when the
 * stream ends, errors, exceeds MAX_LINE_BYTES or takes longer than `timeoutMs`.
 */
export function readLine(src: Readable, timeoutMs: number): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`no line within ${timeoutMs} ms`)), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      src.off('data', onData);
      src.off('end', onEnd);
      src.off('error', fail);
      src.off('close', onEnd);
    };
    function fail(err: Error): void {
      cleanup();
      reject(err);
    }
    function onEnd(): void {
      fail(new Error(buf.length ? 'stream ended inside the first line' : 'stream ended before the first line'));
    }
    function onData(chunk: Buffer): void {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (buf.length > MAX_LINE_BYTES) fail(new Error(`first line longer than ${MAX_LINE_BYTES} bytes`));
        return;
      }
      src.pause();
      cleanup();
      resolve({ line: buf.subarray(0, nl).toString('latin1'), rest: buf.subarray(nl + 1) });
    }
    src.on('data', onData);
    src.once('end', onEnd);
    src.once('close', onEnd);
    src.once('error', fail);
  });
}

/** Per-tunnel counters; the same names on both endpoints so they can be checked against each other. */
export interface TunnelCounters {
  /** Application bytes carried client -> server (app -> backend), after the header. */
  bytesUp: number;
  /** Application bytes carried server -> client (backend -> app), after the status line. */
  bytesDown: number;
  streamsOpened: number;
  /** Streams whose relay is over, however it ended (includes refused and reset ones). */
  streamsClosed: number;
  /** Answered (server) or received (client) with ERR, or never got a stream. */
  streamsRefused: number;
  /** Of those, refused for the server's stream limit (server). */
  streamsBusy: number;
  /** Of those, refused for their token: malformed, unknown, or from an address out of budget (server). */
  streamsTokenRefused: number;
  /** Relays that ended in a reset on either side instead of two FINs. */
  streamsReset: number;
  /** QUIC connections made (client) or accepted (server). */
  connectionsOpened: number;
}

export function newCounters(): TunnelCounters {
  return { bytesUp: 0, bytesDown: 0, streamsOpened: 0, streamsClosed: 0, streamsRefused: 0, streamsBusy: 0, streamsTokenRefused: 0, streamsReset: 0, connectionsOpened: 0 };
}
