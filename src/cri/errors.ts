// gRPC failures as typed errors that name the RPC, so suites and the runner can decide skip vs fail.
import { status as Status, type ServiceError } from '@grpc/grpc-js';

export const codeName = (code: number): string => Status[code] ?? `code ${code}`;

export class RpcError extends Error {
  constructor(
    readonly rpc: string,
    readonly code: number,
    readonly details: string,
  ) {
    super(`${rpc} failed: ${codeName(code)}: ${details}`);
    this.name = 'RpcError';
  }
}

/** The runtime answered UNIMPLEMENTED. */
export class UnimplementedError extends RpcError {
  constructor(rpc: string, details: string) {
    super(rpc, Status.UNIMPLEMENTED, details);
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

export function toRpcError(rpc: string, err: ServiceError | Error): RpcError {
  const se = err as Partial<ServiceError>;
  const code = typeof se.code === 'number' ? se.code : Status.UNKNOWN;
  const details = se.details ?? err.message;
  return code === Status.UNIMPLEMENTED ? new UnimplementedError(rpc, details) : new RpcError(rpc, code, details);
}

/** Duck-typed, not instanceof: the error may come from another instance of this module (CJS and ESM graphs). */
export const isRpcError = (err: unknown): err is RpcError =>
  err instanceof Error && (err.name === 'RpcError' || err.name === 'UnimplementedError') && typeof (err as RpcError).code === 'number';

export const isCode = (err: unknown, code: Status): boolean => isRpcError(err) && err.code === code;
