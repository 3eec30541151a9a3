// The run engine: for each link point, lab up -> calibrate -> rounds of cells -> lab down.
// It never prints; it emits events a progress view subscribes to (STYLE: autocannon). The
// result file is rewritten atomically after every cell, so nothing measured is lost to a
// later failure. An interruption is a value: run() returns the result with status
// `interrupted`. How many rounds a point runs is the stopping rule's (rounds.ts): a fixed
// `repetitions: N`, or `repetitions: auto` adding rounds while comparisons are undecided.
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import type { Credentials } from '../core/certs.js';
import type { LinkBackend, LinkPoint, Warning } from '../core/types.js';
import { EnvironmentError } from '../core/errors.js';
import type { UndoStack } from '../core/undo.js';
import { gitSha, TOOL_VERSION } from '../core/version.js';
import type { RemoteHosts } from '../remote/hosts.js';
import type { ImpairTarget } from '../remote/impair.js';
import { cellIndex, planOf, ruleOfScenario } from '../results/run-verdicts.js';
import type { PointRounds, StoppingRule } from '../results/verdict-types.js';
import { writeResultFileAtomic } from '../results/result-file.js';
import { FORMAT_VERSION, type CellResult, type ResultFile } from '../results/types.js';
import { scenarioSha256 } from '../scenario/load.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { factsOf, startSubject, type TransportSpec } from '../subjects/index.js';
import type { Subject } from '../subjects/types.js';
import type { Workload } from '../workloads/index.js';
import type { Lab } from '../../netem/lab.js';
import { cellId, emptyCell, pointBroken, runCell, type PointEnv } from './cell.js';
import { PlanTracker, type LookInfo, type RunEvents, type WarmupInfo } from './events.js';
export type { LookInfo, RunEvents, WarmupInfo, WorkLeft } from './events.js';
import { labSite, remoteSite, type PointSite } from './point-site.js';
import { hostRecords, realPathWarnings } from './real-path.js';
import { GateVerdicts, pairKey, PointVerdicts, type GateSpec } from './rounds.js';
import { makeRunTmpDir, removeRunState, writeRunState } from './run-state.js';

export interface RunOptions {
  runId: string;
  /** A lab backend, or `real-path` (then `remote` says between which hosts). */
  backend: LinkBackend;
  /** Both endpoints on remote hosts, prepared (reached, checked, bench found or pushed) before the run. */
  remote?: RemoteHosts;
  /** Impairment on named interfaces of the real path's hosts (checked already), applied per point. */
  impair?: ImpairTarget[];
  resultPath: string;
  label: string;
  owner: { uid: number; gid: number } | null;
  creds: Credentials;
  /** Calibration probes per point; absent: sized for the configured loss (netem/calibrate-loss.ts). */
  calibrationProbes?: number;
  host: ResultFile['host'];
  scenarioSource: string;
  /** `bench run --baseline`: the rounds are driven by the gate's rows against this baseline file. */
  gate?: GateSpec;
}


/** A point's link or agents broke between cells: its remaining cells fail with this reason. */
class PointBroken extends Error {}

/** bench's servers close connections idle this long, or longer when a workload asks (ms). */
const MIN_SERVER_IDLE_MS = 30_000;

