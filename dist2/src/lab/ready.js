// The lab's single readiness check: runtime.v1.RuntimeService/Status must answer with the
// RuntimeReady and NetworkReady conditions true.
import { withLabCri } from './cri.js';
export async function criReady(endpoint, timeoutMs = 2000) {
    try {
        const res = await withLabCri(endpoint, (cri) => cri.runtime.call('Status', {}, { timeoutMs }));
        const conds = res.status?.conditions ?? [];
        const bad = [];
        for (const type of ['RuntimeReady', 'NetworkReady']) {
            const c = conds.find((x) => x.type === type);
            if (!c)
                bad.push(`${type} missing`);
            else if (!c.status)
                bad.push(`${type}=false (${[c.reason, c.message].filter(Boolean).join(': ')})`);
        }
        return bad.length ? { ready: false, reason: bad.join('; ') } : { ready: true };
    }
    catch (err) {
        return { ready: false, reason: err.message };
    }
}
//# sourceMappingURL=ready.js.map