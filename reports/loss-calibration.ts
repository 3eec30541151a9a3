// Loss per direction, three ways side by side: configured, applied by the emulator (its own
// counters, during the calibration probe and over the whole point) and measured by the probe
// (issue 15: the emulator's 0.95 % was in result.json but not in the report, beside a probe
// that read 0 %). The report judges nothing itself: the ⚠ marks repeat the lab's warnings.
import { appliedLoss, type AppliedLoss } from '../harness/core/link.js';
import type { LabRecord } from '../harness/core/types.js';
import type { ResultFile } from '../harness/results/types.js';
import { fmtPct, lossOf } from './format.js';
import { labOf, pointIndexes, pointLabel, pointOf } from './model.js';
import { html, table, type Html, type HtmlValue } from './style.js';

type Which = 'uplink' | 'downlink';

/** The lab's warnings about one direction's loss, as [code, short reason]. */
function flags(lab: LabRecord, which: Which): string[] {
  const out: string[] = [];
  for (const w of lab.warnings) {
    if (w.code === `calibration-loss-${which}`) out.push('probe ≠ configured beyond binomial noise (99 %)');
    else if (w.code === `calibration-loss-outside-emulator-${which}`) out.push('probes lost outside the emulator');
    else if (w.code === `emulator-loss-${which}`) out.push('emulator ≠ configured over the point (99.9 %)');
    else if (w.code === 'calibration-loss-unresolved') out.push('too few probes to resolve the loss');
    else if (w.code === 'calibration-probe-overrun') out.push('probe sockets dropped datagrams');
  }
  return out;
}

function ratio(a: AppliedLoss | null | undefined): HtmlValue {
  if (!a || a.packets <= 0) return html`<span class="muted">–</span>`;
  return html`${fmtPct((100 * a.dropped) / a.packets)} <span class="muted">${a.dropped}/${a.packets}</span>`;
}

function probeCell(lab: LabRecord, which: Which): HtmlValue {
  const m = lab.measured;
  if (!m) return html`<span class="muted">not calibrated</span>`;
  const lost = which === 'uplink' ? m.uplinkLost : m.downlinkLost;
  const n = which === 'uplink' ? m.probes : m.probes - m.uplinkLost;
  const e = m.lossRelativeError?.[which];
  const err = typeof e === 'number' && Number.isFinite(e) ? html` <span class="muted">±${Math.round(e * 100)} % of it (95 %)</span>` : '';
  return html`${fmtPct(which === 'uplink' ? m.uplinkLossPct : m.downlinkLossPct)} <span class="muted">${lost}/${n}</span>${err}`;
}

/** One row per point and direction; null when no lab was calibrated or counted. */
export function lossTable(result: ResultFile): Html | null {
  const rows: HtmlValue[][] = [];
  const cls: (string | undefined)[][] = [];
  let older = false;
  for (const i of pointIndexes(result)) {
    const lab = labOf(result, i);
    const conf = lab?.configured ?? pointOf(result, i)?.link;
    if (!lab || !conf || (!lab.measured && !lab.emulatorCounters)) continue;
    if (lab.measured && lab.measured.lossSeed === undefined && lab.backend === 'userspace') older = true;
    for (const which of ['uplink', 'downlink'] as const) {
      const f = flags(lab, which);
      rows.push([
        html`<b>${pointLabel(result, i)}</b>`,
        which === 'uplink' ? 'up (client→server)' : 'down (server→client)',
        lossOf(conf[which]),
        ratio(lab.measured?.emulator?.[which]),
        probeCell(lab, which),
        ratio(appliedLoss(lab.emulatorCounters, which === 'uplink' ? 'up' : 'down')),
        f.length ? html`⚠ ${f.join('; ')}` : html`<span class="muted">agree</span>`,
      ]);
      cls.push([undefined, undefined, undefined, undefined, f.length ? 'off' : undefined, undefined, f.length ? 'off' : undefined]);
    }
  }
  if (!rows.length) return null;
  const note = older
    ? html`<p class="muted">This file predates separate probe loss: its probe met the workloads’ loss seed, the same pattern every run.</p>`
    : '';
  return html`${table({
    caption:
      'Loss per direction: configured, applied by the link emulator (its own counters: during the calibration probe, and over the whole point including every cell) and measured by the probe (lost / sent, ± its relative error at 95 %). Agree = within binomial noise; otherwise the row names the lab’s warning (see Warnings).',
    head: ['Point', 'Direction', 'Configured', 'Emulator during probe', 'Probe measured', 'Emulator over the point', 'Agreement'],
    rows,
    numeric: [3, 4, 5],
    cellClass: cls,
  })}${note}`;
}
