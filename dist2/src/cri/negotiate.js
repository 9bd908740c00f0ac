// API version negotiation as the kubelet does it: runtime.v1 first, runtime.v1alpha2 only when v1
// answers UNIMPLEMENTED; any other error means no version. The image service is probed on its own
// with ImageFsInfo (what kubelet 1.23-1.25 did), since it may be a different endpoint.
import { accessSync, constants, statSync } from 'node:fs';
import { status as Status } from '@grpc/grpc-js';
import { ConnectError } from '../errors.js';
import { CriService, RpcLedger } from './client.js';
import { RpcError, codeName } from './errors.js';
/** Check a unix socket path before dialling, so missing files and permissions get a precise line. */
export function checkSocket(ep) {
    if (ep.kind !== 'unix' || !ep.path)
        return;
    let st;
    try {
        st = statSync(ep.path);
    }
    catch (e) {
        const code = e.code;
        if (code === 'EACCES')
            throw new ConnectError(`permission denied reaching ${ep.path}: run as root or as a user with access to the socket`, 'PERMISSION');
        throw new ConnectError(`${ep.uri} does not exist: is the runtime running? Pass --runtime-endpoint or use --lab`, 'NO_SOCKET');
    }
    if (!st.isSocket())
        throw new ConnectError(`${ep.uri} is not a unix socket: point --runtime-endpoint at the runtime's gRPC socket`, 'NOT_SOCKET');
    try {
        accessSync(ep.path, constants.R_OK | constants.W_OK);
    }
    catch {
        throw new ConnectError(`permission denied on ${ep.path}: run as root or as a user with read/write access to the socket`, 'PERMISSION');
    }
}
/** Transport failures mean we never spoke to a gRPC server: exit 3, not "no version". */
function transportError(ep, err, timeoutMs) {
    const d = err.details;
    if (/Protocol error|HTTP status code|Received RST_STREAM|malformed|http2/i.test(d) && err.code !== Status.UNIMPLEMENTED) {
        // grpc-js wraps the cause in connection-state chatter; keep the cause only.
        const cause = /Protocol error|HTTP status code \d+|Received RST_STREAM[^.;(]*|malformed[^.;(]*/i.exec(d)?.[0] ?? codeName(err.code);
        return new ConnectError(`${ep.uri} answered, but not as a gRPC server (${cause}): not a CRI endpoint; point --runtime-endpoint at the runtime's CRI socket`, 'NOT_GRPC');
    }
    if (err.code === Status.UNAVAILABLE) {
        if (/EACCES/.test(d))
            return new ConnectError(`permission denied connecting to ${ep.uri}: run as root or fix the socket's permissions`, 'PERMISSION');
        if (/ECONNREFUSED|ENOENT/.test(d))
            return new ConnectError(`nothing is listening on ${ep.uri} (${d.replace(/^.*Last error: /, '')}): is the runtime running?`, 'REFUSED');
        return new ConnectError(`cannot reach ${ep.uri}: ${d}: is it a gRPC (CRI) endpoint?`, 'UNAVAILABLE');
    }
    if (err.code === Status.DEADLINE_EXCEEDED) {
        return new ConnectError(`${ep.uri} did not answer within ${(timeoutMs / 1000).toFixed(0)}s: the endpoint hangs or is not a gRPC server (raise --timeout if the runtime is just slow)`, 'TIMEOUT');
    }
    return undefined;
}
async function probe(ep, timeoutMs, rec, what, fn) {
    try {
        const ok = await fn();
        rec.push({ ...what, outcome: 'OK' });
        return { ok };
    }
    catch (e) {
        if (!(e instanceof RpcError))
            throw e;
        rec.push({ ...what, outcome: `${codeName(e.code)}: ${e.details}` });
        const t = transportError(ep, e, timeoutMs);
        if (t)
            throw t;
        return { err: e };
    }
}
export async function negotiate(runtimeEp, imageEp, mode, timeouts, ledger = new RpcLedger()) {
    checkSocket(runtimeEp);
    if (imageEp.uri !== runtimeEp.uri)
        checkSocket(imageEp);
    const n = { mode, runtime: null, image: null, probes: [] };
    const t = timeouts.connectMs;
    const order = mode === 'auto' ? ['v1', 'v1alpha2'] : [mode];
    const reasons = [];
    for (const v of order) {
        const svc = new CriService('RuntimeService', v, runtimeEp, timeouts, ledger);
        const r = await probe(runtimeEp, t, n.probes, { service: 'RuntimeService', version: v, rpc: 'Version' }, () => svc.call('Version', { version: v === 'v1' ? '0.1.0' : 'v1alpha2' }, { timeoutMs: t }));
        if ('ok' in r) {
            n.runtime = v;
            n.version = r.ok;
            break;
        }
        reasons.push(`runtime.${v}.RuntimeService/Version: ${codeName(r.err.code)}`);
        if (r.err.code !== Status.UNIMPLEMENTED)
            break; // only UNIMPLEMENTED allows the fallback
    }
    for (const v of order) {
        const svc = new CriService('ImageService', v, imageEp, timeouts, ledger);
        const r = await probe(imageEp, t, n.probes, { service: 'ImageService', version: v, rpc: 'ImageFsInfo' }, () => svc.call('ImageFsInfo', {}, { timeoutMs: t }));
        if ('ok' in r) {
            n.image = v;
            break;
        }
        reasons.push(`runtime.${v}.ImageService/ImageFsInfo: ${codeName(r.err.code)}`);
        if (r.err.code !== Status.UNIMPLEMENTED)
            break;
    }
    if (!n.runtime || !n.image) {
        const allUnimplemented = n.probes.every((p) => p.outcome.startsWith('UNIMPLEMENTED'));
        n.reason = allUnimplemented
            ? `${runtimeEp.uri} is a gRPC server but serves no CRI version (${reasons.join('; ')}): not a CRI runtime, or a runtime too old for this suite`
            : `no CRI version negotiated (${reasons.join('; ')})`;
    }
    return n;
}
//# sourceMappingURL=negotiate.js.map