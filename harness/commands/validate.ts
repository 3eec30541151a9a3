// `bench validate <files...>`: check scenario files without running anything.
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { loadScenario } from '../scenario/load.js';
import { formatProblem, ScenarioError, type Problem } from '../scenario/source.js';
import { fmtDuration } from '../core/format.js';
import { formatRate } from '../core/units.js';
import { terminalLine } from '../core/text.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check scenario files (every problem at once, with file:line:col) without running them')
    .argument('<files...>', 'scenario YAML files')
    .option('--quiet', 'print nothing for valid files')
    .addHelpText('after', '\nExit codes: 0 all valid, 2 any file has problems.\nExample: bench validate scenarios/*.yaml')
    .action(async (files: string[], opts: { quiet?: boolean }) => {
      const problems: Problem[] = [];
      const unreadable: string[] = [];
      for (const f of files) {
        try {
          const s = await loadScenario(f);
          if (!opts.quiet) {
            const rates = s.points.map((p) => formatRate(p.link.downlink.rateBitsPerSec));
            const per = s.points.length * s.transports.length * s.workloads.length;
            const a = s.adaptive;
            const reps = a ? `${s.repetitions}..${a.maxReps} repetitions (auto, budget ${fmtDuration(a.budgetMs)})` : `${s.repetitions} repetitions`;
            const cells = a ? `${per * s.repetitions}..${per * a.maxReps}` : `${per * s.repetitions}`;
            process.stdout.write(
              `${f}: ok: ${s.name}: ${s.points.length} link point${s.points.length === 1 ? '' : 's'}, ` +
                `${s.transports.length} transports x ${s.workloads.length} workloads x ${reps}` +
                ` = ${cells} cells (downlink rate ${[...new Set(rates)].join(', ')})\n`,
            );
          }
        } catch (err) {
          if (err instanceof ScenarioError) problems.push(...err.problems);
          else if (err instanceof InputError) unreadable.push(err.message);
          else throw err;
        }
      }
      // A problem quotes the file (keys, values): its control characters are shown, not sent.
      for (const p of problems) process.stderr.write(`${terminalLine(formatProblem(p))}\n`);
      for (const u of unreadable) process.stderr.write(`${terminalLine(u)}\n`);
      const n = problems.length + unreadable.length;
      if (n > 0) throw new InputError(`${n} problem${n === 1 ? '' : 's'} found`, 'each line above says file:line:col, the field, the problem and what is allowed');
    });
}
