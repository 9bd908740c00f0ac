// Runs one loaded suite with mocha and turns its events into TestResults.
import Mocha from 'mocha';
import { AssertionError } from 'chai';
import { parseTags, type SuiteResult, type TestResult } from '../report/model.js';
import { allTests, noImageTests, testId, type LoadedSuite } from './load.js';

export interface SuiteHooks {
  /** Cleanup for the test that just ended; returns cleanup failures. */
  afterEach: (test: Mocha.Test | undefined) => Promise<string[]>;
  /** Time limit of that cleanup (default the test timeout): it may wait for a runtime being re-dialled. */
  afterEachTimeoutMs?: number;
  onTestEnd?: (r: TestResult) => void;
  /** Why each skipped test was skipped (set by the test binding). */
  skipReasons: WeakMap<Mocha.Test, string>;
  /** Lets the caller abort the mocha run (SIGINT). */
  onStart?: (runner: Mocha.Runner) => void;
  /** Why the run is stopping, if it is: the reason of tests mocha never reached. */
  stopReason?: () => string | undefined;
}

const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');

function describeFailure(err: unknown): { message: string; detail: string; site?: string } {
  const e = err as { message?: string; stack?: string; name?: string };
  const text = stripAnsi(e?.message ?? String(err));
  const message = text.split('\n')[0]!.trim() || e?.name || 'failed';
  const debug = process.env['CRI_CONFORMANCE_DEBUG'] ? `\n\n${e?.stack ?? ''}` : '';
  // Only assertion failures name a check; an RPC error inside a check's arguments is not that check failing.
  const site = err instanceof AssertionError ? checkSite(e?.stack) : undefined;
  return { message, detail: text + debug, ...(site ? { site } : {}) };
}

/** The innermost stack frame in a suite file: the check that failed. */
export function checkSite(stack: string | undefined): string | undefined {
  const m = /[/\\](suites[/\\][\w.-]+\.[jt]s):(\d+):(\d+)/.exec(stack ?? '');
  return m ? `${m[1]!.replace(/\\/g, '/')}:${m[2]}:${m[3]}` : undefined;
}

export function runSuite(loaded: LoadedSuite, hooks: SuiteHooks): Promise<SuiteResult> {
  const { entry, mocha } = loaded;
  const started = Date.now();
  const results = new Map<Mocha.Test, TestResult>();
  const base = (t: Mocha.Test): Omit<TestResult, 'status'> => {
    return {
      id: testId(entry.name, t),
      suite: entry.name,
      title: t.title,
      fullTitle: t.fullTitle(),
      durationMs: t.duration ?? 0,
      tags: parseTags(t.title),
    };
  };

  // Cleanup after every test: pass, fail or timeout. A failed cleanup fails the test it belongs to.
  mocha.suite.afterEach(async function (this: Mocha.Context) {
    if (hooks.afterEachTimeoutMs) this.timeout(hooks.afterEachTimeoutMs);
    const failed = await hooks.afterEach(this.currentTest);
    if (failed.length && this.currentTest) {
      const r = results.get(this.currentTest);
      if (r && r.status === 'passed') Object.assign(r, { status: 'failed', message: failed[0], detail: failed.join('\n') });
    }
  });

  return new Promise((resolve) => {
    const runner = mocha.run(() => {
      // Tests mocha never reached (bail, abort, hook failure) are reported not run, never silently lost.
      const why = hooks.stopReason?.() ?? 'an earlier failure stopped this suite';
      for (const t of allTests(mocha.suite)) {
        if (!results.has(t)) results.set(t, { ...base(t), status: 'notrun', message: why });
      }
      const tests = allTests(mocha.suite).map((t) => results.get(t)!);
      // Mocha leaves its process-level listeners until disposed; one runner per suite would pile them up.
      setImmediate(() => runner.dispose());
      resolve({ name: entry.name, title: entry.title, tests, durationMs: Date.now() - started });
    });
    hooks.onStart?.(runner);
    const record = (r: TestResult) => {
      hooks.onTestEnd?.(r);
    };
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (t: Mocha.Test) => {
      const r: TestResult = { ...base(t), status: 'passed' };
      results.set(t, r);
      record(r);
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (t: Mocha.Test) => {
      const message = hooks.skipReasons.get(t) ?? 'skipped';
      const r: TestResult = noImageTests.has(t) ? { ...base(t), status: 'notrun', notRunCause: 'no-image', message } : { ...base(t), status: 'skipped', message };
      results.set(t, r);
      record(r);
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (t: Mocha.Runnable, err: unknown) => {
      const f = describeFailure(err);
      if ((t as { type?: string }).type === 'test') {
        const r: TestResult = { ...base(t as Mocha.Test), status: 'failed', ...f };
        results.set(t as Mocha.Test, r);
        record(r);
        return;
      }
      // A hook failed: fail the test it ran for (or every remaining test for before-all hooks).
      const hook = t as Mocha.Hook;
      const victims = hook.ctx?.currentTest && !results.has(hook.ctx.currentTest) ? [hook.ctx.currentTest] : allTests(hook.parent ?? mocha.suite).filter((x) => !results.has(x));
      for (const v of victims) {
        const r: TestResult = { ...base(v), status: 'failed', message: `${hook.title}: ${f.message}`, detail: f.detail };
        results.set(v, r);
        record(r);
      }
    });
  });
}
