// The tables of the backend comparison (compare-backends.sh): goodput per placement with its
// spread, netem's own drop share, the calibrated link (the guest's timing noise), and for
// each pair of columns a Mann-Whitney p and a bootstrap 95 % CI of the relative difference of
// medians, so two columns are "apart" (p <= 0.05) or "the same" (CI inside +-10 %) or neither.
//   node .ci/netem-vm/compare-table.mjs VMDATA HOSTDATA
// Uses bench's own statistics (dist/, so run npm run build first).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deltaCI, mannWhitneyU, median } from '../../dist/harness/core/stats.js';

const [vmDir, hostDir] = process.argv.slice(2);
const COLUMNS = [
  { key: 'netem-endpoints', dir: vmDir, label: 'netem on endpoints (VM)' },
  { key: 'netem-router', dir: vmDir, label: 'netem on router (VM)' },
  { key: 'userspace', dir: hostDir, label: 'userspace (host)' },
];
const PAIRS = [
  [0, 1],
  [1, 2],
];

const jsonl = (f) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const result = (dir, key, loss) => {
  const f = join(dir, `${key}-loss${loss}`, 'result.json');
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : null;
};

function samples(col, loss, tool) {
  if (tool === 'iperf3') return jsonl(join(col.dir, 'runs.jsonl')).filter((r) => r.placement === col.key && r.lossPct === loss);
  const r = result(col.dir, col.key, loss);
  return (r?.cells ?? []).filter((c) => c.kind === 'bulk' && c.status === 'ok').map((c) => ({ goodputBitsPerSec: c.metrics.goodputBitsPerSec }));
}

const mbit = (x) => (x / 1e6).toFixed(2);
function cell(xs) {
  if (!xs.length) return 'n/a';
  return `${mbit(median(xs))} [${mbit(Math.min(...xs))}-${mbit(Math.max(...xs))}] n=${xs.length}`;
}
function verdict(a, b) {
  if (a.length < 2 || b.length < 2) return 'n/a';
  const p = mannWhitneyU(a, b).p;
  const d = deltaCI(a, b);
  const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)}%`;
  const call = p <= 0.05 ? 'apart' : d.lo >= -0.1 && d.hi <= 0.1 ? 'same' : 'undecided';
  return `${pct(d.estimate)} [${pct(d.lo)}, ${pct(d.hi)}] p=${p.toFixed(3)} ${call}`;
}

const out = [];
out.push(`| loss | tool | ${COLUMNS.map((c) => c.label).join(' | ')} | ${PAIRS.map(([a, b]) => `${COLUMNS[b].label} vs ${COLUMNS[a].label}`).join(' | ')} |`);
out.push(`|${'---|'.repeat(2 + COLUMNS.length + PAIRS.length)}`);
for (const loss of [1, 5]) {
  for (const tool of ['iperf3', 'bench tcp bulk']) {
    const g = COLUMNS.map((c) => samples(c, loss, tool).map((s) => s.goodputBitsPerSec));
    out.push(`| ${loss} % | ${tool} | ${g.map(cell).join(' | ')} | ${PAIRS.map(([a, b]) => verdict(g[a], g[b])).join(' | ')} |`);
  }
}
console.log('Goodput, Mbit/s: median [min-max] over repetitions; pairs: relative difference of medians [bootstrap 95 % CI], Mann-Whitney p\n');
console.log(out.join('\n'));

console.log('\nnetem downlink qdisc over the iperf3 runs: packets dropped / (sent + dropped), median [min-max]; iperf3 sender retransmits, median\n');
console.log('| loss | placement | dropped share | retransmits |\n|---|---|---|---|');
for (const loss of [1, 5]) {
  for (const col of COLUMNS) {
    const runs = samples(col, loss, 'iperf3');
    if (!runs.length) continue;
    const share = runs.filter((r) => r.qdiscSent > 0).map((r) => r.qdiscDropped / (r.qdiscSent + r.qdiscDropped));
    const pct = (x) => `${(x * 100).toFixed(2)} %`;
    // The emulator's counters cover the whole lab (calibration probes and every run).
    const lab = existsSync(join(col.dir, `${col.key}-loss${loss}-lab.txt`)) ? readFileSync(join(col.dir, `${col.key}-loss${loss}-lab.txt`), 'utf8') : '';
    const em = /emulator counters: (\{.*\})/.exec(lab);
    const c = em ? JSON.parse(em[1]) : null;
    const whole = c && c.down_forwarded ? `${pct(c.down_dropped_loss / (c.down_forwarded + c.down_dropped_loss))} (emulator, whole lab)` : 'n/a';
    const s = share.length ? `${pct(median(share))} [${pct(Math.min(...share))}-${pct(Math.max(...share))}]` : whole;
    console.log(`| ${loss} % | ${col.label} | ${s} | ${median(runs.map((r) => r.retransmits))} |`);
  }
}

console.log("\nCalibration of each lab bench ran (1000 UDP probes): RTT ms min / p50 / p99 (configured 50 + serialisation), loss up / down\n");
console.log('| loss | placement | RTT min / p50 / p99 | loss up / down |\n|---|---|---|---|');
for (const loss of [1, 5]) {
  for (const col of COLUMNS) {
    const lab = result(col.dir, col.key, loss)?.labs?.[0];
    const m = lab?.measured;
    if (!m) continue;
    console.log(`| ${loss} % | ${col.label} | ${m.rttMs.min.toFixed(3)} / ${m.rttMs.p50.toFixed(3)} / ${m.rttMs.p99.toFixed(3)} | ${m.uplinkLossPct.toFixed(2)} % / ${m.downlinkLossPct.toFixed(2)} % |`);
  }
}
