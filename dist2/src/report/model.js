// One result model for a run; every reporter (JUnit, TAP, summary) is a pure function of it.
export function totals(run) {
    const t = { tests: 0, passed: 0, failed: 0, skipped: 0, knownFailures: 0, fixed: 0 };
    for (const s of run.suites) {
        for (const r of s.tests) {
            t.tests++;
            t[r.status]++;
            if (r.baseline?.state === 'known-failure')
                t.knownFailures++;
            if (r.baseline?.state === 'fixed')
                t.fixed++;
        }
    }
    return t;
}
/** Tags are bracketed words in a title: "should stop [Conformance] [Feature:X]". */
export function parseTags(title) {
    return [...title.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]);
}
//# sourceMappingURL=model.js.map