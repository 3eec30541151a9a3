// `npm test`: every test file under node's test runner, one file at a time (the lab tests
// share the host's namespaces, ports and CPUs), except the real-kernel netem job
// (netem-real-kernel.test.js), which runs beside them from the start. That job is one qemu
// vCPU on virtual time (icount, .ci/netem-vm/netem-vm.sh): what it measures inside the guest
// does not depend on how busy the host is, only its wall time does, and run last it added
// 5-7 minutes to a suite that otherwise leaves one of the two cores idle. Its output is kept
// and printed after the other files', under a header, so the two streams never interleave.
// Exit status: 0 only when both runners pass. With arguments (test files), runs just those,
// one at a time, as `node --test` would.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = dirname(fileURLToPath(import.meta.url));
const VM_FILE = 'netem-real-kernel.test.js';
const RUNNER = ['--test', '--test-concurrency=1', '--test-force-exit', '--test-timeout=600000'];

const children = new Set<ChildProcess>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    for (const c of children) c.kill(sig);
  });
}

function run(files: string[], stdio: 'inherit' | number): Promise<number> {
  const child = spawn(process.execPath, [...RUNNER, ...files], { stdio: stdio === 'inherit' ? 'inherit' : ['ignore', stdio, stdio] });
  children.add(child);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length) return run(args, 'inherit');
  const files = readdirSync(DIR)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => join(DIR, f));
  const vmPath = join(DIR, VM_FILE);
  const rest = files.filter((f) => f !== vmPath);
  const logDir = mkdtempSync(join(tmpdir(), 'bench-suite-'));
  const logPath = join(logDir, 'netem-vm.tap');
  const fd = openSync(logPath, 'w');
  const started = Date.now();
  let vmDoneAt = 0;
  const vm = files.includes(vmPath)
    ? run([vmPath], fd).then((code) => {
        vmDoneAt = Date.now();
        return code;
      })
    : Promise.resolve(0);
  const restCode = await run(rest, 'inherit');
  const restDoneAt = Date.now();
  const vmCode = await vm;
  closeSync(fd);
  const secs = (t: number): string => `${Math.round((t - started) / 1000)} s`;
  process.stdout.write(`\n# ---- ${VM_FILE} (ran beside the other files; done after ${secs(vmDoneAt || Date.now())}) ----\n`);
  process.stdout.write(readFileSync(logPath, 'utf8'));
  rmSync(logDir, { recursive: true, force: true });
  process.stdout.write(
    `\n# suite: ${rest.length} files one at a time: exit ${restCode} after ${secs(restDoneAt)}; ` + `${VM_FILE} beside them: exit ${vmCode}\n`,
  );
  return restCode !== 0 ? restCode : vmCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`run-suite: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
