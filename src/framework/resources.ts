// Resource helpers: each creates one CRI object and registers its removal at the same moment,
// so a failing or timed-out test still leaves nothing behind.
import { mkdtemp, rm, mkdir, readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { status as Status } from '@grpc/grpc-js';
import type { PodSandboxConfig } from '../gen/v1/runtime/v1/PodSandboxConfig.js';
import type { ContainerConfig } from '../gen/v1/runtime/v1/ContainerConfig.js';
import type { ContainerStatus__Output } from '../gen/v1/runtime/v1/ContainerStatus.js';
import type { PodSandboxStatus__Output } from '../gen/v1/runtime/v1/PodSandboxStatus.js';
import type { AuthConfig } from '../gen/v1/runtime/v1/AuthConfig.js';
import { isCode, type RpcError } from '../cri/errors.js';
import type { Cri } from '../cri/client.js';
import { RUN_LABEL, type TestContext } from './context.js';
import { kubeletContainerConfig, podLogDirectory, podSandboxConfig, withKubeletPodMetadata } from './builders.js';
import { eventually } from './eventually.js';
import { check } from './expect.js';

export interface Sandbox {
  id: string;
  config: PodSandboxConfig;
}

/** Cleanup must not fail because the object is already gone. */
async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isCode(e, Status.NOT_FOUND)) throw e;
  }
}

/** A removal may answer NOT_FOUND only for an object that is really gone: a runtime that keeps listing what it
 * cannot remove (containerd 1.6 after an OOM kill: "get container info") leaks it for good, so that fails the
 * test whose object it is (and the final sweep counts it as a leftover). */
async function removedOrGone(t: TestContext, kind: 'container' | 'pod sandbox', id: string, remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (e) {
    if (!isCode(e, Status.NOT_FOUND)) throw e;
    const [list, field, rpc] = kind === 'container' ? ['ListContainers', 'containers[].id', 'RemoveContainer'] : ['ListPodSandbox', 'items[].id', 'RemovePodSandbox'];
    const ids =
      kind === 'container'
        ? (await t.cri.runtime.call('ListContainers', { filter: { id } })).containers.map((c) => c.id)
        : (await t.cri.runtime.call('ListPodSandbox', { filter: { id } })).items.map((p) => p.id);
    check(list, `${field} (filter id, after ${rpc} answered NOT_FOUND: ${(e as RpcError).details})`, ids).excludes(id, `a runtime must not list a ${kind} it cannot remove`);
  }
}

