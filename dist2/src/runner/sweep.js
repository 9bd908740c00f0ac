import { RUN_LABEL } from '../framework/context.js';
/**
 * Removes this run's objects; with runId undefined, those of every cri-conformance run (the `cleanup`
 * command, after a run that could not clean up because the runtime died under it).
 */
export async function sweepRun(cri, runId) {
    const removed = [];
    const errors = [];
    const mine = (labels) => (runId === undefined ? RUN_LABEL in (labels ?? {}) : labels?.[RUN_LABEL] === runId);
    const filter = runId === undefined ? {} : { label_selector: { [RUN_LABEL]: runId } };
    const attempt = async (what, fn) => {
        try {
            await fn();
            removed.push(what);
        }
        catch (e) {
            errors.push(`${what}: ${e.message}`);
        }
    };
    // Each listing on its own: a failing ListContainers must not stop the sandbox sweep.
    try {
        const cs = await cri.runtime.call('ListContainers', { filter });
        for (const c of cs.containers.filter((c) => mine(c.labels))) {
            await attempt(`container ${c.id}`, () => cri.runtime.call('RemoveContainer', { container_id: c.id }));
        }
    }
    catch (e) {
        errors.push(`listing this run's containers failed: ${e.message}`);
    }
    try {
        const ps = await cri.runtime.call('ListPodSandbox', { filter });
        for (const p of ps.items.filter((p) => mine(p.labels))) {
            await attempt(`pod sandbox ${p.id}`, async () => {
                await cri.runtime.call('StopPodSandbox', { pod_sandbox_id: p.id });
                await cri.runtime.call('RemovePodSandbox', { pod_sandbox_id: p.id });
            });
        }
    }
    catch (e) {
        errors.push(`listing this run's pod sandboxes failed: ${e.message}`);
    }
    return { removed, errors };
}
//# sourceMappingURL=sweep.js.map