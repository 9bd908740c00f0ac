// gRPC failures as typed errors that name the RPC, so suites and the runner can decide skip vs fail.
import { status as Status, type ServiceError } from '@grpc/grpc-js';

export const codeName = (code: number): string => Status[code] ?? `code ${code}`;

export class RpcError extends Error {
  constructor(
    readonly rpc: string,
    readonly code: number,
    readonly details: string,
    /** The runtime handler the request named, if any: "RunPodSandbox (handler crun) failed: …". */
    readonly handler?: string,
  ) {
    super(`${rpc}${handler ? ` (handler ${handler})` : ''} failed: ${codeName(code)}: ${details}`);
    this.name = 'RpcError';
  }
}

/** The runtime answered UNIMPLEMENTED. */
export class UnimplementedError extends RpcError {
  constructor(rpc: string, details: string, handler?: string) {
    super(rpc, Status.UNIMPLEMENTED, details, handler);
    this.name = 'UnimplementedError';
  }
}

/** The negotiated API version has no such RPC (e.g. RuntimeConfig in v1alpha2): never sent. */
export class NotInVersionError extends Error {
  constructor(
    readonly rpc: string,
    readonly version: string,
  ) {
    super(`${rpc} is not in ${version}`);
    this.name = 'NotInVersionError';
  }
}

/** The deadline a call had, so a timeout can say how long was waited and which flag gives more time. */
export interface DeadlineInfo {
  ms: number;
  /** The --timeout base in seconds every deadline derives from. */
  baseSeconds: number;
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`;

/** The runtime handler a request names: RunPodSandboxRequest.runtime_handler, or the ImageSpec's of a pull
 * or a container (set under the kubelet's RuntimeClassInImageCriApi gate). */
export function handlerOf(req: unknown): string | undefined {
  const r = req as { runtime_handler?: string; image?: { runtime_handler?: string }; config?: { image?: { runtime_handler?: string } } } | undefined;
  return r?.runtime_handler || r?.image?.runtime_handler || r?.config?.image?.runtime_handler || undefined;
}

export function toRpcError(rpc: string, err: ServiceError | Error, deadline?: DeadlineInfo, handler?: string): RpcError {
  const se = err as Partial<ServiceError>;
  const code = typeof se.code === 'number' ? se.code : Status.UNKNOWN;
  let details = se.details ?? err.message;
  // grpc-js appends its resolver and LB timings; a runtime author needs the wait and the knob instead.
  if (code === Status.DEADLINE_EXCEEDED && deadline) {
    details = `no answer within ${seconds(deadline.ms)} (raise --timeout, now ${deadline.baseSeconds}, if the runtime is only slow)`;
  }
  return code === Status.UNIMPLEMENTED ? new UnimplementedError(rpc, details, handler) : new RpcError(rpc, code, details, handler);
}

export const isRpcError = (err: unknown): err is RpcError => err instanceof RpcError;

export const isCode = (err: unknown, code: Status): boolean => isRpcError(err) && err.code === code;
