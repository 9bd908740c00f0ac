// Helpers shared by the reporters. Everything here is pure: no clock, no I/O.
import { stripVTControlCharacters } from 'node:util';
/**
 * Characters XML 1.0 cannot hold (C0 controls except \t \n \r, U+FFFE, U+FFFF), plus DEL and C1
 * controls, which XML allows but which are never meaningful in a report and confuse terminals.
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/g;
/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/**
 * Strip ANSI/VT escape sequences, control characters (keeping \t \n \r) and lone surrogates.
 * The result is safe for XML 1.0, YAML, terminals and HTML (after escaping).
 */
export function cleanText(text) {
    if (text == null)
        return '';
    return stripVTControlCharacters(String(text))
        .replace(CONTROL_CHARS, '')
        .replace(LONE_SURROGATES, '')
        .replace(/\r\n?/g, '\n');
}
/** cleanText, then collapse every whitespace run (including newlines) to one space. */
export function oneLine(text) {
    return cleanText(text).replace(/\s+/g, ' ').trim();
}
export function outcome(t) {
    if (t.baseline?.state === 'known-failure')
        return 'known-failure';
    if (t.baseline?.state === 'fixed' && t.status === 'passed')
        return 'fixed';
    return t.status;
}
/** One-line skip reason of a test, falling back to the suite's skip reason. */
export function skipReason(t, s) {
    return oneLine(t.message) || oneLine(s.skippedReason) || 'skipped';
}
/** One-line failure message: the message, else the first non-empty line of the detail. */
export function failureMessage(t) {
    const m = oneLine(t.message);
    if (m)
        return m;
    const first = cleanText(t.detail)
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l.length > 0);
    return first ?? 'failed';
}
/** Full failure detail, falling back to the message. No trailing newline. */
export function failureDetail(t) {
    const d = cleanText(t.detail).replace(/\s+$/, '');
    return d || failureMessage(t);
}
/** `known failure (baseline): <reason> — <original message>` */
export function knownFailureMessage(t) {
    const reason = oneLine(t.baseline?.reason) || 'no reason given';
    const original = t.status === 'failed' ? failureMessage(t) : oneLine(t.message);
    return original ? `known failure (baseline): ${reason} — ${original}` : `known failure (baseline): ${reason}`;
}
export function fixedMessage(t) {
    const reason = oneLine(t.baseline?.reason);
    return reason ? `fixed — remove from baseline (was: ${reason})` : 'fixed — remove from baseline';
}
/** Describe path of a test: fullTitle minus the trailing title. */
export function describePath(t) {
    const full = t.fullTitle ?? '';
    const title = t.title ?? '';
    if (title && full.endsWith(title))
        return full.slice(0, full.length - title.length).trim();
    return '';
}
/**
 * Counts as reporters present them: `failed` excludes baseline known failures (counted in
 * `knownFailures` only), `passed` includes fixed tests (also counted in `fixed`).
 */
export function countTests(tests) {
    const c = { tests: 0, passed: 0, failed: 0, skipped: 0, knownFailures: 0, fixed: 0 };
    for (const t of tests) {
        c.tests++;
        switch (outcome(t)) {
            case 'passed':
                c.passed++;
                break;
            case 'fixed':
                c.passed++;
                c.fixed++;
                break;
            case 'failed':
                c.failed++;
                break;
            case 'skipped':
                c.skipped++;
                break;
            case 'known-failure':
                c.knownFailures++;
                break;
        }
    }
    return c;
}
export function suiteCounts(s) {
    return { ...countTests(s.tests), durationMs: s.durationMs };
}
export function runCounts(run) {
    return { ...countTests(run.suites.flatMap((s) => s.tests)), durationMs: run.durationMs };
}
export function baselineUsed(run) {
    return run.suites.some((s) => s.tests.some((t) => t.baseline !== undefined));
}
/** A run passes when no test failed outside the baseline. */
/** Why a run cannot pass whatever its tests say: nothing negotiated, or it stopped early. */
export function runBlocker(run) {
    if (!run.negotiated.runtime || !run.negotiated.image)
        return `no CRI version negotiated${run.negotiated.reason ? `: ${run.negotiated.reason}` : ''}`;
    return run.aborted ? `stopped early: ${run.aborted}` : undefined;
}
export function runPassed(run) {
    return runCounts(run).failed === 0 && !runBlocker(run);
}
/** Milliseconds as seconds with 3 decimals ("1.234"). Negative/NaN become "0.000". */
export function seconds(ms) {
    const v = Number.isFinite(ms) && ms > 0 ? ms : 0;
    return (v / 1000).toFixed(3);
}
/** Human duration: "850ms", "12.35s", "3m 04s", "1h 02m 03s". */
export function humanDuration(ms) {
    const v = Number.isFinite(ms) && ms > 0 ? ms : 0;
    if (v < 1000)
        return `${Math.round(v)}ms`;
    if (v < 60_000)
        return `${(v / 1000).toFixed(2)}s`;
    const total = Math.round(v / 1000);
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const pad = (n) => String(n).padStart(2, '0');
    return h > 0 ? `${h}h ${pad(m)}m ${pad(s)}s` : `${m}m ${pad(s)}s`;
}
/** Keys of a record in a stable (code point) order. */
export function sortedKeys(rec) {
    return Object.keys(rec ?? {}).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
/** Name of the placeholder test reported for a skipped suite that has no tests. */
export const SUITE_SKIPPED_TITLE = '(suite skipped)';
//# sourceMappingURL=common.js.map