// summary.md for CI step summaries and PR comments: per-point table, verdicts, warnings and
// incomplete cells, as GitHub-flavoured Markdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSummaryMarkdown } from '../reports/summary.js';
import { printSummary } from '../harness/commands/run-progress.js';
import { okMetricValues } from '../harness/results/metrics.js';
import { mdText } from '../reports/safe-markdown.js';
import { loadFixture } from './fixtures/report-load.js';

const HEADER = '| Transport | Implementation | echo p50 | echo p99 | steady goodput | handshake p50 | Status |';

function tableAfter(md: string, marker: string): string[] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith(marker));
  assert.ok(start >= 0, `marker ${marker}`);
  const t = lines.findIndex((l, i) => i > start && l.startsWith('| Transport'));
  const end = lines.findIndex((l, i) => i > t && !l.startsWith('|'));
  return lines.slice(t, end < 0 ? undefined : end);
}

test('single point: heading, verdicts, one table row per transport and implementation', () => {
  const md = renderSummaryMarkdown(loadFixture('single'));
  assert.match(md, /^## bench: loss-1pct \(v0\.1\.0\)\n/);
  assert.match(md, /Backend userspace · kernel 6\.6\.87\.2-microsoft-standard-WSL2 · TCP cubic · 5 repetitions \(fixed, one look\) · bench 0\.1\.0 \(852c3ab1f0d9\)/);
  assert.ok(md.indexOf('### Verdict') < md.indexOf('### Results'), 'verdict first');
  assert.match(md, /_Each transport is compared with the point's baseline \(tcp, else tls\) .* Decided 10 of 12\._/);
  assert.match(md, /\*\*quic · @matrixai\/quic 2\.0\.9 \(quiche\)\*\*: p50 \*\*same as tcp's within ±5 %\*\*: \+4 % \\\[\+3\.8, \+4\.2\\\] % \(95 % CI\); p99 \*\*faster\*\* than tcp's: -52 % \\\[-53, -51\\\] % \(95 % CI\)\./);
  assert.match(md, /\*\*tls\*\*: p50 \*\*same as tcp's within ±5 %\*\*: .*; p99 undecided: -3\.9 % \\\[-8\.1, \+0\.47\\\] % \(95 % CI\); after 5 repetitions a side; \\~5 more repetitions would likely settle it\./);
  const t = tableAfter(md, '**base**');
  assert.equal(t[0], HEADER);
  assert.equal(t[1], '|---|---|--:|--:|--:|--:|---|');
  assert.equal(t.length, 2 + 4);
  assert.equal(t[2], '| tcp | node:net | 50.1 ms | 287 ms | 2.77 Mbit/s | 100 ms | 15/15 ok |');
  // ~69 % of a core for 3.25 Mbit/s: a whole core could not fill the 100 Mbit/s link (harness/cpu.ts).
  assert.match(t[4], /^\| quic \| @matrixai\/quic 2\.0\.9 \(quiche\) \| 52\.1 ms \| 137 ms \| 3\.29 Mbit\/s ⚠ CPU-bound \| 106 ms \| 15\/15 ok \|$/);
  assert.match(md, /### Warnings \(2\)\n\n- \*\*cpu-bound\*\* \(0\/quic\/bulk-down-10s\): /, 'the CPU-bound quic bulk');
  assert.match(md, /- \*\*undecided\*\* \(run\): 2 of 12 comparisons are undecided: .* About 12 more repetitions per side would likely settle them .* _Remedy:_ Set repetitions: auto/);
  assert.doesNotMatch(md, /did not complete/);
});

test('sweep: a table per loss rate, CPU-bound marked', () => {
  const md = renderSummaryMarkdown(loadFixture('sweep'));
  for (const p of ['loss=0%', 'loss=1%', 'loss=5%']) assert.equal(tableAfter(md, `**${p}**: `).length, 2 + 3, p);
  const zero = tableAfter(md, '**loss=0%**: ');
  assert.match(zero.find((l) => l.startsWith('| quic'))!, /4\.92 Mbit\/s ⚠ CPU-bound/);
  assert.match(md, /⚠ CPU-bound: this figure reflects the endpoint's CPU, not the link \(flagged when one process of an endpoint used ≥ 90% of a core, or, in a bulk transfer, ≥ 50% of a core .*\)\./);
  assert.match(md, /\*\*loss=5%\*\*[\s\S]*steady-state goodput \*\*faster\*\* than tcp's: \+129 % \\\[\+118, \+140\\\] % \(95 % CI\)/);
});

test('failures: statuses in the table, reasons and warnings with remedies listed', () => {
  const md = renderSummaryMarkdown(loadFixture('failures'));
  const t = tableAfter(md, '**base**');
  assert.equal(t.find((l) => l.startsWith('| udp'))!, '| udp | node:dgram | 10.1 ms | 10.4 ms | unsupported | unsupported | 3/9 ok, 6 unsupported |');
  assert.match(t.find((l) => l.startsWith('| quic-go-tun'))!, /^\| quic-go-tun \| quic-go 0\.29 \(quic-go-tun\) \| failed \| failed \| 67\.2 Mbit\/s \| 10\.8 ms \| 6\/9 ok, 3 failed \|$/);
  assert.match(t.find((l) => l.startsWith('| tunnel'))!, /4\.05 Mbit\/s ⚠ CPU-bound .*7\/9 ok, 2 timeout/);
  assert.match(md, /p50: no data \(no ok repetition of quic-go-tun · quic-go 0\.29 \(quic-go-tun\)\)/);
  assert.match(md, /steady-state goodput undecided: -90 %; after 2 and 1 repetitions; no estimate of the repetitions it needs/, 'no interval from one repetition, the delta still shown');
  assert.match(md, /_udp: a reference row, not compared \(udp is a datagram echo/);
  assert.match(md, /### Warnings \(\d+\)/);
  assert.match(md, /- \*\*calibration-rtt\*\* \(base\): Calibrated RTT p50 is 34% above the configured 10 ms\. _Remedy:_ The userspace emulator/);
  assert.match(md, /- \*\*few-samples\*\* \(0\/tcp\/echo-64B-c1\/0, 0\/tcp\/echo-64B-c1\/1, 0\/tcp\/echo-64B-c1\/2 and 9 more\)/);
  assert.match(md, /### Cells that did not complete \(12\)/);
  assert.match(md, /- `0\/udp\/bulk-down-10s\/\{0,1,2\}` \*\*unsupported\*\* ×3: udp is a datagram transport/);
  assert.match(md, /- `0\/tunnel\/bulk-down-10s\/\{1,2\}` \*\*timeout\*\* ×2: no progress/);
  assert.match(md, /- `0\/tcp\/bulk-down-10s\/2` \*\*failed\*\*: read ECONNRESET/);
  assert.match(md, /- \*\*cpu-bound\*\* \(0\/quic\/bulk-down-10s\/0, 0\/quic\/bulk-down-10s\/1, 0\/quic\/bulk-down-10s\/2\): client used 96% of a core · client used 95% of a core · client used 100% of a core/);
});

test('table cells escape pipes and newlines', () => {
  assert.equal(mdText('a|b\nc'), 'a\\|b c');
  const r = loadFixture('single');
  for (const c of r.cells) if (c.transport === 'tls') c.implementation = 'node:tls | OpenSSL';
  const row = renderSummaryMarkdown(r).split('\n').find((l) => l.startsWith('| tls'))!;
  assert.match(row, /node:tls \\\| OpenSSL/);
  assert.equal(row.split(/(?<!\\)\|/).length, 9, 'column count unchanged');
});

test('an interrupted run says so', () => {
  const r = loadFixture('single');
  r.status = 'interrupted';
  assert.match(renderSummaryMarkdown(r), /> \*\*Run interrupted:\*\* only the cells measured before it stopped are included\./);
});

test('terminal summary after a run: medians over the ok repetitions, CPU-bound and host-contended marks from ok ones only, each with how many it describes', () => {
  const r = loadFixture('failures');
  // A failed repetition's CPU says nothing about the figure (tcp bulk: 2 ok, rep 2 failed).
  const failed = r.cells.find((c) => c.transport === 'tcp' && c.kind === 'bulk' && c.status === 'failed')!;
  failed.cpu = { ...failed.cpu!, cpuBound: true };
  // A mark says how many of the ok repetitions it describes: the median of quic-go-tun's
  // bulk may come from an unmarked one (issue 15 item 4).
  const qgt = r.cells.filter((c) => c.transport === 'quic-go-tun' && c.kind === 'bulk');
  qgt[0].cpu = { ...qgt[0].cpu!, cpuBound: true };
  qgt[1].host = { cpus: 2, busyFraction: 0.97, softirqFraction: 0.1, stealFraction: 0, cpuPressureSome: 0.3, contended: true };
  let out = '';
  printSummary(r, { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream);
  const lines = out.split('\n');
  assert.equal(lines[1], 'summary (short-rtt-failures, medians over repetitions)');
  assert.match(lines[2], /^point +transport +workload +ok +result$/);
  // Rows name the point by its link, as the progress lines did ("base" would say nothing).
  const row = (transport: string, workload: string): string => lines.find((l) => l.startsWith('delay=5ms loss=0.1% ') && l.slice(20).split(/ +/)[0] === transport && l.slice(20).split(/ +/)[1] === workload)!;
  const tcpBulk = okMetricValues(r.cells.filter((c) => c.transport === 'tcp' && c.kind === 'bulk'), 'goodputBitsPerSec');
  assert.equal(tcpBulk.length, 2);
  // The median of two is their mean, not the better one.
  assert.equal(row('tcp', 'bulk-down-10s'), 'delay=5ms loss=0.1% tcp           bulk-down-10s                2/3   steady-state goodput 39.9 Mbit/s goodput 39.5 Mbit/s', `the mean of ${tcpBulk.join(' and ')}`);
  assert.match(row('udp', 'echo-64B-c1'), / 3\/3 +p50 10\.1 ms p99 10\.4 ms$/);
  assert.match(row('udp', 'bulk-down-10s'), / 0\/3 +udp is a datagram transport/);
  assert.match(row('tunnel', 'bulk-down-10s'), / 1\/3 +steady-state goodput 4\.05 Mbit\/s goodput 4 Mbit\/s \[CPU-bound\]$/);
  assert.match(row('quic-go-tun', 'echo-64B-c1'), / 0\/3 +client command exited with code 1/);
  assert.match(row('quic-go-tun', 'bulk-down-10s'), / 3\/3 +steady-state goodput .* \[CPU-bound in 1 of 3 reps\] \[host contended in 1 of 3 reps\]$/);
  assert.match(row('quic', 'bulk-down-10s'), / \[CPU-bound in all 3 reps\]$/);
  assert.match(out, /\nverdicts \(3 repetitions \(fixed, one look\); alpha 0\.05 per comparison, same = within ±5 %\): decided 8 of 12\n/);
  assert.match(out, /\nbase handshake-x10 vs tcp:\n {2}quic · @matrixai\/quic 2\.0\.9 \(quiche\): handshake p50 slower than tcp's: \+28 % \[\+27, \+29\] % \(95 % CI\)\./);
});
