// Self-benchmark of the QUIC layer on loopback: what does bench's wrapping cost on top of
// @matrixai/quic? Compares, in one process and with identical QUIC settings:
// - bulk goodput of the quic transport (node Duplex) vs a minimal loop on the library's own
//   web streams (target ratio >= 0.95);
// - bulk goodput through the tunnel (TCP app -> tunnel client -> QUIC -> tunnel server -> TCP
//   sink) vs that raw QUIC loop (target >= 0.9);
// - 64-byte echo p50 of the transport vs the raw loop.
// Variants run interleaved, each on a fresh connection, and each is compared with the raw
// loop of the same repetition; the median of those paired ratios is the headline, because
// the library is CPU-bound and this machine's other load moves single runs by 2x. Bulk is
// also compared per CPU-second of this process, which other load disturbs far less.
// SELFBENCH_QUIC_REPS sets the repetitions (default 5, ~1 minute).
import { fileURLToPath } from 'node:url';
import type { Duplex } from 'node:stream';
import { generateCredentials } from '../core/certs.js';
import { quicConnect, quicListen, type QuicTuning, type RawStream } from '../transports/quic-lib.js';
import { median } from '../core/stats.js';
import { quicClientTransport, quicServerTransport } from '../transports/quic.js';
import { connectTcp, echoHandler, readAll, sinkHandler, startBackend, startLoopbackTunnel, writePattern } from './tunnel-loopback.js';
import type { Credentials } from '../core/certs.js';

const BULK_BYTES = 2_000_000;
const CHUNK = 65536;
const ECHO_COUNT = 300;
const ECHO_WARMUP = 30;
const REPS = Number(process.env.SELFBENCH_QUIC_REPS ?? 5);
const ALPN = 'bench-selfbench/1';
/** The library's own defaults (1350-byte packets, 4 KiB reads, kernel socket buffers), for reference. */
const LIBRARY_DEFAULTS: QuicTuning = { maxUdpPayloadBytes: 1350, streamWindowBytes: 1 << 20, connectionWindowBytes: 10 << 20, socketBufferBytes: 0, readChunkBytes: 4096 };

interface Bulk {
  /** Wall-clock goodput, Mbit/s. */
  mbps: number;
  /** Mbit moved per CPU-second of this process (both ends): steadier than wall time when the machine is shared. */
  cpuMbps: number;
}

/** Time `body` (the transfer only, not setup) on the wall clock and in process CPU time. */
async function timed(body: () => Promise<void>): Promise<Bulk> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await body();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { mbps: (BULK_BYTES * 8) / (ms * 1000), cpuMbps: (BULK_BYTES * 8) / (cpuMs * 1000) };
}

/** Minimal library loop: the server counts bytes to FIN and answers the count; web streams only. */
async function rawBulk(creds: Credentials, tuning: QuicTuning = {}): Promise<Bulk> {
  const srv = await quicListen({
    ...tuning, host: '127.0.0.1', port: 0, certPem: creds.certPem, keyPem: creds.keyPem, alpn: ALPN,
    onRawStream: (s) => void countAndAnswer(s),
  });
  const conn = await quicConnect({ ...tuning, host: '127.0.0.1', port: srv.port, alpn: ALPN, fingerprint: creds.fingerprintSha256 });
  try {
    const s = conn.openRawStream();
    const chunk = Buffer.alloc(CHUNK, 7);
    return await timed(async () => {
      const w = s.writable.getWriter();
      for (let sent = 0; sent < BULK_BYTES; sent += CHUNK) await w.write(chunk.subarray(0, Math.min(CHUNK, BULK_BYTES - sent)));
      await w.close();
      const reply = await readRaw(s);
      if (Number(reply) !== BULK_BYTES) throw new Error(`raw bulk: server counted ${reply}`);
    });
  } finally {
    await conn.close();
    await srv.close();
  }
}

