// What was measured and where: scenario, run facts, configured vs calibrated link per lab
// point, QUIC settings, and the full run details (host, tools, applied lab commands).
import type { CellStatus, LabRecord } from '../harness/core/types.js';
import { quicSettingsOf } from '../harness/results/counters.js';
import { transportFacts } from '../harness/results/transports.js';
import type { ResultFile } from '../harness/results/types.js';
import { hostFactRows, isRealPath, linkWhere, realPathAsIs } from './real-path.js';
import { lossTable } from './loss-calibration.js';
import { describeLink, fmtBytes, fmtDate, fmtMs, fmtPct, fmtRate, lossOf, rttMsOf } from './format.js';
import { countStatuses, labOf, pointIndexes, pointLabel, pointOf } from './model.js';
import { badge, details, html, joinHtml, section, statusBadge, table, type Html, type HtmlValue } from './style.js';

type MeasuredFigure = 'rtt' | 'lossUp' | 'lossDown';

/**
 * Which measured figure each calibration warning (netem/calibrate.ts) speaks about. The
 * report does not judge calibration itself: it marks what the lab warned about, and the
 * warning, with its remedy, is listed in the Warnings section.
 */
const CALIBRATION_FIGURES: Record<string, MeasuredFigure[]> = {
  'calibration-rtt': ['rtt'],
  'calibration-loss-uplink': ['lossUp'],
  'calibration-loss-downlink': ['lossDown'],
  // Probe sockets dropped datagrams: both loss figures are overstated.
  'calibration-probe-overrun': ['lossUp', 'lossDown'],
  'calibration-no-answers': ['rtt', 'lossUp', 'lossDown'],
  'calibration-loss-outside-emulator-uplink': ['lossUp'],
  'calibration-loss-outside-emulator-downlink': ['lossDown'],
  'calibration-loss-unresolved': ['lossUp', 'lossDown'],
};

/** Measured figures of a lab that its own calibration warnings flag; an unknown calibration code flags them all. */
function flaggedFigures(lab: LabRecord): Set<MeasuredFigure> {
  const out = new Set<MeasuredFigure>();
  for (const w of lab.warnings) {
    if (!w.code.startsWith('calibration-')) continue;
    for (const f of CALIBRATION_FIGURES[w.code] ?? (['rtt', 'lossUp', 'lossDown'] as const)) out.add(f);
  }
  return out;
}

function probes(result: ResultFile): string {
  const m = result.labs.find((l) => l.measured)?.measured;
  return m ? ` (${m.probes} × ${m.payloadBytes} B)` : '';
}

function linkTable(result: ResultFile): Html {
  const rows: HtmlValue[][] = [];
  const cls: (string | undefined)[][] = [];
  for (const i of pointIndexes(result)) {
    const p = pointOf(result, i);
    const lab = labOf(result, i);
    const conf = lab?.configured ?? p?.link;
    if (!conf) continue;
    const m = lab?.measured ?? null;
    // A real path bench did not impair has nothing configured: only the measured columns mean anything.
    const asIs = realPathAsIs(lab);
    const confCell = (v: HtmlValue): HtmlValue => (asIs ? html`<span class="muted">real path</span>` : v);
    const flagged = lab ? flaggedFigures(lab) : new Set<MeasuredFigure>();
    const off = (f: MeasuredFigure): string => (flagged.has(f) ? ' ⚠' : '');
    rows.push([
      html`<b>${pointLabel(result, i)}</b>`,
      confCell(html`${fmtMs(rttMsOf(conf))}${conf.uplink.jitterMs || conf.downlink.jitterMs ? html` <span class="muted">±${fmtMs(conf.uplink.jitterMs)}/±${fmtMs(conf.downlink.jitterMs)}</span>` : ''}`),
      m ? html`${fmtMs(m.rttMs.p50)} <span class="muted">p99 ${fmtMs(m.rttMs.p99)}</span>${off('rtt')}` : html`<span class="muted">not calibrated</span>`,
      confCell(`${lossOf(conf.uplink)} / ${lossOf(conf.downlink)}`),
      m ? `${fmtPct(m.uplinkLossPct)}${off('lossUp')} / ${fmtPct(m.downlinkLossPct)}${off('lossDown')}` : '–',
      confCell(`${fmtRate(conf.uplink.rateBitsPerSec)} / ${fmtRate(conf.downlink.rateBitsPerSec)}`),
    ]);
    cls.push([undefined, undefined, flagged.has('rtt') ? 'off' : undefined, undefined, flagged.has('lossUp') || flagged.has('lossDown') ? 'off' : undefined, undefined]);
  }
  return table({
    caption: `Link per lab point: configured vs measured by the UDP calibration probe${probes(result)} (up = client→server, down = server→client; ⚠ = the lab's calibration warned about this figure, see Warnings)`,
    head: ['Point', 'RTT configured', 'RTT measured p50', 'Loss configured up / down', 'Loss measured up / down', 'Rate configured up / down'],
    rows,
    cellClass: cls,
  });
}

