/** RPC names a test declares with `[RPC:Name]` (or `[RPC:A,B]`) in its title. */
export function rpcTags(t) {
    const tags = t.tags.length ? t.tags : [...(t.fullTitle || t.title).matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]);
    return tags
        .filter((x) => x.startsWith('RPC:'))
        .flatMap((x) => x.slice(4).split(','))
        .map((s) => s.trim())
        .filter(Boolean);
}
/** Feature names a test declares with `[Feature:X]`. */
export function featureTags(t) {
    return t.tags.filter((x) => x.startsWith('Feature:')).map((x) => x.slice(8).trim());
}
const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;
function versionReasons(p, neg) {
    const per = [
        { svc: 'RuntimeService', got: neg.runtime },
        { svc: 'ImageService', got: neg.image },
    ];
    const missing = per.filter((x) => x.got === null);
    const wrong = per.filter((x) => x.got !== null && !p.criVersions.includes(x.got));
    const out = [];
    if (missing.length) {
        const which = missing.length === 2 ? 'no CRI version negotiated' : `no CRI version negotiated for ${missing[0].svc}`;
        out.push(neg.reason ? `${which} (${neg.reason})` : which);
    }
    if (wrong.length) {
        const want = p.criVersions.join(' or ');
        // A forced version says nothing about what the runtime serves: say what the run used.
        if (neg.forced)
            out.push(`needs ${want}; this run used ${neg.forced} (forced with --cri-version)`);
        else if (wrong.length === 2 && wrong[0].got === wrong[1].got)
            out.push(`${want} not served (negotiated ${wrong[0].got})`);
        else
            for (const w of wrong)
                out.push(`${want} ${w.svc} not served (negotiated ${w.got})`);
    }
    return out;
}
/**
 * UNIMPLEMENTED answers that count against a release. The v1 startup probe (Version / ImageFsInfo) that
 * led to a fallback to v1alpha2 is not counted: releases accepting v1alpha2 do the same fallback, and
 * for the others the version reason already says v1 is not served.
 */
function unimplementedCount(run, rpc) {
    let n = run.rpcs?.[rpc]?.unimplemented ?? 0;
    if (rpc === 'Version' && run.negotiated.runtime === 'v1alpha2')
        n -= 1;
    if (rpc === 'ImageFsInfo' && run.negotiated.image === 'v1alpha2')
        n -= 1;
    return Math.max(0, n);
}
export function judge(p, run, rpcsByTest = {}) {
    const reasons = versionReasons(p, run.negotiated);
    for (const [rpc, req] of Object.entries(p.rpcs)) {
        if (req !== 'required')
            continue;
        const n = unimplementedCount(run, rpc);
        if (n > 0)
            reasons.push(`${rpc} answered UNIMPLEMENTED${n > 1 ? ` ${n}x` : ''} (required by kubelet ${p.kubelet})`);
    }
    // Failed tests that exercise an RPC this release requires. Optional tests and tests of features
    // the release cannot use do not count.
    const failedByRpc = new Map();
    // A failed test whose RPCs are not declared still means the runtime broke the contract this release uses.
    const unattributed = [];
    for (const s of run.suites) {
        for (const t of s.tests) {
            // [Strict]: the contract requires it but the kubelet tolerates the deviation (e.g. NOT_FOUND from a Stop*).
            if (t.status !== 'failed' || t.tags.includes('Optional') || t.tags.includes('Strict'))
                continue;
            if (featureTags(t).some((f) => p.features[f] === false))
                continue;
            const rpcs = new Set([...rpcTags(t), ...(rpcsByTest[t.id] ?? [])]);
            if (rpcs.size === 0)
                unattributed.push(t.id);
            for (const rpc of rpcs) {
                if (p.rpcs[rpc] !== 'required')
                    continue;
                const ids = failedByRpc.get(rpc) ?? [];
                ids.push(t.id);
                failedByRpc.set(rpc, ids);
            }
        }
    }
    for (const [rpc, ids] of failedByRpc) {
        const shown = ids.slice(0, 2).map((i) => `"${i}"`).join(', ');
        reasons.push(`${plural(ids.length, 'failed test')} exercise required RPC ${rpc} (${shown}${ids.length > 2 ? ', ...' : ''})`);
    }
    if (unattributed.length) {
        const shown = unattributed.slice(0, 2).map((i) => `"${i}"`).join(', ');
        reasons.push(`${plural(unattributed.length, 'conformance test')} failed (${shown}${unattributed.length > 2 ? ', ...' : ''})`);
    }
    return { kubelet: p.kubelet, compatible: reasons.length === 0, reasons };
}
export function matrixFor(set, run, rpcsByTest) {
    return set.minors.map((m) => judge(set.profiles[m], run, rpcsByTest));
}
/**
 * One line per run of consecutive releases with the same verdict:
 * "1.23–1.25  compatible" / "1.26  not compatible: v1 not served (negotiated v1alpha2)".
 */
export function formatMatrix(verdicts) {
    const groups = [];
    const same = (a, b) => a.compatible === b.compatible && a.reasons.join('\n') === b.reasons.join('\n');
    for (const v of verdicts) {
        const last = groups[groups.length - 1];
        if (last && same(last.v, v))
            last.to = v.kubelet;
        else
            groups.push({ from: v.kubelet, to: v.kubelet, v });
    }
    const label = (g) => (g.from === g.to ? g.from : `${g.from}–${g.to}`);
    const w = Math.max(4, ...groups.map((g) => label(g).length)) + 2;
    return groups
        .map((g) => `${label(g).padEnd(w)}${g.v.compatible ? 'compatible' : `not compatible: ${g.v.reasons.join('; ')}`}`)
        .join('\n');
}
//# sourceMappingURL=matrix.js.map