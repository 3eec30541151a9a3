// Errors that carry their exit code. harness/cli.ts is the only place that maps them to a
// process exit; everything else throws or returns data.
export const EXIT = {
  ok: 0,
  regression: 1,
  usage: 2,
  environment: 3,
  cellsFailed: 4,
  undecided: 5,
  interrupted: 130,
} as const;

export class BenchError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad command line or bad input file (exit 2). */
export class InputError extends BenchError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
  }
}

/** The machine cannot do what was asked: not root, tool missing, kernel lacks a feature (exit 3). */
export class EnvironmentError extends BenchError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.environment, hint);
  }
}

/** Interrupted by SIGINT/SIGTERM after cleanup ran (exit 130); `what` says what was removed and what was kept. */
export class InterruptedError extends BenchError {
  constructor(signal: string, what = 'everything set up was removed') {
    super(`interrupted by ${signal}; ${what}`, EXIT.interrupted);
  }
}

/**
 * A gate's verdict (bench compare, bench run --baseline): not a fault of bench but the
 * answer CI asked for, so cli.ts prints it without the "error:" prefix.
 */
export class GateVerdict extends BenchError {}

/**
 * Decided regressions beyond the threshold, or measurements the baseline had that the
 * candidate lost (exit 1).
 */
export class RegressionFound extends GateVerdict {
  constructor(
    readonly count: number,
    thresholdPct: number,
    readonly lost = 0,
  ) {
    const parts = [];
    if (count > 0 || lost === 0) parts.push(`${count} regression${count === 1 ? '' : 's'} beyond ${thresholdPct} % (decided slower)`);
    if (lost > 0) parts.push(`${lost} measurement${lost === 1 ? '' : 's'} the baseline had ${lost === 1 ? 'is' : 'are'} missing or failing in the candidate`);
    super(parts.join('; '), EXIT.regression);
  }
}

/**
 * Nothing regressed, but some rows stayed undecided (exit 5): a gate that could not see
 * does not pass silently. `--undecided pass` accepts it.
 */
export class UndecidedFound extends GateVerdict {
  constructor(undecided: number, rows: number, moreReps: number | null) {
    const more = moreReps === null ? '' : `; about ${moreReps} more candidate repetition${moreReps === 1 ? '' : 's'} would likely settle ${undecided === 1 ? 'it' : 'them'}`;
    const what = rows === 0 ? 'nothing was compared (the baseline has no measurement with an ok repetition)' : `${undecided} of ${rows} rows undecided, none regressed${more}`;
    super(what, EXIT.undecided, 'pass --undecided pass to accept undecided rows, or give the runs more repetitions (repetitions: auto)');
  }
}