/** Distinct QUIC settings per implementation from the cells' ends that recorded them. */
export function quicSettings(result: ResultFile): Map<string, Map<string, Set<string>>> {
  const out = new Map<string, Map<string, Set<string>>>();
  for (const c of result.cells) {
    for (const { implementation, settings } of quicSettingsOf(c)) {
      const byKey = out.get(implementation) ?? new Map<string, Set<string>>();
      for (const [k, v] of Object.entries(settings)) {
        const set = byKey.get(k) ?? new Set<string>();
        set.add(String(v));
        byKey.set(k, set);
      }
      out.set(implementation, byKey);
    }
  }
  return out;
}

/** Every QUIC implementation of the run: transports that carry QUIC across the link (as recorded), and the stacks whose settings cells recorded. */
export function quicImplementations(result: ResultFile): string[] {
  const out = new Set<string>();
  for (const t of transportFacts(result).values()) if (t.carries === 'quic' && t.implementation !== 'n/a') out.add(t.implementation);
  for (const impl of quicSettings(result).keys()) out.add(impl);
  return [...out];
}

function quicSettingsTable(result: ResultFile): Html {
  const s = quicSettings(result);
  if (!s.size) return html`<p class="muted">No cell recorded QUIC settings.</p>`;
  const rows: HtmlValue[][] = [];
  for (const [impl, byKey] of s) {
    for (const [k, vals] of [...byKey].sort((a, b) => a[0].localeCompare(b[0]))) {
      rows.push([impl, html`<code>${k}</code>`, [...vals].join(' | ')]);
    }
  }
  return table({ caption: 'QUIC settings recorded by the cells (several values: they differed between cells)', head: ['Implementation', 'Setting', 'Value'], rows });
}

function congestionControl(result: ResultFile): string {
  const applied = new Set(result.labs.map((l) => l.applied.congestionControl));
  if (!applied.size) return result.scenario.congestionControl;
  return [...applied].join(', ') + (applied.has(result.scenario.congestionControl) ? '' : ` (scenario asked for ${result.scenario.congestionControl})`);
}

function cellCounts(result: ResultFile): Html {
  const n = countStatuses(result.cells);
  const parts = (Object.keys(n) as CellStatus[]).filter((k) => n[k] > 0).map((k) => html`${n[k]} ${statusBadge(k)}`);
  return parts.length ? joinHtml(parts, ', ') : html`<span class="muted">none</span>`;
}

function fact(name: string, value: HtmlValue): Html {
  return html`<div><b>${name}</b>${value}</div>`;
}

