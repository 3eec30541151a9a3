// Every value a report renders is escaped, whatever the field and whatever its declared type
// (issue 16, item 4): each field path of the committed fixtures (cells[*].metrics.x counts
// once, every occurrence poisoned together), and each key of every record, is replaced by
// markup in turn; the HTML report, the trend and the compare report then contain that markup
// only escaped. Fields added later are poisoned too, because the paths come from the data.
// Renderers are called directly, without the schema check the CLI applies on reading: they
// must be safe on their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResults } from '../harness/results/compare.js';
import type { ResultFile } from '../harness/results/types.js';
import { renderCompareHtml } from '../reports/compare-html.js';
import { renderHtmlReport } from '../reports/html.js';
import { renderSummaryMarkdown } from '../reports/summary.js';
import { renderTrendReport } from '../reports/trend.js';
import { loadFixture, type FixtureName } from './fixtures/report-load.js';

const MARK = '<img src=x id=pwn>';
const CHART_JS = '/* chart.js left out */';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Seg = string | '*';

/** Field paths with array indexes as "*", each listed once. */
function fieldPaths(v: Json, at: Seg[] = [], out = new Map<string, Seg[]>()): Map<string, Seg[]> {
  if (Array.isArray(v)) for (const x of v) fieldPaths(x, [...at, '*'], out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) fieldPaths(x, [...at, k], out);
  else out.set(at.join('.'), at);
  if (v && typeof v === 'object' && !Array.isArray(v) && at.length) out.set(`${at.join('.')}.{key}`, [...at, '{key}']);
  return out;
}

/** Replace the value at every match of `path` by MARK ("{key}": rename the object's first key). */
function poison(v: Json, path: Seg[]): Json {
  if (!path.length) return MARK;
  const [head, ...rest] = path;
  if (Array.isArray(v)) return head === '*' ? v.map((x) => poison(x, rest)) : v;
  if (!v || typeof v !== 'object') return v;
  if (head === '{key}') {
    const [first] = Object.keys(v);
    if (first === undefined) return { [MARK]: 1 };
    const { [first]: val, ...others } = v;
    return { [MARK]: val!, ...others };
  }
  return head in v ? { ...v, [head]: poison(v[head]!, rest) } : v;
}

function assertNoMarkup(out: string, what: string): void {
  assert.ok(!out.includes('<img'), `${what}: the markup reached the page unescaped`);
}

for (const name of ['single', 'failures', 'sweep'] as FixtureName[]) {
  test(`every field and key of the ${name} fixture is escaped in the HTML, trend and compare reports`, () => {
    const clean = loadFixture(name) as unknown as Json;
    const paths = [...fieldPaths(clean).values()];
    let rendered = 0;
    const threw: string[] = [];
    for (const path of paths) {
      const bad = poison(clean, path) as unknown as ResultFile;
      const at = path.join('.');
      const attempts: [string, () => string][] = [
        ['report', () => renderHtmlReport([bad], { chartJs: CHART_JS })],
        ['trend', () => renderTrendReport([loadFixture(name), bad], { chartJs: CHART_JS })],
        ['compare', () => renderCompareHtml(compareResults(loadFixture(name), bad, { thresholdPct: 5, alpha: 0.05, force: true }), { baseline: 'a.json', candidate: MARK })],
      ];
      for (const [kind, render] of attempts) {
        let out: string;
        try {
          out = render();
        } catch (err) {
          // A value of the wrong type may stop a renderer (the CLI refuses such files on
          // reading); what it must never do is render the value raw.
          threw.push(`${kind} ${at}: ${(err as Error).message}`);
          continue;
        }
        rendered++;
        assertNoMarkup(out, `${kind} with ${at} poisoned`);
      }
    }
    // Most poisonings render (the test is not vacuous): a throw is the exception.
    assert.ok(rendered > paths.length * 2, `only ${rendered} of ${paths.length * 3} renders completed:\n${threw.slice(0, 20).join('\n')}`);
  });
}

test('the six numeric fields of the issue are escaped in the HTML report', () => {
  const r = loadFixture('single') as unknown as Record<string, any>;
  r.host.cpus = MARK;
  r.scenario.repetitions = MARK;
  r.scenario.seed = MARK;
  r.scenario.warmup = MARK;
  for (const l of r.labs) if (l.measured) Object.assign(l.measured, { probes: MARK, payloadBytes: MARK });
  const out = renderHtmlReport([r as ResultFile], { chartJs: CHART_JS });
  assertNoMarkup(out, 'report');
  assert.ok(out.includes('&lt;img src=x id=pwn&gt;'), 'the values are shown, escaped');
  assert.ok(renderSummaryMarkdown(r as ResultFile).length > 0);
});
