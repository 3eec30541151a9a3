// What was measured and where: scenario, run facts, configured vs calibrated link per lab
// point, QUIC settings, and the full run details (host, tools, applied lab commands).
import type { CellStatus, LabRecord } from '../harness/core/types.js';
import type { ResultFile } from '../harness/results/types.js';
import { describeLink, fmtBytes, fmtDate, fmtMs, fmtPct, fmtRate, lossOf, rttMsOf } from './format.js';
import { countStatuses, labOf, pointIndexes, pointLabel, pointOf } from './model.js';
import { badge, details, esc, section, statusBadge, table } from './style.js';

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

function linkTable(result: ResultFile): string {
  const rows: string[][] = [];
  const cls: (string | undefined)[][] = [];
  for (const i of pointIndexes(result)) {
    const p = pointOf(result, i);
    const lab = labOf(result, i);
    const conf = lab?.configured ?? p?.link;
    if (!conf) continue;
    const m = lab?.measured ?? null;
    const flagged = lab ? flaggedFigures(lab) : new Set<MeasuredFigure>();
    const off = (f: MeasuredFigure): string => (flagged.has(f) ? ' ⚠' : '');
    rows.push([
      `<b>${esc(pointLabel(result, i))}</b>`,
      esc(fmtMs(rttMsOf(conf))) + (conf.uplink.jitterMs || conf.downlink.jitterMs ? ` <span class="muted">±${esc(fmtMs(conf.uplink.jitterMs))}/±${esc(fmtMs(conf.downlink.jitterMs))}</span>` : ''),
      m ? `${esc(fmtMs(m.rttMs.p50))} <span class="muted">p99 ${esc(fmtMs(m.rttMs.p99))}</span>${off('rtt')}` : '<span class="muted">not calibrated</span>',
      `${esc(lossOf(conf.uplink))} / ${esc(lossOf(conf.downlink))}`,
      m ? `${esc(fmtPct(m.uplinkLossPct))}${off('lossUp')} / ${esc(fmtPct(m.downlinkLossPct))}${off('lossDown')}` : '–',
      `${esc(fmtRate(conf.uplink.rateBitsPerSec))} / ${esc(fmtRate(conf.downlink.rateBitsPerSec))}`,
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

/** Distinct QUIC settings per implementation from the cells that recorded them. */
export function quicSettings(result: ResultFile): Map<string, Map<string, Set<string>>> {
  const out = new Map<string, Map<string, Set<string>>>();
  for (const c of result.cells) {
    if (!c.quic) continue;
    const byKey = out.get(c.implementation) ?? new Map<string, Set<string>>();
    for (const [k, v] of Object.entries(c.quic.settings)) {
      const set = byKey.get(k) ?? new Set<string>();
      set.add(String(v));
      byKey.set(k, set);
    }
    out.set(c.implementation, byKey);
  }
  return out;
}

function quicSettingsTable(result: ResultFile): string {
  const s = quicSettings(result);
  if (!s.size) return '<p class="muted">No cell recorded QUIC settings.</p>';
  const rows: string[][] = [];
  for (const [impl, byKey] of s) {
    for (const [k, vals] of [...byKey].sort((a, b) => a[0].localeCompare(b[0]))) {
      rows.push([esc(impl), `<code>${esc(k)}</code>`, esc([...vals].join(' | '))]);
    }
  }
  return table({ caption: 'QUIC settings recorded by the cells (several values: they differed between cells)', head: ['Implementation', 'Setting', 'Value'], rows });
}

function congestionControl(result: ResultFile): string {
  const applied = new Set(result.labs.map((l) => l.applied.congestionControl));
  if (!applied.size) return result.scenario.congestionControl;
  return [...applied].join(', ') + (applied.has(result.scenario.congestionControl) ? '' : ` (scenario asked for ${result.scenario.congestionControl})`);
}

function cellCounts(result: ResultFile): string {
  const n = countStatuses(result.cells);
  return (Object.keys(n) as CellStatus[]).filter((k) => n[k] > 0).map((k) => `${n[k]} ${statusBadge(k)}`).join(', ') || '<span class="muted">none</span>';
}

function fact(name: string, html: string): string {
  return `<div><b>${esc(name)}</b>${html}</div>`;
}

export function headerSection(result: ResultFile, idPrefix: string): string {
  const sc = result.scenario;
  const sha = result.tool.gitSha ? ` <code>${esc(result.tool.gitSha.slice(0, 12))}</code>` : ' <span class="muted">(no git sha)</span>';
  const quicImpls = [...quicSettings(result).keys()];
  const status = result.status === 'complete' ? badge('complete', 'ok') : badge(result.status, result.status === 'running' ? 'info' : 'bad');
  const facts = [
    fact('Label', esc(result.label)),
    fact('Run status', status),
    fact('Cells', cellCounts(result)),
    fact('Date', `${esc(fmtDate(result.startedAt))}${result.finishedAt ? ` → ${esc(fmtDate(result.finishedAt))}` : ''}`),
    fact('Tool', `${esc(result.tool.name)} ${esc(result.tool.version)}${sha}`),
    fact('Backend', esc(result.backend)),
    fact('Kernel', esc(result.host.kernel)),
    fact('TCP congestion control', esc(congestionControl(result))),
    fact('Host', `${esc(result.host.hostname)}: ${result.host.cpus} × ${esc(result.host.cpuModel)}, ${esc(fmtBytes(result.host.memBytes))}, node ${esc(result.host.node)}`),
    fact('Repetitions', `${sc.repetitions}${sc.warmup ? ` (+${sc.warmup} warm-up)` : ''}, timeout ${esc(fmtMs(sc.timeoutMs))} per cell, seed ${sc.seed}`),
    fact('QUIC implementations', quicImpls.length ? quicImpls.map(esc).join('<br>') : '<span class="muted">none recorded</span>'),
    fact('Scenario file', `<code>${esc(sc.sourceFile)}</code> <span class="muted">sha256 ${esc(result.scenarioSha256.slice(0, 12))}</span>`),
  ];
  const sweep = sc.sweep.length ? [fact('Sweep', sc.sweep.map((a) => `${esc(a.field)} = ${a.values.map(esc).join(', ')}`).join('<br>'))] : [];
  const link = sc.points.length === 1 ? `<p><b>Link:</b> ${esc(describeLink(sc.points[0].link))}</p>` : '';
  return `<header id="${idPrefix}top">
<h1>${esc(sc.name)}</h1>
<p class="subtitle">${esc(sc.description || 'No description.')}</p>
${link}
<div class="facts">${[...facts, ...sweep].join('')}</div>
${linkTable(result)}
</header>`;
}

export function runDetailsSection(result: ResultFile, idPrefix: string): string {
  const h = result.host;
  const tools = Object.entries(h.tools).map(([k, v]) => [esc(k), esc(v)]);
  const labs = result.labs
    .map((l) =>
      details(
        `Lab ${esc(pointLabel(result, l.point))}: ${esc(l.backend)}${l.namespaces ? `, namespaces ${esc(l.namespaces.client)} / ${esc(l.namespaces.server)}` : ''}`,
        `<p>Addresses: client ${esc(l.addresses.client)}, server ${esc(l.addresses.server)}; congestion control ${esc(l.applied.congestionControl)}.</p>` +
          table({ caption: 'sysctls', head: ['Key', 'Value'], rows: Object.entries(l.applied.sysctls).map(([k, v]) => [`<code>${esc(k)}</code>`, esc(v)]) }) +
          `<p><b>Commands</b></p><pre>${esc(l.applied.commands.join('\n') || '(none)')}</pre>` +
          (l.applied.readback.length ? `<p><b>Read back after the point</b></p><pre>${esc(l.applied.readback.join('\n'))}</pre>` : '') +
          (l.emulatorCounters ? table({ caption: 'Emulator counters', head: ['Counter', 'Value'], rows: Object.entries(l.emulatorCounters).map(([k, v]) => [esc(k), esc(v)]), numeric: [1] }) : ''),
      ),
    )
    .join('\n');
  const body = [
    quicSettingsTable(result),
    table({ caption: 'Host', head: ['Fact', 'Value'], rows: [['Hostname', esc(h.hostname)], ['Platform', `${esc(h.platform)} ${esc(h.arch)}`], ['Kernel', esc(h.kernel)], ['CPU', `${h.cpus} × ${esc(h.cpuModel)}`], ['Memory', esc(fmtBytes(h.memBytes))], ['Node', esc(h.node)]] }),
    tools.length ? table({ caption: 'External tools', head: ['Tool', 'Version'], rows: tools }) : '',
    labs,
    details(`Scenario source <span class="muted">(${esc(result.scenario.sourceFile)}, sha256 ${esc(result.scenarioSha256)})</span>`, `<pre>${esc(result.scenarioSource)}</pre>`),
  ].join('\n');
  return section(`${idPrefix}details`, 'Run details', body);
}