export function headerSection(result: ResultFile, idPrefix: string): Html {
  const sc = result.scenario;
  const sha = result.tool.gitSha ? html` <code>${String(result.tool.gitSha).slice(0, 12)}</code>` : html` <span class="muted">(no git sha)</span>`;
  const quicImpls = quicImplementations(result);
  const status = result.status === 'complete' ? badge('complete', 'ok') : badge(result.status, result.status === 'running' ? 'info' : 'bad');
  const facts = [
    fact('Label', result.label),
    fact('Run status', status),
    fact('Cells', cellCounts(result)),
    fact('Date', `${fmtDate(result.startedAt)}${result.finishedAt ? ` → ${fmtDate(result.finishedAt)}` : ''}`),
    fact('Tool', html`${result.tool.name} ${result.tool.version}${sha}`),
    isRealPath(result) ? fact('Link', html`${badge('real path', 'info')} ${linkWhere(result)}`) : fact('Backend', result.backend),
    fact('Kernel', result.host.kernel),
    fact('TCP congestion control', congestionControl(result)),
    fact('Host', `${result.host.hostname}: ${result.host.cpus} × ${result.host.cpuModel}, ${fmtBytes(result.host.memBytes)}, node ${result.host.node}`),
    fact('Repetitions', `${sc.repetitions}${sc.warmup ? ` (+${sc.warmup} warm-up)` : ''}, timeout ${fmtMs(sc.timeoutMs)} per cell, seed ${sc.seed}`),
    fact('QUIC implementations', quicImpls.length ? joinHtml(quicImpls, html`<br>`) : html`<span class="muted">none recorded</span>`),
    fact('Scenario file', html`<code>${sc.sourceFile}</code> <span class="muted">sha256 ${String(result.scenarioSha256).slice(0, 12)}</span>`),
  ];
  const sweep = sc.sweep.length ? [fact('Sweep', joinHtml(sc.sweep.map((a) => `${a.field} = ${a.values.join(', ')}`), html`<br>`))] : [];
  const link = isRealPath(result)
    ? html`<p><b>Link:</b> the real path between two hosts, measured as it is${result.labs.some((l) => l.path?.impairments.length) ? ' with impairment bench added' : " (the scenario's link was not emulated)"}</p>`
    : sc.points.length === 1
      ? html`<p><b>Link:</b> ${describeLink(sc.points[0].link)}</p>`
      : '';
  return html`<header id="${idPrefix}top">
<h1>${sc.name}</h1>
<p class="subtitle">${sc.description || 'No description.'}</p>
${link}
<div class="facts">${facts}${sweep}</div>
${linkTable(result)}
${lossTable(result) ?? ''}
</header>`;
}

export function runDetailsSection(result: ResultFile, idPrefix: string): Html {
  const h = result.host;
  const tools = Object.entries(h.tools).map(([k, v]) => [k, v]);
  const labs = result.labs.map((l) =>
    details(
      `Lab ${pointLabel(result, l.point)}: ${l.backend}${l.namespaces ? `, namespaces ${l.namespaces.client} / ${l.namespaces.server}` : ''}`,
      html`<p>Addresses: client ${l.addresses.client}, server ${l.addresses.server}; congestion control ${l.applied.congestionControl}.</p>${table({ caption: 'sysctls', head: ['Key', 'Value'], rows: Object.entries(l.applied.sysctls).map(([k, v]) => [html`<code>${k}</code>`, v]) })}<p><b>Commands</b></p><pre>${l.applied.commands.join('\n') || '(none)'}</pre>${l.applied.readback.length ? html`<p><b>Read back after the point</b></p><pre>${l.applied.readback.join('\n')}</pre>` : ''}${l.emulatorCounters ? table({ caption: 'Emulator counters', head: ['Counter', 'Value'], rows: Object.entries(l.emulatorCounters).map(([k, v]) => [k, v]), numeric: [1] }) : ''}`,
    ),
  );
  const body = joinHtml(
    [
      quicSettingsTable(result),
      table({ caption: 'Host', head: ['Fact', 'Value'], rows: [['Hostname', h.hostname], ['Platform', `${h.platform} ${h.arch}`], ['Kernel', h.kernel], ['CPU', `${h.cpus} × ${h.cpuModel}`], ['Memory', fmtBytes(h.memBytes)], ['Node', h.node]] }),
      result.hosts ? table({ caption: 'Hosts at the ends of the real path (probed over SSH)', head: ['Fact', 'Client', 'Server'], rows: hostFactRows(result) }) : '',
      tools.length ? table({ caption: 'External tools', head: ['Tool', 'Version'], rows: tools }) : '',
      joinHtml(labs, '\n'),
      details(html`Scenario source <span class="muted">(${result.scenario.sourceFile}, sha256 ${result.scenarioSha256})</span>`, html`<pre>${result.scenarioSource}</pre>`),
    ],
    '\n',
  );
  return section(`${idPrefix}details`, 'Run details', body);
}
