// Small in-test servers on unix sockets in a temp dir: fake CRI runtimes of several flavours (for
// negotiation and the CLI), an HTTP/1.1 server, a socket that never speaks, and a runtime for the sweep.
// None of them needs root or the lab.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Server, ServerCredentials, status as Status, } from '@grpc/grpc-js';
import { loadCri } from '../../src/cri/proto.js';
import { parseEndpoint } from '../../src/config.js';
export const HANG = Symbol('hang');
export class GrpcFailure extends Error {
    code;
    details;
    constructor(code, details) {
        super(details);
        this.code = code;
        this.details = details;
    }
}
function tempSocket(prefix) {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    return { dir, sock: path.join(dir, 'cri.sock') };
}
export function serviceDef(version, service) {
    const pkg = loadCri(version);
    return pkg['runtime'][version][service].service;
}
/** An unrelated gRPC service (raw bytes in and out), so a server can be gRPC without being CRI. */
const UNRELATED = {
    Ping: {
        path: '/fake.Unrelated/Ping',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b) => b,
        requestDeserialize: (b) => b,
        responseSerialize: (b) => b,
        responseDeserialize: (b) => b,
    },
};
export const versionResponse = (v) => ({
    version: '0.1.0',
    runtime_name: 'fake-cri',
    runtime_version: '0.0.1',
    runtime_api_version: v,
});
/**
 * A gRPC server on a fresh unix socket serving exactly the given CRI services. An RPC of a registered
 * service without a handler answers UNIMPLEMENTED; a service not registered answers UNIMPLEMENTED too
 * (grpc-js does that for unknown paths).
 */