async function countAndAnswer(s: RawStream): Promise<void> {
  const r = s.readable.getReader();
  let n = 0;
  for (;;) {
    const { value, done } = await r.read();
    if (done) break;
    n += value.byteLength;
  }
  const w = s.writable.getWriter();
  await w.write(Buffer.from(String(n)));
  await w.close();
}

async function readRaw(s: RawStream): Promise<string> {
  const r = s.readable.getReader();
  let out = '';
  for (;;) {
    const { value, done } = await r.read();
    if (done) return out;
    out += Buffer.from(value).toString();
  }
}

/** Time BULK_BYTES written into a sink over `s` until its byte count comes back: the same timed body for every variant compared. */
function timedSink(s: Duplex, what: string): Promise<Bulk> {
  const reply = readAll(s);
  return timed(async () => {
    await writePattern(s, BULK_BYTES, CHUNK);
    s.end();
    if (Number((await reply).toString()) !== BULK_BYTES) throw new Error(`${what}: wrong count`);
  });
}

/** The same transfer through the quic transport's Duplex streams. */
async function transportBulk(creds: Credentials): Promise<Bulk> {
  const srv = await quicServerTransport().listen({ host: '127.0.0.1', port: 0 }, creds, quiet(sinkHandler));
  const session = await quicClientTransport().connect({ host: '127.0.0.1', port: srv.port }, creds);
  try {
    return await timedSink(await session.openStream(), 'transport bulk');
  } finally {
    await session.close();
    await srv.close();
  }
}

/** A loopback handler for the transport's streams, which come without an 'error' listener. */
const quiet = (handler: (s: Duplex) => void) => (s: Duplex): void => {
  s.on('error', () => {});
  handler(s);
};

/** App -> tunnel client -> QUIC -> tunnel server -> TCP sink, all in this process. */
async function tunnelBulk(creds: Credentials): Promise<Bulk> {
  const sink = await startBackend(sinkHandler);
  const tun = await startLoopbackTunnel(sink.port, { creds });
  try {
    return await timedSink(await connectTcp(tun.port), 'tunnel bulk');
  } finally {
    await tun.close();
    await sink.close();
  }
}

/** 64-byte echo p50 in microseconds, raw web streams (raw=true) or transport Duplex. */
async function echoP50(creds: Credentials, raw: boolean): Promise<number> {
  const lat: number[] = [];
  const msg = Buffer.alloc(64, 1);
  if (raw) {
    const srv = await quicListen({
      host: '127.0.0.1', port: 0, certPem: creds.certPem, keyPem: creds.keyPem, alpn: ALPN,
      onRawStream: (s) => void s.readable.pipeTo(s.writable).catch(() => {}),
    });
    const conn = await quicConnect({ host: '127.0.0.1', port: srv.port, alpn: ALPN, fingerprint: creds.fingerprintSha256 });
    const s = conn.openRawStream();
    const w = s.writable.getWriter();
    const r = s.readable.getReader();
    for (let i = 0; i < ECHO_COUNT + ECHO_WARMUP; i++) {
      const t0 = performance.now();
      await w.write(msg);
      for (let got = 0; got < msg.length; ) got += (await r.read()).value!.byteLength;
      if (i >= ECHO_WARMUP) lat.push(performance.now() - t0);
    }
    await conn.close();
    await srv.close();
  } else {
    const srv = await quicServerTransport().listen({ host: '127.0.0.1', port: 0 }, creds, quiet(echoHandler));
    const session = await quicClientTransport().connect({ host: '127.0.0.1', port: srv.port }, creds);
    const s = await session.openStream();
    for (let i = 0; i < ECHO_COUNT + ECHO_WARMUP; i++) {
      const t0 = performance.now();
      s.write(msg);
      for (let got = 0; got < msg.length; ) got += ((await new Promise((r) => s.once('data', r))) as Buffer).length;
      if (i >= ECHO_WARMUP) lat.push(performance.now() - t0);
    }
    await session.close();
    await srv.close();
  }
  return median(lat) * 1000;
}

