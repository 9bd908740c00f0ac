// Runs one loaded suite with mocha and turns its events into TestResults.
import Mocha from 'mocha';
import { AssertionError } from 'chai';
import { parseTags } from '../report/model.js';
import { allTests, testId } from './load.js';
const stripAnsi = (s) => s.replace(/\u001b\[[0-9;]*m/g, '');
function describeFailure(err) {
    const e = err;
    const text = stripAnsi(e?.message ?? String(err));
    const message = text.split('\n')[0].trim() || e?.name || 'failed';
    const debug = process.env['CRI_CONFORMANCE_DEBUG'] ? `\n\n${e?.stack ?? ''}` : '';
    // Only assertion failures name a check; an RPC error inside a check's arguments is not that check failing.
    const site = err instanceof AssertionError ? checkSite(e?.stack) : undefined;
    return { message, detail: text + debug, ...(site ? { site } : {}) };
}
/** The innermost stack frame in a suite file: the check that failed. */
export function checkSite(stack) {
    const m = /[/\\](suites[/\\][\w.-]+\.[jt]s):(\d+):(\d+)/.exec(stack ?? '');
    return m ? `${m[1].replace(/\\/g, '/')}:${m[2]}:${m[3]}` : undefined;
}
export function runSuite(loaded, hooks) {
    const { entry, mocha } = loaded;
    const started = Date.now();
    const results = new Map();
    const base = (t) => ({
        id: testId(entry.name, t),
        suite: entry.name,
        title: t.title,
        fullTitle: t.fullTitle(),
        durationMs: t.duration ?? 0,
        tags: parseTags(t.title),
    });
    // Cleanup after every test: pass, fail or timeout. A failed cleanup fails the test it belongs to.
    mocha.suite.afterEach(async function () {
        const failed = await hooks.afterEach(this.currentTest);
        if (failed.length && this.currentTest) {
            const r = results.get(this.currentTest);
            if (r && r.status === 'passed')
                Object.assign(r, { status: 'failed', message: failed[0], detail: failed.join('\n') });
        }
    });
    return new Promise((resolve) => {
        const runner = mocha.run(() => {
            // Tests mocha never reached (bail, abort, hook failure) are reported skipped, never silently lost.
            for (const t of allTests(mocha.suite)) {
                if (!results.has(t))
                    results.set(t, { ...base(t), status: 'skipped', message: 'not run (an earlier failure stopped this suite)' });
            }
            const tests = allTests(mocha.suite).map((t) => results.get(t));
            // Mocha leaves its process-level listeners until disposed; one runner per suite would pile them up.
            setImmediate(() => runner.dispose());
            resolve({ name: entry.name, title: entry.title, tests, durationMs: Date.now() - started });
        });
        hooks.onStart?.(runner);
        const record = (r) => {
            hooks.onTestEnd?.(r);
        };
        runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (t) => {
            const r = { ...base(t), status: 'passed' };
            results.set(t, r);
            record(r);
        });
        runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (t) => {
            const r = { ...base(t), status: 'skipped', message: hooks.skipReasons.get(t) ?? 'skipped' };
            results.set(t, r);
            record(r);
        });
        runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (t, err) => {
            const f = describeFailure(err);
            if (t.type === 'test') {
                const r = { ...base(t), status: 'failed', ...f };
                results.set(t, r);
                record(r);
                return;
            }
            // A hook failed: fail the test it ran for (or every remaining test for before-all hooks).
            const hook = t;
            const victims = hook.ctx?.currentTest && !results.has(hook.ctx.currentTest) ? [hook.ctx.currentTest] : allTests(hook.parent ?? mocha.suite).filter((x) => !results.has(x));
            for (const v of victims) {
                const r = { ...base(v), status: 'failed', message: `${hook.title}: ${f.message}`, detail: f.detail };
                results.set(v, r);
                record(r);
            }
        });
    });
}
//# sourceMappingURL=run-suite.js.map