#!/usr/bin/env node
// The only place that maps errors and interruptions to exit codes, prints them, and ends
// the process (STYLE: hyperfine's main.rs).
import { Command, CommanderError } from 'commander';
import { BenchError, EXIT, GateVerdict, InterruptedError } from './core/errors.js';
import { TOOL_VERSION } from './core/version.js';
import { terminalText } from './core/text.js';
// Command registry: adding a command touches this block and one new file.
import { registerValidate } from './commands/validate.js';
import { registerRun } from './commands/run.js';
import { registerCompare } from './commands/compare.js';
import { registerReport } from './commands/report.js';
import { registerDoctor } from './commands/doctor.js';
import { registerCleanup } from './commands/cleanup.js';
import { registerLab } from './commands/lab.js';
import { registerTunnel } from './commands/tunnel.js';
import { registerExport } from './commands/export.js';

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
registerExport(program);

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
      // A gate's verdict (regression, undecided) is the answer CI asked for, and an
      // interruption what the user asked for: neither is a fault of bench, so no "error:"
      // prefix. Messages quote scenario and result files: their control characters are shown, not sent.
      const fault = !(err instanceof GateVerdict || err instanceof InterruptedError);
      process.stderr.write(`bench: ${fault ? 'error: ' : ''}${terminalText(err.message)}\n`);
      if (err.hint) process.stderr.write(`  hint: ${terminalText(err.hint)}\n`);
      if (verbose() && err.stack) process.stderr.write(`${err.stack}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    const e = err as Error;
    process.stderr.write(`bench: error: ${terminalText(e?.message ?? String(err))}\n`);
    process.stderr.write(verbose() ? `${e?.stack ?? ''}\n` : '  hint: run again with --verbose for the stack trace\n');
    process.exitCode = EXIT.environment;
  }
}

await main();
// Leave now: a handle of a torn-down child (an interrupted run, a stopped tunnel endpoint's
// QUIC socket draining) must not keep the process alive past its answer. stdout and stderr
// are synchronous for files and pipes on Linux, so nothing written is lost.
process.exit(process.exitCode ?? EXIT.ok);
