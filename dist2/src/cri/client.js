// The single, version-neutral CRI client: suites call v1 shapes; the same plain objects are sent over
// runtime.v1alpha2 when that is what was negotiated (the shared RPCs have the same wire layout).
import { Client, Metadata, credentials, status as Status } from '@grpc/grpc-js';
import { V1ALPHA2_RPCS } from '../gen/rpc.js';
import { loadCri } from './proto.js';
import { NotInVersionError, UnimplementedError, toRpcError } from './errors.js';
import { deadlineFor } from './timeouts.js';
/** Counts calls per RPC so one run can be judged against every kubelet release. */
export class RpcLedger {
    seen = {};
    note(rpc, outcome) {
        const o = (this.seen[rpc] ??= { calls: 0, unimplemented: 0, errors: 0 });
        o.calls++;
        if (outcome === 'unimplemented')
            o.unimplemented++;
        if (outcome === 'error')
            o.errors++;
    }
}
const channelOptions = {
    // Fail fast on a dead endpoint instead of grpc-js's default reconnect backoff up to 2 min.
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 2000,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
};
const clientCache = new Map();
/** One channel per endpoint target, shared by both services and versions. */
export function channelFor(endpoint) {
    let c = clientCache.get(endpoint.target);
    if (!c) {
        c = new Client(endpoint.target, credentials.createInsecure(), channelOptions);
        clientCache.set(endpoint.target, c);
    }
    return c;
}
export function closeChannel(endpoint) {
    clientCache.get(endpoint.target)?.close();
    clientCache.delete(endpoint.target);
}
export function closeAllChannels() {
    for (const c of clientCache.values())
        c.close();
    clientCache.clear();
}
function serviceDefinition(version, service) {
    const pkg = loadCri(version);
    return pkg['runtime'][version][service].service;
}
export class CriService {
    service;
    version;
    endpoint;
    timeouts;
    ledger;
    def;
    constructor(service, version, endpoint, timeouts, ledger) {
        this.service = service;
        this.version = version;
        this.endpoint = endpoint;
        this.timeouts = timeouts;
        this.ledger = ledger;
        this.def = serviceDefinition(version, service);
    }
    has(rpc) {
        return this.version === 'v1' || V1ALPHA2_RPCS[this.service].includes(rpc);
    }
    method(rpc) {
        if (!this.has(rpc))
            throw new NotInVersionError(rpc, this.version);
        const m = this.def[rpc];
        if (!m)
            throw new NotInVersionError(rpc, this.version);
        return m;
    }
    /** A unary call with a deadline; errors become RpcError/UnimplementedError naming the RPC. */
    call(rpc, req, opts = {}) {
        const m = this.method(rpc);
        const ms = (opts.timeoutMs ?? deadlineFor(this.timeouts, rpc)) + (opts.extraMs ?? 0);
        const deadline = new Date(Date.now() + ms);
        const ch = channelFor(this.endpoint);
        return new Promise((resolve, reject) => {
            ch.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req ?? {}, new Metadata(), { deadline }, (err, res) => {
                if (err) {
                    const e = toRpcError(rpc, err, { ms, baseSeconds: this.timeouts.baseMs / 1000 });
                    this.ledger.note(rpc, e instanceof UnimplementedError ? 'unimplemented' : 'error');
                    reject(e);
                }
                else {
                    this.ledger.note(rpc, 'ok');
                    resolve(res);
                }
            });
        });
    }
    /** A server-streaming call; the caller must cancel() it. Errors surface on the stream as RpcError. */
    stream(rpc, req, opts = {}) {
        const m = this.method(rpc);
        const deadline = opts.timeoutMs ? new Date(Date.now() + opts.timeoutMs) : undefined;
        const call = channelFor(this.endpoint).makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, req ?? {}, new Metadata(), deadline ? { deadline } : {});
        // Book the outcome once: UNIMPLEMENTED and other errors arrive on the stream, not at the call.
        let booked = false;
        const book = (o) => {
            if (!booked)
                this.ledger.note(rpc, o);
            booked = true;
        };
        call.once('data', () => book('ok'));
        call.once('end', () => book('ok'));
        call.on('error', (e) => book(e.code === Status.UNIMPLEMENTED ? 'unimplemented' : e.code === Status.CANCELLED ? 'ok' : 'error'));
        return call;
    }
}
export function makeCri(runtimeEp, imageEp, versions, timeouts, ledger = new RpcLedger()) {
    return {
        runtime: new CriService('RuntimeService', versions.runtime, runtimeEp, timeouts, ledger),
        image: new CriService('ImageService', versions.image, imageEp, timeouts, ledger),
        ledger,
    };
}
//# sourceMappingURL=client.js.map