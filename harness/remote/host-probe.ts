// Runs on a remote host before any bench is there: the controller sends this file's compiled
// text over ssh as `node --input-type=module -e <text> bench-host-probe <mode> ...` and reads
// one JSON line back. It may therefore import node: builtins only. (On the command line, not on
// stdin: the listener needs its stdin to notice the controller closing the session.) The
// controller imports the same functions, so both ends' code identity comes from one algorithm.
//   node                                            -> { node, platform, arch, uid }
//   identity <root>                                 -> CodeIdentity | { error }
//   facts <testAddress> <peerAddr>                  -> ProbedFacts
//   listen <addr> <timeoutMs>                       -> { tcpPort, udpPort } then answers one TCP connection and UDP datagrams
//   connect <addr> <tcpPort> <udpPort> <timeoutMs>  -> { tcp: {ok, ms|error}, udp: {ok, ms|error} }
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import os from 'node:os';
import { basename, join } from 'node:path';
// Type only (erased): this file must import node: builtins only at run time.
import type { RemoteHostFacts } from '../core/real-path.js';

export interface CodeIdentity {
  /** package.json version. */
  version: string;
  /** SHA-256 over package.json, package-lock.json and the compiled harness and netem JavaScript: equal means the same code runs. */
  codeSha256: string;
  /** The checkout's HEAD, or the sha the bundle was made from; for people, not for the match. */
  gitSha: string | null;
  files: number;
}

/** The files whose content is the code both ends must share (compiled JS, not sources or maps). */
export function codeFiles(root: string): string[] {
  const out = ['package.json', 'package-lock.json'];
  const walk = (rel: string): void => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && e.name.endsWith('.js')) out.push(r);
    }
  };
  walk('dist/harness');
  walk('dist/netem');
  return out.sort();
}

export function codeIdentity(root: string): CodeIdentity {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string; version?: string };
  // quic-bench since issue 19 (npm's "bench" is taken); an older checkout is still bench, to be told apart by version and code.
  if (pkg.name !== 'quic-bench' && pkg.name !== 'bench') throw new Error(`${join(root, 'package.json')} is not bench's (name "${pkg.name ?? ''}")`);
  if (!existsSync(join(root, 'dist', 'harness', 'agent', 'main.js'))) throw new Error('not built: dist/harness/agent/main.js is missing (run npm ci there)');
  const files = codeFiles(root);
  const h = createHash('sha256');
  for (const f of files) {
    const p = join(root, f);
    const content = existsSync(p) ? readFileSync(p) : Buffer.alloc(0);
    h.update(`${f}\0${createHash('sha256').update(content).digest('hex')}\n`);
  }
  return { version: String(pkg.version), codeSha256: h.digest('hex'), gitSha: gitShaOf(root), files: files.length };
}

function gitShaOf(root: string): string | null {
  try {
    const manifest = JSON.parse(readFileSync(join(root, 'bench-bundle.json'), 'utf8')) as { gitSha?: string | null };
    return manifest.gitSha ?? null;
  } catch {
    /* not a bundle */
  }
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}

/** What the result file records about each host (issue 18, deliverable 3); the type lives in core so results can read it. */
export type ProbedFacts = RemoteHostFacts;

function readText(p: string): string | null {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return null;
  }
}

function tool(file: string, args: string[]): string | null {
  for (const dir of ['', '/usr/sbin/', '/sbin/']) {
    try {
      return execFileSync(dir + file, args, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).toString().trim();
    } catch {
      /* try the next place; sbin is not on every user's PATH */
    }
  }
  return null;
}

export function probeFacts(testAddress: string, peerAddress: string): ProbedFacts {
  const ifs = os.networkInterfaces();
  const ipv4: string[] = [];
  let nicName: string | null = null;
  for (const [name, addrs] of Object.entries(ifs)) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4') continue;
      ipv4.push(a.address);
      if (a.address === testAddress) nicName = name;
    }
  }
  let nic: ProbedFacts['nic'] = null;
  if (nicName) {
    const sys = `/sys/class/net/${nicName}`;
    let driver: string | null = null;
    try {
      driver = basename(readlinkSync(`${sys}/device/driver`));
    } catch {
      driver = /^driver:\s*(\S+)/m.exec(tool('ethtool', ['-i', nicName]) ?? '')?.[1] ?? null;
    }
    const speed = Number(readText(`${sys}/speed`));
    const offloads: Record<string, string> = {};
    for (const line of (tool('ethtool', ['-k', nicName]) ?? '').split('\n')) {
      const m = /^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):\s*(\S+)/.exec(line.trim());
      if (m) offloads[m[1]] = m[2];
    }
    nic = { name: nicName, driver, speedMbps: Number.isFinite(speed) && speed > 0 ? speed : null, mtu: Number(readText(`${sys}/mtu`)) || null, qdisc: tool('tc', ['qdisc', 'show', 'dev', nicName]), offloads };
  }
  const route = tool('ip', ['-o', 'route', 'get', peerAddress]);
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    kernel: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memBytes: os.totalmem(),
    node: process.version,
    testAddress,
    nic,
    ipv4,
    congestionControl: readText('/proc/sys/net/ipv4/tcp_congestion_control'),
    availableCongestionControl: readText('/proc/sys/net/ipv4/tcp_available_congestion_control'),
    tcpRmem: readText('/proc/sys/net/ipv4/tcp_rmem')?.replace(/\s+/g, ' ') ?? null,
    tcpWmem: readText('/proc/sys/net/ipv4/tcp_wmem')?.replace(/\s+/g, ' ') ?? null,
    routeToPeer: route === null ? null : { dev: /\bdev (\S+)/.exec(route)?.[1] ?? null, src: /\bsrc (\S+)/.exec(route)?.[1] ?? null, via: /\bvia (\S+)/.exec(route)?.[1] ?? null, raw: route.replace(/\s+/g, ' ') },
  };
}

