// Turns suite declarations (src/framework/suite.ts) into programmatic mocha, one fresh mocha per use. Suite
// modules are imported once and never re-imported: a declaration is data, so `list` and any number of runs
// build their tests from the same import.
import Mocha from 'mocha';
import { NotInVersionError, UnimplementedError } from '../cri/errors.js';
import { TestContext, type RunScope } from '../framework/context.js';
import { NoImageError, SkipError } from '../framework/skip.js';
import type { GroupDecl, TestFn } from '../framework/suite.js';
import { parseTags } from '../report/model.js';
import { SUITES, type SuiteEntry } from './manifest.js';
import { suiteSpec } from './spec.js';

export { suiteFile, suiteSpec } from './spec.js';

/** What the tests of one run are bound to: created by the runner, read back after each test. */
export interface TestBinding {
  scope: RunScope;
  /** The context of every test that started (weak: a finished test's mocha instance is not kept alive). */
  contexts: WeakMap<Mocha.Test, TestContext>;
  /** Why a test was skipped. */
  skipReasons: WeakMap<Mocha.Test, string>;
  /** Test bodies still running (a body may outlive its timeout); the run waits for them before its sweep. */
  bodies: Set<Promise<unknown>>;
  /** The --jobs slot of each test id in flight. */
  slots?: Map<string, number>;
}

/** Tests that ended because a test image they need is not available: reported "not run (no image)". */
export const noImageTests = new WeakSet<Mocha.Test>();

export interface LoadedSuite {
  entry: SuiteEntry;
  mocha: Mocha;
}

/** A fresh mocha holding the suite's tests; without a binding the tests can be listed but not run. */
export async function loadSuite(entry: SuiteEntry, o: { timeoutMs: number; bail: boolean }, binding?: TestBinding): Promise<LoadedSuite | undefined> {
  const spec = await suiteSpec(entry);
  if (!spec) return undefined;
  const mocha = new Mocha({ timeout: o.timeoutMs, bail: o.bail, reporter: class {} as unknown as Mocha.ReporterConstructor });
  const add = (parent: Mocha.Suite, g: GroupDecl) => {
    const s = Mocha.Suite.create(parent, g.title);
    for (const c of g.children) {
      if (c.kind === 'group') add(s, c);
      else s.addTest(new Mocha.Test(c.title, bind(entry.name, c.fn, binding)));
    }
  };
  for (const g of spec.groups) add(mocha.suite, g);
  return { entry, mocha };
}

/** A fresh mocha holding one test of the suite (the runner's unit of concurrency): mocha runs the tests of
 * one instance one after another, so each test that may run beside others gets its own. */
export async function loadTest(entry: SuiteEntry, id: string, o: { timeoutMs: number }, binding: TestBinding): Promise<LoadedSuite | undefined> {
  const l = await loadSuite(entry, { timeoutMs: o.timeoutMs, bail: false }, binding);
  if (!l) return undefined;
  // The first test with the id (ids are unique within a suite; `list` prints them).
  const wanted = allTests(l.mocha.suite).find((t) => testId(entry.name, t) === id);
  const keep = (suite: Mocha.Suite): boolean => {
    suite.tests = suite.tests.filter((t) => t === wanted);
    suite.suites = suite.suites.filter(keep);
    return suite.tests.length > 0 || suite.suites.length > 0;
  };
  keep(l.mocha.suite);
  return l;
}

/** The mocha function of one test: hands the body its TestContext and turns "cannot be judged here" into a
 * skip with its reason (feature not in the release, RPC not in the negotiated version, UNIMPLEMENTED where
 * the release allows it). */
function bind(suiteName: string, fn: TestFn, binding: TestBinding | undefined): Mocha.AsyncFunc {
  return async function (this: Mocha.Context) {
    if (!binding) throw new Error('tests run through the cri-conformance runner');
    const test = this.test as Mocha.Test;
    const { policy } = binding.scope;
    const skipWith = (reason: string): never => {
      binding.skipReasons.set(test, reason);
      this.skip(); // throws mocha's Pending
      throw new Error('unreachable');
    };
    for (const tag of parseTags(test.title)) {
      if (tag.startsWith('Feature:') && !policy.featureEnabled(tag.slice(8))) skipWith(`${tag} is not part of kubelet ${policy.kubelet}`);
    }
    const id = testId(suiteName, test);
    const t = new TestContext(binding.scope, id, binding.slots?.get(id));
    binding.contexts.set(test, t);
    const body = fn(t);
    binding.bodies.add(body);
    body.then(
      () => binding.bodies.delete(body),
      () => binding.bodies.delete(body),
    );
    try {
      await body;
    } catch (e) {
      if (e instanceof NoImageError) noImageTests.add(test);
      if (e instanceof SkipError) skipWith(e.reason);
      if (e instanceof NotInVersionError) skipWith(`${e.rpc} is not in ${e.version} (negotiated)`);
      if (e instanceof UnimplementedError) {
        const d = policy.onUnimplemented(e.rpc);
        if (d.action === 'skip') skipWith(`${e.rpc} answered UNIMPLEMENTED: ${d.reason}`);
        throw new Error(`${e.rpc} answered UNIMPLEMENTED, but ${d.reason}`);
      }
      throw e;
    }
  };
}

/** Every test of a suite tree, depth first, in declaration order. */
export function allTests(suite: Mocha.Suite): Mocha.Test[] {
  return [...suite.tests, ...suite.suites.flatMap(allTests)];
}

export const testId = (suiteName: string, t: Mocha.Test): string => `${suiteName}/${t.fullTitle()}`;

/** Keeps only tests whose id matches a focus pattern (if any) and no skip pattern. */
export function filterTests(suite: Mocha.Suite, suiteName: string, focus: RegExp[], skipRe: RegExp[]): void {
  suite.tests = suite.tests.filter((t) => {
    const id = testId(suiteName, t);
    return (focus.length === 0 || focus.some((r) => r.test(id))) && !skipRe.some((r) => r.test(id));
  });
  for (const child of suite.suites) filterTests(child, suiteName, focus, skipRe);
}

export function selectSuites(names: string[] | undefined, from: readonly SuiteEntry[] = SUITES): SuiteEntry[] {
  if (!names || names.length === 0) return [...from];
  return from.filter((s) => names.includes(s.name));
}
