// The run's test slots: up to `jobs` tests at once, taken in manifest order from every suite whose gate is
// open; a [Serial] test waits until nothing else runs and runs alone. Pure scheduling: what a test is, and
// what "ready" means, is the caller's.

/** What the pool asks of each item: may it start (go), must it wait (a needed suite is unfinished), or is
 * it never to run (drop: a failed need, a stopped run)? */
export type Gate = 'go' | 'wait' | 'drop';

export interface PoolHooks<T> {
  gate(item: T): Gate;
  serial(item: T): boolean;
  /** Runs one item in `slot` (0-based); must not reject. */
  run(item: T, slot: number): Promise<void>;
  /** An item that will never run; `stuck` when no gate could ever open (a need that cannot finish). */
  drop(item: T, stuck: boolean): void;
}

export function runPool<T>(items: readonly T[], jobs: number, hooks: PoolHooks<T>): Promise<void> {
  const n = Math.max(1, Math.floor(jobs));
  const pending = [...items];
  const free = Array.from({ length: n }, (_, i) => n - 1 - i); // pop() hands out slot 0 first
  let running = 0;
  let serialRunning = false;
  return new Promise((resolve) => {
    const pump = (): void => {
      for (let i = 0; i < pending.length; ) {
        const item = pending[i]!;
        const g = hooks.gate(item);
        if (g === 'wait') {
          i++;
          continue;
        }
        if (g === 'drop') {
          pending.splice(i, 1);
          hooks.drop(item, false);
          continue;
        }
        if (serialRunning) break;
        const serial = hooks.serial(item);
        if (serial && running > 0) {
          i++; // runs once the others drain; later tests may start meanwhile
          continue;
        }
        if (!serial && running >= n) break;
        pending.splice(i, 1);
        running++;
        if (serial) serialRunning = true;
        const slot = serial ? 0 : free.pop()!;
        void hooks.run(item, slot).finally(() => {
          running--;
          if (serial) serialRunning = false;
          else free.push(slot);
          pump();
        });
        if (serial) break;
      }
      if (running > 0) return;
      // Nothing runs and nothing could start: whatever is left waits on a gate that will never open.
      for (const item of pending.splice(0)) hooks.drop(item, true);
      resolve();
    };
    pump();
  });
}

/** The default --jobs' ceiling; CI's determinism step runs the main job again with it, under CPU load. */
export const MAX_JOBS = 8;

/** The default --jobs: two tests per CPU (tests mostly wait on the runtime), at least 2, at most MAX_JOBS. */
export function defaultJobs(cpus: number): number {
  return Math.min(MAX_JOBS, Math.max(2, 2 * cpus));
}
