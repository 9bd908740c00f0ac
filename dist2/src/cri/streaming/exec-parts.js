export const STEP_TIMEOUT_MS = 10_000;
/** Collects a readable's bytes as text until it ends. */
export function textOf(r) {
    return new Promise((resolve) => {
        const parts = [];
        r.on('data', (b) => parts.push(b));
        r.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
        r.on('close', () => resolve(Buffer.concat(parts).toString('utf8')));
    });
}
//# sourceMappingURL=exec-parts.js.map