// describe/it for suite files. `it` turns "this RPC is not in the negotiated version" and UNIMPLEMENTED
// answers into skip-with-reason or failure as the selected Kubernetes release requires, and skips tests
// whose [Feature:X] tag the release lacks.
import { NotInVersionError, UnimplementedError } from '../cri/errors.js';
import { parseTags } from '../report/model.js';
import { ctx } from './context.js';
import { SkipError } from './skip.js';

/** Why a test was skipped, keyed by mocha's test object; read by the runner's result collector. */
export const skipReasons = new WeakMap<object, string>();


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
      await fn();
    } catch (e) {
      if (e instanceof SkipError) markSkip(this, e.reason);
      if (e instanceof NotInVersionError) markSkip(this, `${e.rpc} is not in ${e.version} (negotiated)`);
      if (e instanceof UnimplementedError) {
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
