// Graceful teardown through CRI: stop and remove every pod sandbox of the lab containerd, so CNI
// DEL runs (IPAM leases, portmap rules, veths), netns are released and shims exit by themselves.
import { withLabCri } from './cri.js';
export function cleanupPods(endpoint, log, budgetMs = 60_000) {
    return withLabCri(endpoint, (cri) => removeAll(cri, log, budgetMs));
}
async function removeAll(cri, log, budgetMs) {
    const deadline = Date.now() + budgetMs;
    let removed = 0;
    try {
        const res = await cri.runtime.call('ListPodSandbox', {}, { timeoutMs: 10_000 });
        const ids = (res.items ?? []).map((p) => p.id);
        if (ids.length)
            log(`stopping and removing ${ids.length} pod sandbox(es) through CRI`);
        let ok = true;
        for (const id of ids) {
            const left = Math.max(1000, deadline - Date.now());
            try {
                await cri.runtime.call('StopPodSandbox', { pod_sandbox_id: id }, { timeoutMs: Math.min(left, 30_000) });
                await cri.runtime.call('RemovePodSandbox', { pod_sandbox_id: id }, { timeoutMs: Math.min(left, 30_000) });
                removed++;
            }
            catch (err) {
                ok = false;
                log(`could not remove pod sandbox ${id.slice(0, 12)}: ${err.message}`);
            }
            if (Date.now() > deadline) {
                ok = false;
                break;
            }
        }
        return { ok, removed };
    }
    catch (err) {
        log(`CRI cleanup skipped: ${err.message}`);
        return { ok: false, removed };
    }
}
//# sourceMappingURL=pods.js.map