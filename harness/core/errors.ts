// Errors that carry their exit code. harness/cli.ts is the only place that maps them to a
// process exit; everything else throws or returns data.
export const EXIT = {
  ok: 0,
  regression: 1,
  usage: 2,
  environment: 3,
  cellsFailed: 4,
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
 * `bench compare` found significant regressions beyond the threshold (exit 1). Not a fault
 * of bench but the verdict CI asked for, so cli.ts prints it without the "error:" prefix.
 */
export class RegressionFound extends BenchError {
  constructor(
    readonly count: number,
    thresholdPct: number,
  ) {
    super(`${count} significant regression${count === 1 ? '' : 's'} beyond ${thresholdPct} %`, EXIT.regression);
  }
}
