// Config builders with functional options and random, prefixed names, so tests never collide with each
// other, with a leftover run, or with anything else on the node.
import { randomBytes } from 'node:crypto';
import type { PodSandboxConfig } from '../gen/v1/runtime/v1/PodSandboxConfig.js';
import type { ContainerConfig } from '../gen/v1/runtime/v1/ContainerConfig.js';
import type { NamespaceOption } from '../gen/v1/runtime/v1/NamespaceOption.js';

/** What the kubelet sends by default: network and IPC shared by the pod, a PID namespace per container
 * (NamespaceMode's zero value is POD, which would mean shareProcessNamespace). */
export const KUBELET_NAMESPACES = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } as const;

export const randomSuffix = (n = 6): string => randomBytes(n).toString('hex').slice(0, n);
export const uniqueName = (prefix: string): string => `crc-${prefix}-${randomSuffix()}`;

export type SandboxOption = (c: PodSandboxConfig) => void;
export type ContainerOption = (c: ContainerConfig) => void;

export function podSandboxConfig(prefix: string, ...opts: SandboxOption[]): PodSandboxConfig {
  const name = uniqueName(prefix);
  const c: PodSandboxConfig = {
    metadata: { name, uid: `${name}-uid-${randomSuffix(8)}`, namespace: `crc-ns-${randomSuffix()}`, attempt: 0 },
    hostname: name.slice(0, 63),
    labels: {},
    annotations: {},
    linux: { security_context: { namespace_options: { ...KUBELET_NAMESPACES } } },
  };
  for (const o of opts) o(c);
  return c;
}

export const withSandboxLabels = (labels: Record<string, string>): SandboxOption => (c) => {
  c.labels = { ...c.labels, ...labels };
};
export const withSandboxAnnotations = (a: Record<string, string>): SandboxOption => (c) => {
  c.annotations = { ...c.annotations, ...a };
};
export const withHostname = (h: string): SandboxOption => (c) => {
  c.hostname = h;
};
export const withDns = (dns: { servers: string[]; searches: string[]; options: string[] }): SandboxOption => (c) => {
  c.dns_config = dns;
};
export const withLogDirectory = (dir: string): SandboxOption => (c) => {
  c.log_directory = dir;
};
export const withSysctls = (s: Record<string, string>): SandboxOption => (c) => {
  c.linux = { ...c.linux, sysctls: { ...(c.linux?.sysctls ?? {}), ...s } };
};
export const withCgroupParent = (p: string): SandboxOption => (c) => {
  c.linux = { ...c.linux, cgroup_parent: p };
};
export const withSandboxMetadata = (m: NonNullable<PodSandboxConfig['metadata']>): SandboxOption => (c) => {
  c.metadata = { ...m };
};
export const withHostNetwork = (): SandboxOption => (c) => {
  const sc = c.linux?.security_context ?? {};
  c.linux = { ...c.linux, security_context: { ...sc, namespace_options: { ...sc.namespace_options, network: 'NODE' } } };
};
/** hostIp as the kubelet sends it (kuberuntime_sandbox.go generatePodSandboxConfig: the container port's hostIP,
 * normally empty, i.e. every node address); a test that binds one address says so. */
export const withPortMapping = (containerPort: number, hostPort: number, hostIp = ''): SandboxOption => (c) => {
  c.port_mappings = [...(c.port_mappings ?? []), { protocol: 'TCP', container_port: containerPort, host_port: hostPort, host_ip: hostIp }];
};

export function containerConfig(prefix: string, imageRef: string, ...opts: ContainerOption[]): ContainerConfig {
  const c: ContainerConfig = {
    metadata: { name: uniqueName(prefix), attempt: 0 },
    image: { image: imageRef },
    labels: {},
    annotations: {},
    linux: { security_context: { namespace_options: { ...KUBELET_NAMESPACES } } },
  };
  for (const o of opts) o(c);
  return c;
}

export const withCommand = (...command: string[]): ContainerOption => (c) => {
  c.command = command;
};
export const withArgs = (...args: string[]): ContainerOption => (c) => {
  c.args = args;
};
/** `sh -c script`: the most common shape of a test workload. */
export const withShell = (script: string): ContainerOption => (c) => {
  c.command = ['sh', '-c', script];
};
export const withEnv = (env: Record<string, string>): ContainerOption => (c) => {
  c.envs = [...(c.envs ?? []), ...Object.entries(env).map(([key, value]) => ({ key, value }))];
};
export const withWorkingDir = (dir: string): ContainerOption => (c) => {
  c.working_dir = dir;
};
export const withLabels = (labels: Record<string, string>): ContainerOption => (c) => {
  c.labels = { ...c.labels, ...labels };
};
export const withAnnotations = (a: Record<string, string>): ContainerOption => (c) => {
  c.annotations = { ...c.annotations, ...a };
};
export const withLogPath = (p: string): ContainerOption => (c) => {
  c.log_path = p;
};
export const withMount = (hostPath: string, containerPath: string, readonly = false): ContainerOption => (c) => {
  c.mounts = [...(c.mounts ?? []), { host_path: hostPath, container_path: containerPath, readonly }];
};
export const withMemoryLimit = (bytes: number): ContainerOption => (c) => {
  c.linux = { ...c.linux, resources: { ...c.linux?.resources, memory_limit_in_bytes: String(bytes) } };
};
export const withCpu = (quota: number, period: number, shares?: number): ContainerOption => (c) => {
  c.linux = { ...c.linux, resources: { ...c.linux?.resources, cpu_quota: String(quota), cpu_period: String(period), ...(shares ? { cpu_shares: String(shares) } : {}) } };
};
export const withReadonlyRootfs = (): ContainerOption => (c) => {
  c.linux = { ...c.linux, security_context: { ...c.linux?.security_context, readonly_rootfs: true } };
};
export const withRunAsUser = (uid: number): ContainerOption => (c) => {
  c.linux = { ...c.linux, security_context: { ...c.linux?.security_context, run_as_user: { value: String(uid) } } };
};
export const withStdin = (): ContainerOption => (c) => {
  c.stdin = true;
};
export const withTty = (): ContainerOption => (c) => {
  c.tty = true;
};

/** Namespace modes to set over the kubelet defaults (KUBELET_NAMESPACES); target_id goes with pid TARGET. */
export type NamespaceModes = Partial<Pick<NamespaceOption, 'network' | 'pid' | 'ipc' | 'target_id'>>;
export const withSandboxNamespaces = (modes: NamespaceModes): SandboxOption => (c) => {
  const sc = c.linux?.security_context ?? {};
  c.linux = { ...c.linux, security_context: { ...sc, namespace_options: { ...sc.namespace_options, ...modes } } };
};
export const withNamespaces = (modes: NamespaceModes): ContainerOption => (c) => {
  const sc = c.linux?.security_context ?? {};
  c.linux = { ...c.linux, security_context: { ...sc, namespace_options: { ...sc.namespace_options, ...modes } } };
};
