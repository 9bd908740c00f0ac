// Thin wrappers of the lifecycle and list calls suites make often (lists answer [] rather than undefined).
import type { PodSandboxFilter } from '../gen/v1/runtime/v1/PodSandboxFilter.js';
import type { PodSandbox__Output } from '../gen/v1/runtime/v1/PodSandbox.js';
import type { ContainerFilter } from '../gen/v1/runtime/v1/ContainerFilter.js';
import type { Container__Output } from '../gen/v1/runtime/v1/Container.js';
import type { TestContext } from './context.js';

export async function listPodSandboxes(t: TestContext, filter?: PodSandboxFilter): Promise<PodSandbox__Output[]> {
  const res = await t.cri.runtime.call('ListPodSandbox', filter ? { filter } : {});
  return res.items ?? [];
}

export async function listContainers(t: TestContext, filter?: ContainerFilter): Promise<Container__Output[]> {
  const res = await t.cri.runtime.call('ListContainers', filter ? { filter } : {});
  return res.containers ?? [];
}

export async function stopPodSandbox(t: TestContext, id: string): Promise<void> {
  await t.cri.runtime.call('StopPodSandbox', { pod_sandbox_id: id });
}

export async function removePodSandbox(t: TestContext, id: string): Promise<void> {
  await t.cri.runtime.call('RemovePodSandbox', { pod_sandbox_id: id });
}

export async function stopContainer(t: TestContext, id: string, timeoutSeconds = 0): Promise<void> {
  await t.cri.runtime.call('StopContainer', { container_id: id, timeout: String(timeoutSeconds) }, { extraMs: timeoutSeconds * 1000 });
}

export async function removeContainer(t: TestContext, id: string): Promise<void> {
  await t.cri.runtime.call('RemoveContainer', { container_id: id });
}

export async function removeImage(t: TestContext, ref: string): Promise<void> {
  await t.cri.image.call('RemoveImage', { image: { image: ref } });
}
