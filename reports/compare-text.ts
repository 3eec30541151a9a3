// The terminal table, Markdown and JSON forms of a comparison (harness/compare.ts). Pure
// functions of the Comparison, like compare-html.ts, whose row model they share; the
// command (harness/commands/compare.ts) only picks one and writes it.
import type { Comparison } from '../harness/results/compare.js';
import {
  COLUMNS, NUMERIC_COLUMNS, groupName, implementationLines, legend, lossLines, lostLine, notOkLine, rowsOf, runLine, summaryLine,
} from './compare-html.js';
import { terminalLine } from '../harness/core/text.js';
import { joinMd, md, mdCode, type Md } from './safe-markdown.js';

/** The two files compared, as given on the command line. */
export interface CompareFiles {
  baseline: string;
  candidate: string;
}

// ------------------------------------------------------------------ terminal table

function pad(s: string, w: number, right: boolean): string {
  const len = [...s].length;
  return right ? ' '.repeat(w - len) + s : s + ' '.repeat(w - len);
}

export function renderText(c: Comparison, files: CompareFiles): string {
  const rows = rowsOf(c);
  const cols = COLUMNS.filter(([k]) => k !== 'ci' || rows.some((r) => r.ci !== ''));
  const width = cols.map(([k, h]) => Math.max([...h].length, ...rows.map((r) => [...r[k]].length)));
  const line = (cells: string[]): string => cells.map((s, i) => pad(s, width[i], NUMERIC_COLUMNS.has(cols[i][0]))).join('  ').trimEnd();
  const out = [
    `baseline:  ${files.baseline} ${runLine(c.baseline)}`,
    `candidate: ${files.candidate} ${runLine(c.candidate)}`,
    `scenario ${c.baseline.scenario} (${c.baseline.scenarioSha256.slice(0, 12)}), threshold ${c.options.thresholdPct}%, alpha ${c.options.alpha} over ${c.family.rows} rows`,
  ];
  for (const r of c.overridden) out.push(`forced past: ${r}`);
  out.push('');
  if (rows.length > 0) {
    out.push(line(cols.map(([, h]) => h)));
    for (const r of rows) out.push(line(cols.map(([k]) => r[k])));
    out.push('', ...legend(c));
  } else {
    out.push('no cells in common');
  }
  const section = (title: string, items: string[]): void => {
    if (items.length) out.push('', `${title}:`, ...items.map((i) => `  ${i}`));
  };
  section('lost (the baseline measured them; they fail the gate)', c.lost.map(lostLine));
  section('implementations', implementationLines(c));
  section('lost at the sender (baseline -> candidate)', lossLines(c));
  section('only in baseline', c.onlyInBaseline.map(groupName));
  section('only in candidate', c.onlyInCandidate.map(groupName));
  section('cells not ok', c.notOk.map(notOkLine));
  section('notes', c.notes);
  out.push('', summaryLine(c));
  // Labels, paths, reasons and notes come from result files: no value may move the cursor,
  // recolour the screen or start a line of its own.
  return `${out.map(terminalLine).join('\n')}\n`;
}

// ------------------------------------------------------------------ Markdown

export function renderMarkdown(c: Comparison, files: CompareFiles): string {
  const rows = rowsOf(c);
  // Written through the md tag (safe-markdown.ts): every value from a result file is text.
  const out: (Md | '')[] = [
    md`## bench compare: ${c.baseline.label} → ${c.candidate.label}`,
    '',
    md`- baseline: ${mdCode(files.baseline)} ${runLine(c.baseline)}`,
    md`- candidate: ${mdCode(files.candidate)} ${runLine(c.candidate)}`,
    md`- scenario ${c.baseline.scenario} (${mdCode(String(c.baseline.scenarioSha256).slice(0, 12))}), threshold ${c.options.thresholdPct}%, alpha ${c.options.alpha}`,
    '',
    md`**${summaryLine(c)}**`,
    '',
  ];
  if (c.overridden.length) out.push(md`Compared despite (\`--force\`):`, '', ...c.overridden.map((r) => md`- ${r}`), '');
  if (rows.length > 0) {
    out.push(md`| ${joinMd(COLUMNS.map(([, h]) => h), md` | `)} |`);
    out.push(md`|${joinMd(COLUMNS.map(([k]) => (NUMERIC_COLUMNS.has(k) ? md`---:` : md`---`)), md`|`)}|`);
    for (const r of rows) {
      out.push(md`| ${joinMd(COLUMNS.map(([k]) => (k === 'verdict' && r.kind === 'regression' ? md`**${r[k]}**` : r[k])), md` | `)} |`);
    }
    out.push('', ...legend(c).map((l) => md`<sub>${l}</sub><br>`), '');
  }
  const section = (title: string, items: string[]): void => {
    if (items.length) out.push(md`**${title}**`, '', ...items.map((i) => md`- ${i}`), '');
  };
  section('Lost (the baseline measured them; they fail the gate)', c.lost.map(lostLine));
  section('Implementations', implementationLines(c));
  section('Lost at the sender (baseline -> candidate)', lossLines(c));
  section('Only in baseline', c.onlyInBaseline.map(groupName));
  section('Only in candidate', c.onlyInCandidate.map(groupName));
  section('Cells not ok', c.notOk.map(notOkLine));
  section('Notes', c.notes);
  return `${out.join('\n').trimEnd()}\n`;
}

// ------------------------------------------------------------------ JSON

// 2: rows carry decide()'s decision (delta, interval, p, n, "~N more") and verdicts are
// regression / improvement / within-threshold / same / undecided; lost, family, outcome added.
const COMPARE_FORMAT_VERSION = 2;

export function renderJson(c: Comparison, files: CompareFiles): string {
  return `${JSON.stringify({ kind: 'bench-compare', formatVersion: COMPARE_FORMAT_VERSION, files, ...c }, null, 1)}\n`;
}
