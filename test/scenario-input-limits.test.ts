// Scenario input that used to exhaust or hang bench is refused as bad input, exit 2, with
// where and why (issue 16, item 10): a 50 MB description (2.4 GB of memory and 105 MB of
// reports before), a FIFO given as the scenario (hung forever), a YAML alias bomb and a
// dangling alias (exit 3 without a position), strings longer than their caps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './kit/testkit.js';

function validate(file: string): { code: number | null; stderr: string; signal: NodeJS.Signals | null } {
  // The timeout is the test of "does not hang": a FIFO blocked bench forever.
  const r = spawnSync(process.execPath, [CLI, 'validate', file], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr, signal: r.signal };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'bench-scenario-limits-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const GOOD = 'name: t\ndescription: d\ntransports: [tcp]\nworkloads:\n  - echo: { count: 10 }\n';

test('a 50 MB scenario is refused by its size before it is parsed', () => {
  withDir((dir) => {
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, `name: t\ndescription: ${'x'.repeat(50 * 1024 * 1024)}\n`);
    const r = validate(file);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /scenario .*huge\.yaml is 50 MiB, more than the 1 MiB a scenario may have/);
  });
});

test('a description, name or command longer than its cap is refused at its position', () => {
  withDir((dir) => {
    const file = join(dir, 'long.yaml');
    writeFileSync(file, `name: t\ndescription: ${'d'.repeat(5000)}\ntransports:\n  - name: relay\n    server: ${'s'.repeat(5000)}\n    client: c\nworkloads:\n  - echo: { count: 10 }\n`);
    const r = validate(file);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /long\.yaml:2:14 description: is 5000 characters long \(allowed: at most 2000\)/);
    assert.match(r.stderr, /long\.yaml:5:13 transports\[0\]\.server: is 5000 characters long \(allowed: at most 4096\)/);
  });
});

test('a FIFO, a directory or a device as the scenario is refused at once', () => {
  withDir((dir) => {
    const fifo = join(dir, 'pipe.yaml');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
    const r = validate(fifo);
    assert.equal(r.signal, null, 'bench did not hang on the FIFO');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot read scenario .*pipe\.yaml: it is a FIFO, not a regular file/);
    assert.match(validate(dir).stderr, /it is a directory, not a regular file/);
    assert.match(validate('/dev/zero').stderr, /it is a character device, not a regular file/);
  });
});

test('a YAML alias bomb and a dangling alias are bad input at the alias, not a crash', () => {
  withDir((dir) => {
    const bomb = join(dir, 'bomb.yaml');
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 6; i++) levels.push(`${'abcdef'[i]}: &${'abcdef'[i]} [${Array(10).fill(`*${'abcdef'[i - 1]}`).join(', ')}]`);
    writeFileSync(bomb, `${GOOD}${levels.join('\n')}\n`);
    const r = validate(bomb);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bomb\.yaml:7:\d+ \(top\): YAML aliases expand too far/);

    const dangling = join(dir, 'dangling.yaml');
    writeFileSync(dangling, 'name: t\ndescription: *nowhere\n');
    const d = validate(dangling);
    assert.equal(d.code, 2, d.stderr);
    assert.match(d.stderr, /dangling\.yaml:2:14 \(top\): YAML alias \*nowhere has no anchor &nowhere before it/);
  });
});