export async function selfbenchQuic(): Promise<Record<string, number | number[]>> {
  const creds = await generateCredentials();
  const bulk: Record<string, Bulk[]> = { raw: [], transport: [], tunnel: [], rawDefaults: [] };
  const echo: Record<string, number[]> = { raw: [], transport: [] };
  const variants: Array<() => Promise<void>> = [
    async () => void bulk.raw!.push(await rawBulk(creds)),
    async () => void bulk.transport!.push(await transportBulk(creds)),
    async () => void bulk.tunnel!.push(await tunnelBulk(creds)),
    async () => void bulk.rawDefaults!.push(await rawBulk(creds, LIBRARY_DEFAULTS)),
    async () => void echo.raw!.push(await echoP50(creds, true)),
    async () => void echo.transport!.push(await echoP50(creds, false)),
  ];
  // Rotate the order so no variant always runs first (or right after another) in a rep.
  for (let rep = 0; rep < REPS; rep++) for (let i = 0; i < variants.length; i++) await variants[(i + rep) % variants.length]!();
  const wall = (k: string): number[] => bulk[k]!.map((b) => b.mbps);
  const cpu = (k: string): number[] => bulk[k]!.map((b) => b.cpuMbps);
  // Paired per rep, as in selfbench.ts: a rep's variants run back to back, so each rep's
  // ratio cancels the machine's drift between reps; the headline is the median of those.
  const paired = (a: number[], b: number[]): number[] => a.map((x, i) => x / b[i]!);
  const perRep = {
    quicTransportVsRaw: paired(wall('transport'), wall('raw')),
    quicTransportVsRawCpu: paired(cpu('transport'), cpu('raw')),
    tunnelVsRawQuic: paired(wall('tunnel'), wall('raw')),
    tunnelVsRawQuicCpu: paired(cpu('tunnel'), cpu('raw')),
    echoTransportVsRawP50: paired(echo.transport!, echo.raw!),
  };
  const out: Record<string, number | number[]> = {
    quicRawBulkMbps: median(wall('raw')),
    quicTransportBulkMbps: median(wall('transport')),
    tunnelBulkMbps: median(wall('tunnel')),
    quicRawLibraryDefaultsBulkMbps: median(wall('rawDefaults')),
    echoRawP50Us: median(echo.raw!),
    echoTransportP50Us: median(echo.transport!),
    reps: REPS,
  };
  for (const [k, v] of Object.entries(perRep)) {
    out[k] = median(v);
    out[`${k}PerRep`] = v;
  }
  const f = (x: number, d = 2): string => x.toFixed(d);
  const r = (k: keyof typeof perRep): string => `${f(median(perRep[k]))} [${perRep[k].map((x) => f(x)).join(' ')}]`;
  const m = (k: string): string => f(out[k] as number);
  process.stdout.write(
    [
      `quic bulk ${BULK_BYTES} B, ${REPS} reps, one process, loopback; Mbit/s are medians, ratios are medians of per-rep paired ratios [per rep]:`,
      `  raw library loop ${m('quicRawBulkMbps')} Mbit/s, quic transport ${m('quicTransportBulkMbps')} Mbit/s: ratio ${r('quicTransportVsRaw')} wall, ${r('quicTransportVsRawCpu')} per CPU-second (target >= 0.95)`,
      `  tunnel ${m('tunnelBulkMbps')} Mbit/s: vs raw QUIC ${r('tunnelVsRawQuic')} wall, ${r('tunnelVsRawQuicCpu')} per CPU-second (target >= 0.90)`,
      `  library defaults (1350 B packets, 4 KiB reads, default socket buffers) ${m('quicRawLibraryDefaultsBulkMbps')} Mbit/s`,
      `echo 64 B p50: raw library loop ${f(out.echoRawP50Us as number, 0)} us, quic transport ${f(out.echoTransportP50Us as number, 0)} us: ratio ${r('echoTransportVsRawP50')}`,
    ].join('\n') + '\n',
  );
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await selfbenchQuic();
