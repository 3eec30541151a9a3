// Run ids name namespaces and state files: what is accepted, and the one suffix refused
// because its state file would be another lab's stats file (`<id>.stats.json`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stateFile, statsFile, validRunId } from '../netem/state.js';

test('run ids: letters, digits, _ . - up to 48 characters, not ending in .stats', () => {
  for (const ok of ['a', 'ab12', 'x.y', 'a_b-c', 'a'.repeat(48), 'x.statsy']) assert.equal(validRunId(ok), true, ok);
  for (const bad of ['', '-a', '.a', 'a/b', 'a b', 'a'.repeat(49), 'x.stats']) assert.equal(validRunId(bad), false, bad);
  // Why .stats is refused: the two files would be one.
  assert.equal(stateFile('x.stats'), statsFile('x'));
});
