// Small in-test servers on unix sockets in a temp dir: fake CRI runtimes of several flavours (for
// negotiation and the CLI), an HTTP/1.1 server, a socket that never speaks, and a runtime for the sweep.
// None of them needs root or the lab.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { status as Status, type ServiceDefinition, type UntypedServiceImplementation, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { parseEndpoint, type Endpoint } from '../../src/config.js';
import type { ApiVersion } from '../../src/cri/proto.js';
import { serveOnTempSocket, serviceDef, type CriServiceName } from './grpc-server.js';

// Requests and responses are plain decoded objects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

export { serviceDef };
/** e.g. "v1.RuntimeService" */
export type ServiceKey = `${ApiVersion}.${CriServiceName}`;

/** What an RPC handler does: return a response, throw/return a gRPC error, or never answer. */
export type Handler = (req: Msg) => Msg | Promise<Msg>;
export const HANG = Symbol('hang');

export class GrpcFailure extends Error {
  constructor(
    readonly code: Status,
    readonly details: string,
  ) {
    super(details);
  }
}

export interface FakeServer {
  /** Unix endpoint of the server (unix:///tmp/.../cri.sock). */
  endpoint: Endpoint;
  path: string;
  /** Every RPC received, as "v1.RuntimeService/Version", in order. */
  calls: string[];
  close(): Promise<void>;
}

function tempSocket(prefix: string): { dir: string; sock: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, sock: path.join(dir, 'cri.sock') };
}

