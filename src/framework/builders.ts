// Config builders with functional options and random, prefixed names, so tests never collide with each
// other, with a leftover run, or with anything else on the node. Requests carry what the kubelet puts in its
// own (pkg/kubelet/kuberuntime: generatePodSandboxConfig, generateContainerConfig, labels.go): a runtime may
// rely on any of it (CRI-O finds a pod's containers by io.kubernetes.pod.uid, verifies signatures against
// ImageSpec.user_specified_image), so a request without it judges the suite, not the runtime.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
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

/** Label keys the kubelet sets (k8s.io/kubelet/pkg/types labels.go), and reads back from ListPodSandbox and
 * ListContainers to know whose a sandbox or container is. */
export const KUBE_LABEL = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
} as const;

/** Annotation keys the kubelet sets on every container (kuberuntime/labels.go newContainerAnnotations). */
export const KUBE_ANNOTATION = {
  containerHash: 'io.kubernetes.container.hash',
  restartCount: 'io.kubernetes.container.restartCount',
  terminationMessagePath: 'io.kubernetes.container.terminationMessagePath',
  terminationMessagePolicy: 'io.kubernetes.container.terminationMessagePolicy',
  podTerminationGracePeriod: 'io.kubernetes.pod.terminationGracePeriod',
  configSource: 'kubernetes.io/config.source',
  configSeen: 'kubernetes.io/config.seen',
} as const;

/** What a pod from the API server gets by default: terminationMessagePath, terminationMessagePolicy and
 * terminationGracePeriodSeconds (pkg/apis/core/v1/defaults.go), sent by the kubelet as annotations. */
const POD_DEFAULTS = { terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', terminationGracePeriodSeconds: 30 };

/** Sets each key the config does not have yet: what a test gives wins (a test that sends something else on
 * purpose says so in its title), the kubelet's value fills the rest. */
function fill(into: Record<string, string> | undefined, defaults: Record<string, string>): Record<string, string> {
  const out = { ...into }; // the test's own keys first: failure messages show them first
  for (const [k, v] of Object.entries(defaults)) if (!(k in out)) out[k] = v;
  return out;
}

/** The kubelet's pod labels and annotations (labels.go newPodLabels/newPodAnnotations): the pod's own labels
 * plus its name, namespace and uid; the pod's annotations, which always hold the two the kubelet's pod config
 * adds when it first sees a pod (pkg/kubelet/config/config.go: kubernetes.io/config.source, .seen). Keys the
 * config already has are kept. Idempotent: RunPodSandbox applies it again, after a test's own changes. */
export function withKubeletPodMetadata(): SandboxOption {
  return (c) => {
    const m = c.metadata ?? {};
    c.labels = fill(c.labels, { [KUBE_LABEL.podName]: m.name ?? '', [KUBE_LABEL.podNamespace]: m.namespace ?? '', [KUBE_LABEL.podUid]: m.uid ?? '' });
    c.annotations = fill(c.annotations, { [KUBE_ANNOTATION.configSource]: 'api', [KUBE_ANNOTATION.configSeen]: new Date().toISOString() });
  };
}

/** The pod's log directory, the kubelet's way (kuberuntime/util BuildPodLogsDirectory):
 * `<root>/<namespace>_<name>_<uid>`, the root being the suite's own directory instead of /var/log/pods. */
export function podLogDirectory(root: string, m: NonNullable<PodSandboxConfig['metadata']>): string {
  return path.join(root, [m.namespace, m.name, m.uid].join('_'));
}

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
  withKubeletPodMetadata()(c);
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

/** A container as a test describes it. CreateContainer (resources.ts createContainer) completes it the way the
 * kubelet does, from its pod (`kubeletContainerConfig`) and the image's id. `imageRef` is the image as a user
 * names it in a pod spec: it is sent as ImageSpec.user_specified_image, the image id as ImageSpec.image. */
export function containerConfig(prefix: string, imageRef: string, ...opts: ContainerOption[]): ContainerConfig {
  const c: ContainerConfig = {
    metadata: { name: uniqueName(prefix), attempt: 0 },
    image: { image: imageRef, user_specified_image: imageRef },
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

/** The container's log file relative to its pod's log directory, the kubelet's way (kuberuntime_container.go
 * buildContainerLogsPath): `<container name>/<restart count>.log`; the kubelet creates `<log_directory>/<name>/`
 * before CreateContainer (generateContainerConfig), as a runtime need not create missing parents. */
export function containerLogPath(m: NonNullable<ContainerConfig['metadata']>): string {
  return `${m.name}/${m.attempt ?? 0}.log`;
}

/** FNV-1a (32 bits): the kubelet's container hash is a hex uint of its spec (HashContainer); ours hashes the
 * config as the test built it, before the kubelet's labels and annotations. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16);
}

/**
 * What the kubelet's generateContainerConfig puts in a container from its pod (kuberuntime_container.go,
 * labels.go newContainerLabels/newContainerAnnotations), over what the test gave (its keys and fields win):
 * - labels io.kubernetes.container.name and the pod's io.kubernetes.pod.name/.namespace/.uid;
 * - annotations io.kubernetes.container.hash, .restartCount, .terminationMessagePath, .terminationMessagePolicy
 *   and io.kubernetes.pod.terminationGracePeriod (the API server's defaults);
 * - log_path `<name>/<attempt>.log` when the pod has a log_directory (without one a runtime has nowhere the
 *   kubelet would look);
 * - image.user_specified_image: the image as the test named it (the kubelet's container.Image).
 * Pure: the caller resolves image.image to the image id and creates the log directory.
 */
export function kubeletContainerConfig(c: ContainerConfig, pod: PodSandboxConfig): ContainerConfig {
  const m = c.metadata ?? {};
  const pm = pod.metadata ?? {};
  const out: ContainerConfig = { ...c, image: { ...c.image } };
  const hash = fnv1a(JSON.stringify({ ...c, labels: undefined, annotations: undefined }));
  out.labels = fill(c.labels, {
    [KUBE_LABEL.containerName]: m.name ?? '',
    [KUBE_LABEL.podName]: pm.name ?? '',
    [KUBE_LABEL.podNamespace]: pm.namespace ?? '',
    [KUBE_LABEL.podUid]: pm.uid ?? '',
  });
  out.annotations = fill(c.annotations, {
    [KUBE_ANNOTATION.containerHash]: hash,
    [KUBE_ANNOTATION.restartCount]: String(m.attempt ?? 0),
    [KUBE_ANNOTATION.terminationMessagePath]: POD_DEFAULTS.terminationMessagePath,
    [KUBE_ANNOTATION.terminationMessagePolicy]: POD_DEFAULTS.terminationMessagePolicy,
    [KUBE_ANNOTATION.podTerminationGracePeriod]: String(POD_DEFAULTS.terminationGracePeriodSeconds),
  });
  if (!out.log_path && pod.log_directory) out.log_path = containerLogPath(m);
  if (out.image && !out.image.user_specified_image && out.image.image) out.image.user_specified_image = out.image.image;
  return out;
}
