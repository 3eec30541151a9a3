// The shared look of every bench HTML report, and the small HTML helpers that go with it.
//
// STABLE API: the compare report (harness compare, another engineer) imports these. Keep the
// names below. Every helper returns Html (reports/safe-html.ts) and takes HtmlValue: a plain
// value is text and is escaped, only Html is inserted as markup. htmlDocument returns the page.
//
//   REPORT_CSS                 the stylesheet (light, responsive, @media print; tables turn
//                              into label/value cards below 640 px)
//   esc(text)                  text as Html (escaped); html`` escapes plain values anyway
//   scriptJson(value)          JSON safe to inline in a <script type="application/json">
//   htmlDocument(opts)         a complete self-contained page (CSP forbids any network request)
//   table(opts)                a server-rendered table, readable without JavaScript; row classes
//                              "cpu-bound", "regression", "improvement"; cell class "off"
//   badge(text, tone)          a small coloured label; Tone = 'ok'|'bad'|'warn'|'info'|'muted'
//   statusBadge(status)        a cell status (ok/failed/timeout/unsupported) as a badge
//   cpuMark(detail?)           the "⚠ CPU-bound" mark used wherever a CPU-bound cell appears
//   CPU_BOUND_MEANING          the sentence that mark stands for
//   section(id, title, body)   a top-level report section with an anchor
//   details(summary, body)     a collapsible block (opened automatically for printing)
//   note(tone, body)           a callout paragraph
// Charts: see charts.ts (ChartSet, chartAssets) and assets.ts (loadChartJs).
import { createHash } from 'node:crypto';
import type { CellStatus } from '../harness/core/types.js';
import { escapeText, html, Html, joinHtml, plainText, type HtmlValue } from './safe-html.js';

export { html, Html, joinHtml, type HtmlValue } from './safe-html.js';

export type Tone = 'ok' | 'bad' | 'warn' | 'info' | 'muted';

