// The run engine: for each link point, lab up -> calibrate -> cells -> lab down. It never
// prints; it emits events a progress view subscribes to (STYLE: autocannon). The result file
// is rewritten atomically after every cell, so nothing measured is lost to a later failure.
import { EventEmitter } from 'node:events';
import { Agent, startAgent } from './agents.js';
import { cpuBoundVerdict, cpuMark, cpuSince, sumCpu } from './cpu.js';
import { bulkLinkRate } from './scenario-link.js';
import { cellKey, cellMetrics } from './metrics.js';
import { writeResultFileAtomic } from './result-file.js';
import { scenarioSha256 } from './scenario.js';
import type { Credentials } from './transports/types.js';
import type { BackendName, CellResult, LinkPoint, ResolvedScenario, ResultFile, TransportSpec, Warning, Workload } from './types.js';
import { FORMAT_VERSION } from './types.js';
import type { UndoStack } from './undo.js';
import { gitSha, TOOL_VERSION } from './version.js';
import { calibrate } from '../netem/calibrate.js';
import { labUp, type Lab } from '../netem/lab.js';
import { subjectFor, type Subject, type SubjectOutcome } from './subjects.js';

export interface RunOptions {
  runId: string;
  backend: BackendName;
  resultPath: string;
  label: string;
  owner: { uid: number; gid: number } | null;
  creds: Credentials;
  calibrationProbes?: number;
  host: ResultFile['host'];
  scenarioSource: string;
}

export interface RunEvents {
  point: [point: LinkPoint, lab: Lab | null];
  cellStart: [info: { point: number; transport: string; workload: string; repetition: number; done: number; total: number }];
  cell: [cell: CellResult, progress: { done: number; total: number }];
  warning: [w: Warning];
}

/** A cell's id: its measurement's key plus the repetition. */
const cellId = (point: number, transport: string, workload: string, rep: number): string => `${cellKey({ point, transport, workload })}/${rep}`;

export class RunEngine extends EventEmitter<RunEvents> {
  readonly result: ResultFile;
  private writes: Promise<void> = Promise.resolve();
  /** Set on SIGINT/SIGTERM before cleanup starts: no new cell, and a cell cut short by the
   * teardown is discarded rather than recorded as a failure it isn't. */
  private aborted = false;

  abort(): void {
    this.aborted = true;
  }

  get wasAborted(): boolean {
    return this.aborted;
  }

  constructor(
    readonly scenario: ResolvedScenario,
    readonly opts: RunOptions,
  ) {
    super();
    this.result = {
      formatVersion: FORMAT_VERSION,
      tool: { name: 'bench', version: TOOL_VERSION, gitSha: gitSha() },
      label: opts.label,
      status: 'running',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      host: opts.host,
      scenario,
      scenarioSha256: scenarioSha256(scenario),
      scenarioSource: opts.scenarioSource,
      backend: opts.backend,
      labs: [],
      cells: [],
      warnings: [],
    };
  }

  /** Total recorded cells: transports x workloads x repetitions x points. */
  get total(): number {
    const s = this.scenario;
    return s.points.length * s.transports.length * s.workloads.length * s.repetitions;
  }

  /**
   * Serialised atomic rewrite of the result as it is when the write starts (one
   * serialisation, no copy); callers may await it, and it rejects when this write failed.
   * One failed write does not poison the ones after it.
   */
  save(): Promise<void> {
    const write = this.writes.then(() => writeResultFileAtomic(this.opts.resultPath, this.result, { owner: this.opts.owner }));
    this.writes = write.catch(() => undefined);
    return write;
  }

