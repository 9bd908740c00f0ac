// A test that cannot be judged on this runtime ends with a reason, never silently.
export class SkipError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SkipError';
  }
}

/** Skip the current test with a reason a runtime author would accept. */
export function skip(reason: string): never {
  throw new SkipError(reason);
}

/** The test cannot run because a test image it needs is not available: "not run (no image)", never a pass
 * or an ordinary skip (it fails the run unless --allow-missing-images). */
export class NoImageError extends SkipError {
  constructor(reason: string) {
    super(reason);
    this.name = 'NoImageError';
  }
}
