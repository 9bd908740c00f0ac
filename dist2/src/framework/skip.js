// A test that cannot be judged on this runtime ends with a reason, never silently.
export class SkipError extends Error {
    reason;
    constructor(reason) {
        super(reason);
        this.reason = reason;
        this.name = 'SkipError';
    }
}
/** Skip the current test with a reason a runtime author would accept. */
export function skip(reason) {
    throw new SkipError(reason);
}
//# sourceMappingURL=skip.js.map