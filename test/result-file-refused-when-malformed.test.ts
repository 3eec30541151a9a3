// Malformed result files are bad input (exit 2) naming the field or the position, for
// `bench report` and `bench compare` alike (issue 16, items 4 and 10): a wrong type, a broken
// structure (cells: null, cells: [{}]), broken JSON. Before, a string where a number belongs
// was rendered raw into the report, and structural damage crashed a renderer (exit 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureFile } from './fixtures/report-load.js';
import { CLI } from './kit/testkit.js';

function bench(args: string[], cwd: string): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr };
}

const fixture = (): Record<string, any> => JSON.parse(readFileSync(fixtureFile('single'), 'utf8'));

const CASES: [string, (r: Record<string, any>) => unknown, RegExp][] = [
  ['metric-text', (r) => ((r.cells[3].metrics.goodputBitsPerSec = '12 Mbit/s'), r), /result\.json: cells\[3\]\.metrics\.goodputBitsPerSec: must be a number/],
  ['cpus-markup', (r) => ((r.host.cpus = '<script>alert(1)</script>'), r), /result\.json: host\.cpus: must be an integer/],
  ['probes-text', (r) => ((r.labs[0].measured.probes = 'x'), r), /result\.json: labs\[0\]\.measured\.probes: must be an integer/],
  ['seed-text', (r) => ((r.scenario.seed = 'x'), r), /result\.json: scenario\.seed: must be an integer/],
  ['cells-null', (r) => ((r.cells = null), r), /result\.json: cells: must be a list/],
  ['cells-empty-object', (r) => ((r.cells = [{}]), r), /result\.json: cells\[0\]: missing "id"/],
  ['status-bogus', (r) => ((r.cells[0].status = 'great'), r), /result\.json: cells\[0\]\.status: must be one of ok, failed, timeout, unsupported/],
  ['rate-text', (r) => ((r.labs[0].configured.uplink.rateBitsPerSec = 'fast'), r), /result\.json: labs\[0\]\.configured\.uplink\.rateBitsPerSec: must be a number or null/],
];

test('bench report and bench compare refuse a malformed result with exit 2 naming the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-malformed-'));
  try {
    const good = fixtureFile('single');
    for (const [name, spoil, expected] of CASES) {
      const sub = join(dir, name);
      const file = join(sub, 'result.json');
      spawnSync('mkdir', [sub]);
      writeFileSync(file, JSON.stringify(spoil(fixture()), null, 1));
      const rep = bench(['report', file, '-o', join(sub, 'report.html')], dir);
      assert.equal(rep.code, 2, `${name}: report exit (${rep.stderr})`);
      assert.match(rep.stderr, expected, `${name}: report names the field`);
      const cmp = bench(['compare', good, file], dir);
      assert.equal(cmp.code, 2, `${name}: compare exit (${cmp.stderr})`);
      assert.match(cmp.stderr, expected, `${name}: compare names the field`);
      assert.throws(() => readFileSync(join(sub, 'report.html')), /ENOENT/, `${name}: nothing written`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('broken JSON is refused with exit 2 and its line:col', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-malformed-'));
  try {
    const cases: [string, string, string][] = [
      ['missing-value.json', '{\n  "formatVersion": 1,\n  "label": }\n', ':3:12:'],
      ['cut-short.json', '{\n  "formatVersion": 1,\n  "cells": [', ':3:13:'],
      ['trailing.json', '{"formatVersion": 1}\n}', ':2:1:'],
    ];
    for (const [name, text, pos] of cases) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const r = bench(['report', file, '-o', join(dir, 'x.html')], dir);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`${file}${pos} not a bench result file: broken JSON`), `${name}: ${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
