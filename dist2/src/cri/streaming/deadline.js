// One clock per session: each wait takes what is left of it (or less), so the sum of waits cannot
// outlive the session's deadline however the server behaves.
import { StreamingError } from './errors.js';
export class Deadline {
    ms;
    what;
    end;
    constructor(ms, what) {
        this.ms = ms;
        this.what = what;
        if (!(ms > 0))
            throw new RangeError(`${what}: deadline must be > 0 ms, got ${ms}`);
        this.end = Date.now() + ms;
    }
    remaining() {
        return Math.max(0, this.end - Date.now());
    }
    /** Settles with p, or rejects once `capMs` or the deadline (whichever is sooner) has passed. */
    race(p, waitingFor, capMs = Infinity, onTimeout) {
        return withTimeout(p, Math.min(this.remaining(), capMs), `${this.what}: ${waitingFor}`, onTimeout);
    }
}
/** Rejects with a one-line timeout error naming what was awaited; onTimeout tears down what p waits on. */
export function withTimeout(p, ms, waitingFor, onTimeout) {
    return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
            onTimeout?.();
            reject(new StreamingError('timeout', `${waitingFor}: nothing after ${Math.round(ms)} ms`));
        }, ms);
        p.then((v) => {
            clearTimeout(t);
            resolve(v);
        }, (e) => {
            clearTimeout(t);
            reject(e);
        });
    });
}
//# sourceMappingURL=deadline.js.map