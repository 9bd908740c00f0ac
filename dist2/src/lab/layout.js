// Where everything of one lab lives. All paths are private to the lab: nothing here is a path of
// the system containerd (/var/lib/containerd, /run/containerd, /etc/containerd, /etc/cni, cni0).
import { createHash } from 'node:crypto';
import path from 'node:path';
export const DEFAULT_LAB_DIR = '/var/lib/cri-conformance/lab';
/** Unix socket paths must stay under 108 bytes (sun_path), so sockets live under /run. */
export const RUN_BASE = '/run/cri-conformance';
export const MAX_SOCKET_PATH = 107;
export const BRIDGE_NAME = 'cricf0';
export const POD_SUBNET = '10.233.0.0/24';
export const CNI_NETWORK_NAME = 'cri-conformance';
export const CRI_NAMESPACE = 'k8s.io';
/** Short stable id of a lab dir: used to keep the socket path short for non-default dirs. */
export function labId(dir) {
    return createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 10);
}
export function labLayout(dirIn) {
    const dir = path.resolve(dirIn ?? DEFAULT_LAB_DIR);
    const runDir = dir === DEFAULT_LAB_DIR ? RUN_BASE : path.join(RUN_BASE, labId(dir));
    const socket = path.join(runDir, 'containerd.sock');
    const cd = path.join(dir, 'containerd');
    const reg = path.join(dir, 'registry');
    const isDefault = dir === DEFAULT_LAB_DIR;
    const id = labId(dir);
    return {
        dir,
        bridge: isDefault ? BRIDGE_NAME : `cricf${id.slice(0, 8)}`,
        network: isDefault ? CNI_NETWORK_NAME : `${CNI_NETWORK_NAME}-${id}`,
        subnet: isDefault ? POD_SUBNET : `10.233.${1 + (parseInt(id.slice(0, 4), 16) % 254)}.0/24`,
        runDir,
        socket,
        stateFile: path.join(dir, 'state.json'),
        resolvedImages: path.join(dir, 'images.resolved.json'),
        authFile: path.join(dir, 'auth.json'),
        configDir: path.join(dir, 'config'),
        containerdConfig: path.join(dir, 'config', 'containerd.toml'),
        certsDir: path.join(dir, 'certs.d'),
        cniConfDir: path.join(dir, 'cni', 'net.d'),
        cniIpamDir: path.join(dir, 'cni', 'ipam'),
        containerdRoot: path.join(cd, 'root'),
        containerdState: path.join(cd, 'state'),
        containerdOpt: path.join(cd, 'opt'),
        runcRoot: path.join(cd, 'runc'),
        crunRoot: path.join(cd, 'crun'),
        registryDir: reg,
        registryPublicStorage: path.join(reg, 'public'),
        registryAuthStorage: path.join(reg, 'auth'),
        htpasswd: path.join(dir, 'config', 'htpasswd'),
        cacheDir: path.join(dir, 'cache'),
        logDir: path.join(dir, 'logs'),
        pidDir: path.join(dir, 'pids'),
        tmpDir: path.join(dir, 'tmp'),
    };
}
/** Directories whose mounts belong to this lab (for cleanup). Nothing is ever mounted under runDir. */
export function labMountRoots(l) {
    return [l.dir];
}
//# sourceMappingURL=layout.js.map