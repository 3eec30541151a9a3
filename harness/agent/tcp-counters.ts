// TCP counters an agent reads in its own namespace: the namespace's totals (/proc/net/snmp
// is per namespace), or per socket (tcp_info through `ss -ti`) for the sockets that face
// one peer, so a relay's link legs can be counted without its local (loopback) legs.
import { readFileSync } from 'node:fs';
import { run, spawn, type Child } from '../core/exec.js';
import type { TcpCounters } from '../core/types.js';

/** TCP counters of this process's network namespace. */
export function namespaceTcpCounters(): TcpCounters {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Tcp:'));
  const names = lines[0].split(/\s+/);
  const vals = lines[1].split(/\s+/);
  const get = (n: string): number => Number(vals[names.indexOf(n)]);
  return { retransSegs: get('RetransSegs'), outSegs: get('OutSegs') };
}

/** One socket of `ss -ti` output: "local peer" and its cumulative counters. */
interface SocketCounters {
  local: string;
  peer: string;
  counters: TcpCounters;
}

/**
 * `ss -ti` output (with -H: no header; with -E: destroyed sockets, same layout) -> sockets
 * and their cumulative segments sent and retransmitted. A socket's info follows its line,
 * indented; `retrans:U/T` (T = total retransmissions) is absent when it never retransmitted,
 * and sockets without tcp_info (TIME-WAIT) have no `segs_out`: they are left out.
 */
export function parseSs(out: string): SocketCounters[] {
  const sockets: SocketCounters[] = [];
  let at: { local: string; peer: string } | null = null;
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    if (!/^\s/.test(line)) {
      const f = line.trim().split(/\s+/);
      at = f.length >= 5 ? { local: f[3], peer: f[4] } : null;
      continue;
    }
    if (at === null) continue;
    const segs = /\bsegs_out:(\d+)/.exec(line);
    if (!segs) continue;
    const re = /\bretrans:\d+\/(\d+)/.exec(line);
    sockets.push({ ...at, counters: { outSegs: Number(segs[1]), retransSegs: re ? Number(re[1]) : 0 } });
    at = null;
  }
  return sockets;
}

/** "198.18.0.2:5201" -> "198.18.0.2" ("[::1]:80" -> "::1"). */
const addressOf = (hostPort: string): string => hostPort.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');

/**
 * Counters of this namespace's TCP sockets that face one peer address, cumulative and
 * complete: the sockets alive at a reading plus every such socket destroyed since the watch
 * began (`ss -tiE` reports each destroyed socket with its final tcp_info), so a connection
 * opened and closed within a cell counts too. The sum only grows: a socket counted alive
 * is later counted destroyed with values at least as large, and never both.
 */
export class LinkSocketWatch {
  private readonly destroyed = new Map<string, TcpCounters>();
  private readonly destroyedKeys = new Set<string>();
  private buf = '';
  private constructor(private readonly child: Child) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.buf += chunk;
      // A socket is complete once the next unindented line (or its info line) arrived: keep the tail.
      const cut = this.buf.lastIndexOf('\n');
      if (cut < 0) return;
      const text = this.buf.slice(0, cut + 1);
      this.buf = this.buf.slice(cut + 1);
      for (const s of parseSs(text)) {
        const key = `${s.local} ${s.peer}`;
        if (this.destroyedKeys.has(key)) continue;
        this.destroyedKeys.add(key);
        const peer = addressOf(s.peer);
        const acc = this.destroyed.get(peer) ?? { outSegs: 0, retransSegs: 0 };
        acc.outSegs += s.counters.outSegs;
        acc.retransSegs += s.counters.retransSegs;
        this.destroyed.set(peer, acc);
      }
    });
  }

  /** Start watching (line-buffered, so every destroyed socket arrives as it happens); it ends with the agent. */
  static async start(): Promise<LinkSocketWatch> {
    const w = new LinkSocketWatch(spawn('stdbuf', ['-oL', 'ss', '-tinHE'], { stdinPipe: false }));
    // The subscription takes a moment; the first cell's sockets open only after this reading returns.
    await new Promise((r) => setTimeout(r, 200));
    return w;
  }

  async read(peer: string): Promise<TcpCounters> {
    const r = await run('ss', ['-tinH', 'dst', peer], { timeoutMs: 5000 });
    const acc = { ...(this.destroyed.get(peer) ?? { outSegs: 0, retransSegs: 0 }) };
    for (const s of parseSs(r.stdout)) {
      if (this.destroyedKeys.has(`${s.local} ${s.peer}`)) continue;
      acc.outSegs += s.counters.outSegs;
      acc.retransSegs += s.counters.retransSegs;
    }
    return acc;
  }

  stop(): void {
    this.child.kill();
  }
}
