// Every RPC has a deadline. Defaults follow what each kind of call costs on a healthy runtime;
// --timeout scales the base so a slow runtime can be given more room without editing code.
export function makeTimeouts(baseSeconds = 20) {
    const base = baseSeconds * 1000;
    return { baseMs: base, lifecycleMs: base * 3, pullMs: base * 15, connectMs: Math.min(base, 10_000) };
}
const LIFECYCLE = new Set([
    'RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'CreateContainer', 'StartContainer', 'StopContainer',
    'RemoveContainer', 'ExecSync', 'Exec', 'Attach', 'PortForward', 'CheckpointContainer', 'UpdateContainerResources',
    'UpdatePodSandboxResources', 'RemoveImage', 'ReopenContainerLog',
]);
export function deadlineFor(t, rpc) {
    if (rpc === 'PullImage')
        return t.pullMs;
    if (LIFECYCLE.has(rpc))
        return t.lifecycleMs;
    return t.baseMs;
}
//# sourceMappingURL=timeouts.js.map