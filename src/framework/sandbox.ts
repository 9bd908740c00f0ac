// Pod sandbox helpers and "this call must succeed / must fail" assertions for lifecycle and idempotence
// suites. Every failure names the RPC and says what the CRI contract expected.
import { status as Status } from '@grpc/grpc-js';
import type { PodSandboxFilter } from '../gen/v1/runtime/v1/PodSandboxFilter.js';
import type { PodSandbox__Output } from '../gen/v1/runtime/v1/PodSandbox.js';
import type { ContainerFilter } from '../gen/v1/runtime/v1/ContainerFilter.js';
import type { Container__Output } from '../gen/v1/runtime/v1/Container.js';
import { codeName, isRpcError, type RpcError } from '../cri/errors.js';
import { ctx } from './context.js';
import { failWith } from './expect.js';

export async function listPodSandboxes(filter?: PodSandboxFilter): Promise<PodSandbox__Output[]> {
  const res = await ctx().cri.runtime.call('ListPodSandbox', filter ? { filter } : {});
  return res.items ?? [];
}

export async function listContainers(filter?: ContainerFilter): Promise<Container__Output[]> {
  const res = await ctx().cri.runtime.call('ListContainers', filter ? { filter } : {});
  return res.containers ?? [];
}

export async function stopPodSandbox(id: string): Promise<void> {
  await ctx().cri.runtime.call('StopPodSandbox', { pod_sandbox_id: id });
}

export async function removePodSandbox(id: string): Promise<void> {
  await ctx().cri.runtime.call('RemovePodSandbox', { pod_sandbox_id: id });
}

/**
 * An RPC error the test judges (UNIMPLEMENTED stays with the `it` wrapper, which skips or fails per release).
 * Matched by name: the module graph may be loaded twice, so instanceof is not reliable.
 */
const judgeable = (e: unknown): e is RpcError => isRpcError(e) && e.name !== 'UnimplementedError';

/**
 * The call must succeed. `label` names the call in the message (e.g. "StopPodSandbox (second call)"),
 * `contract` says why an error is wrong.
 */
export async function expectSuccess<T>(label: string, call: () => Promise<T>, contract: string): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (judgeable(e)) failWith(`${label}: expected success (${contract}), got ${codeName(e.code)}: ${e.details}`);
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
): Promise<RpcError> {
  let res: T;
  try {
    res = await call();
  } catch (e) {
    if (judgeable(e)) return e;
    throw e;
  }
  await onSuccess?.(res);
  failWith(`${label}: expected an error (${expected}), got success`);
}

/** The call must fail with NOT_FOUND; any other answer is named in the failure. */
export async function expectNotFound(label: string, call: () => Promise<unknown>, why: string): Promise<void> {
  const e = await expectRpcError(label, call, `NOT_FOUND: ${why}`);
  if (e.code !== Status.NOT_FOUND) failWith(`${label}: expected NOT_FOUND (${why}), got ${codeName(e.code)}: ${e.details}`);
}
