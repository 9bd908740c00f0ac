// Errors the user can act on: one line, a stable code, and the process exit code it maps to.

export const EXIT = {
  OK: 0,
  TEST_FAILURES: 1,
  USAGE: 2,
  CONNECT: 3,
  NO_VERSION: 4,
  LAB: 5,
  HANDLER: 6,
  /** doctor: the runtime or its network reports itself not ready (Status conditions). */
  NOT_READY: 7,
  /** doctor: the test images cannot be pulled (or there are none). */
  IMAGES: 8,
  /** run --repeat: a test's outcome changed between rounds, and nothing else failed. */
  FLAKY: 9,
  /** --run-timeout ran out (shares 3 with CONNECT: the runtime did not get through the run in time). */
  RUN_BUDGET: 3,
  INTERNAL: 70,
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad flag, bad config file, bad fixture or baseline: the user's input is wrong. */
export class UsageError extends CliError {
  constructor(message: string, code = 'USAGE') {
    super(message, EXIT.USAGE, code);
  }
}

/** The endpoint is missing, refuses us, is not gRPC or does not serve the CRI. */
export class ConnectError extends CliError {
  constructor(message: string, code = 'CONNECT') {
    super(message, EXIT.CONNECT, code);
  }
}

/** --runtime-handler names a handler the runtime does not have. */
export class HandlerError extends CliError {
  constructor(message: string) {
    super(message, EXIT.HANDLER, 'HANDLER');
  }
}

export class NoVersionError extends CliError {
  constructor(message: string) {
    super(message, EXIT.NO_VERSION, 'NO_VERSION');
  }
}

/** Print one line for any error; stack traces only with CRI_CONFORMANCE_DEBUG set. */
export function describeError(err: unknown): { line: string; exitCode: number } {
  if (err instanceof CliError) return { line: err.message, exitCode: err.exitCode };
  const e = err as { message?: string; exitCode?: number; code?: string; name?: string };
  // Errors from other modules (lab, baseline, profiles) carry their own codes; map them by name.
  if (e?.name === 'LabError') return { line: e.message ?? String(err), exitCode: EXIT.LAB };
  if (e?.name === 'BaselineError' || e?.name === 'ProfileError') return { line: e.message ?? String(err), exitCode: EXIT.USAGE };
  return { line: `internal error: ${e?.message ?? String(err)} (set CRI_CONFORMANCE_DEBUG=1 for a stack trace)`, exitCode: EXIT.INTERNAL };
}
