// TAP version 14 reporter: flat test points (the most widely consumed shape), YAML diagnostics.
import { stringify } from 'yaml';
import { SUITE_SKIPPED_TITLE, cleanText, failureDetail, failureMessage, fixedMessage, oneLine, outcome, skipReason, } from './common.js';
/** TAP 14: `#` and `\` in a description must be escaped; a description is one line. */
function tapDescription(text) {
    return oneLine(text).replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}
function yamlBlock(diag) {
    const body = stringify(diag, { blockQuote: 'literal', lineWidth: 0, minContentWidth: 0 }).replace(/\n$/, '');
    return ['  ---', ...body.split('\n').map((l) => `  ${l}`), '  ...'];
}
function point(s, t) {
    const diag = {};
    const description = t.id || `${s.name}/${t.fullTitle}`;
    const detail = cleanText(t.detail).replace(/\s+$/, '');
    switch (outcome(t)) {
        case 'passed':
            break;
        case 'fixed':
            diag['message'] = fixedMessage(t);
            diag['baseline'] = { state: 'fixed', reason: oneLine(t.baseline?.reason) };
            break;
        case 'failed':
            diag['message'] = failureMessage(t);
            diag['detail'] = failureDetail(t);
            break;
        case 'skipped':
            diag['message'] = skipReason(t, s);
            break;
        case 'known-failure':
            if (t.message || t.detail)
                diag['message'] = failureMessage(t);
            if (detail)
                diag['detail'] = detail;
            diag['baseline'] = { state: 'known-failure', reason: oneLine(t.baseline?.reason) };
            break;
    }
    diag['duration_ms'] = Number.isFinite(t.durationMs) ? t.durationMs : 0;
    diag['suite'] = oneLine(s.name);
    if (t.tags?.length)
        diag['tags'] = t.tags.map((x) => oneLine(x));
    const o = outcome(t);
    if (o === 'skipped')
        return { ok: true, description, directive: `SKIP ${oneLine(skipReason(t, s))}`, diag };
    if (o === 'known-failure') {
        const reason = oneLine(t.baseline?.reason) || 'no reason given';
        // A TODO test point keeps its real result: a known failure that still fails is `not ok`.
        return { ok: t.status !== 'failed', description, directive: `TODO known failure: ${oneLine(reason)}`, diag };
    }
    return { ok: o !== 'failed', description, diag };
}
export function toTap(run) {
    const groups = run.suites.map((s) => {
        const points = s.tests.map((t) => point(s, t));
        if (s.tests.length === 0 && s.skippedReason !== undefined) {
            const reason = oneLine(s.skippedReason) || 'skipped';
            points.push({
                ok: true,
                description: `${s.name}/${SUITE_SKIPPED_TITLE}`,
                directive: `SKIP ${reason}`,
                diag: { message: reason, duration_ms: 0, suite: oneLine(s.name) },
            });
        }
        return { suite: s, points };
    });
    const n = groups.reduce((a, g) => a + g.points.length, 0);
    const lines = ['TAP version 14', `1..${n}`];
    let i = 0;
    for (const g of groups) {
        const skipped = g.suite.skippedReason !== undefined ? ` (skipped: ${oneLine(g.suite.skippedReason)})` : '';
        lines.push(`# suite: ${oneLine(g.suite.name)}${skipped}`);
        for (const p of g.points) {
            i++;
            const directive = p.directive ? ` # ${p.directive}` : '';
            lines.push(`${p.ok ? 'ok' : 'not ok'} ${i} - ${tapDescription(p.description)}${directive}`);
            lines.push(...yamlBlock(p.diag));
        }
    }
    return lines.join('\n') + '\n';
}
//# sourceMappingURL=tap.js.map