/** A fresh host directory for this test (log directory, host-path volume), removed after it. */
export async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const root = t.run.workDir;
  await mkdir(root, { recursive: true });
  const dir = await mkdtemp(path.join(root, `${prefix}-`));
  t.defer(`directory ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** cgroupfs parents a test creates must not outlive it: remove the empty directories in every hierarchy.
 * Register before creating the sandbox, so it runs after the sandbox is gone (LIFO). */
export function removeCgroupDirsLater(t: TestContext, name: string): void {
  t.defer(`cgroup directories ${name}`, async () => {
    const roots = await readdir('/sys/fs/cgroup').catch(() => [] as string[]);
    for (const r of [...roots.map((x) => `/sys/fs/cgroup/${x}/${name}`), `/sys/fs/cgroup/${name}`]) await rmdir(r).catch(() => undefined);
  });
}

/** Carries this run's label, so cleanup and the final sweep can find it and nothing else. */
export function labelled<C extends { labels?: Record<string, string> }>(t: TestContext, config: C): C {
  config.labels = { ...config.labels, [RUN_LABEL]: t.run.runId };
  return config;
}

/** Where this run's pod log directories go: the run's own directory stands for the kubelet's /var/log/pods. */
export const podLogsRoot = (workDir: string): string => path.join(workDir, 'pods');

/** Creates `dir` (and missing parents) as the kubelet does before RunPodSandbox or CreateContainer; answers
 * the topmost directory it created, or undefined when `dir` was there. */
export async function makeLogDir(dir: string): Promise<string | undefined> {
  return mkdir(dir, { recursive: true, mode: 0o755 });
}

/** Gives the sandbox the kubelet's log directory under the run's directory, created now and removed after the
 * test (registered before the sandbox, so it runs once the sandbox is gone). */
async function podLogDir(t: TestContext, cfg: PodSandboxConfig): Promise<string> {
  const dir = podLogDirectory(podLogsRoot(t.run.workDir), cfg.metadata ?? {});
  await makeLogDir(path.dirname(dir)); // shared by the run's tests: goes with the run's directory
  if (await makeLogDir(dir)) t.defer(`log directory ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** RunPodSandbox as the kubelet's createPodSandbox: its labels and annotations (withKubeletPodMetadata, again:
 * a test may have changed the config after building it), its log directory created first, the run's runtime
 * handler (--runtime-handler: the handler of the pod's RuntimeClass) in RunPodSandboxRequest.runtime_handler.
 * A log_directory the test set is its own: not created, not removed. */
export async function runSandbox(t: TestContext, config?: PodSandboxConfig, runtimeHandler = t.run.runtimeHandler): Promise<Sandbox> {
  const cfg = labelled(t, config ?? podSandboxConfig('pod'));
  withKubeletPodMetadata()(cfg);
  if (!cfg.log_directory) cfg.log_directory = await podLogDir(t, cfg);
  const res = await t.cri.runtime.call('RunPodSandbox', { config: cfg, runtime_handler: runtimeHandler });
  const id = res.pod_sandbox_id;
  deferSandboxRemoval(t, id);
  return { id, config: cfg };
}

/** A pod for a test that needs one only as a home for its containers: it neither stops, removes nor inspects
 * the pod, sets nothing on it, and reads no log file by a path an earlier test might have used. Within a run
 * that is the test's slot's pod (slot-pods.ts); otherwise (or when a test asks twice) a pod of its own. */
export async function containerPod(t: TestContext): Promise<Sandbox> {
  const pods = t.run.slotPods;
  if (!pods || t.slot === undefined || t.leasedPod) return runSandbox(t, podSandboxConfig('ctr'));
  const sb = await pods.take(t.slot, t.run.runtimeHandler, () => labelled(t, podSandboxConfig('slot')));
  t.leasedPod = sb;
  return sb;
}

/** The RPCs behind slot pods, on the run's client (not a test's). */
export const slotPodCalls = (cri: Cri) => ({
  create: async (config: PodSandboxConfig, handler: string): Promise<string> =>
    (await cri.runtime.call('RunPodSandbox', { config, runtime_handler: handler })).pod_sandbox_id,
  remove: async (id: string): Promise<void> => {
    await ignoreNotFound(cri.runtime.call('StopPodSandbox', { pod_sandbox_id: id })).catch(() => undefined);
    await ignoreNotFound(cri.runtime.call('RemovePodSandbox', { pod_sandbox_id: id }));
  },
});

/** Stop then remove; removal is tried even when the stop fails (RemovePodSandbox must force-stop). */
export function deferSandboxRemoval(t: TestContext, id: string): void {
  const rt = t.cri.runtime;
  t.defer(`pod sandbox ${id}`, async () => {
    await ignoreNotFound(rt.call('StopPodSandbox', { pod_sandbox_id: id })).catch(() => undefined);
    await removedOrGone(t, 'pod sandbox', id, () => rt.call('RemovePodSandbox', { pod_sandbox_id: id }));
  });
}

/**
 * Completes `config` in place into what the kubelet's generateContainerConfig sends for it in `sb`
 * (kubeletContainerConfig: labels, annotations, log_path, user_specified_image), with ImageSpec.image the
 * image reference the kubelet gets from EnsureImageExists (ImageStatus image.id, or PullImage image_ref when
 * the image had to be pulled), and creates
 * `<log_directory>/<name>/` when the log directory is this run's, removed after the test. For a test that
 * calls CreateContainer itself; createContainer uses it.
 */
export async function asKubeletSends(t: TestContext, sb: Sandbox, config: ContainerConfig): Promise<ContainerConfig> {
  Object.assign(config, kubeletContainerConfig(labelled(t, config), sb.config));
  const img = config.image;
  if (img?.image && img.user_specified_image === img.image) {
    // EnsureImageExists with the default pull policy (IfNotPresent): the id of the image when present, else
    // PullImage's image_ref. A reference that cannot be pulled is sent as given: CreateContainer answers.
    const ref = await ensureImage(t, img.image).catch(() => undefined);
    if (ref) img.image = ref;
  }
  // On an SELinux-enforcing node a host path is mounted relabelled, or the container cannot use it (the kubelet
  // relabels volumes that support it; critest sets selinux_relabel on such a node). A test that sets it keeps its own.
  if (t.run.hostFeatures?.limits?.selinuxEnforcing?.limited) {
    for (const m of config.mounts ?? []) if (m.host_path && m.selinux_relabel === undefined) m.selinux_relabel = true;
  }
  const dir = sb.config.log_directory;
  if (dir && config.log_path && !path.isAbsolute(config.log_path) && isUnder(dir, t.run.workDir)) {
    // Only the container's own directory is removed: parents may be shared with other tests.
    const own = path.dirname(path.join(dir, config.log_path));
    if (own !== dir && (await makeLogDir(own))) t.defer(`log directory ${own}`, () => rm(own, { recursive: true, force: true }));
  }
  return config;
}

const isUnder = (p: string, root: string): boolean => !path.relative(root, p).startsWith('..') && !path.isAbsolute(path.relative(root, p));

export async function createContainer(t: TestContext, sb: Sandbox, config: ContainerConfig): Promise<string> {
  await asKubeletSends(t, sb, config);
  const res = await t.cri.runtime.call('CreateContainer', { pod_sandbox_id: sb.id, config, sandbox_config: sb.config });
  const id = res.container_id;
  // Cleanup does what the kubelet does, stop then remove, and retries briefly: under load containerd 1.6 can
  // refuse a removal while the container is mid-transition. (Forced removal itself is a test of its own.)
  t.defer(`container ${id}`, async () => {
    await ignoreNotFound(t.cri.runtime.call('StopContainer', { container_id: id, timeout: '0' })).catch(() => undefined);
    await eventually(() => removedOrGone(t, 'container', id, () => t.cri.runtime.call('RemoveContainer', { container_id: id })), { timeoutMs: 10_000, intervalMs: 250 });
  });
  return id;
}

export async function startContainer(t: TestContext, id: string): Promise<void> {
  await t.cri.runtime.call('StartContainer', { container_id: id });
}

/** Create and start; the common case. */
export async function runContainer(t: TestContext, sb: Sandbox, config: ContainerConfig): Promise<string> {
  const id = await createContainer(t, sb, config);
  await startContainer(t, id);
  return id;
}

export async function containerStatus(t: TestContext, id: string, verbose = false): Promise<ContainerStatus__Output> {
  const res = await t.cri.runtime.call('ContainerStatus', { container_id: id, verbose });
  if (!res.status) throw new Error(`ContainerStatus: status: expected a status for ${id}, got none`);
  return res.status;
}

export async function sandboxStatus(t: TestContext, id: string): Promise<PodSandboxStatus__Output> {
  const res = await t.cri.runtime.call('PodSandboxStatus', { pod_sandbox_id: id });
  if (!res.status) throw new Error(`PodSandboxStatus: status: expected a status for ${id}, got none`);
  return res.status;
}

export async function waitContainerState(t: TestContext, id: string, state: string, timeoutMs = 30_000): Promise<ContainerStatus__Output> {
  return eventually(
    async () => {
      const s = await containerStatus(t, id);
      check('ContainerStatus', 'status.state', s.state).equals(state as ContainerStatus__Output['state']);
      return s;
    },
    { timeoutMs },
  );
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export async function execSync(t: TestContext, id: string, cmd: string[], timeoutSeconds = 10): Promise<ExecResult> {
  const res = await t.cri.runtime.call('ExecSync', { container_id: id, cmd, timeout: String(timeoutSeconds) }, { extraMs: timeoutSeconds * 1000 });
  return { stdout: res.stdout.toString('utf8'), stderr: res.stderr.toString('utf8'), exitCode: res.exit_code };
}

/** Image id of `ref`, or undefined when the runtime does not have it. */
export async function imageId(t: TestContext, ref: string): Promise<string | undefined> {
  const res = await t.cri.image.call('ImageStatus', { image: { image: ref } });
  return res.image?.id || undefined;
}

/**
 * Make sure an image is present. Pulled images that were not on the node before the run are removed at
 * the end of the run, never earlier, so other tests can share them.
 */
export async function ensureImage(t: TestContext, ref: string, auth?: AuthConfig): Promise<string> {
  const c = t.run;
  const have = await imageId(t, ref);
  if (have) return have;
  const res = await c.cri.image.call('PullImage', { image: { image: ref }, auth });
  if (!c.preexistingImages.has(ref)) {
    c.runCleanup.push(`image ${ref}`, () => ignoreNotFound(c.cri.image.call('RemoveImage', { image: { image: ref } })));
  }
  return res.image_ref;
}

/**
 * Pull an image this test owns (image suite): removed after the test unless it existed before the run.
 */
export async function pullOwnedImage(t: TestContext, ref: string, auth?: AuthConfig): Promise<string> {
  const c = t.run;
  const existed = c.preexistingImages.has(ref) || (await imageId(t, ref)) !== undefined;
  const res = await c.cri.image.call('PullImage', { image: { image: ref }, auth });
  if (!existed) {
    t.defer(`image ${ref}`, () => ignoreNotFound(c.cri.image.call('RemoveImage', { image: { image: ref } })));
  }
  return res.image_ref;
}

/** Reference of a logical test image (fixtures/images.json), pulled when the runtime lacks it. */
export async function testImage(t: TestContext, name = 'busybox'): Promise<string> {
  const ref = t.image(name);
  await ensureImage(t, ref);
  return ref;
}
