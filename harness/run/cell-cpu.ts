// A cell's CPU window: each endpoint's CPU and the host's load, read by whoever can read the
// host the endpoint runs on. In a lab both ends run on this machine and the controller reads
// /proc itself; on a real path each end's agent reads its own host (agent op `cpu`), because
// the controller only sees the ssh clients, whose CPU is not the endpoint's.
import type { Agent } from '../agent/controller.js';
import type { CpuMark, HostMark } from '../core/cpu-reading.js';
import type { CpuUsage } from '../core/types.js';
import { cpuBetween, cpuMark, cpuSince, sumCpu } from '../results/cpu.js';
import { hostBetween, hostMark, hostSince, type HostLoad } from '../results/host-load.js';
import type { Subject } from '../subjects/types.js';

export interface CellCpu {
  client: CpuUsage | null;
  server: CpuUsage | null;
  /** This machine's load (a lab), and why it was contended. */
  host: { load: HostLoad; why: string | null } | null;
  /** A real path: each end's own host, read there. */
  hostLoads?: { client: { load: HostLoad; why: string | null } | null; server: { load: HostLoad; why: string | null } | null };
}

export interface CpuWindow {
  /** Close the window (right after the cell's clock stops). */
  end(): Promise<CellCpu>;
}

/** The lab: every process is on this machine. */
export function localCpuWindow(subject: Subject): CpuWindow {
  const marks = { client: subject.clientPids().map(cpuMark), server: subject.serverPids().map(cpuMark) };
  const host0 = hostMark();
  return {
    async end() {
      const client = sumCpu(marks.client.map(cpuSince));
      const server = sumCpu(marks.server.map(cpuSince));
      return { client, server, host: hostSince(host0, { client, server }) };
    },
  };
}

type Reading = { procs: (CpuMark | null)[]; host: HostMark | null } | null;

/** Deadline of a CPU reading request, ms: a stalled agent must not stall the run. */
const CPU_READING_MS = 5000;

/**
 * Remote hosts: each end's agent reads itself, the subject's other processes on its host and
 * the host's CPU time. `hosts` labels each end's CPU with where it was read.
 */
export async function agentCpuWindow(subject: Subject, agents: { client: Agent; server: Agent }, hosts: { client: string; server: string }): Promise<CpuWindow> {
  const pids = { client: subject.clientPids(), server: subject.serverPids() };
  // The agent reads itself first (procs[0]); the other pids are the subject's processes there.
  const read = (end: 'client' | 'server'): Promise<Reading> =>
    agents[end].request({ op: 'cpu', pids: pids[end].filter((p) => p !== agents[end].endPid) }, { deadlineMs: CPU_READING_MS }).catch(() => null);
  const [c0, s0] = await Promise.all([read('client'), read('server')]);
  return {
    async end() {
      const [c1, s1] = await Promise.all([read('client'), read('server')]);
      const usage = (a: Reading, b: Reading, where: string): CpuUsage | null => {
        if (!a || !b) return null;
        const u = sumCpu(a.procs.map((m, i) => cpuBetween(m, b.procs[i] ?? null)));
        return u ? { ...u, host: where } : null;
      };
      const client = usage(c0, c1, hosts.client);
      const server = usage(s0, s1, hosts.server);
      return {
        client,
        server,
        host: null,
        hostLoads: {
          client: hostBetween(c0?.host ?? null, c1?.host ?? null, { client, server: null }),
          server: hostBetween(s0?.host ?? null, s1?.host ?? null, { client: null, server }),
        },
      };
    },
  };
}
