// LIFO cleanup registered at the moment a resource is created. Drained after every test (pass, fail or
// timeout) and, as a safety net, on SIGINT/SIGTERM and at the end of the run.
export class CleanupStack {
    entries = [];
    errors = [];
    push(what, fn) {
        this.entries.push({ what, fn });
    }
    get size() {
        return this.entries.length;
    }
    /** Runs every entry, newest first; a failing entry is recorded and does not stop the rest. */
    async drain() {
        const failed = [];
        while (this.entries.length) {
            const e = this.entries.pop();
            try {
                await e.fn();
            }
            catch (err) {
                failed.push(`cleanup of ${e.what} failed: ${err.message}`);
            }
        }
        this.errors.push(...failed);
        return failed;
    }
}
//# sourceMappingURL=cleanup.js.map