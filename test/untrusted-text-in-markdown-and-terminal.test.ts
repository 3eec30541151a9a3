// Strings from result files and scenarios reach summary.md (GitHub job summaries, PR
// comments: raw HTML renders there) and the terminal only as text (issue 16, item 10): no
// raw HTML (`<!--` hid the rest of a job summary), no control characters (ESC sequences
// rewrite the screen), no line of their own (a value could fake "0 regressions").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultFile } from '../harness/results/types.js';
import { renderSummaryMarkdown } from '../reports/summary.js';
import { fixtureFile, loadFixture } from './fixtures/report-load.js';
import { CLI } from './kit/testkit.js';

const HOSTILE = 'x<!-- hide --><img src=x onerror=alert(1)>\x1b[2J\x1b]0;title\x07\u202e\n## 0 regressions\n| a | b |';

/** The fixture with every string a report shows from the file set to HOSTILE. */
function hostile(): ResultFile {
  const r = loadFixture('failures');
  r.label = HOSTILE;
  r.scenario.description = HOSTILE;
  r.host.kernel = HOSTILE;
  for (const c of r.cells) {
    if (c.status !== 'ok') c.reason = HOSTILE;
    c.implementation = `${c.implementation}${HOSTILE}`;
  }
  for (const l of r.labs) for (const w of l.warnings) w.message = HOSTILE;
  return r;
}

/** Markdown: no raw HTML; terminal (markdown false): HTML is only text there. */
function assertInert(text: string, what: string, markdown = true): void {
  if (markdown) {
    assert.ok(!text.includes('<!--'), `${what}: an HTML comment opens`);
    assert.ok(!/(^|[^\\])<img/.test(text), `${what}: raw HTML`);
  }
  assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(text), `${what}: a control character went through`);
  assert.ok(!/^#+ 0 regressions/m.test(text), `${what}: a value started a line of its own`);
}

test('summary.md shows hostile strings as text, on the lines they belong to', () => {
  const clean = renderSummaryMarkdown(loadFixture('failures'));
  const bad = renderSummaryMarkdown(hostile());
  assertInert(bad, 'summary.md');
  assert.equal(bad.split('\n').length, clean.split('\n').length, 'no value adds a line');
  const row = bad.split('\n').find((l) => l.startsWith('| tcp'))!;
  assert.equal(row.split(/(?<!\\)\|/).length, clean.split('\n').find((l) => l.startsWith('| tcp'))!.split('|').length, 'no value adds a table column');
  assert.ok(bad.includes('\\<\\!-- hide --\\>'), 'the comment is shown as text');
});

test('bench report --markdown, bench compare (text and --markdown) keep hostile strings inert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-untrusted-'));
  try {
    const file = join(dir, 'result.json');
    writeFileSync(file, JSON.stringify(hostile()));
    const md = join(dir, 'summary.md');
    const rep = spawnSync(process.execPath, [CLI, 'report', file, '-o', join(dir, 'r.html'), '--markdown', md], { encoding: 'utf8' });
    assert.equal(rep.status, 0, rep.stderr);
    assertInert(readFileSync(md, 'utf8'), 'report --markdown');
    for (const args of [[], ['--markdown']]) {
      const cmp = spawnSync(process.execPath, [CLI, 'compare', fixtureFile('failures'), file, '--force', ...args], { encoding: 'utf8' });
      // A verdict (0 passed, 1 regression, 5 undecided), not a refusal or a crash.
      assert.ok(cmp.status === 0 || cmp.status === 1 || cmp.status === 5, cmp.stderr);
      assertInert(cmp.stdout, `compare ${args.join(' ') || 'text'}`, args.length > 0);
      assertInert(cmp.stderr, `compare ${args.join(' ') || 'text'} stderr`, false);
      // Shown, visibly: \x1b in the terminal, \\x1b\[ (the same, escaped) in Markdown.
      assert.match(cmp.stdout, args.length ? /\\\\x1b\\\[2J/ : /\\x1b\[2J/, 'the escape is shown, visibly');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench validate and error messages show control characters from a scenario visibly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-untrusted-'));
  try {
    const file = join(dir, 's.yaml');
    writeFileSync(file, 'name: t\ndescription: d\n"\\e[2Jcolour\\e]0;x\\a": red\n');
    const r = spawnSync(process.execPath, [CLI, 'validate', file], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assertInert(r.stderr, 'validate', false);
    assert.match(r.stderr, /\\x1b\[2Jcolour\\x1b\]0;x\\x07: unknown field/);
    const bad = join(dir, 'r.json');
    const res = JSON.parse(readFileSync(fixtureFile('single'), 'utf8')) as Record<string, unknown>;
    writeFileSync(bad, JSON.stringify({ ...res, formatVersion: '\x1b[31m1' }));
    const rep = spawnSync(process.execPath, [CLI, 'report', bad], { encoding: 'utf8' });
    assert.equal(rep.status, 2, rep.stderr);
    assertInert(rep.stderr, 'report error', false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