  async run(undo: UndoStack): Promise<ResultFile> {
    await this.save();
    for (const point of this.scenario.points) {
      if (this.aborted) break;
      const pointUndo = undo.child(`lab point ${point.index}`);
      try {
        await this.runPoint(point, pointUndo);
      } catch (err) {
        if (!this.aborted) this.failRemaining(point, `lab for point "${point.label}" failed: ${(err as Error).message}`);
      } finally {
        const problems = await pointUndo.run();
        for (const p of problems) this.warn({ code: 'cleanup', message: p, remedy: 'run `sudo bench cleanup` to remove leftovers', point: point.index });
      }
      await this.save();
    }
    this.result.status = this.aborted ? 'interrupted' : 'complete';
    this.result.finishedAt = new Date().toISOString();
    await this.save();
    return this.result;
  }

  /** Mark the run interrupted (SIGINT/SIGTERM) and write what we have. */
  async interrupt(): Promise<void> {
    this.result.status = 'interrupted';
    this.result.finishedAt = new Date().toISOString();
    await this.save();
  }

  private warn(w: Warning): void {
    this.result.warnings.push(w);
    this.emit('warning', w);
  }

  private done(): number {
    return this.result.cells.length;
  }

  private failRemaining(point: LinkPoint, reason: string): void {
    for (let rep = 0; rep < this.scenario.repetitions; rep++) {
      for (const w of this.scenario.workloads) {
        for (const t of this.scenario.transports) {
          const id = cellId(point.index, t.name, w.id, rep);
          if (this.result.cells.some((c) => c.id === id)) continue;
          void this.pushCell(this.emptyCell(point.index, t, w, rep, 'failed', reason, 'n/a'));
        }
      }
    }
  }

  private emptyCell(point: number, t: TransportSpec, w: Workload, rep: number, status: CellResult['status'], reason: string | null, implementation: string): CellResult {
    return {
      id: cellId(point, t.name, w.id, rep),
      point,
      transport: t.name,
      implementation,
      workload: w.id,
      kind: w.kind,
      repetition: rep,
      status,
      reason,
      startedAt: new Date().toISOString(),
      durationMs: 0,
      samples: {},
      metrics: {},
      cpu: null,
      tcp: null,
      quic: null,
      warnings: [],
    };
  }

  /** Records a cell and rewrites the result file; resolves once written, so no write overlaps the next cell's measurement. */
  private async pushCell(c: CellResult): Promise<void> {
    this.result.cells.push(c);
    this.emit('cell', c, { done: this.done(), total: this.total });
    // A failed write is reported, never fatal here: the next save carries this cell too.
    await this.save().catch((err: Error) =>
      this.emit('warning', { code: 'result-write', message: `could not write ${this.opts.resultPath}: ${err.message}`, remedy: 'check the output directory (space, permissions); the next cell tries again', cellId: c.id }),
    );
  }

  private async runPoint(point: LinkPoint, undo: UndoStack): Promise<void> {
    const s = this.scenario;
    const lab = await labUp({ runId: this.opts.runId, point, backend: this.opts.backend, congestionControl: s.congestionControl, seed: s.seed, undo });
    this.result.labs.push(lab.record);
    this.emit('point', point, lab);
    await calibrate(lab, { probes: this.opts.calibrationProbes });
    for (const w of lab.record.warnings) this.emit('warning', w);
    await this.save();

    const [server, client] = await Promise.all([startAgent('server', lab.serverNs, undo), startAgent('client', lab.clientNs, undo)]);
    const subjects = new Map<string, Subject>();
    for (const t of s.transports) {
      subjects.set(t.name, await subjectFor(t, { lab, server, client, creds: this.opts.creds, undo, scenario: s }));
    }

    const order = [...s.transports];
    const total = s.warmup + s.repetitions;
    for (let r = 0; r < total; r++) {
      const rep = r - s.warmup; // negative = warm-up, not recorded
      for (const w of s.workloads) {
        // Rotate the transport order each repetition so machine drift spreads evenly.
        const rotated = order.map((_, i) => order[(i + r) % order.length]);
        for (const t of rotated) {
          if (this.aborted) return;
          const subject = subjects.get(t.name)!;
          if (rep >= 0) this.emit('cellStart', { point: point.index, transport: t.name, workload: w.id, repetition: rep, done: this.done(), total: this.total });
          const cell = await this.runCell(point, t, w, rep, subject, { lab, server, client });
          if (this.aborted) return;
          if (rep >= 0) await this.pushCell(cell);
        }
      }
    }
    lab.record.emulatorCounters = (await lab.emulatorCounters()) ?? undefined;
    for (const sub of subjects.values()) await sub.stop?.();
  }

