// Output files are created without following links and without replacing special files
// (issue 16, items 5 and 12). Root, as bench runs under sudo: a link planted in the output
// directory under the temporary file's old predictable name, or at the output path, must not
// make root write or chown another file; a character device (made with mknod in a temp dir,
// never the real /dev) or a FIFO given as the output is written to, not replaced.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../harness/core/errors.js';
import { writeFileAtomic } from '../harness/results/result-file.js';
import { fixtureFile } from './fixtures/report-load.js';
import { CLI, skipUnlessRoot } from './kit/testkit.js';

const skip = skipUnlessRoot();
const NOBODY = { uid: 65534, gid: 65534 };

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-safe-write-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A root-owned file elsewhere that an attacker would like root to overwrite or give away. */
function victim(t: TestContext): string {
  const dir = tempDir(t);
  const file = join(dir, 'shadow');
  writeFileSync(file, 'root secret\n', { mode: 0o600 });
  return file;
}

function assertUntouched(file: string): void {
  assert.equal(readFileSync(file, 'utf8'), 'root secret\n', `${file} was written`);
  const st = statSync(file);
  assert.equal(st.uid, 0, `${file} was given away (uid ${st.uid})`);
}

const bench = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });

test('a link planted under the old temporary name is neither written nor chowned', { skip }, async (t) => {
  const dir = tempDir(t);
  chownSync(dir, NOBODY.uid, NOBODY.gid); // the invoking user's directory, as under sudo
  const secret = victim(t);
  const out = join(dir, 'report.html');
  // Before: `.report.html.<pid>.tmp`, opened following links, then chowned by path.
  symlinkSync(secret, join(dir, `.report.html.${process.pid}.tmp`));
  await writeFileAtomic(out, '<p>report</p>', { owner: NOBODY });
  assertUntouched(secret);
  assert.equal(readFileSync(out, 'utf8'), '<p>report</p>');
  assert.equal(lstatSync(out).uid, NOBODY.uid, 'the new file belongs to the invoking user');
  assert.deepEqual(readdirSync(dir).sort(), ['.report.html.' + process.pid + '.tmp', 'report.html'], 'no temp file left');
});

test('a link at the output path is refused, not followed', { skip }, async (t) => {
  const dir = tempDir(t);
  const secret = victim(t);
  const out = join(dir, 'summary.md');
  symlinkSync(secret, out);
  await assert.rejects(writeFileAtomic(out, 'x', { owner: NOBODY }), (e) => e instanceof InputError && /it is a symbolic link/.test(e.message));
  assertUntouched(secret);
  assert.ok(lstatSync(out).isSymbolicLink(), 'the link itself is left as it was');
  const cli = bench(['report', fixtureFile('single'), '-o', out]);
  assert.equal(cli.status, 2, cli.stderr);
  assert.match(cli.stderr, /refusing to write .*summary\.md: it is a symbolic link/);
  assertUntouched(secret);
});

test('a character device given as the output is written to and stays a device', { skip }, (t) => {
  const dir = tempDir(t);
  const dev = join(dir, 'null');
  // The same device as /dev/null (1,3), made in a temp dir: the real /dev is never touched.
  assert.equal(spawnSync('mknod', [dev, 'c', '1', '3']).status, 0, 'mknod');
  const rdev = statSync(dev).rdev;
  const rep = bench(['report', fixtureFile('single'), '-o', dev]);
  assert.equal(rep.status, 0, rep.stderr);
  // A run against itself decides same or leaves rows undecided (exit 5); --undecided pass makes that 0.
  const cmp = bench(['compare', fixtureFile('single'), fixtureFile('single'), '--html', dev, '--undecided', 'pass']);
  assert.equal(cmp.status, 0, cmp.stderr);
  const st = lstatSync(dev);
  assert.ok(st.isCharacterDevice(), 'still a character device, not replaced by a regular file');
  assert.equal(st.rdev, rdev, 'the same device');
  assert.deepEqual(readdirSync(dir), ['null'], 'no temp file left');
});

test('a FIFO given as the output is written to when read, refused at once when not', { skip }, async (t) => {
  const dir = tempDir(t);
  const fifo = join(dir, 'pipe');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const none = bench(['report', fixtureFile('single'), '-o', fifo]);
  assert.equal(none.status, 2, none.stderr);
  assert.match(none.stderr, /it is a FIFO and no process is reading it/);
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  reader.stdout.on('data', (d: Buffer) => chunks.push(d));
  const done = new Promise((r) => reader.once('close', r));
  t.after(() => reader.kill());
  // The reader opens the FIFO asynchronously: retry until bench finds it there.
  let rep = bench(['report', fixtureFile('single'), '-o', fifo]);
  for (let i = 0; i < 50 && rep.status === 2 && /no process is reading/.test(rep.stderr); i++) {
    await new Promise((r) => setTimeout(r, 100));
    rep = bench(['report', fixtureFile('single'), '-o', fifo]);
  }
  assert.equal(rep.status, 0, rep.stderr);
  await done;
  assert.match(Buffer.concat(chunks).toString(), /^<!doctype html>/);
  assert.ok(lstatSync(fifo).isFIFO(), 'still a FIFO');
});

test('bench tunnel cert does not write its key through a planted link', { skip }, (t) => {
  const dir = tempDir(t);
  const secret = victim(t);
  symlinkSync(secret, join(dir, 'key.pem'));
  const r = bench(['tunnel', 'cert', '--out', dir]);
  assert.equal(r.status, 2, r.stderr);
  assertUntouched(secret);
});
