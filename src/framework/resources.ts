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
import { isCode } from '../cri/errors.js';
import { ctx } from './context.js';
import { podSandboxConfig, withLogDirectory } from './builders.js';
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

/** A fresh host directory for this test (log directory, host-path volume), removed after it. */
export async function tempDir(prefix: string): Promise<string> {
  const root = ctx().workDir;
  await mkdir(root, { recursive: true });
  const dir = await mkdtemp(path.join(root, `${prefix}-`));
  ctx().testCleanup.push(`directory ${dir}`, () => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** cgroupfs parents a test creates must not outlive it: remove the empty directories in every hierarchy.
 * Register before creating the sandbox, so it runs after the sandbox is gone (LIFO). */
export function removeCgroupDirsLater(name: string): void {
  ctx().testCleanup.push(`cgroup directories ${name}`, async () => {
    const roots = await readdir('/sys/fs/cgroup').catch(() => [] as string[]);
    for (const r of [...roots.map((x) => `/sys/fs/cgroup/${x}/${name}`), `/sys/fs/cgroup/${name}`]) await rmdir(r).catch(() => undefined);
  });
}

export async function runSandbox(config?: PodSandboxConfig, runtimeHandler = ''): Promise<Sandbox> {
  const c = ctx();
  const cfg = config ?? podSandboxConfig('pod');
  if (!cfg.log_directory) withLogDirectory(await tempDir('logs'))(cfg);
  const res = await c.cri.runtime.call('RunPodSandbox', { config: cfg, runtime_handler: runtimeHandler });
  const id = res.pod_sandbox_id;
  c.testCleanup.push(`pod sandbox ${id}`, async () => {
    await ignoreNotFound(c.cri.runtime.call('StopPodSandbox', { pod_sandbox_id: id }));
    await ignoreNotFound(c.cri.runtime.call('RemovePodSandbox', { pod_sandbox_id: id }));
  });
  return { id, config: cfg };
}

export async function createContainer(sb: Sandbox, config: ContainerConfig): Promise<string> {
  const c = ctx();
  const res = await c.cri.runtime.call('CreateContainer', { pod_sandbox_id: sb.id, config, sandbox_config: sb.config });
  const id = res.container_id;
  // Cleanup does what the kubelet does, stop then remove, and retries briefly: under load containerd 1.6 can
  // refuse a removal while the container is mid-transition. (Forced removal itself is a test of its own.)
  c.testCleanup.push(`container ${id}`, async () => {
    await ignoreNotFound(c.cri.runtime.call('StopContainer', { container_id: id, timeout: '0' })).catch(() => undefined);
    await eventually(() => ignoreNotFound(c.cri.runtime.call('RemoveContainer', { container_id: id })), { timeoutMs: 10_000, intervalMs: 250 });
  });
  return id;
}

export async function startContainer(id: string): Promise<void> {
  await ctx().cri.runtime.call('StartContainer', { container_id: id });
}

/** Create and start; the common case. */
export async function runContainer(sb: Sandbox, config: ContainerConfig): Promise<string> {
  const id = await createContainer(sb, config);
  await startContainer(id);
  return id;
}

export async function containerStatus(id: string, verbose = false): Promise<ContainerStatus__Output> {
  const res = await ctx().cri.runtime.call('ContainerStatus', { container_id: id, verbose });
  if (!res.status) throw new Error(`ContainerStatus: status: expected a status for ${id}, got none`);
  return res.status;
}

export async function sandboxStatus(id: string): Promise<PodSandboxStatus__Output> {
  const res = await ctx().cri.runtime.call('PodSandboxStatus', { pod_sandbox_id: id });
  if (!res.status) throw new Error(`PodSandboxStatus: status: expected a status for ${id}, got none`);
  return res.status;
}

export async function waitContainerState(id: string, state: string, timeoutMs = 30_000): Promise<ContainerStatus__Output> {
  return eventually(
    async () => {
      const s = await containerStatus(id);
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

export async function execSync(id: string, cmd: string[], timeoutSeconds = 10): Promise<ExecResult> {
  const res = await ctx().cri.runtime.call('ExecSync', { container_id: id, cmd, timeout: String(timeoutSeconds) }, { extraMs: timeoutSeconds * 1000 });
  return { stdout: res.stdout.toString('utf8'), stderr: res.stderr.toString('utf8'), exitCode: res.exit_code };
}

/** Image id of `ref`, or undefined when the runtime does not have it. */
export async function imageId(ref: string): Promise<string | undefined> {
  const res = await ctx().cri.image.call('ImageStatus', { image: { image: ref } });
  return res.image?.id || undefined;
}

/**
 * Make sure an image is present. Pulled images that were not on the node before the run are removed at
 * the end of the run, never earlier, so other tests can share them.
 */
export async function ensureImage(ref: string, auth?: AuthConfig): Promise<string> {
  const c = ctx();
  const have = await imageId(ref);
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
export async function pullOwnedImage(ref: string, auth?: AuthConfig): Promise<string> {
  const c = ctx();
  const existed = c.preexistingImages.has(ref) || (await imageId(ref)) !== undefined;
  const res = await c.cri.image.call('PullImage', { image: { image: ref }, auth });
  if (!existed) {
    c.testCleanup.push(`image ${ref}`, () => ignoreNotFound(c.cri.image.call('RemoveImage', { image: { image: ref } })));
  }
  return res.image_ref;
}
