// One clock per session: each wait takes what is left of it (or less), so the sum of waits cannot
// outlive the session's deadline however the server behaves.
import { StreamingError } from './errors.js';

export class Deadline {
  private readonly end: number;
  constructor(
    readonly ms: number,
    readonly what: string,
  ) {
    if (!(ms > 0)) throw new RangeError(`${what}: deadline must be > 0 ms, got ${ms}`);
    this.end = Date.now() + ms;
  }

  remaining(): number {
    return Math.max(0, this.end - Date.now());
  }

  /** Settles with p, or rejects once `capMs` or the deadline (whichever is sooner) has passed. */
  race<T>(p: Promise<T>, waitingFor: string, capMs = Infinity, onTimeout?: () => void): Promise<T> {
    return withTimeout(p, Math.min(this.remaining(), capMs), `${this.what}: ${waitingFor}`, onTimeout);
  }
}

/** Rejects with a one-line timeout error naming what was awaited; onTimeout tears down what p waits on. */
export function withTimeout<T>(p: Promise<T>, ms: number, waitingFor: string, onTimeout?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => {
      onTimeout?.();
      reject(new StreamingError('timeout', `${waitingFor}: nothing after ${Math.round(ms)} ms`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
