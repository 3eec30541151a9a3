// Where a link point's cells run: a lab on this machine (namespaces joined by an emulated
// link, local agents), or the real path between two remote hosts (agents over SSH). Both are
// calibrated the same way before any cell, and the engine drives both through this one shape.
import { startAgent, type Agent } from '../agent/controller.js';
import type { BackendName, LabRecord, LinkPoint, Warning } from '../core/types.js';
import type { UndoStack } from '../core/undo.js';
import { startRemoteAgent } from '../remote/agent.js';
import { calibrateRemotePath } from '../remote/calibrate.js';
import type { RemoteHosts } from '../remote/hosts.js';
import { applyImpairment, type ImpairTarget } from '../remote/impair.js';
import { destination } from '../remote/inventory.js';
import { labPlaces, type SubjectPlaces } from '../subjects/places.js';
import type { LinkEnds, Subject } from '../subjects/types.js';
import { calibrate } from '../../netem/calibrate.js';
import { randomInt } from 'node:crypto';
import { labUp, type Lab } from '../../netem/lab.js';
import { agentCpuWindow, localCpuWindow, type CpuWindow } from './cell-cpu.js';
import { remotePlaces } from './remote-places.js';

export interface PointSite {
  ends: LinkEnds;
  record: LabRecord;
  places: SubjectPlaces;
  server: Agent;
  client: Agent;
  /** Why the link or an agent cannot carry another cell, or null. */
  health(): string | null;
  /** False on the loopback backend: both agents share one namespace, its counters are read once. */
  separateNamespaces: boolean;
  /** `host`: TCP counters come from real hosts, where they count every socket of the host. */
  tcpScope: 'host' | undefined;
  /** The link's rate is what the scenario configured (false on a real path: unknown). */
  rateKnown: boolean;
  cpuWindow(subject: Subject): Promise<CpuWindow>;
  /** Read-backs after the point's last cell (emulator counters). */
  finish(): Promise<void>;
}

export interface SiteHooks {
  /** The link is up, its record made: the engine records it before calibration can fail. */
  linkUp(record: LabRecord): void;
  /** Calibration starts (probes, expected duration) and tells its progress (probes sent); a remote path tells only its start. */
  calibrateStart(plan: { probes: number; expectedMs: number }): void;
  calibrateProgress(sent: number): void;
  /** Calibrated: the engine tells the calibration's warnings and saves. */
  calibrated(record: LabRecord): Promise<void>;
}

export interface LabSiteOptions {
  runId: string;
  backend: BackendName;
  congestionControl: string;
  seed: number;
  probes?: number;
  tmpDir: string;
}

export async function labSite(point: LinkPoint, o: LabSiteOptions, undo: UndoStack, hooks: SiteHooks & { lab(lab: Lab): void }): Promise<PointSite> {
  // The probe meets loss of its own, drawn afresh per point: not the workloads' pattern,
  // and not the same pattern every run (issue 15).
  const probeSeed = randomInt(2 ** 47);
  const lab = await labUp({ runId: o.runId, point, backend: o.backend, congestionControl: o.congestionControl, seed: o.seed, probeSeed, undo });
  hooks.linkUp(lab.record);
  hooks.lab(lab);
  await calibrate(lab, { probes: o.probes, onStart: hooks.calibrateStart, onProgress: hooks.calibrateProgress });
  await hooks.calibrated(lab.record);
  const [server, client] = await Promise.all([startAgent('server', lab.serverNs, undo), startAgent('client', lab.clientNs, undo)]);
  return {
    ends: { clientAddr: lab.clientAddr, serverAddr: lab.serverAddr },
    record: lab.record,
    places: labPlaces({ client: lab.clientNs, server: lab.serverNs }, o.tmpDir),
    server,
    client,
    health: () => lab.health() ?? server.health() ?? client.health(),
    separateNamespaces: lab.clientNs !== null,
    tcpScope: undefined,
    rateKnown: true,
    cpuWindow: async (subject) => localCpuWindow(subject),
    finish: async () => {
      lab.record.emulatorCounters = (await lab.emulatorCounters()) ?? undefined;
    },
  };
}

/**
 * The real path: nothing is built or changed on the hosts; the path is calibrated as a lab
 * link is, and agents start on both hosts over their SSH connections.
 */
export async function remoteSite(point: LinkPoint, hosts: RemoteHosts, o: { probes?: number; congestionControl: string; impair?: ImpairTarget[] }, undo: UndoStack, hooks: SiteHooks): Promise<PointSite> {
  const warnings: Warning[] = [];
  const record: LabRecord = {
    point: point.index,
    backend: 'real-path',
    namespaces: null,
    addresses: { client: hosts.client.placement.testAddress, server: hosts.server.placement.testAddress },
    configured: point.link,
    measured: null,
    applied: { congestionControl: hostsCongestionControl(hosts), sysctls: {}, commands: [], readback: [] },
    path: { client: destination(hosts.client.placement), server: destination(hosts.server.placement), impairments: [] },
    warnings,
  };
  hooks.linkUp(record);
  // Impairment asked for (--impair): the point's link direction on each named interface, held until the point's undo.
  for (const t of o.impair ?? []) {
    const rec = await applyImpairment(t, point.link, undo);
    record.path!.impairments.push(rec);
    record.applied.commands.push(`${rec.host}: ${rec.command}`);
  }
  const cal = await calibrateRemotePath(hosts, { probes: o.probes });
  record.measured = cal.calibration;
  warnings.push(...cal.warnings.map((w) => ({ ...w, point: point.index })));
  await hooks.calibrated(record);
  const [server, client] = await Promise.all([startRemoteAgent('server', hosts.server, undo), startRemoteAgent('client', hosts.client, undo)]);
  const labels = { client: hosts.client.ssh.label, server: hosts.server.ssh.label };
  return {
    ends: { clientAddr: record.addresses.client, serverAddr: record.addresses.server },
    record,
    places: remotePlaces(hosts),
    server,
    client,
    health: () => server.health() ?? client.health(),
    separateNamespaces: true,
    tcpScope: 'host',
    rateKnown: false,
    cpuWindow: (subject) => agentCpuWindow(subject, { client, server }, labels),
    finish: async () => undefined,
  };
}

/** Each host's own congestion control (bench changes no sysctl on a remote host). */
function hostsCongestionControl(hosts: RemoteHosts): string {
  const c = hosts.client.facts.congestionControl ?? '?';
  const s = hosts.server.facts.congestionControl ?? '?';
  return c === s ? c : `client ${c}, server ${s}`;
}
