// Loss figures say which end counted them and in what unit: the sender's lost / sent
// packets (QUIC) or retransmitted / sent segments (TCP), in the HTML tables, summary.md and
// compare. Files written before per-end counters still render, their figures labelled as
// what they are (TCP of both ends summed; QUIC from the client, the receiver of a download).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../harness/core/version.js';
import { senderLosses } from '../harness/results/counters.js';
import { compareResults } from '../harness/results/compare.js';
import { parseResult } from '../harness/results/result-file.js';
import type { ResultFile } from '../harness/results/types.js';
import { renderText } from '../reports/compare-text.js';
import { renderHtmlReport } from '../reports/html.js';
import { renderSummaryMarkdown } from '../reports/summary.js';
import { loadFixture } from './fixtures/report-load.js';

const older = (): ResultFile => parseResult(JSON.parse(readFileSync(join(PROJECT_ROOT, 'test', 'fixtures', 'legacy-counters-sweep-loss.json'), 'utf8')));
const OPTS = { thresholdPct: 5, alpha: 0.05, force: false };
const html = (r: ResultFile): string => renderHtmlReport([r], { chartJs: '' });

test('a download is counted at the server, an exchange at both ends, each in its unit', () => {
  const r = loadFixture('sweep');
  const bulk = r.cells.find((c) => c.transport === 'quic' && c.kind === 'bulk' && c.point === 2)!;
  assert.deepEqual(senderLosses(r, bulk).map((l) => [l.end, l.protocol, l.atSender]), [['server', 'quic', true]]);
  const echo = r.cells.find((c) => c.transport === 'tcp' && c.kind === 'echo' && c.point === 2)!;
  assert.deepEqual(senderLosses(r, echo).map((l) => [l.end, l.protocol]), [['client', 'tcp'], ['server', 'tcp']]);

  const page = html(r);
  assert.match(page, /Lost at the sender/);
  assert.match(page, /lost\/sent pkts, server/);
  assert.match(page, /retrans\/sent segs, server/);
  assert.match(page, /retrans\/sent segs, client/, 'an echo shows the client end too');
  const md = renderSummaryMarkdown(r);
  assert.match(md, /_Lost at the sender_/);
  assert.match(md, /- quic bulk-down-10s: \d+(\.\d+)?% lost\/sent pkts at the server/);
  const text = renderText(compareResults(r, loadFixture('sweep'), OPTS), { baseline: 'a.json', candidate: 'b.json' });
  assert.match(text, /lost at the sender \(baseline -> candidate\):\n  loss=0% tcp echo-64B-c1: 0% -> 0% \(client, retransmitted \/ sent segments\)/);
  assert.match(text, /loss=5% quic bulk-down-10s: [\d.]+% -> [\d.]+% \(server, lost \/ sent packets\)/);
});

test('files written before per-end counters render, their figures labelled as older', () => {
  const r = older();
  assert.ok(r.cells.some((c) => c.tcp) && r.cells.some((c) => c.quic) && r.cells.every((c) => c.counters === undefined), 'the fixture has the older fields only');
  const bulk = r.cells.find((c) => c.transport === 'quic' && c.kind === 'bulk' && c.point === 2)!;
  // A download's QUIC counters were the client's: the receiver, and said so.
  assert.deepEqual(senderLosses(r, bulk).map((l) => [l.end, l.atSender, l.older]), [['client', false, true]]);
  const page = html(r);
  assert.match(page, /retrans\/sent segs, both ends summed \(older file\)/);
  assert.match(page, /lost\/sent pkts, client \(the receiver, older file\)/);
  assert.match(page, /@matrixai\/quic 2\.0\.9 \(quiche\)/, 'QUIC settings and implementations still listed');
  assert.match(renderSummaryMarkdown(r), /at both ends summed \(older file\)/);
  // An older file compares with a newer one of the same scenario; each side's figure keeps its label.
  const text = renderText(compareResults(r, loadFixture('sweep'), OPTS), { baseline: 'old.json', candidate: 'new.json' });
  assert.match(text, /loss=5% quic bulk-down-10s: [\d.]+% -> – \(client \(the receiver, older file\), lost \/ sent packets\)/);
  assert.match(text, /loss=5% quic bulk-down-10s: – -> [\d.]+% \(server, lost \/ sent packets\)/);
});
