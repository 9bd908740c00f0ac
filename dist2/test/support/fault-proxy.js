// A CRI proxy for self-tests: forwards every RPC of both services and both versions to a real runtime,
// except where a fault rewrites the answer. This is how each conformance check is shown to fail when the
// runtime answers wrong.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Server, ServerCredentials, Metadata, credentials, status as Status, } from '@grpc/grpc-js';
import { loadCri } from '../../src/cri/proto.js';
import { parseEndpoint } from '../../src/config.js';
function serviceDef(version, service) {
    const pkg = loadCri(version);
    return pkg['runtime'][version][service].service;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function startFaultProxy(upstream, faults) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'crc-proxy-'));
    const sock = path.join(dir, 'cri.sock');
    const server = new Server();
    const calls = [];
    // Its own channel: the harness closes its cached channels at the end of every run.
    const up = new Client(upstream.target, credentials.createInsecure());
    const seen = new Map();
    const faultFor = (rpc, v) => {
        const f = faults.find((x) => x.rpc === rpc && (!x.version || x.version === v));
        if (!f)
            return undefined;
        const n = (seen.get(f) ?? 0) + 1;
        seen.set(f, n);
        return n > (f.after ?? 0) ? f : undefined;
    };
    for (const version of ['v1', 'v1alpha2']) {
        for (const service of ['RuntimeService', 'ImageService']) {
            const def = serviceDef(version, service);
            const impl = {};
            for (const [rpc, m] of Object.entries(def)) {
                if (m.responseStream) {
                    impl[rpc] = (call) => {
                        calls.push(rpc);
                        const f = faultFor(rpc, version);
                        if (f?.error) {
                            call.emit('error', { code: f.error.code, details: f.error.details, metadata: new Metadata() });
                            return;
                        }
                        const req = f?.mutateRequest?.(call.request) ?? call.request;
                        const deadline = call.getDeadline();
                        const upstreamCall = up.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, req, new Metadata(), { deadline });
                        upstreamCall.on('data', (d) => call.write(f?.mutate?.(d, req) ?? d));
                        upstreamCall.on('end', () => call.end());
                        upstreamCall.on('error', (e) => {
                            if (e.code === Status.CANCELLED)
                                call.end();
                            else
                                call.emit('error', { code: e.code, details: e.details, metadata: new Metadata() });
                        });
                        call.on('cancelled', () => upstreamCall.cancel());
                    };
                }
                else {
                    impl[rpc] = (call, cb) => {
                        calls.push(rpc);
                        void (async () => {
                            const f = faultFor(rpc, version);
                            if (f?.delayMs)
                                await sleep(f.delayMs);
                            if (f?.error)
                                return cb({ code: f.error.code, details: f.error.details });
                            if (f?.respond) {
                                try {
                                    return cb(null, f.respond(call.request));
                                }
                                catch (e) {
                                    return cb({ code: Status.INTERNAL, details: `fault respond threw: ${e.message}` });
                                }
                            }
                            const req = f?.mutateRequest?.(call.request) ?? call.request;
                            up.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, new Metadata(), { deadline: call.getDeadline() }, (err, res) => {
                                if (err)
                                    return cb({ code: err.code, details: err.details });
                                try {
                                    cb(null, f?.mutate ? (f.mutate(res, req) ?? res) : res);
                                }
                                catch (e) {
                                    cb({ code: Status.INTERNAL, details: `fault mutate threw: ${e.message}` });
                                }
                            });
                        })();
                    };
                }
            }
            server.addService(def, impl);
        }
    }
    await new Promise((resolve, reject) => server.bindAsync(`unix://${sock}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    return {
        endpoint: parseEndpoint(`unix://${sock}`, 'flag'),
        calls,
        async close() {
            server.forceShutdown();
            up.close();
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
//# sourceMappingURL=fault-proxy.js.map