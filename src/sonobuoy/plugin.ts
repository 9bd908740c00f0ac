// The Sonobuoy plugin definition (`cri-conformance sonobuoy-plugin`): a DaemonSet-driver plugin whose
// container runs `cri-conformance sonobuoy-run` on every node against that node's CRI socket, and hands
// the JUnit report to the Sonobuoy worker through the results directory and its `done` file.

import { stringify } from 'yaml';
import { UsageError } from '../errors.js';
import { TOOL } from '../version.js';

/** Where the package lives in the suite's image (src/tools/build-image.mjs puts it there). */
export const IMAGE_APP_DIR = '/opt/cri-conformance';
export const IMAGE_NODE = '/usr/local/bin/node';
export const IMAGE_CLI = `${IMAGE_APP_DIR}/node_modules/cri-conformance/dist/src/cli.js`;
/** The socket's path inside the plugin container. */
export const SOCKET_IN_POD = '/run/cri-conformance/cri.sock';
/** The results directory Sonobuoy mounts into a plugin container (and says in SONOBUOY_RESULTS_DIR). */
export const SONOBUOY_RESULTS_DIR = '/tmp/sonobuoy/results';

export interface PluginOptions {
  /** Image of the suite (default `cri-conformance:<version>`: build it and push it to your registry). */
  image?: string;
  pluginName?: string;
  /** The node's CRI socket on the host (default unix:///run/containerd/containerd.sock). */
  runtimeEndpoint?: string;
  kubernetes?: string;
  runtimeHandler?: string;
  registryPrefix?: string;
  suites?: string[];
  focus?: string[];
  skip?: string[];
  jobs?: number;
  /** key=value labels a node must have. */
  nodeSelector?: string[];
  /** key[=value][:Effect], or "all" (the default: run on every node, tainted or not). */
  tolerations?: string[];
  /** Host directory the tests create their bind-mount sources in (mounted at the same path in the pod). */
  workDir?: string;
}

type Obj = Record<string, unknown>;

function hostSocketPath(endpoint: string): string {
  const p = endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint;
  if (!p.startsWith('/')) {
    throw new UsageError(`--runtime-endpoint "${endpoint}": the plugin mounts the node's socket, so give unix:///path or /path`);
  }
  return p;
}

function parseNodeSelector(list: string[]): Record<string, string> | undefined {
  if (!list.length) return undefined;
  const out: Record<string, string> = {};
  for (const s of list) {
    const m = /^([A-Za-z0-9][-A-Za-z0-9_./]*)=([-A-Za-z0-9_.]*)$/.exec(s);
    if (!m) throw new UsageError(`--node-selector "${s}": want key=value, e.g. kubernetes.io/os=linux`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

function parseToleration(s: string): Obj[] {
  if (s === 'all') return [{ operator: 'Exists' }];
  const m = /^([A-Za-z0-9][-A-Za-z0-9_./]*)(?:=([-A-Za-z0-9_.]*))?(?::(NoSchedule|PreferNoSchedule|NoExecute))?$/.exec(s);
  if (!m) throw new UsageError(`--toleration "${s}": want key[=value][:NoSchedule|PreferNoSchedule|NoExecute], or all`);
  const t: Obj = { key: m[1]!, operator: m[2] !== undefined ? 'Equal' : 'Exists' };
  if (m[2] !== undefined) t['value'] = m[2];
  if (m[3]) t['effect'] = m[3];
  return [t];
}

/** The `cri-conformance run` flags the plugin container passes on (after `sonobuoy-run --linger`). */
function runArgs(o: PluginOptions): string[] {
  const a: string[] = [];
  if (o.kubernetes) a.push('--kubernetes', o.kubernetes);
  if (o.runtimeHandler) a.push('--runtime-handler', o.runtimeHandler);
  if (o.registryPrefix) a.push('--registry-prefix', o.registryPrefix);
  for (const s of o.suites ?? []) a.push('--suite', s);
  for (const f of o.focus ?? []) a.push('--focus', f);
  for (const s of o.skip ?? []) a.push('--skip', s);
  if (o.jobs && o.jobs > 1) a.push('--jobs', String(Math.floor(o.jobs)));
  return a;
}

/** The plugin definition as an object (what `sonobuoy run --plugin FILE` reads). */
export function pluginDefinition(o: PluginOptions = {}): Obj {
  const name = o.pluginName ?? 'cri-conformance';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new UsageError(`--plugin-name "${name}": want a DNS label (lowercase letters, digits, dashes)`);
  const socket = hostSocketPath(o.runtimeEndpoint ?? 'unix:///run/containerd/containerd.sock');
  const workDir = o.workDir ?? '/var/lib/cri-conformance/tmp';
  if (!workDir.startsWith('/')) throw new UsageError(`--work-dir "${workDir}": want an absolute host path`);
  const nodeSelector = parseNodeSelector(o.nodeSelector ?? []);
  const tolerations = (o.tolerations?.length ? o.tolerations : ['all']).flatMap(parseToleration);

  const spec: Obj = {
    name: 'plugin',
    image: o.image ?? `cri-conformance:${TOOL.version}`,
    imagePullPolicy: 'IfNotPresent',
    // '--': what follows are `run` flags, passed through untouched.
    command: [IMAGE_NODE, IMAGE_CLI, 'sonobuoy-run', '--linger', '--'],
    args: runArgs(o),
    env: [
      // The JUnit file is named for the node, so a fleet's files never collide once gathered.
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'CONTAINER_RUNTIME_ENDPOINT', value: `unix://${SOCKET_IN_POD}` },
      // Tests bind-mount directories they create: the runtime resolves those paths on the host, so the
      // suite's temp dir is a host directory mounted at the same path.
      { name: 'TMPDIR', value: workDir },
    ],
    // The CRI socket is root's on every distribution's kubelet node.
    securityContext: { runAsUser: 0 },
    volumeMounts: [
      { name: 'results', mountPath: SONOBUOY_RESULTS_DIR },
      { name: 'cri-socket', mountPath: SOCKET_IN_POD },
      { name: 'cri-conformance-work', mountPath: workDir },
    ],
  };
  const podSpec: Obj = {
    // Sonobuoy adds its worker container and the `results` volume; it never removes what is here.
    containers: [],
    // The runtime's streaming server (Exec/Attach/PortForward URLs) usually listens on the node's loopback.
    hostNetwork: true,
    dnsPolicy: 'ClusterFirstWithHostNet',
    serviceAccountName: 'sonobuoy-serviceaccount',
    tolerations,
    ...(nodeSelector ? { nodeSelector } : {}),
    volumes: [
      { name: 'cri-socket', hostPath: { path: socket, type: 'Socket' } },
      { name: 'cri-conformance-work', hostPath: { path: workDir, type: 'DirectoryOrCreate' } },
    ],
  };
  return {
    'sonobuoy-config': {
      driver: 'DaemonSet',
      'plugin-name': name,
      'result-format': 'junit',
      description: `CRI conformance (${TOOL.name} ${TOOL.version}) of each node's container runtime through its CRI socket`,
    },
    podSpec,
    spec,
  };
}

export function pluginYaml(o: PluginOptions = {}): string {
  return stringify(pluginDefinition(o), { lineWidth: 0 });
}
