// "This call must succeed / must fail" assertions. Every failure names the call and says what the CRI
// contract expected.
import { status as Status } from '@grpc/grpc-js';
import { RpcError, UnimplementedError, codeName } from '../cri/errors.js';
import { failWith } from './expect.js';
import type { Basis } from './contract.js';

/** An RPC error the test judges (UNIMPLEMENTED stays with the test binding, which skips or fails per release). */
const judgeable = (e: unknown): e is RpcError => e instanceof RpcError && !(e instanceof UnimplementedError);

/**
 * The call must succeed. `label` names the call in the message (e.g. "StopPodSandbox (second call)"),
 * `contract` says why an error is wrong.
 */
export async function expectSuccess<T>(label: string, call: () => Promise<T>, contract: string, basis?: Basis): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (judgeable(e)) failWith(`${label}: expected success (${contract}), got ${codeName(e.code)}: ${e.details}`, basis);
    throw e;
  }
}

/**
 * The call must fail with an RPC error; returns it. `onSuccess` gets the answer of a call that wrongly
 * succeeded (e.g. to register cleanup of a sandbox that should not exist) before the test fails.
 */
export async function expectRpcError<T>(
  label: string,
  call: () => Promise<T>,
  expected: string,
  onSuccess?: (res: T) => unknown,
  basis?: Basis,
): Promise<RpcError> {
  let res: T;
  try {
    res = await call();
  } catch (e) {
    if (judgeable(e)) return e;
    throw e;
  }
  await onSuccess?.(res);
  failWith(`${label}: expected an error (${expected}), got success`, basis);
}

/** The call must fail with this code; any other answer is named in the failure. */
export async function expectCode(label: string, call: () => Promise<unknown>, code: Status, why: string, basis?: Basis): Promise<RpcError> {
  const e = await expectRpcError(label, call, `${codeName(code)}: ${why}`, undefined, basis);
  if (e.code !== code) failWith(`${label}: expected ${codeName(code)} (${why}), got ${codeName(e.code)}: ${e.details}`, basis);
  return e;
}

/** The call must fail with NOT_FOUND. */
export const expectNotFound = (label: string, call: () => Promise<unknown>, why: string, basis?: Basis): Promise<RpcError> =>
  expectCode(label, call, Status.NOT_FOUND, why, basis);