export class RunEngine extends EventEmitter<RunEvents> {
  readonly result: ResultFile;
  private writes: Promise<void> = Promise.resolve();
  /** Set on SIGINT/SIGTERM before cleanup starts: no new cell, and a cell cut short by the
   * teardown is discarded rather than recorded as a failure it isn't. */
  private aborted = false;
  /** The run's private temp directory (credential files of command subjects). */
  private tmpDir = '';
  /** The last failed save's message while saves keep failing. */
  private writeProblem: string | null = null;
  /** What is left to run, for the progress view's remaining time. */
  private readonly plan: PlanTracker;
  readonly rule: StoppingRule;
  private readonly gate: GateVerdicts | null;
  private readonly pointVerdicts: PointVerdicts[] = [];
  /** performance.now() when run() started: the budget counts from here. */
  private runStart = 0;

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
      ...(opts.remote ? { hosts: hostRecords(opts.remote) } : {}),
      transports: {},
      labs: [],
      cells: [],
      warnings: [],
    };
    this.rule = ruleOfScenario(scenario);
    this.plan = new PlanTracker(scenario, this.rule.maxReps);
    this.gate = opts.gate ? new GateVerdicts(opts.gate, this.rule, this.result) : null;
    this.result.verdicts = { rule: this.rule, comparisons: [], points: [], ...(this.gate ? { gate: this.gate.record() } : {}) };
  }

  /** Stop starting cells (a signal arrived); run() then returns the result as `interrupted`. */
  abort(): void {
    this.aborted = true;
  }

  /** Recorded cells of the first look: transports x workloads x repetitions (the minimum, with auto) x points. */
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

  /** Run every point; the result's status says how it ended (complete or interrupted). */
  async run(undo: UndoStack): Promise<ResultFile> {
    this.runStart = performance.now();
    // A trail for `bench cleanup` should this process be killed: its temp dir and result.
    this.tmpDir = await makeRunTmpDir(this.opts.runId);
    const tmpDir = this.tmpDir;
    undo.push(`temp dir ${tmpDir}`, () => rm(tmpDir, { recursive: true, force: true }));
    if (await writeRunState({ runId: this.opts.runId, resultPath: this.opts.resultPath, tmpDir, owner: this.opts.owner })) {
      undo.push('run state', () => removeRunState(this.opts.runId));
    }
    await this.save();
    if (this.opts.remote) for (const w of realPathWarnings(this.scenario, this.opts.remote, (this.opts.impair?.length ?? 0) > 0)) this.warn(w);
    for (const point of this.scenario.points) {
      if (this.aborted) break;
      const pointUndo = undo.child(`lab point ${point.index}`);
      const ordinal = this.plan.pointStarts();
      this.emit('plan', this.plan.left());
      this.emit('pointStart', point, { ordinal, of: this.scenario.points.length });
      try {
        await this.runPoint(point, pointUndo);
      } catch (err) {
        const why = err instanceof PointBroken ? `point "${point.label}" could not go on: ${err.message}` : `lab for point "${point.label}" failed: ${(err as Error).message}`;
        if (!this.aborted) this.failRemaining(point, why);
      } finally {
        this.plan.pointOver(point.index);
        const problems = await pointUndo.run();
        for (const p of problems) this.warn({ code: 'cleanup', message: p, remedy: 'run `sudo bench cleanup` to remove leftovers', point: point.index });
      }
      await this.saveOrWarn();
    }
    return this.finish(this.aborted ? 'interrupted' : 'complete');
  }

  /** Record how the run ended and write it; a failed final write is the caller's error. */
  async finish(status: ResultFile['status']): Promise<ResultFile> {
    this.result.status = status;
    this.result.finishedAt = new Date().toISOString();
    try {
      await this.save();
    } catch (err) {
      throw new EnvironmentError(
        `could not write the final result ${this.opts.resultPath}: ${(err as Error).message}`,
        'free space in the output directory and run again; the file on disk holds what its last successful write held',
      );
    }
    return this.result;
  }

  /** A warning about the whole run: recorded in the result and told to the progress view. */
  warn(w: Warning): void {
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
          void this.pushCell(emptyCell(point.index, t, w, rep, 'failed', reason, 'n/a'));
        }
      }
    }
  }

  /** Records a cell and rewrites the result file; resolves once written, so no write overlaps the next cell's measurement. */
  private async pushCell(c: CellResult): Promise<void> {
    this.result.cells.push(c);
    this.emit('cell', c, { done: this.done(), total: this.total });
    await this.saveOrWarn(c.id);
  }

  /**
   * A save during the run: a failed write (a full disk) is reported, never taken for a
   * failure of the lab or the cell; the next save carries everything again, and the final
   * one (finish) is the caller's error.
   */
  private async saveOrWarn(cellId?: string): Promise<void> {
    try {
      await this.save();
      this.writeProblem = null;
    } catch (err) {
      const message = `could not write ${this.opts.resultPath}: ${(err as Error).message}`;
      // Said once per kind of failure, not after every cell of a full disk.
      if (message !== this.writeProblem) this.warn({ code: 'result-write', message, remedy: 'free space or fix permissions in the output directory; every later save tries again, and nothing measured is lost from memory', cellId });
      this.writeProblem = message;
    }
  }

  /** The transport's facts as this run found them, recorded once (the reports read them). */
  private recordTransport(t: TransportSpec, subject: Subject): void {
    if (this.result.transports![t.name] && subject.implementation === 'n/a') return;
    const { family, carries, encrypted, reference, handshake, resumption } = factsOf(t);
    this.result.transports![t.name] = { family, carries, encrypted, reference, handshake, resumption, implementation: subject.implementation };
  }

  private async runPoint(point: LinkPoint, undo: UndoStack): Promise<void> {
    const s = this.scenario;
    const calStart = performance.now();
    let probes = 0;
    let readyStart = performance.now();
    const hooks = {
      linkUp: (record: PointSite['record']) => {
        this.result.labs.push(record);
      },
      calibrateStart: (plan: { probes: number; expectedMs: number }) => {
        probes = plan.probes;
        this.emit('calibrationStart', { point: point.index, ...plan });
      },
      calibrateProgress: (sent: number) => this.emit('calibrationProgress', { point: point.index, sent, probes }),
      calibrated: async (record: PointSite['record']) => {
        if (record.measured) this.emit('calibrationEnd', { point: point.index, calibration: record.measured, durationMs: performance.now() - calStart, warnings: record.warnings.length });
        for (const w of record.warnings) this.emit('warning', w);
        await this.saveOrWarn();
        readyStart = performance.now();
      },
    };
    const site: PointSite = this.opts.remote
      ? await (async () => {
          this.emit('point', point, null);
          return remoteSite(point, this.opts.remote!, { probes: this.opts.calibrationProbes, congestionControl: s.congestionControl, impair: this.opts.impair }, undo, hooks);
        })()
      : await labSite(
          point,
          { runId: this.opts.runId, backend: this.opts.backend as Lab['backend'], congestionControl: s.congestionControl, seed: s.seed, probes: this.opts.calibrationProbes, tmpDir: this.tmpDir },
          undo,
          { ...hooks, lab: (lab) => this.emit('point', point, lab) },
        );
    // The configured RTT, not the calibrated one: what a steady state leaves out must not move
    // with the host's noise between a baseline and a candidate run.
    const env: PointEnv = Object.assign(site, { rttMs: point.link.uplink.delayMs + point.link.downlink.delayMs });
    const { server, client } = env;
    const idleTimeoutMs = Math.max(MIN_SERVER_IDLE_MS, ...s.workloads.map((w) => ('idleTimeoutMs' in w ? w.idleTimeoutMs : 0)));
    const subjects = new Map<string, Subject>();
    for (const t of s.transports) {
      const subject = await startSubject(t, { lab: env.ends, places: env.places, server, client, creds: this.opts.creds, undo, idleTimeoutMs, tmpDir: this.tmpDir });
      subjects.set(t.name, subject);
      this.recordTransport(t, subject);
    }
    this.emit('ready', { point: point.index, transports: subjects.size, durationMs: performance.now() - readyStart });

    const verdicts = new PointVerdicts(point.index, this.rule, planOf(this.rule), s.workloads, s.transports.map((t) => t.name), (n) => this.result.transports![n]);
    this.pointVerdicts.push(verdicts);
    const rounds: PointRounds = { point: point.index, rounds: 0, elapsedMs: 0, stoppedBy: 'interrupted' };
    this.result.verdicts!.points.push(rounds);
    const started = performance.now();
    try {
      rounds.stoppedBy = await this.runRounds(point, subjects, env, verdicts, rounds);
    } catch (err) {
      rounds.stoppedBy = 'failed';
      throw err;
    } finally {
      rounds.elapsedMs = performance.now() - started;
      const reason = rounds.stoppedBy === 'all-decided' || rounds.stoppedBy === 'futile' || rounds.stoppedBy === 'max-reps' ? 'max-reps' : rounds.stoppedBy === 'budget' ? 'budget' : 'interrupted';
      verdicts.finish(reason);
      this.gate?.finish(point.index, reason);
      this.recordVerdicts();
      this.emit('stopped', rounds);
    }
    await env.finish();
    for (const sub of subjects.values()) await sub.stop?.();
  }

  /**
   * Rounds at one point until the stopping rule ends them: warm-up rounds, then recorded
   * rounds of every cell up to minReps, then, while comparisons are open and maxReps and
   * the budget allow, rounds of the cells the open ones need. Returns why it stopped.
   */
  private async runRounds(point: LinkPoint, subjects: Map<string, Subject>, env: PointEnv, verdicts: PointVerdicts, rounds: PointRounds): Promise<PointRounds['stoppedBy']> {
    const s = this.scenario;
    const { minReps, maxReps } = this.rule;
    const order = [...s.transports];
    const deadline = this.deadlineOf(point);
    // Wall time of each cell pair's last cell (bookkeeping included): the next round's estimate.
    const lastMs = new Map<string, number>();
    let warmups = 0;
    for (let r = 0; ; r++) {
      const rep = r - s.warmup; // negative = warm-up, not recorded
      let pairs: Set<string> | null = null;
      if (rep >= minReps) {
        pairs = this.gate ? this.gate.pairs(point.index) : verdicts.pairs();
        if (pairs.size === 0) return (this.gate?.tally(0, point.index) ?? verdicts.tally(0)).futile > 0 ? 'futile' : 'all-decided';
        if (rep >= maxReps) return 'max-reps';
        const estimate = [...pairs].reduce((sum, k) => sum + (lastMs.get(k) ?? 0), 0);
        if (deadline !== null && performance.now() + estimate > deadline) return 'budget';
      }
      for (const w of s.workloads) {
        // Rotate the transport order each round so machine drift spreads evenly.
        const rotated = order.map((_, i) => order[(i + r) % order.length]);
        for (const t of rotated) {
          if (pairs && !pairs.has(pairKey(t.name, w.id))) continue;
          if (this.aborted) return 'interrupted';
          const subject = subjects.get(t.name)!;
          this.emit('plan', this.plan.left());
          this.plan.ran(point.index, w.id);
          const warm: WarmupInfo | null = rep < 0 ? { point: point.index, transport: t.name, workload: w.id, round: r + 1, rounds: s.warmup, index: ++warmups, of: s.warmup * s.workloads.length * s.transports.length } : null;
          if (warm) this.emit('warmupStart', warm);
          else this.emit('cellStart', { point: point.index, transport: t.name, workload: w.id, repetition: rep, done: this.done(), total: this.total });
          const t0 = performance.now();
          const cell = await runCell(this.scenario, point, t, w, rep, subject, env);
          if (this.aborted) return 'interrupted';
          if (warm) this.emit('warmupEnd', { ...warm, status: cell.status, durationMs: cell.durationMs });
          else await this.pushCell(cell);
          lastMs.set(pairKey(t.name, w.id), performance.now() - t0);
          // A dead or stopped agent or emulator spoils every cell after it: say so at once
          // instead of running each into its timeout.
          const broken = pointBroken(env);
          if (broken) throw new PointBroken(broken);
        }
      }
      if (rep < 0) continue;
      rounds.rounds = rep + 1;
      if (rep >= minReps - 1) {
        const look = rep - (minReps - 1);
        const index = cellIndex(this.result.cells.filter((c) => c.point === point.index));
        verdicts.look(look, (t, w) => index(point.index, t, w));
        this.gate?.look(point.index, look, this.result);
        this.recordVerdicts();
        await this.saveOrWarn();
        const tally = this.gate?.tally(maxReps - rep - 1) ?? verdicts.tally(maxReps - rep - 1);
        // Decided k of n is news only where it steers the run (adaptive repetitions, the gate).
        if ((this.rule.repetitions === 'auto' || this.gate) && tally.total > 0) {
          this.plan.looked({ k: tally.decided, n: tally.total }, deadline === null ? null : Math.max(0, deadline - performance.now()));
          this.emit('plan', this.plan.left());
        }
        this.emit('look', {
          point: point.index,
          round: rep + 1,
          look,
          verdicts: verdicts.tally(maxReps - rep - 1),
          gate: this.gate?.tally(maxReps - rep - 1) ?? null,
          budgetLeftMs: deadline === null ? null : Math.max(0, deadline - performance.now()),
          moreAllowed: rep + 1 < maxReps,
        });
      }
    }
  }

  /**
   * When point `point` stops starting rounds: with P points, point i may run until
   * budget x (i + 1) / P after the run started (time a point leaves unused goes to the
   * next); null without a budget. The rounds of the first look always run.
   */
  private deadlineOf(point: LinkPoint): number | null {
    if (this.rule.budgetMs === null) return null;
    const i = this.scenario.points.findIndex((p) => p.index === point.index);
    return this.runStart + (this.rule.budgetMs * (i + 1)) / this.scenario.points.length;
  }

  /** The verdicts as they stand, into the result (saved with the next write). */
  private recordVerdicts(): void {
    const v = this.result.verdicts!;
    v.comparisons = this.pointVerdicts.flatMap((p) => p.list());
    if (this.gate) v.gate = this.gate.record();
  }

}
