// describe/it for suite files. `it` turns "this RPC is not in the negotiated version" and UNIMPLEMENTED
// answers into skip-with-reason or failure as the selected Kubernetes release requires, and skips tests
// whose [Feature:X] tag the release lacks.
import type { NotInVersionError, UnimplementedError } from '../cri/errors.js';
import { parseTags } from '../report/model.js';
import { ctx } from './context.js';
import type { SkipError } from './skip.js';
import { runInTestScope } from './test-scope.js';

/** Why a test was skipped, keyed by mocha's test object; read by the runner's result collector.
 * Process-wide (globalThis) for the same reason as the run context. */
const REASONS = Symbol.for('cri-conformance.skip-reasons');
export const skipReasons: WeakMap<object, string> = ((globalThis as { [REASONS]?: WeakMap<object, string> })[REASONS] ??= new WeakMap());

// Matched by name, not instanceof: the error may come from another instance of the module.
const named = <T extends Error>(e: unknown, name: string): e is T => e instanceof Error && e.name === name;


export const describe: Mocha.SuiteFunction = ((title: string, fn: (this: Mocha.Suite) => void) =>
  globalThis.describe(title, fn)) as Mocha.SuiteFunction;

export function it(title: string, fn: () => Promise<void>): Mocha.Test {
  return globalThis.it(title, async function (this: Mocha.Context) {
    const c = ctx();
    for (const tag of parseTags(title)) {
      if (tag.startsWith('Feature:') && !c.policy.featureEnabled(tag.slice(8))) {
        markSkip(this, `${tag} is not part of kubelet ${c.policy.kubelet}`);
      }
    }
    try {
      await runInTestScope(this.test, fn);
    } catch (e) {
      if (named<SkipError>(e, 'SkipError')) markSkip(this, e.reason);
      if (named<NotInVersionError>(e, 'NotInVersionError')) markSkip(this, `${e.rpc} is not in ${e.version} (negotiated)`);
      if (named<UnimplementedError>(e, 'UnimplementedError')) {
        const d = c.policy.onUnimplemented(e.rpc);
        if (d.action === 'skip') markSkip(this, `${e.rpc} answered UNIMPLEMENTED: ${d.reason}`);
        throw new Error(`${e.rpc} answered UNIMPLEMENTED, but ${d.reason}`);
      }
      throw e;
    }
  });
}

function markSkip(mctx: Mocha.Context, reason: string): never {
  if (mctx.test) skipReasons.set(mctx.test, reason);
  mctx.skip();
  throw new Error('unreachable'); // mctx.skip() throws
}
