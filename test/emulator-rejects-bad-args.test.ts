// The emulator fails loudly on bad arguments: usage on stderr, exit 2, before it touches
// any namespace or device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { EMULATOR_BIN } from '../harness/core/native.js';

const NS = ['--client-ns', '/nonexistent/c', '--server-ns', '/nonexistent/s'];
const bad: { name: string; args: string[]; says: RegExp }[] = [
  { name: 'no arguments', args: [], says: /--client-ns and --server-ns are required/ },
  { name: 'unknown option', args: [...NS, '--frobnicate'], says: /unknown option/ },
  { name: 'stray argument', args: [...NS, 'extra'], says: /unexpected argument/ },
  { name: 'non-numeric delay', args: [...NS, '--up', 'delay_us=abc'], says: /bad delay_us "abc"/ },
  { name: 'loss above 100 %', args: [...NS, '--up', 'loss_pct=150'], says: /bad loss_pct "150"/ },
  { name: 'negative rate', args: [...NS, '--down', 'rate_bps=-5'], says: /bad rate_bps/ },
  { name: 'unknown spec key', args: [...NS, '--up', 'delay_us=1,speed=3'], says: /unknown spec key "speed"/ },
  { name: 'spec item without value', args: [...NS, '--up', 'delay_us'], says: /key=value/ },
  { name: 'incomplete Gilbert-Elliott', args: [...NS, '--up', 'ge=1:2'], says: /ge needs P:R:BAD:GOOD/ },
  { name: 'jitter larger than delay', args: [...NS, '--up', 'delay_us=10,jitter_us=20'], says: /jitter_us must not exceed delay_us/ },
  { name: 'trailing garbage in a number', args: [...NS, '--seed', '12x'], says: /bad seed/ },
  { name: 'device name too long', args: [...NS, '--dev', 'x'.repeat(20)], says: /bad --dev/ },
];

const missing = existsSync(EMULATOR_BIN) ? false : `emulator not built (${EMULATOR_BIN}); run npm run build`;

for (const c of bad) {
  test(`emulator rejects ${c.name}`, { skip: missing }, () => {
    const r = spawnSync(EMULATOR_BIN, c.args, { encoding: 'utf8', timeout: 5000 });
    assert.equal(r.status, 2, `exit status for ${c.args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, c.says);
    assert.match(r.stderr, /usage: linkemu/);
    assert.equal(r.stdout, '');
  });
}

test('emulator reports a namespace it cannot enter, exit 1', { skip: missing }, () => {
  const r = spawnSync(EMULATOR_BIN, NS, { encoding: 'utf8', timeout: 5000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /enter \/nonexistent\/c/);
});