export async function startCriServer(services, o = {}) {
    const { dir, sock } = tempSocket('crc-fake-');
    const server = new Server();
    const calls = [];
    for (const [key, handlers] of Object.entries(services)) {
        const [version, service] = key.split('.');
        const def = serviceDef(version, service);
        const impl = {};
        for (const [rpc, m] of Object.entries(def)) {
            if (m.responseStream || m.requestStream)
                continue; // not needed by these fakes: UNIMPLEMENTED
            impl[rpc] = (call, cb) => {
                calls.push(`${key}/${rpc}`);
                const h = handlers[rpc];
                if (h === HANG)
                    return; // accept, never answer
                if (!h) {
                    cb({ code: Status.UNIMPLEMENTED, details: `${rpc} is not implemented by this fake` });
                    return;
                }
                Promise.resolve()
                    .then(() => h(call.request))
                    .then((res) => cb(null, res), (e) => {
                    const f = e instanceof GrpcFailure ? e : new GrpcFailure(Status.UNKNOWN, String(e?.message ?? e));
                    cb({ code: f.code, details: f.details });
                });
            };
        }
        // Streaming RPCs have no implementation here; grpc-js answers UNIMPLEMENTED for them.
        server.addService(def, impl);
    }
    if (o.unrelated)
        server.addService(UNRELATED, { Ping: (_c, cb) => cb(null, Buffer.alloc(0)) });
    await new Promise((resolve, reject) => server.bindAsync(`unix://${sock}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    return {
        endpoint: parseEndpoint(sock, 'flag'),
        path: sock,
        calls,
        close: async () => {
            server.forceShutdown(); // hanging calls would keep tryShutdown waiting
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
const ok = (v) => ({
    runtime: { Version: () => versionResponse(v) },
    image: { ImageFsInfo: () => ({ image_filesystems: [], container_filesystems: [] }) },
});
/**
 * - v1-only: runtime.v1 RuntimeService + ImageService; v1alpha2 not registered (UNIMPLEMENTED).
 * - v1alpha2-only: the reverse.
 * - neither: a gRPC server with an unrelated service only.
 * - hangs: v1 Version accepted and never answered.
 * - error: v1 Version answers INTERNAL; everything else (including v1alpha2) answers fine, so a
 *   fallback that should not happen would be visible.
 * - split: RuntimeService only in v1, ImageService only in v1alpha2.
 */
export function startFake(flavour) {
    const v1 = ok('v1');
    const a2 = ok('v1alpha2');
    switch (flavour) {
        case 'v1-only':
            return startCriServer({ 'v1.RuntimeService': v1.runtime, 'v1.ImageService': v1.image });
        case 'v1alpha2-only':
            return startCriServer({ 'v1alpha2.RuntimeService': a2.runtime, 'v1alpha2.ImageService': a2.image });
        case 'neither':
            return startCriServer({}, { unrelated: true });
        case 'hangs':
            return startCriServer({ 'v1.RuntimeService': { Version: HANG }, 'v1.ImageService': { ImageFsInfo: HANG } });
        case 'error':
            return startCriServer({
                'v1.RuntimeService': {
                    Version: () => {
                        throw new GrpcFailure(Status.INTERNAL, 'the fake runtime is broken');
                    },
                },
                'v1.ImageService': v1.image,
                'v1alpha2.RuntimeService': a2.runtime,
                'v1alpha2.ImageService': a2.image,
            });
        case 'split':
            return startCriServer({ 'v1.RuntimeService': v1.runtime, 'v1alpha2.ImageService': a2.image });
    }
}
/** A plain HTTP/1.1 server on a unix socket: answers, but not gRPC. */
export async function startHttpServer() {
    const { dir, sock } = tempSocket('crc-http-');
    const calls = [];
    const server = http.createServer((req, res) => {
        calls.push(`${req.method} ${req.url}`);
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not here\n');
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(sock, () => resolve());
    });
    return {
        endpoint: parseEndpoint(sock, 'flag'),
        path: sock,
        calls,
        close: async () => {
            server.closeAllConnections();
            await new Promise((r) => server.close(() => r()));
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
/** A unix socket that accepts connections and never writes a byte. */
export async function startSilentSocket() {
    const { dir, sock } = tempSocket('crc-silent-');
    const sockets = new Set();
    const calls = [];
    const server = net.createServer((s) => {
        calls.push('connect');
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
        s.resume(); // read and discard
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(sock, () => resolve());
    });
    return {
        endpoint: parseEndpoint(sock, 'flag'),
        path: sock,
        calls,
        close: async () => {
            for (const s of sockets)
                s.destroy();
            await new Promise((r) => server.close(() => r()));
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
/** A regular file where a socket is expected. */
export function regularFile() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'crc-file-'));
    const file = path.join(dir, 'not-a.sock');
    writeFileSync(file, 'just a file\n');
    return { endpoint: parseEndpoint(file, 'flag'), path: file, close: () => rmSync(dir, { recursive: true, force: true }) };
}
/** A socket path in a fresh temp dir where nothing exists. */
export function missingSocket() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'crc-missing-'));
    const sock = path.join(dir, 'nothing.sock');
    return { endpoint: parseEndpoint(sock, 'flag'), path: sock, close: () => rmSync(dir, { recursive: true, force: true }) };
}
/**
 * A v1 runtime that answers ListContainers/ListPodSandbox with every object it has, IGNORING the label
 * filter, and records the Remove and Stop calls it gets. `failRemove` ids answer INTERNAL on removal.
 */
export function startSweepFake(o) {
    const mutations = [];
    const filters = [];
    const mutate = (rpc, id) => {
        mutations.push(`${rpc} ${id}`);
        if (o.failRemove?.includes(id))
            throw new GrpcFailure(Status.INTERNAL, `cannot ${rpc} ${id}`);
        return {};
    };
    return startCriServer({
        'v1.RuntimeService': {
            Version: () => versionResponse('v1'),
            ListContainers: (req) => {
                filters.push(req.filter);
                return { containers: o.containers.map((c) => ({ id: c.id, pod_sandbox_id: 'p', labels: c.labels, state: 'CONTAINER_EXITED' })) };
            },
            ListPodSandbox: (req) => {
                filters.push(req.filter);
                return { items: o.sandboxes.map((p) => ({ id: p.id, labels: p.labels, state: 'SANDBOX_NOTREADY' })) };
            },
            RemoveContainer: (req) => mutate('RemoveContainer', req.container_id),
            StopContainer: (req) => mutate('StopContainer', req.container_id),
            StopPodSandbox: (req) => mutate('StopPodSandbox', req.pod_sandbox_id),
            RemovePodSandbox: (req) => mutate('RemovePodSandbox', req.pod_sandbox_id),
        },
        'v1.ImageService': {
            ImageFsInfo: () => ({ image_filesystems: [] }),
            RemoveImage: (req) => mutate('RemoveImage', req.image?.image ?? ''),
        },
    }).then((s) => Object.assign(s, { mutations, filters }));
}
/** A v1 runtime just alive enough for the runner: Version, Status, sandboxes, empty lists and images. */
export function startMiniRuntime() {
    const sandboxes = new Map();
    const mutations = [];
    let n = 0;
    const matches = (labels, sel) => Object.entries(sel ?? {}).every(([k, v]) => labels[k] === v);
    return startCriServer({
        'v1.RuntimeService': {
            Version: () => versionResponse('v1'),
            Status: () => ({ status: { conditions: [{ type: 'RuntimeReady', status: true }, { type: 'NetworkReady', status: true }] } }),
            RunPodSandbox: (req) => {
                const id = `sb${++n}`;
                sandboxes.set(id, { labels: req.config?.labels ?? {}, state: 'SANDBOX_READY' });
                mutations.push(`RunPodSandbox ${id}`);
                return { pod_sandbox_id: id };
            },
            StopPodSandbox: (req) => {
                mutations.push(`StopPodSandbox ${req.pod_sandbox_id}`);
                const s = sandboxes.get(req.pod_sandbox_id);
                if (s)
                    s.state = 'SANDBOX_NOTREADY';
                return {};
            },
            RemovePodSandbox: (req) => {
                mutations.push(`RemovePodSandbox ${req.pod_sandbox_id}`);
                sandboxes.delete(req.pod_sandbox_id);
                return {};
            },
            ListPodSandbox: (req) => ({
                items: [...sandboxes].filter(([, s]) => matches(s.labels, req.filter?.label_selector)).map(([id, s]) => ({ id, labels: s.labels, state: s.state })),
            }),
            ListContainers: () => ({ containers: [] }),
        },
        'v1.ImageService': {
            ImageFsInfo: () => ({ image_filesystems: [] }),
            ListImages: () => ({ images: [] }),
        },
    }).then((s) => Object.assign(s, { sandboxes, mutations }));
}
//# sourceMappingURL=fake-cri.js.map