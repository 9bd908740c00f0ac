// A v1 runtime with just enough pod and container lifecycle for `cri-conformance bench`, optionally slowed:
// `delayMs` per RPC name holds the answer that long (a regression to catch with --compare). Images: a store
// of ref → image id; RemoveImage drops every tag of the image (as containerd's CRI does); a pull of a ref
// with "missing" in it answers NOT_FOUND.
import { status as Status } from '@grpc/grpc-js';
import { createHash } from 'node:crypto';
import { GrpcFailure, startCriServer, versionResponse, type FakeServer } from './fake-cri.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

export interface BenchFake extends FakeServer {
  sandboxes: Map<string, { labels: Record<string, string>; state: string }>;
  containers: Map<string, { labels: Record<string, string>; state: string; sandbox: string }>;
  /** Ref → image id of every image on the fake node. */
  images: Map<string, string>;
  /** Every PullImage and RemoveImage, in order ("pull REF" / "remove REF"). */
  imageCalls: string[];
}

export function startBenchFake(o: { delayMs?: Record<string, number>; images?: Record<string, string> } = {}): Promise<BenchFake> {
  const sandboxes = new Map<string, { labels: Record<string, string>; state: string }>();
  const containers = new Map<string, { labels: Record<string, string>; state: string; sandbox: string }>();
  let n = 0;
  const matches = (labels: Record<string, string>, sel?: Record<string, string>) => Object.entries(sel ?? {}).every(([k, v]) => labels[k] === v);
  const slow = (rpc: string, h: (req: Msg) => Msg) => async (req: Msg) => {
    const ms = o.delayMs?.[rpc] ?? 0;
    if (ms) await new Promise((r) => setTimeout(r, ms));
    return h(req);
  };
  const ctr = (id: string) => {
    const c = containers.get(id);
    if (!c) throw new GrpcFailure(Status.NOT_FOUND, `container ${id} not found`);
    return c;
  };
  const images = new Map<string, string>([['bench/busybox:1', 'sha256:' + 'b'.repeat(64)], ...Object.entries(o.images ?? {})]);
  const imageCalls: string[] = [];
  const idFor = (ref: string) => 'sha256:' + createHash('sha256').update(ref).digest('hex');
  const image = (id: string) => ({ id, repo_tags: [...images].filter(([, i]) => i === id).map(([r]) => r), repo_digests: [], size: '1', uid: null, username: '' });
  const rt: Record<string, (req: Msg) => Msg> = {
    Version: () => versionResponse('v1'),
    Status: () => ({ status: { conditions: [{ type: 'RuntimeReady', status: true }, { type: 'NetworkReady', status: true }] }, runtime_handlers: [] }),
    RunPodSandbox: (req) => {
      const id = `sb${++n}`;
      sandboxes.set(id, { labels: req.config?.labels ?? {}, state: 'SANDBOX_READY' });
      return { pod_sandbox_id: id };
    },
    PodSandboxStatus: (req) => ({ status: { id: req.pod_sandbox_id, state: sandboxes.get(req.pod_sandbox_id)?.state ?? 'SANDBOX_NOTREADY' } }),
    StopPodSandbox: (req) => {
      const s = sandboxes.get(req.pod_sandbox_id);
      if (s) s.state = 'SANDBOX_NOTREADY';
      return {};
    },
    RemovePodSandbox: (req) => {
      sandboxes.delete(req.pod_sandbox_id);
      return {};
    },
    ListPodSandbox: (req) => ({
      items: [...sandboxes].filter(([id, s]) => matches(s.labels, req.filter?.label_selector) && (!req.filter?.id || req.filter.id === id)).map(([id, s]) => ({ id, labels: s.labels, state: s.state })),
    }),
    CreateContainer: (req) => {
      const id = `c${++n}`;
      containers.set(id, { labels: req.config?.labels ?? {}, state: 'CONTAINER_CREATED', sandbox: req.pod_sandbox_id });
      return { container_id: id };
    },
    StartContainer: (req) => {
      ctr(req.container_id).state = 'CONTAINER_RUNNING';
      return {};
    },
    StopContainer: (req) => {
      ctr(req.container_id).state = 'CONTAINER_EXITED';
      return {};
    },
    RemoveContainer: (req) => {
      containers.delete(req.container_id);
      return {};
    },
    ContainerStatus: (req) => ({ status: { id: req.container_id, state: ctr(req.container_id).state } }),
    ExecSync: () => ({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exit_code: 0 }),
    ListContainers: (req) => ({
      containers: [...containers]
        .filter(([, c]) => matches(c.labels, req.filter?.label_selector) && (!req.filter?.pod_sandbox_id || req.filter.pod_sandbox_id === c.sandbox))
        .map(([id, c]) => ({ id, pod_sandbox_id: c.sandbox, labels: c.labels, state: c.state })),
    }),
  };
  const img: Record<string, (req: Msg) => Msg> = {
    ImageStatus: (req) => {
      const id = images.get(req.image?.image);
      return id ? { image: image(id), info: {} } : {};
    },
    PullImage: (req) => {
      const ref: string = req.image?.image;
      imageCalls.push(`pull ${ref}`);
      if (ref.includes('missing')) throw new GrpcFailure(Status.NOT_FOUND, `${ref}: not found`);
      images.set(ref, images.get(ref) ?? idFor(ref));
      return { image_ref: images.get(ref) };
    },
    RemoveImage: (req) => {
      const ref: string = req.image?.image;
      imageCalls.push(`remove ${ref}`);
      const id = images.get(ref);
      for (const [r, i] of [...images]) if (i === id) images.delete(r);
      return {};
    },
    ListImages: () => ({ images: [...new Set(images.values())].map(image) }),
    ImageFsInfo: () => ({ image_filesystems: [] }),
  };
  const wrap = (m: Record<string, (req: Msg) => Msg>) => Object.fromEntries(Object.entries(m).map(([k, h]) => [k, slow(k, h)]));
  return startCriServer({ 'v1.RuntimeService': wrap(rt), 'v1.ImageService': wrap(img) }).then((s) => Object.assign(s, { sandboxes, containers, images, imageCalls }));
}