  private async runCell(point: LinkPoint, t: TransportSpec, w: Workload, rep: number, subject: Subject, env: { lab: Lab; server: Agent; client: Agent }): Promise<CellResult> {
    const unsupported = subject.unsupported(w);
    if (unsupported) return this.emptyCell(point.index, t, w, rep, 'unsupported', unsupported, subject.implementation);
    const cell = this.emptyCell(point.index, t, w, rep, 'ok', null, subject.implementation);
    // The server's TCP counters are read before the CPU marks and the clock start, so that
    // round trip is in neither; cells without TCP traffic skip it.
    const serverTcp0 = subject.countsTcp ? await env.server.request<{ retransSegs: number; outSegs: number }>({ op: 'tcpstats' }).catch(() => null) : null;
    await subject.begin?.();
    const t0 = performance.now();
    const marks = { client: subject.clientPids().map(cpuMark), server: subject.serverPids().map(cpuMark) };
    let out: SubjectOutcome | null = null;
    try {
      out = await subject.run(w, { seed: (this.scenario.seed + rep * 7919 + point.index * 104729) >>> 0, timeoutMs: this.scenario.timeoutMs });
    } catch (err) {
      cell.status = 'failed';
      cell.reason = (err as Error).message;
    }
    // The cell's clock and CPU window end here, before any bookkeeping round trip.
    cell.durationMs = performance.now() - t0;
    const client = sumCpu(marks.client.map(cpuSince));
    const server = sumCpu(marks.server.map(cpuSince));
    // The cell's connections close now, outside its window (a QUIC close drains for up to 3 PTO).
    await env.client.request({ op: 'close' }).catch(() => undefined);
    if (out && subject.end) out = await subject.end(out);
    if (out) {
      cell.status = out.status;
      cell.reason = out.reason;
      cell.samples = out.samples;
      if (out.tcp) {
        const serverTcp1 = serverTcp0 ? await env.server.request<{ retransSegs: number; outSegs: number }>({ op: 'tcpstats' }).catch(() => null) : null;
        const sdelta = serverTcp0 && serverTcp1 ? { r: serverTcp1.retransSegs - serverTcp0.retransSegs, o: serverTcp1.outSegs - serverTcp0.outSegs } : { r: 0, o: 0 };
        cell.tcp = env.lab.clientNs ? { retransSegs: out.tcp.retransSegs + sdelta.r, outSegs: out.tcp.outSegs + sdelta.o } : out.tcp;
      }
      if (out.quic) cell.quic = out.quic;
      if (out.logs) cell.logs = out.logs;
    }
    cell.metrics = cellMetrics(w.kind, cell.samples);
    const rate = bulkLinkRate(point.link, w);
    const bulk = w.kind === 'bulk' && cell.metrics.goodputBitsPerSec !== undefined ? { goodputBitsPerSec: cell.metrics.goodputBitsPerSec, linkRateBitsPerSec: rate } : null;
    const verdict = cpuBoundVerdict(client, server, subject.implementation, bulk);
    cell.cpu = { client, server, cpuBound: verdict !== null };
    if (verdict) {
      cell.warnings.push({
        code: 'cpu-bound',
        message: verdict.message,
        remedy: 'compare on a slower link, or against a native implementation of the same protocol (e.g. the quic-go subject)',
        cellId: cell.id,
      });
    }
    if (w.kind === 'echo' && (cell.samples.rttUs?.length ?? 0) < 10 && cell.status === 'ok') {
      cell.warnings.push({ code: 'few-samples', message: `only ${cell.samples.rttUs?.length ?? 0} echo samples`, remedy: 'raise the echo count or duration', cellId: cell.id });
    }
    return cell;
  }
}
