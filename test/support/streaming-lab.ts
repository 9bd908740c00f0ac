// The lab objects the streaming-client tests stream into: a sandbox and busybox/webserver containers made
// straight through the CRI (not the framework, whose context belongs to a run), each labelled with this
// process's run id and removed in reverse order by cleanup(), which never throws.
import { randomBytes } from 'node:crypto';
import { status as Status } from '@grpc/grpc-js';
import { parseEndpoint } from '../../src/config.js';
import { closeChannel, makeCri, type Cri } from '../../src/cri/client.js';
import { isCode } from '../../src/cri/errors.js';
import { makeTimeouts } from '../../src/cri/timeouts.js';
import { labUp } from '../../src/lab/index.js';
import type { ContainerConfig } from '../../src/gen/v1/runtime/v1/ContainerConfig.js';
import type { PodSandboxConfig } from '../../src/gen/v1/runtime/v1/PodSandboxConfig.js';

export const RUN_LABEL = 'cri-conformance.io/run-id';

export interface StreamingLab {
  cri: Cri;
  images: Record<string, string>;
  runId: string;
}

/** The default lab, brought up as the self-tests do (idempotent), or why the tests cannot use it. */
export async function openLab(): Promise<StreamingLab | string> {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root: the lab containerd and its socket belong to root';
  let info;
  try {
    info = await labUp({ dir: process.env.CRI_SELFTEST_LAB_DIR || undefined, log: () => undefined });
  } catch (e) {
    return `the lab could not be brought up: ${(e as Error).message}`;
  }
  const ep = parseEndpoint(info.runtimeEndpoint, 'lab');
  const cri = makeCri(ep, ep, { runtime: 'v1', image: 'v1' }, makeTimeouts(20));
  return { cri, images: info.images, runId: `streaming-${randomBytes(4).toString('hex')}` };
}

export function closeLab(lab: StreamingLab): void {
  closeChannel(lab.cri.runtime.endpoint);
}

const ignoreNotFound = (e: unknown) => {
  if (!isCode(e, Status.NOT_FOUND)) throw e;
};

/** One pod and the containers in it; cleanup() stops and removes them even after a failed test. */
export class LabPod {
  private readonly undo: Array<() => Promise<unknown>> = [];
  sandboxId = '';
  private config!: PodSandboxConfig;

  constructor(private readonly lab: StreamingLab) {}

  async start(): Promise<this> {
    const name = `crc-stream-${randomBytes(3).toString('hex')}`;
    this.config = {
      metadata: { name, uid: `${name}-uid`, namespace: 'crc-streaming', attempt: 0 },
      hostname: name,
      labels: { [RUN_LABEL]: this.lab.runId },
      linux: { security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    };
    const rt = this.lab.cri.runtime;
    const { pod_sandbox_id: id } = await rt.call('RunPodSandbox', { config: this.config }, { timeoutMs: 120_000 });
    this.sandboxId = id;
    this.undo.push(async () => {
      await rt.call('StopPodSandbox', { pod_sandbox_id: id }).catch(ignoreNotFound);
      await rt.call('RemovePodSandbox', { pod_sandbox_id: id }).catch(ignoreNotFound);
    });
    return this;
  }

  /** Pull (cached by containerd), create and start; returns the container id. */
  async run(image: string, extra: Partial<ContainerConfig> = {}): Promise<string> {
    const rt = this.lab.cri.runtime;
    const ref = this.lab.images[image];
    if (!ref) throw new Error(`lab has no image named ${image}`);
    await this.lab.cri.image.call('PullImage', { image: { image: ref } }, { timeoutMs: 120_000 });
    const config: ContainerConfig = {
      metadata: { name: `c-${randomBytes(3).toString('hex')}`, attempt: 0 },
      image: { image: ref },
      labels: { [RUN_LABEL]: this.lab.runId },
      linux: { security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
      ...extra,
    };
    const { container_id: id } = await rt.call('CreateContainer', { pod_sandbox_id: this.sandboxId, config, sandbox_config: this.config });
    this.undo.push(async () => {
      await rt.call('StopContainer', { container_id: id, timeout: '0' }).catch(ignoreNotFound);
      await rt.call('RemoveContainer', { container_id: id }).catch(ignoreNotFound);
    });
    await rt.call('StartContainer', { container_id: id });
    return id;
  }

  /** Reverse order; every step is tried, errors are returned for the test to print, never thrown. */
  async cleanup(): Promise<string[]> {
    const errors: string[] = [];
    while (this.undo.length) await this.undo.pop()!().catch((e: Error) => errors.push(e.message));
    return errors;
  }
}
