#!/usr/bin/env node
// The only place that maps errors to exit codes and prints them (STYLE: hyperfine's main.rs).
import { Command, CommanderError } from 'commander';
import { BenchError, EXIT, RegressionFound } from './errors.js';
import { TOOL_VERSION } from './version.js';
// Command registry: adding a command touches this block and one new file.
import { registerValidate } from './commands/validate.js';
import { registerRun } from './commands/run.js';
import { registerCompare } from './commands/compare.js';
import { registerReport } from './commands/report.js';
import { registerDoctor } from './commands/doctor.js';
import { registerCleanup } from './commands/cleanup.js';
import { registerLab } from './commands/lab.js';
import { registerTunnel } from './commands/tunnel.js';

const program = new Command();
program
  .name('bench')
  .description('Measure QUIC against TCP, TLS and TCP-over-QUIC on an emulated lossy link.')
  .version(TOOL_VERSION)
  .option('--verbose', 'print stack traces and debug logs')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerRun(program);
registerValidate(program);
registerCompare(program);
registerReport(program);
registerDoctor(program);
registerCleanup(program);
registerLab(program);
registerTunnel(program);

function verbose(): boolean {
  return process.argv.includes('--verbose');
}

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message; help/version exit 0.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (err instanceof BenchError) {
      // A regression is the verdict CI asked for, not a fault of bench: no "error:" prefix.
      process.stderr.write(`bench: ${err instanceof RegressionFound ? '' : 'error: '}${err.message}\n`);
      if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
      if (verbose() && err.stack) process.stderr.write(`${err.stack}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    const e = err as Error;
    process.stderr.write(`bench: error: ${e?.message ?? String(err)}\n`);
    process.stderr.write(verbose() ? `${e?.stack ?? ''}\n` : '  hint: run again with --verbose for the stack trace\n');
    process.exitCode = EXIT.environment;
  }
}

await main();