/** An unrelated gRPC service (raw bytes in and out), so a server can be gRPC without being CRI. */
const UNRELATED: ServiceDefinition = {
  Ping: {
    path: '/fake.Unrelated/Ping',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};

export const versionResponse = (v: ApiVersion): Msg => ({
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
export async function startCriServer(
  services: Partial<Record<ServiceKey, Record<string, Handler | typeof HANG>>>,
  o: { unrelated?: boolean } = {},
): Promise<FakeServer> {
  const calls: string[] = [];
  const srv = await serveOnTempSocket('crc-fake-', (server) => {
    for (const [key, handlers] of Object.entries(services) as [ServiceKey, Record<string, Handler | typeof HANG>][]) {
      const [version, service] = key.split('.') as [ApiVersion, CriServiceName];
      const def = serviceDef(version, service);
      const impl: UntypedServiceImplementation = {};
      for (const [rpc, m] of Object.entries(def)) {
        if (m.responseStream || m.requestStream) continue; // not needed by these fakes: UNIMPLEMENTED
        impl[rpc] = (call: ServerUnaryCall<Msg, Msg>, cb: sendUnaryData<Msg>) => {
          calls.push(`${key}/${rpc}`);
          const h = handlers[rpc];
          if (h === HANG) return; // accept, never answer
          if (!h) {
            cb({ code: Status.UNIMPLEMENTED, details: `${rpc} is not implemented by this fake` });
            return;
          }
          Promise.resolve()
            .then(() => h(call.request))
            .then(
              (res) => cb(null, res),
              (e: unknown) => {
                const f = e instanceof GrpcFailure ? e : new GrpcFailure(Status.UNKNOWN, String((e as Error)?.message ?? e));
                cb({ code: f.code, details: f.details });
              },
            );
        };
      }
      // Streaming RPCs have no implementation here; grpc-js answers UNIMPLEMENTED for them.
      server.addService(def, impl);
    }
    if (o.unrelated) server.addService(UNRELATED, { Ping: (_c: unknown, cb: sendUnaryData<Buffer>) => cb(null, Buffer.alloc(0)) });
  });
  return { ...srv, calls };
}

export type Flavour = 'v1-only' | 'v1alpha2-only' | 'neither' | 'hangs' | 'error' | 'split';

const ok = (v: ApiVersion) => ({
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
export function startFake(flavour: Flavour): Promise<FakeServer> {
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
export async function startHttpServer(): Promise<FakeServer> {
  const { dir, sock } = tempSocket('crc-http-');
  const calls: string[] = [];
  const server = http.createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not here\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sock, () => resolve());
  });
  return {
    endpoint: parseEndpoint(sock, 'flag'),
    path: sock,
    calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A unix socket that accepts connections and never writes a byte. */
export async function startSilentSocket(): Promise<FakeServer> {
  const { dir, sock } = tempSocket('crc-silent-');
  const sockets = new Set<net.Socket>();
  const calls: string[] = [];
  const server = net.createServer((s) => {
    calls.push('connect');
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    s.resume(); // read and discard
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sock, () => resolve());
  });
  return {
    endpoint: parseEndpoint(sock, 'flag'),
    path: sock,
    calls,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A regular file where a socket is expected. */
export function regularFile(): { endpoint: Endpoint; path: string; close(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crc-file-'));
  const file = path.join(dir, 'not-a.sock');
  writeFileSync(file, 'just a file\n');
  return { endpoint: parseEndpoint(file, 'flag'), path: file, close: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A socket path in a fresh temp dir where nothing exists. */
export function missingSocket(): { endpoint: Endpoint; path: string; close(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crc-missing-'));
  const sock = path.join(dir, 'nothing.sock');
  return { endpoint: parseEndpoint(sock, 'flag'), path: sock, close: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---- sweep ----

export interface SweepObject {
  id: string;
  labels: Record<string, string>;
}

export interface SweepFake extends FakeServer {
  /** Remove and Stop calls as "RemoveContainer c1", "StopPodSandbox p1", in order. */
  mutations: string[];
  /** The label filters the runtime was sent (and ignored). */
  filters: unknown[];
}

/**
 * A v1 runtime that answers ListContainers/ListPodSandbox with every object it has, IGNORING the label
 * filter, and records the Remove and Stop calls it gets. `failRemove` ids answer INTERNAL on removal.
 */
export function startSweepFake(o: { containers: SweepObject[]; sandboxes: SweepObject[]; failRemove?: string[] }): Promise<SweepFake> {
  const mutations: string[] = [];
  const filters: unknown[] = [];
  const mutate = (rpc: string, id: string) => {
    mutations.push(`${rpc} ${id}`);
    if (o.failRemove?.includes(id)) throw new GrpcFailure(Status.INTERNAL, `cannot ${rpc} ${id}`);
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

export interface MiniRuntime extends FakeServer {
  /** Sandboxes the runtime holds now, by id. */
  sandboxes: Map<string, { labels: Record<string, string>; state: string }>;
  mutations: string[];
}

/** A v1 runtime just alive enough for the runner: Version, Status, sandboxes, empty lists and images.
 * `refuseRemove`: RemovePodSandbox always fails, so sandboxes stay listed (leftovers). `ghost`: RemovePodSandbox
 * answers NOT_FOUND and the sandbox stays listed (containerd 1.6's lost OOM-killed container). `hang`: RPCs never answered.
 * `handlers`: the only runtime handlers RunPodSandbox accepts ('' is the default), listed in Status when
 * `advertise` is set. */
export function startMiniRuntime(o: { handlers?: string[]; advertise?: boolean; refuseRemove?: boolean; ghost?: boolean; hang?: string[]; networkNotReady?: boolean; pullFails?: string } = {}): Promise<MiniRuntime> {
  const sandboxes = new Map<string, { labels: Record<string, string>; state: string }>();
  const mutations: string[] = [];
  let n = 0;
  const matches = (labels: Record<string, string>, sel?: Record<string, string>) => Object.entries(sel ?? {}).every(([k, v]) => labels[k] === v);
  return startCriServer({
    'v1.RuntimeService': {
      Version: () => versionResponse('v1'),
      Status: () => ({
        status: {
          conditions: [
            { type: 'RuntimeReady', status: true },
            o.networkNotReady ? { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'cni config uninitialized' } : { type: 'NetworkReady', status: true },
          ],
        },
        runtime_handlers: o.advertise ? (o.handlers ?? ['']).map((name) => ({ name })) : [],
      }),
      RunPodSandbox: (req) => {
        if (o.handlers && !o.handlers.includes(req.runtime_handler ?? '')) throw new GrpcFailure(Status.NOT_FOUND, `no runtime for "${req.runtime_handler}" is configured`);
        const id = `sb${++n}`;
        sandboxes.set(id, { labels: req.config?.labels ?? {}, state: 'SANDBOX_READY' });
        mutations.push(`RunPodSandbox ${id}`);
        return { pod_sandbox_id: id };
      },
      StopPodSandbox: (req) => {
        mutations.push(`StopPodSandbox ${req.pod_sandbox_id}`);
        const s = sandboxes.get(req.pod_sandbox_id);
        if (s) s.state = 'SANDBOX_NOTREADY';
        return {};
      },
      RemovePodSandbox: (req) => {
        mutations.push(`RemovePodSandbox ${req.pod_sandbox_id}`);
        if (o.refuseRemove) throw new GrpcFailure(Status.INTERNAL, 'sandbox is busy');
        if (o.ghost) throw new GrpcFailure(Status.NOT_FOUND, `get sandbox info: sandbox ${req.pod_sandbox_id} not found`);
        sandboxes.delete(req.pod_sandbox_id);
        return {};
      },
      ListPodSandbox: (req) => ({
        items: [...sandboxes].filter(([id, s]) => matches(s.labels, req.filter?.label_selector) && (!req.filter?.id || req.filter.id === id)).map(([id, s]) => ({ id, labels: s.labels, state: s.state })),
      }),
      ListContainers: () => ({ containers: [] }),
      ...Object.fromEntries((o.hang ?? []).map((rpc) => [rpc, HANG])),
    },
    'v1.ImageService': {
      ImageFsInfo: () => ({ image_filesystems: [] }),
      ListImages: () => ({ images: [] }),
      ImageStatus: () => ({}),
      PullImage: () => {
        if (o.pullFails) throw new GrpcFailure(Status.UNKNOWN, o.pullFails);
        return { image_ref: `sha256:${'0'.repeat(64)}` };
      },
      RemoveImage: () => ({}),
    },
  }).then((s) => Object.assign(s, { sandboxes, mutations }));
}

// ---- a runtime that restarts ----

export interface Restartable {
  /** The endpoint the run dials: a relay socket in front of the current backend. */
  endpoint: Endpoint;
  /** The runtime goes away: connections are dropped and the socket is removed. */
  stop(): Promise<void>;
  /** It comes back on the same socket, in front of `backend` (default the one before). */
  start(backend?: FakeServer): Promise<void>;
  close(): Promise<void>;
}

/** A unix-socket relay in front of a fake runtime, so the "runtime" can die and come back on the same path
 * with its state kept (as containerd keeps its pods over a restart), or come back as another runtime. */
export async function restartable(first: FakeServer): Promise<Restartable> {
  const { dir, sock } = tempSocket('crc-restart-');
  let backend = first;
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  const start = async (b?: FakeServer) => {
    if (b) backend = b;
    const srv = net.createServer((c) => {
      const up = net.connect(backend.path);
      for (const s of [c, up]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          sockets.delete(s);
          c.destroy();
          up.destroy();
        });
      }
      c.pipe(up).pipe(c);
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(sock, () => resolve());
    });
    server = srv;
  };
  const stop = async () => {
    const srv = server;
    server = undefined;
    for (const s of sockets) s.destroy();
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
    rmSync(sock, { force: true });
  };
  await start();
  return {
    endpoint: parseEndpoint(`unix://${sock}`, 'flag'),
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- a runtime whose answer flips from one run to the next ----

export interface FlippingRuntime extends FakeServer {
  /** Runs seen so far (1 after the first run's negotiation). */
  runs(): number;
}

/** A v1 runtime just enough for the version suite that answers differently on alternate runs: in odd runs
 * Version says runtime_api_version "v1", in even runs "v0-flipped", so the version suite's
 * "runtime_api_version" test passes, then fails, then passes. A run is counted at its negotiation's
 * ImageFsInfo probe (the version suite calls ImageFsInfo nowhere else). */
export function startFlippingRuntime(): Promise<FlippingRuntime> {
  let runs = 0;
  return startCriServer({
    'v1.RuntimeService': {
      Version: () => ({ ...versionResponse('v1'), runtime_api_version: runs % 2 === 0 ? 'v0-flipped' : 'v1' }),
      ListContainers: () => ({ containers: [] }),
      ListPodSandbox: () => ({ items: [] }),
    },
    'v1.ImageService': {
      ImageFsInfo: () => {
        runs++;
        return { image_filesystems: [] };
      },
      ListImages: () => ({ images: [] }),
    },
  }).then((s) => Object.assign(s, { runs: () => runs }));
}
