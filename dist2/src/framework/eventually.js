// Poll instead of sleeping: eventually() waits for a condition to hold, consistently() for it to keep holding.
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export { sleep };
/** Retries fn until it resolves without throwing; rethrows its last error when time runs out. */
export async function eventually(fn, o = {}) {
    const deadline = Date.now() + (o.timeoutMs ?? 30_000);
    const interval = o.intervalMs ?? 200;
    for (;;) {
        try {
            return await fn();
        }
        catch (e) {
            if (Date.now() + interval > deadline)
                throw e;
        }
        await sleep(interval);
    }
}
/** Runs fn repeatedly for the whole window; the first throw fails. */
export async function consistently(fn, o = {}) {
    const deadline = Date.now() + (o.timeoutMs ?? 2_000);
    const interval = o.intervalMs ?? 200;
    do {
        await fn();
        await sleep(interval);
    } while (Date.now() < deadline);
}
//# sourceMappingURL=eventually.js.map