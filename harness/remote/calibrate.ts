// Calibration of a real path between two remote hosts: the lab's paced UDP echo
// (netem/probe-agent.js, from each host's bench) run over ssh, giving RTT percentiles and
// loss each way exactly as a lab link's. A real path has no configured link to compare with,
// so the only warnings are about the measurement itself (probe socket overruns, no answers).
import { calibrationOf, probePath, type ProbeResult } from '../../netem/calibrate.js';
import type { Calibration, Warning } from '../core/types.js';
import type { RemoteHosts } from './hosts.js';

export interface PathCalibrateOptions {
  /** @default 500 */
  probes?: number;
  /** UDP payload per probe, bytes. @default 64 */
  payloadBytes?: number;
  /**
   * Gap between probes, ms. @default 2 (64 B probes: ~0.37 Mbit/s each way, small beside any
   * path worth measuring; raise it for a path slower than ~8 Mbit/s, where probes would
   * take more than 5 % of it).
   */
  intervalMs?: number;
  /** How long the client waits for late answers after the last probe, ms. @default 2000 */
  waitMs?: number;
}

export async function calibrateRemotePath(hosts: RemoteHosts, o: PathCalibrateOptions = {}): Promise<{ calibration: Calibration; probe: ProbeResult; warnings: Warning[] }> {
  const payloadBytes = Math.max(8, Math.round(o.payloadBytes ?? 64));
  const probe = await probePath(
    (side, args) => {
      const h = hosts[side];
      return h.ssh.spawn([h.placement.node, `${h.bench.root}/dist/netem/probe-agent.js`, ...args]);
    },
    hosts.server.placement.testAddress,
    { probes: Math.max(1, Math.round(o.probes ?? 500)), payloadBytes, intervalMs: o.intervalMs ?? 2, waitMs: o.waitMs ?? 2000 },
  );
  const warnings: Warning[] = [];
  if (probe.socketDrops > 0) {
    warnings.push({ code: 'calibration-probe-overrun', message: `${probe.socketDrops} probe datagrams were dropped by a probe agent's socket, not by the path; measured loss is overstated`, remedy: 'a host is too busy for this probe rate: raise the probe interval or reduce other load' });
  }
  if (probe.rttMs.length === 0) {
    warnings.push({ code: 'calibration-no-answers', message: 'no calibration probe came back over the path', remedy: 'check UDP between the test addresses (firewalls, routes)' });
  }
  return { calibration: calibrationOf(probe, payloadBytes), probe, warnings };
}
