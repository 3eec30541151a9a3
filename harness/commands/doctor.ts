// `bench doctor`: can this machine run labs, which backend would `auto` pick and why, and
// how to fix whatever is missing. Exit 0 when an impairing backend is usable, else 3.
import type { Command } from 'commander';
import { doctor } from '../../netem/doctor.js';
import { EnvironmentError } from '../core/errors.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check root, tools, sch_netem, TUN and the link emulator; say which lab backend would be used')
    .option('--json', 'print the checks as JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await doctor();
      if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        const out: string[] = [];
        for (const c of r.checks) {
          const mark = c.ok ? 'ok  ' : c.optional ? 'note' : 'FAIL';
          out.push(`${mark}  ${c.name.padEnd(9)} ${c.detail}`);
          if (c.fix) out.push(`${' '.repeat(16)}fix: ${c.fix}`);
        }
        out.push('');
        out.push(r.auto ? `backend: --backend auto would use ${r.auto.backend} (${r.auto.reason.replace(/^auto: /, '')})` : `backend: none usable: ${r.autoProblem}`);
        out.push('backend: loopback (no impairment, no root) is always available');
        process.stdout.write(`${out.join('\n')}\n`);
      }
      if (!r.usable) {
        throw new EnvironmentError(`no usable lab backend: ${r.autoProblem}`, 'fix the FAIL lines above, then run `bench doctor` again');
      }
    });
}
