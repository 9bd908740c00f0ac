// "This call must succeed / must fail" assertions. Every failure names the call and says what the CRI
// contract expected.
import { status as Status } from '@grpc/grpc-js';
import { RpcError, UnimplementedError, codeName } from '../cri/errors.js';
import { failWith } from './expect.js';
/** An RPC error the test judges (UNIMPLEMENTED stays with the test binding, which skips or fails per release). */
const judgeable = (e) => e instanceof RpcError && !(e instanceof UnimplementedError);
/**
 * The call must succeed. `label` names the call in the message (e.g. "StopPodSandbox (second call)"),
 * `contract` says why an error is wrong.
 */
export async function expectSuccess(label, call, contract) {
    try {
        return await call();
    }
    catch (e) {
        if (judgeable(e))
            failWith(`${label}: expected success (${contract}), got ${codeName(e.code)}: ${e.details}`);
        throw e;
    }
}
/**
 * The call must fail with an RPC error; returns it. `onSuccess` gets the answer of a call that wrongly
 * succeeded (e.g. to register cleanup of a sandbox that should not exist) before the test fails.
 */
export async function expectRpcError(label, call, expected, onSuccess) {
    let res;
    try {
        res = await call();
    }
    catch (e) {
        if (judgeable(e))
            return e;
        throw e;
    }
    await onSuccess?.(res);
    failWith(`${label}: expected an error (${expected}), got success`);
}
/** The call must fail with this code; any other answer is named in the failure. */
export async function expectCode(label, call, code, why) {
    const e = await expectRpcError(label, call, `${codeName(code)}: ${why}`);
    if (e.code !== code)
        failWith(`${label}: expected ${codeName(code)} (${why}), got ${codeName(e.code)}: ${e.details}`);
    return e;
}
/** The call must fail with NOT_FOUND. */
export const expectNotFound = (label, call, why) => expectCode(label, call, Status.NOT_FOUND, why);
//# sourceMappingURL=expect-rpc.js.map