export async function listPodSandboxes(t, filter) {
    const res = await t.cri.runtime.call('ListPodSandbox', filter ? { filter } : {});
    return res.items ?? [];
}
export async function listContainers(t, filter) {
    const res = await t.cri.runtime.call('ListContainers', filter ? { filter } : {});
    return res.containers ?? [];
}
export async function stopPodSandbox(t, id) {
    await t.cri.runtime.call('StopPodSandbox', { pod_sandbox_id: id });
}
export async function removePodSandbox(t, id) {
    await t.cri.runtime.call('RemovePodSandbox', { pod_sandbox_id: id });
}
export async function stopContainer(t, id, timeoutSeconds = 0) {
    await t.cri.runtime.call('StopContainer', { container_id: id, timeout: String(timeoutSeconds) }, { extraMs: timeoutSeconds * 1000 });
}
export async function removeContainer(t, id) {
    await t.cri.runtime.call('RemoveContainer', { container_id: id });
}
export async function removeImage(t, ref) {
    await t.cri.image.call('RemoveImage', { image: { image: ref } });
}
//# sourceMappingURL=sandbox.js.map