/** The peer's side of the reachability check: a TCP listener for one connection and a UDP echo, until the timeout. */
function listen(addr: string, timeoutMs: number): void {
  const udp = createSocket('udp4');
  const tcp = createServer((s) => {
    s.end('ok');
    s.on('error', () => undefined);
  });
  const done = (): never => process.exit(0);
  setTimeout(done, timeoutMs).unref();
  udp.on('message', (m, from) => udp.send(m, from.port, from.address));
  const fail = (err: Error): void => {
    process.stdout.write(`${JSON.stringify({ error: err.message, code: (err as NodeJS.ErrnoException).code ?? null })}\n`);
    process.exit(0);
  };
  udp.on('error', fail);
  tcp.on('error', fail);
  tcp.listen(0, addr, () => {
    udp.bind(0, addr, () => {
      const tcpPort = (tcp.address() as { port: number }).port;
      process.stdout.write(`${JSON.stringify({ tcpPort, udpPort: udp.address().port })}\n`);
    });
  });
  // The controller closes this session when the check is over.
  process.stdin.on('end', done);
  process.stdin.resume();
}

type Check = { ok: true; ms: number } | { ok: false; error: string };

function tcpCheck(addr: string, port: number, timeoutMs: number): Promise<Check> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = connect({ host: addr, port, timeout: timeoutMs });
    let got = '';
    s.on('data', (b) => (got += b.toString()));
    s.on('end', () => resolve(got === 'ok' ? { ok: true, ms: performance.now() - t0 } : { ok: false, error: `unexpected answer "${got.slice(0, 20)}"` }));
    s.on('timeout', () => {
      s.destroy();
      resolve({ ok: false, error: `no TCP connection within ${timeoutMs} ms` });
    });
    s.on('error', (e) => resolve({ ok: false, error: e.message }));
  });
}

function udpCheck(addr: string, port: number, timeoutMs: number): Promise<Check> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const nonce = Buffer.from(`bench-${process.pid}-${Date.now()}`);
    const finish = (c: Check): void => {
      clearInterval(resend);
      clearTimeout(timer);
      s.close();
      resolve(c);
    };
    s.on('message', (m) => {
      if (m.equals(nonce)) finish({ ok: true, ms: performance.now() - t0 });
    });
    s.on('error', (e) => finish({ ok: false, error: e.message }));
    // A lossy path may drop a datagram: resend until the timeout.
    const send = (): void => s.send(nonce, port, addr);
    const resend = setInterval(send, 200);
    const timer = setTimeout(() => finish({ ok: false, error: `no UDP echo within ${timeoutMs} ms` }), timeoutMs);
    send();
  });
}

async function main(argv: string[]): Promise<void> {
  const [mode, ...a] = argv;
  const out = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v)}\n`);
  switch (mode) {
    case 'node':
      return out({ node: process.version, platform: process.platform, arch: process.arch, uid: process.getuid?.() ?? null });
    case 'identity':
      try {
        return out(codeIdentity(a[0]));
      } catch (err) {
        return out({ error: (err as Error).message, exists: existsSync(a[0]) && statSync(a[0]).isDirectory() });
      }
    case 'facts':
      return out(probeFacts(a[0], a[1]));
    case 'listen':
      return listen(a[0], Number(a[1]));
    case 'connect': {
      const t = Number(a[3]);
      const [tcp, udp] = await Promise.all([tcpCheck(a[0], Number(a[1]), t), udpCheck(a[0], Number(a[2]), t)]);
      return out({ tcp, udp });
    }
    default:
      process.stderr.write(`host-probe: unknown mode "${mode}"\n`);
      process.exit(2);
  }
}

/** argv[1] of a probe run (`node -e <text> bench-host-probe <mode> ...`); imported, argv[1] is a script path and nothing runs. */
export const PROBE_MARK = 'bench-host-probe';
if (process.argv[1] === PROBE_MARK) void main(process.argv.slice(2));
