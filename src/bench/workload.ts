// The bench's unit of work: one pod taken through the kubelet's lifecycle, every RPC timed. Pod start is
// RunPodSandbox → the container seen RUNNING (the image is already on the node: pulls are excluded, as in
// the Kubernetes pod-startup SLO). Pod lifecycle is the whole chain, RunPodSandbox → … → RemovePodSandbox,
// less the probes the bench makes while the container runs (ExecSync, the status and list calls): pod start
// plus StopContainer → RemovePodSandbox.
import type { Cri } from '../cri/client.js';
import { RUN_LABEL } from '../framework/context.js';
import { containerConfig, podSandboxConfig, withCommand, withLabels, withSandboxLabels } from '../framework/builders.js';
import type { Samples } from './stats.js';

export interface PodRun {
  cri: Cri;
  runId: string;
  image: string;
  runtimeHandler: string;
  samples: Samples;
}

const now = () => performance.now();

async function timed<T>(s: Samples, rpc: string, call: () => Promise<T>): Promise<T> {
  const t0 = now();
  const res = await call();
  s.add(rpc, now() - t0);
  return res;
}

export interface PodTimes {
  /** RunPodSandbox → container RUNNING, ms. */
  startMs: number;
  /** startMs + StopContainer → RemovePodSandbox done, ms. */
  lifecycleMs: number;
}

/** One pod's lifecycle, timed. Whatever it leaves on failure the sweep removes (everything carries the run
 * label). */
export async function podLifecycle(o: PodRun): Promise<PodTimes> {
  const { cri, samples: s } = o;
  const rt = cri.runtime;
  const label = { [RUN_LABEL]: o.runId };
  const pod = podSandboxConfig('bench', withSandboxLabels(label));
  const t0 = now();
  const { pod_sandbox_id: sb } = await timed(s, 'RunPodSandbox', () => rt.call('RunPodSandbox', { config: pod, runtime_handler: o.runtimeHandler }));
  const ctr = containerConfig('bench', o.image, withCommand('sleep', '3600'), withLabels(label));
  const { container_id: id } = await timed(s, 'CreateContainer', () => rt.call('CreateContainer', { pod_sandbox_id: sb, config: ctr, sandbox_config: pod }));
  await timed(s, 'StartContainer', () => rt.call('StartContainer', { container_id: id }));
  // Started is not yet running for every runtime: poll status (a short interval, under the call deadlines).
  for (let i = 0; ; i++) {
    const st = await timed(s, 'ContainerStatus', () => rt.call('ContainerStatus', { container_id: id, verbose: false }));
    if (st.status?.state === 'CONTAINER_RUNNING') break;
    if (st.status?.state === 'CONTAINER_EXITED' || i >= 500) throw new Error(`container ${id} did not reach CONTAINER_RUNNING (state ${st.status?.state})`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const podStartMs = now() - t0;
  await timed(s, 'ExecSync', () => rt.call('ExecSync', { container_id: id, cmd: ['true'], timeout: '10' }, { extraMs: 10_000 }));
  await timed(s, 'PodSandboxStatus', () => rt.call('PodSandboxStatus', { pod_sandbox_id: sb, verbose: false }));
  await timed(s, 'ListContainers', () => rt.call('ListContainers', { filter: { pod_sandbox_id: sb } }));
  await timed(s, 'ListPodSandbox', () => rt.call('ListPodSandbox', { filter: { id: sb } }));
  await timed(s, 'Status', () => rt.call('Status', { verbose: false }));
  await timed(s, 'ImageStatus', () => cri.image.call('ImageStatus', { image: { image: o.image } }));
  await timed(s, 'ListImages', () => cri.image.call('ListImages', {}));
  await timed(s, 'ImageFsInfo', () => cri.image.call('ImageFsInfo', {}));
  const t1 = now();
  await timed(s, 'StopContainer', () => rt.call('StopContainer', { container_id: id, timeout: '0' }));
  await timed(s, 'RemoveContainer', () => rt.call('RemoveContainer', { container_id: id }));
  await timed(s, 'StopPodSandbox', () => rt.call('StopPodSandbox', { pod_sandbox_id: sb }));
  await timed(s, 'RemovePodSandbox', () => rt.call('RemovePodSandbox', { pod_sandbox_id: sb }));
  return { startMs: podStartMs, lifecycleMs: podStartMs + (now() - t1) };
}

/** `pods` lifecycles with at most `concurrency` at once; stops starting new ones once `signal` aborts. */
export async function runLevel(o: PodRun, pods: number, concurrency: number, signal: AbortSignal): Promise<PodTimes[]> {
  const times: PodTimes[] = [];
  let next = 0;
  const worker = async () => {
    while (next < pods && !signal.aborted) {
      next++;
      times.push(await podLifecycle(o));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, pods) }, worker));
  return times;
}
