// Each test owns a cleanup stack, found through AsyncLocalStorage, so tests of different suites can run at
// the same time without draining each other's objects. Process-wide (globalThis) because a test loader may
// instantiate this module twice.
import { AsyncLocalStorage } from 'node:async_hooks';
import { CleanupStack } from './cleanup.js';

interface Scope {
  als: AsyncLocalStorage<CleanupStack>;
  byTest: WeakMap<object, CleanupStack>;
}
const KEY = Symbol.for('cri-conformance.test-scope');
const scope: Scope = ((globalThis as { [KEY]?: Scope })[KEY] ??= { als: new AsyncLocalStorage(), byTest: new WeakMap() });

/** Runs fn with a fresh cleanup stack that belongs to this mocha test. */
export function runInTestScope<T>(test: object | undefined, fn: () => Promise<T>): Promise<T> {
  const stack = new CleanupStack();
  if (test) scope.byTest.set(test, stack);
  return scope.als.run(stack, fn);
}

/** The stack of the test whose code is running now, if any. */
export const currentTestStack = (): CleanupStack | undefined => scope.als.getStore();

/** The stack a finished test left behind (drained by the runner's afterEach). */
export const stackOfTest = (test: object | undefined): CleanupStack | undefined => (test ? scope.byTest.get(test) : undefined);
