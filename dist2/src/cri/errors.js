// gRPC failures as typed errors that name the RPC, so suites and the runner can decide skip vs fail.
import { status as Status } from '@grpc/grpc-js';
export const codeName = (code) => Status[code] ?? `code ${code}`;
export class RpcError extends Error {
    rpc;
    code;
    details;
    constructor(rpc, code, details) {
        super(`${rpc} failed: ${codeName(code)}: ${details}`);
        this.rpc = rpc;
        this.code = code;
        this.details = details;
        this.name = 'RpcError';
    }
}
/** The runtime answered UNIMPLEMENTED. */
export class UnimplementedError extends RpcError {
    constructor(rpc, details) {
        super(rpc, Status.UNIMPLEMENTED, details);
        this.name = 'UnimplementedError';
    }
}
/** The negotiated API version has no such RPC (e.g. RuntimeConfig in v1alpha2): never sent. */
export class NotInVersionError extends Error {
    rpc;
    version;
    constructor(rpc, version) {
        super(`${rpc} is not in ${version}`);
        this.rpc = rpc;
        this.version = version;
        this.name = 'NotInVersionError';
    }
}
const seconds = (ms) => `${Number((ms / 1000).toFixed(1))} s`;
export function toRpcError(rpc, err, deadline) {
    const se = err;
    const code = typeof se.code === 'number' ? se.code : Status.UNKNOWN;
    let details = se.details ?? err.message;
    // grpc-js appends its resolver and LB timings; a runtime author needs the wait and the knob instead.
    if (code === Status.DEADLINE_EXCEEDED && deadline) {
        details = `no answer within ${seconds(deadline.ms)} (raise --timeout, now ${deadline.baseSeconds}, if the runtime is only slow)`;
    }
    return code === Status.UNIMPLEMENTED ? new UnimplementedError(rpc, details) : new RpcError(rpc, code, details);
}
export const isRpcError = (err) => err instanceof RpcError;
export const isCode = (err, code) => isRpcError(err) && err.code === code;
//# sourceMappingURL=errors.js.map