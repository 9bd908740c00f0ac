// LIFO cleanup registered at the moment a resource is created. Drained after every test (pass, fail or
// timeout) and, as a safety net, on SIGINT/SIGTERM and at the end of the run.

export interface CleanupEntry {
  what: string;
  fn: () => Promise<void>;
}

export class CleanupStack {
  private entries: CleanupEntry[] = [];
  readonly errors: string[] = [];

  push(what: string, fn: () => Promise<void>): void {
    this.entries.push({ what, fn });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Runs every entry, newest first; a failing entry is recorded and does not stop the rest. `retry` may ask
   * for one more try of a failed entry (the runner's, once a runtime that went away is re-dialled). */
  async drain(retry?: (err: unknown) => Promise<boolean>): Promise<string[]> {
    const failed: string[] = [];
    while (this.entries.length) {
      const e = this.entries.pop()!;
      try {
        await e.fn();
      } catch (err) {
        if (retry && (await retry(err))) {
          this.entries.push(e);
          retry = undefined; // one more try per drain: a runtime that keeps going away is not chased
          continue;
        }
        failed.push(`cleanup of ${e.what} failed: ${(err as Error).message}`);
      }
    }
    this.errors.push(...failed);
    return failed;
  }
}