export const REPORT_CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa;--good:#1a7f37;--bad:#cf222e;
--warn:#7d4e00;--warnbg:#fff8c5;--info:#0969da;--shadow:0 1px 2px rgba(31,35,40,.08)}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;overflow-wrap:break-word;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1280px;margin:0 auto;padding:16px 20px 48px}
h1{font-size:1.6rem;margin:.2em 0 .1em;line-height:1.25}
h2{font-size:1.25rem;margin:1.8em 0 .6em;padding-bottom:.25em;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:1.3em 0 .5em}
p{margin:.5em 0}
a{color:var(--info)}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.86em}
pre{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:10px;overflow:auto;max-height:420px;white-space:pre-wrap;word-break:break-word}
.subtitle{color:var(--muted);margin:0 0 .8em}
.muted{color:var(--muted)}
.good{color:var(--good);font-weight:600}
.bad{color:var(--bad);font-weight:600}
nav.toc{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.9rem;margin:.6em 0 1em;padding:8px 12px;background:var(--soft);border:1px solid var(--line);border-radius:6px}
nav.toc a{text-decoration:none}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,250px),1fr));gap:6px 18px;margin:.8em 0}
.facts div{min-width:0;overflow-wrap:anywhere}
.facts b{display:block;font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}
.table-wrap{overflow-x:auto;margin:.6em 0 1em;border:1px solid var(--line);border-radius:6px;box-shadow:var(--shadow)}
table{border-collapse:collapse;width:100%;font-size:.9rem}
caption{caption-side:top;text-align:left;padding:6px 10px;font-weight:600;background:var(--soft);border-bottom:1px solid var(--line)}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
tbody tr:last-child td{border-bottom:0}
tbody tr:not([class]):nth-child(even) td{background:#fbfcfd}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
tr.cpu-bound td{background:repeating-linear-gradient(135deg,#fff8c5 0 6px,#fffbe0 6px 12px)}
tr.regression td{background:#ffebe9}
tr.improvement td{background:#dafbe1}
td.off{color:var(--bad);font-weight:600}
.badge{display:inline-block;padding:0 7px;border-radius:999px;font-size:.78rem;font-weight:600;line-height:1.6;white-space:nowrap;border:1px solid transparent}
.badge.ok{background:#dafbe1;color:#116329;border-color:#aceebb}
.badge.bad{background:#ffebe9;color:#a40e26;border-color:#ffcecb}
.badge.warn{background:var(--warnbg);color:var(--warn);border-color:#eed888}
.badge.info{background:#ddf4ff;color:#0550ae;border-color:#b6e3ff}
.badge.muted{background:var(--soft);color:var(--muted);border-color:var(--line)}
.cpu{color:var(--warn);font-weight:600;white-space:nowrap}
.cpu-note{color:var(--warn);font-weight:600}
.note{padding:8px 12px;border-radius:6px;border:1px solid var(--line);background:var(--soft);margin:.6em 0}
.note.warn{background:var(--warnbg);border-color:#eed888}
.note.bad{background:#ffebe9;border-color:#ffcecb}
.note.ok{background:#dafbe1;border-color:#aceebb}
.note.info{background:#ddf4ff;border-color:#b6e3ff}
.verdicts{border:1px solid var(--line);border-left:4px solid var(--info);border-radius:6px;padding:4px 16px 10px;margin:1em 0;box-shadow:var(--shadow)}
.verdicts h3{margin-top:.8em}
.verdicts ul{margin:.3em 0;padding-left:1.2em}
.verdicts li{margin:.25em 0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));gap:16px;margin:.8em 0}
figure.chart{margin:0;padding:10px 12px;border:1px solid var(--line);border-radius:6px;min-width:0;box-shadow:var(--shadow);break-inside:avoid}
figure.chart h4{margin:0 0 6px;font-size:.95rem}
.chart-box{position:relative;height:300px;width:100%}
figure.chart figcaption{font-size:.82rem;color:var(--muted);margin-top:6px}
figure.chart figcaption .cpu-note{display:block;margin-top:2px}
details{margin:.5em 0}
details>summary{cursor:pointer;color:var(--info);overflow-wrap:anywhere}
main:has(.sbs){max-width:2400px}
.sbs{display:grid;grid-template-columns:repeat(var(--cols,2),minmax(0,1fr));gap:28px}
.sbs>.result{min-width:0}
.sbs .result h1{font-size:1.3rem}
@media (max-width:900px){.sbs{grid-template-columns:1fr}}
@media (max-width:600px){main{padding:10px 10px 32px}body{font-size:14px}th,td{padding:4px 6px}.chart-box{height:240px}h1{font-size:1.3rem}}
@media screen and (max-width:640px){
 .table-wrap table,.table-wrap tbody,.table-wrap tr,.table-wrap td,.table-wrap caption{display:block;width:100%}
 .table-wrap thead{display:none}
 .table-wrap tr{border-bottom:2px solid var(--line);padding:4px 0}
 .table-wrap td{display:flex;gap:10px;border:0;padding:3px 10px;text-align:left}
 .table-wrap td.num{text-align:left;white-space:normal}
 .table-wrap td::before{content:attr(data-label);flex:0 0 36%;font-weight:600;color:var(--muted);font-size:.85em;line-height:1.7}
 .table-wrap td>.v{flex:1 1 auto;min-width:0}
}
@media print{
 @page{margin:12mm}
 body{font-size:10pt}
 main{max-width:none;padding:0}
 nav.toc,noscript,.no-print{display:none}
 .sbs{grid-template-columns:1fr}
 .charts{grid-template-columns:1fr 1fr}
 .chart-box{height:230px}
 figure.chart,.table-wrap,.verdicts{box-shadow:none;break-inside:avoid}
 h2,h3{break-after:avoid}
 tr{break-inside:avoid}
 pre{max-height:none}
 a{color:inherit;text-decoration:none}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;

/** Escaped text as Html (inside html`` a plain value is escaped anyway). */
export function esc(text: unknown): Html {
  return Html.trusted(escapeText(text));
}

/** Inline data inside <script>: "<" escaped so no string can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export interface DocumentOptions {
  title: string;
  /** Content of <main>. */
  body: HtmlValue;
  /** Inline JavaScript sources, each emitted as its own <script> at the end of <body>. */
  scripts?: string[];
  /** Extra content for <head>, e.g. <script type="application/json"> data blocks. */
  head?: HtmlValue;
}

/** The text of an inline script as emitted: nothing in it can close the element. */
function scriptText(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

/**
 * A complete page. The Content-Security-Policy forbids every fetch (no fonts, CDN, favicon,
 * source maps), so the file behaves the same from a CI artifact opened offline, and runs only
 * the page's own scripts: each is allowed by its SHA-256, so markup that slipped into the
 * page could not run script (no 'unsafe-inline', no event handler attributes, no
 * javascript: URLs). CSP has no shipping directive against navigation itself (navigate-to
 * was dropped from the spec), so what can navigate without a click is shut one by one:
 * script (hashes), forms (form-action), <base> (base-uri), frames and objects
 * (default-src); a <meta http-equiv="refresh"> could only come from unescaped markup,
 * which safe-html.ts rules out.
 */
export function htmlDocument(opts: DocumentOptions): string {
  const scripts = (opts.scripts ?? []).map(scriptText);
  const hashes = scripts.map((s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`);
  const csp = [
    "default-src 'none'",
    `script-src ${hashes.length ? hashes.join(' ') : "'none'"}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "font-src 'none'",
    "connect-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; '); // constants and base64 hashes: nothing to escape
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="icon" href="data:,">
<title>${escapeText(opts.title)}</title>
<style>${REPORT_CSS}</style>
${html`${opts.head}`}
</head>
<body>
<main>
${html`${opts.body}`}
</main>
${scripts.map((s) => `<script>${s}</script>`).join('\n')}
</body>
</html>
`;
}

export interface TableOptions {
  /** Header cells (text unless Html). */
  head: HtmlValue[];
  /** Body rows; each cell text unless Html. */
  rows: HtmlValue[][];
  caption?: HtmlValue;
  /** Column indexes holding numbers (right-aligned, tabular figures). */
  numeric?: number[];
  /** A class per row (e.g. "cpu-bound", "regression"), same length as rows. */
  rowClass?: (string | undefined)[];
  /** Per-cell class, rows x columns, for marking single cells (e.g. "off"). */
  cellClass?: (string | undefined)[][];
}

export function table(opts: TableOptions): Html {
  const num = new Set(opts.numeric ?? []);
  // Plain-text header per cell, so narrow screens can show each row as label: value.
  const labels = opts.head.map(plainText);
  const th = opts.head.map((h, i) => html`<th scope="col"${num.has(i) ? html` class="num"` : ''}>${h}</th>`);
  const body = opts.rows.map((row, r) => {
    const rc = opts.rowClass?.[r];
    const tds = row.map((c, i) => {
      const cls = [num.has(i) ? 'num' : '', opts.cellClass?.[r]?.[i] ?? ''].filter(Boolean).join(' ');
      return html`<td${cls ? html` class="${cls}"` : ''} data-label="${labels[i] ?? ''}"><span class="v">${c}</span></td>`;
    });
    return html`<tr${rc ? html` class="${rc}"` : ''}>${tds}</tr>`;
  });
  const caption = opts.caption !== undefined ? html`<caption>${opts.caption}</caption>` : '';
  return html`<div class="table-wrap"><table>${caption}<thead><tr>${th}</tr></thead><tbody>
${joinHtml(body, '\n')}
</tbody></table></div>`;
}

export function badge(text: string, tone: Tone = 'muted'): Html {
  return html`<span class="badge ${tone}">${text}</span>`;
}

const STATUS_TONE: Record<CellStatus, Tone> = { ok: 'ok', failed: 'bad', timeout: 'warn', unsupported: 'muted' };

export function statusBadge(status: CellStatus): Html {
  return badge(status, STATUS_TONE[status] ?? 'bad');
}

/** The sentence every CPU-bound mark carries, so no reader mistakes it for a link figure. */
export const CPU_BOUND_MEANING = "CPU-bound: this figure reflects the endpoint's CPU, not the link";

export function cpuMark(detail?: string): Html {
  const title = detail ? `${CPU_BOUND_MEANING} (${detail})` : CPU_BOUND_MEANING;
  return html`<span class="cpu" title="${title}">⚠ CPU-bound</span>`;
}

export function section(id: string, title: string, body: HtmlValue): Html {
  return html`<section id="${id}">
<h2>${title}</h2>
${body}
</section>`;
}

export function details(summary: HtmlValue, body: HtmlValue): Html {
  return html`<details><summary>${summary}</summary>
${body}
</details>`;
}

export function note(tone: Tone, body: HtmlValue): Html {
  return html`<p class="note ${tone}">${body}</p>`;
}
