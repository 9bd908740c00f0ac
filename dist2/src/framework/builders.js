// Config builders with functional options and random, prefixed names, so tests never collide with each
// other, with a leftover run, or with anything else on the node.
import { randomBytes } from 'node:crypto';
/** What the kubelet sends by default: network and IPC shared by the pod, a PID namespace per container
 * (NamespaceMode's zero value is POD, which would mean shareProcessNamespace). */
export const KUBELET_NAMESPACES = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' };
export const randomSuffix = (n = 6) => randomBytes(n).toString('hex').slice(0, n);
export const uniqueName = (prefix) => `crc-${prefix}-${randomSuffix()}`;
export function podSandboxConfig(prefix, ...opts) {
    const name = uniqueName(prefix);
    const c = {
        metadata: { name, uid: `${name}-uid-${randomSuffix(8)}`, namespace: `crc-ns-${randomSuffix()}`, attempt: 0 },
        hostname: name.slice(0, 63),
        labels: {},
        annotations: {},
        linux: { security_context: { namespace_options: { ...KUBELET_NAMESPACES } } },
    };
    for (const o of opts)
        o(c);
    return c;
}
export const withSandboxLabels = (labels) => (c) => {
    c.labels = { ...c.labels, ...labels };
};
export const withSandboxAnnotations = (a) => (c) => {
    c.annotations = { ...c.annotations, ...a };
};
export const withHostname = (h) => (c) => {
    c.hostname = h;
};
export const withDns = (dns) => (c) => {
    c.dns_config = dns;
};
export const withLogDirectory = (dir) => (c) => {
    c.log_directory = dir;
};
export const withSysctls = (s) => (c) => {
    c.linux = { ...c.linux, sysctls: { ...(c.linux?.sysctls ?? {}), ...s } };
};
export const withCgroupParent = (p) => (c) => {
    c.linux = { ...c.linux, cgroup_parent: p };
};
export const withSandboxMetadata = (m) => (c) => {
    c.metadata = { ...m };
};
export const withHostNetwork = () => (c) => {
    const sc = c.linux?.security_context ?? {};
    c.linux = { ...c.linux, security_context: { ...sc, namespace_options: { ...sc.namespace_options, network: 'NODE' } } };
};
export const withPortMapping = (containerPort, hostPort) => (c) => {
    c.port_mappings = [...(c.port_mappings ?? []), { protocol: 'TCP', container_port: containerPort, host_port: hostPort, host_ip: '127.0.0.1' }];
};
export function containerConfig(prefix, imageRef, ...opts) {
    const c = {
        metadata: { name: uniqueName(prefix), attempt: 0 },
        image: { image: imageRef },
        labels: {},
        annotations: {},
        linux: { security_context: { namespace_options: { ...KUBELET_NAMESPACES } } },
    };
    for (const o of opts)
        o(c);
    return c;
}
export const withCommand = (...command) => (c) => {
    c.command = command;
};
export const withArgs = (...args) => (c) => {
    c.args = args;
};
/** `sh -c script`: the most common shape of a test workload. */
export const withShell = (script) => (c) => {
    c.command = ['sh', '-c', script];
};
export const withEnv = (env) => (c) => {
    c.envs = [...(c.envs ?? []), ...Object.entries(env).map(([key, value]) => ({ key, value }))];
};
export const withWorkingDir = (dir) => (c) => {
    c.working_dir = dir;
};
export const withLabels = (labels) => (c) => {
    c.labels = { ...c.labels, ...labels };
};
export const withAnnotations = (a) => (c) => {
    c.annotations = { ...c.annotations, ...a };
};
export const withLogPath = (p) => (c) => {
    c.log_path = p;
};
export const withMount = (hostPath, containerPath, readonly = false) => (c) => {
    c.mounts = [...(c.mounts ?? []), { host_path: hostPath, container_path: containerPath, readonly }];
};
export const withMemoryLimit = (bytes) => (c) => {
    c.linux = { ...c.linux, resources: { ...c.linux?.resources, memory_limit_in_bytes: String(bytes) } };
};
export const withCpu = (quota, period, shares) => (c) => {
    c.linux = { ...c.linux, resources: { ...c.linux?.resources, cpu_quota: String(quota), cpu_period: String(period), ...(shares ? { cpu_shares: String(shares) } : {}) } };
};
export const withReadonlyRootfs = () => (c) => {
    c.linux = { ...c.linux, security_context: { ...c.linux?.security_context, readonly_rootfs: true } };
};
export const withRunAsUser = (uid) => (c) => {
    c.linux = { ...c.linux, security_context: { ...c.linux?.security_context, run_as_user: { value: String(uid) } } };
};
export const withStdin = () => (c) => {
    c.stdin = true;
};
export const withTty = () => (c) => {
    c.tty = true;
};
//# sourceMappingURL=builders.js.map