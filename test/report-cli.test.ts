// `bench report` through the real binary: files written, paths on stdout, exit codes and
// messages for bad input (cli.ts maps InputError to exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureFile } from './fixtures/report-load.js';
import { CLI } from './kit/testkit.js';

function bench(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-cli-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('report writes HTML and summary.md and prints their paths', () => {
  withDir((dir) => {
    const html = join(dir, 'out.html');
    const md = join(dir, 'summary.md');
    const r = bench(['report', fixtureFile('failures'), '-o', html, '--markdown', md], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${html}\n${md}\n`);
    assert.match(readFileSync(html, 'utf8'), /^<!doctype html>[\s\S]*Cells that did not complete/);
    assert.match(readFileSync(md, 'utf8'), /^## bench: short-rtt-failures \(pr-1234\)/);
  });
});

test('default output sits beside a single result', () => {
  withDir((dir) => {
    const input = join(dir, 'result.json');
    writeFileSync(input, readFileSync(fixtureFile('single')));
    const r = bench(['report', input], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), join(dir, 'report.html'));
    assert.ok(existsSync(join(dir, 'report.html')));
  });
});

test('--trend across releases; "-" writes to stdout', () => {
  withDir((dir) => {
    const r = bench(['report', '--trend', fixtureFile('sweep'), fixtureFile('sweep'), '-o', '-', '--title', 'my trend'], dir);
    assert.equal(r.code, 0, r.stderr);
    // Separate checks: one regex with two [\s\S]* over a page of megabytes backtracks for minutes when it fails.
    assert.ok(r.stdout.startsWith('<!doctype html>'));
    assert.ok(r.stdout.includes('<title>my trend</title>'));
    assert.ok(r.stdout.includes('No decided regression between consecutive releases'), 'the same run twice: nothing decided regressed');
  });
});

test('bad input exits 2 with a clear message', () => {
  withDir((dir) => {
    const one = bench(['report', '--trend', fixtureFile('sweep')], dir);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /--trend needs at least two result files/);

    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"formatVersion": 1, "cells": [');
    const b = bench(['report', broken], dir);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /broken JSON/);

    const newer = join(dir, 'newer.json');
    writeFileSync(newer, JSON.stringify({ ...JSON.parse(readFileSync(fixtureFile('single'), 'utf8')), formatVersion: 99 }));
    const n = bench(['report', newer], dir);
    assert.equal(n.code, 2);
    assert.match(n.stderr, /upgrade bench/);

    const missing = bench(['report', join(dir, 'nope.json')], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read result file .*nope\.json: ENOENT/);
    assert.ok(!existsSync(join(dir, 'report.html')), 'nothing written on error');
  });
});
