// Tearing down exactly what the lab's containerd left behind: its shims and their containers, the
// mounts under the lab dir (rootfs overlays, shm, pod netns bind mounts), the CNI bridge and IPAM
// leases. Nothing outside the lab's own paths is touched.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { run } from './exec.js';
import { CRI_NAMESPACE } from './layout.js';
import { descendants, isAlive, killNow, listProcs, sleep } from './procs.js';
/** Decode the octal escapes (\040 etc.) mountinfo uses in paths. */
export function unescapeMountPath(p) {
    return p.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}
/** Mount points (field 5 of mountinfo) at or under one of `roots`. */
export function parseMountinfo(text, roots) {
    const out = [];
    for (const line of text.split('\n')) {
        const f = line.split(' ');
        if (f.length < 5)
            continue;
        const mp = unescapeMountPath(f[4]);
        if (roots.some((r) => mp === r || mp.startsWith(r.endsWith('/') ? r : r + '/')))
            out.push(mp);
    }
    return out;
}
export function labMounts(roots) {
    let text = '';
    try {
        text = readFileSync('/proc/self/mountinfo', 'utf8');
    }
    catch {
        return [];
    }
    return parseMountinfo(text, roots);
}
/** Unmount everything under roots, deepest first; lazy unmount as a fallback. Returns leftovers. */
export async function unmountAll(roots, log) {
    for (let pass = 0; pass < 4; pass++) {
        const mounts = [...new Set(labMounts(roots))].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
        if (mounts.length === 0)
            return [];
        if (pass === 0)
            log(`unmounting ${mounts.length} mount(s) under the lab dir`);
        for (const m of mounts) {
            const r = await run('umount', [m], { allowFail: true });
            if (r.code !== 0)
                await run('umount', ['-l', m], { allowFail: true });
        }
    }
    return labMounts(roots);
}
/** containerd-shim processes serving the containerd at `socket` (matched on their -address arg). */
export function shimsFor(socket, procs = listProcs()) {
    return procs.filter((p) => {
        if (!p.argv[0] || !path.basename(p.argv[0]).startsWith('containerd-shim'))
            return false;
        const i = p.argv.indexOf('-address');
        return i >= 0 && p.argv[i + 1] === socket;
    });
}
/**
 * Where a runc v2 shim of containerd 1.6 listens: /run/containerd/s/<sha256(address/ns/id)>.
 * containerd hardcodes that directory even for a private containerd, so we remove our shims'
 * socket files ourselves when we had to kill them.
 */
export function shimSocketPath(address, namespace, id) {
    const h = createHash('sha256').update(path.join(address, namespace, id)).digest('hex');
    return path.join('/run/containerd/s', h);
}
/** Cgroup paths (relative to each hierarchy root) that these processes are in, except the root. */
export function cgroupsOf(pids) {
    const own = new Set(readCgroupPaths(process.pid));
    const out = new Set();
    for (const pid of pids)
        for (const p of readCgroupPaths(pid))
            if (p !== '/' && !own.has(p))
                out.add(p);
    return [...out];
}
function readCgroupPaths(pid) {
    try {
        return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
            .split('\n')
            .map((l) => l.split(':').slice(2).join(':'))
            .filter((p) => p.startsWith('/'));
    }
    catch {
        return [];
    }
}
/** rmdir these cgroups (deepest first) in every mounted hierarchy; non-empty or absent ones stay. */
export function removeCgroups(paths) {
    if (paths.length === 0)
        return;
    let mounts = [];
    try {
        mounts = readFileSync('/proc/self/mountinfo', 'utf8')
            .split('\n')
            .filter((l) => / - cgroup2? /.test(l))
            .map((l) => unescapeMountPath(l.split(' ')[4]));
    }
    catch {
        return;
    }
    const sorted = [...paths].sort((a, b) => b.length - a.length);
    for (const m of mounts) {
        for (const p of sorted) {
            try {
                rmdirSync(path.join(m, p));
            }
            catch {
                /* absent, busy or not empty */
            }
        }
    }
}
/** SIGKILL our shims and every process below them (the containers). Returns how many shims. */
export async function killShims(socket, log) {
    const procs = listProcs();
    const shims = shimsFor(socket, procs);
    if (shims.length === 0)
        return 0;
    log(`killing ${shims.length} leftover containerd-shim process(es) of the lab and their containers`);
    const victims = [];
    const containers = [];
    for (const s of shims) {
        const below = descendants(s.pid, procs);
        containers.push(...below);
        victims.push(...below.reverse(), s.pid);
    }
    const cgroups = cgroupsOf(containers);
    for (const pid of victims)
        killNow(pid);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && victims.some(isAlive))
        await sleep(50);
    removeCgroups(cgroups);
    for (const s of shims) {
        const ni = s.argv.indexOf('-namespace');
        const ii = s.argv.indexOf('-id');
        const ns = ni >= 0 ? s.argv[ni + 1] : CRI_NAMESPACE;
        if (ii >= 0)
            rmSync(shimSocketPath(socket, ns, s.argv[ii + 1]), { force: true });
    }
    return shims.length;
}
export async function linkExists(name) {
    if (existsSync(`/sys/class/net/${name}`))
        return true;
    return false;
}
export async function deleteLink(name, log) {
    if (!(await linkExists(name)))
        return;
    log(`deleting CNI bridge ${name}`);
    await run('ip', ['link', 'delete', name], { allowFail: true });
}
/** Named netns under a directory (pod netns of our containerd live under its state dir). */
export function netnsUnder(dir) {
    return labMounts([dir]).filter((m) => /\/netns\/cni-[^/]+$/.test(m));
}
/**
 * Rules portmap left for pods of our CNI network that were never torn down (containerd killed):
 * the jumps in CNI-HOSTPORT-DNAT whose comment names our network, and the per-pod chains they
 * target. portmap's shared top-level chains are left alone (any CNI user on the host shares them).
 */
export function portmapLeftovers(rulesText, network) {
    const rules = [];
    const chains = new Set();
    const needle = `name: \\"${network}\\" id:`;
    for (const line of rulesText.split('\n')) {
        if (!line.startsWith('-A CNI-HOSTPORT-DNAT ') || !line.includes(needle))
            continue;
        rules.push(line);
        const m = / -j (CNI-DN-[0-9a-f]+)\b/.exec(line);
        if (m)
            chains.add(m[1]);
    }
    return { rules, chains: [...chains] };
}
export async function removePortmapRules(network, log) {
    const listed = await run('iptables', ['-w', '-t', 'nat', '-S', 'CNI-HOSTPORT-DNAT'], { allowFail: true }).catch(() => undefined);
    if (!listed || listed.code !== 0)
        return;
    const { rules, chains } = portmapLeftovers(listed.stdout, network);
    if (rules.length === 0)
        return;
    log(`removing ${rules.length} leftover hostPort rule(s) of CNI network ${network}`);
    for (const r of rules) {
        // -S prints rules shell-quoted; let sh split it back into arguments.
        await run('sh', ['-c', `iptables -w -t nat ${r.replace(/^-A /, '-D ')}`], { allowFail: true });
    }
    for (const c of chains) {
        await run('iptables', ['-w', '-t', 'nat', '-F', c], { allowFail: true });
        await run('iptables', ['-w', '-t', 'nat', '-X', c], { allowFail: true });
    }
}
//# sourceMappingURL=cleanup.js.map