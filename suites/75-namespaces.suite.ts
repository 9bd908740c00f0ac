// Namespaces: the PID, IPC and network namespace modes the kubelet asks for (hostPID, hostIPC, hostNetwork,
// shareProcessNamespace, ephemeral containers' target), and the sysctls applied inside them. Every mode is
// judged from inside the container (procfs) against the node's own view (the runtime runs on this machine;
// otherwise these tests skip), never from the runtime's echo alone.
import { readFileSync } from 'node:fs';
import { hostname as nodeHostname } from 'node:os';
import {
  defineSuite, check, failWith, skip, eventually, runSandbox, runContainer, execSync, sandboxStatus, testImage,
  podSandboxConfig, containerConfig, withSandboxNamespaces, withNamespaces, withCommand, withSysctls, withHostname, expectSuccess,
  expectRpcError,
  type NamespaceModes, type Sandbox, type SandboxOption, type TestContext, type ContainerOption,
} from '../src/framework/index.js';
import { startWithinHostLimits } from '../src/framework/host.js';
import { requireHostFeature, withSelinux } from '../src/framework/security-profiles.js';
import { hostInterface, hostListener, hostNamespace, hostPidsRunning, hostProcess, makeShmSegment, parseSysvShm, uniqueSleep } from '../src/framework/host.js';
import type { NamespaceMode__Output } from '../src/gen/v1/runtime/v1/NamespaceMode.js';
import { cri, kubelet } from '../src/framework/contract.js';

// What the checks rest on: the NamespaceMode comments of api.proto, judged from inside the container against
// the node's own view.
// Each mode judged where it acts, per namespace: the sandbox's and the container's namespace_options (the kubelet
// sends the pod's modes in both) are the fields these checks judge.
const NODE_PID = cri('NamespaceMode.NODE', 'A NODE namespace is the namespace of the Kubernetes node. For example, a container with a PID namespace of NODE expects to view all of the processes on the host running the kubelet.', 'effect', ['LinuxSandboxSecurityContext.namespace_options.pid', 'LinuxContainerSecurityContext.namespace_options.pid']);
const NODE_IPC = cri('NamespaceMode.NODE', 'A NODE namespace is the namespace of the Kubernetes node. For example, a container with a PID namespace of NODE expects to view all of the processes on the host running the kubelet.', 'effect', ['LinuxSandboxSecurityContext.namespace_options.ipc', 'LinuxContainerSecurityContext.namespace_options.ipc']);
const NODE_NET = cri('NamespaceMode.NODE', 'A NODE namespace is the namespace of the Kubernetes node. For example, a container with a PID namespace of NODE expects to view all of the processes on the host running the kubelet.', 'effect', ['LinuxSandboxSecurityContext.namespace_options.network', 'LinuxContainerSecurityContext.namespace_options.network']);
const POD_PID = cri('NamespaceMode.POD', 'A POD namespace is common to all containers in a pod. For example, a container with a PID namespace of POD expects to view all of the processes in all of the containers in the pod.', 'effect', ['LinuxSandboxSecurityContext.namespace_options.pid', 'LinuxContainerSecurityContext.namespace_options.pid']);
const POD_IPC = cri('NamespaceMode.POD', 'A POD namespace is common to all containers in a pod. For example, a container with a PID namespace of POD expects to view all of the processes in all of the containers in the pod.', 'effect', ['LinuxSandboxSecurityContext.namespace_options.ipc', 'LinuxContainerSecurityContext.namespace_options.ipc']);
const POD_NET = cri('NamespaceMode.POD', 'A POD namespace is common to all containers in a pod. For example, a container with a PID namespace of POD expects to view all of the processes in all of the containers in the pod.', 'effect', ['LinuxSandboxSecurityContext.namespace_options.network', 'LinuxContainerSecurityContext.namespace_options.network']);
const CONTAINER_PID = cri('NamespaceMode.CONTAINER', 'A CONTAINER namespace is restricted to a single container. For example, a container with a PID namespace of CONTAINER expects to view only the processes in that container.', 'effect', ['LinuxSandboxSecurityContext.namespace_options.pid', 'LinuxContainerSecurityContext.namespace_options.pid']);
const TARGET_NS = cri('NamespaceMode.TARGET', 'TARGET targets the namespace of another container. … This containers namespace will be made to match that of container target_id.', 'effect', ['LinuxContainerSecurityContext.namespace_options.target_id', 'LinuxContainerSecurityContext.namespace_options.pid']);
const TARGET_SENT = cri('NamespaceOption.pid', 'PID namespace for this container/sandbox. … Namespaces currently set by the kubelet: POD, CONTAINER, NODE, TARGET');
const HOSTNAME = kubelet('kuberuntime_sandbox.go generatePodSandboxConfig', 'sets PodSandboxConfig.hostname only for pods that are not host-network: a host-network pod keeps the node\'s hostname');
const SYSCTLS = cri('LinuxPodSandboxConfig.sysctls', 'Sysctls holds linux sysctls config for the sandbox.', 'effect');
const NET_ECHO = kubelet('kuberuntime_manager.go podSandboxChanged', 'kills and recreates a sandbox whose PodSandboxStatus linux.namespaces.options.network differs from the pod\'s (hostNetwork: NODE, else POD)');
const NS_ECHO = cri('Namespace.options', 'Namespace options for Linux namespaces.', 'echo');
const EXEC = cri('RuntimeService.ExecSync', 'ExecSync runs a command in a container synchronously.');
const SANDBOX_SELINUX = cri('LinuxSandboxSecurityContext.selinux_options.level', 'Optional SELinux context to be applied.', 'effect');
// The sandbox's own process, PID 1 of a pid POD pod, as the pod's security context makes it (the kubelet's
// generatePodSandboxLinuxConfig copies runAsUser and runAsGroup into the sandbox config). Its supplemental_groups
// are not judged here: api.proto applies them "to the first process run in each container", not to the sandbox's
// (containerd 1.6 gives the sandbox process none), and the kubelet sends them in each container's config too.
const SANDBOX_USER = cri('LinuxSandboxSecurityContext.run_as_user.value', 'UID to run sandbox processes as, when applicable.', 'effect');
const SANDBOX_GROUP = cri('LinuxSandboxSecurityContext.run_as_group.value', 'GID to run sandbox processes as, when applicable. run_as_group should only be specified when run_as_user is specified; otherwise, the runtime MUST error.', 'effect');


export default defineSuite(({ describe, it }) => {
  describe('PID namespace', () => {
    it('a container with pid NODE should see the processes of the node [Conformance]', async (t) => {
      const host = await hostProcess(t);
      const modes = { pid: 'NODE' } as const;
      const sb = await podWithModes(t, 'pid-node', modes);
      const c = await sleeper(t, sb, 'pid-node', modes);
      check('ExecSync', '/proc/self/ns/pid (pid NODE)', await nsOf(t, c.id, 'pid'), NODE_PID).equals(hostNamespace('pid'), "the node's PID namespace, as the node reads it");
      const seen = (await processes(t, c.id)).filter((p) => p.args === host.argv.join(' ')).map((p) => p.pid);
      check('ExecSync', `pids running "${host.argv.join(' ')}" in ps (pid NODE)`, seen, NODE_PID).equals([host.pid], `the node started it as pid ${host.pid}`);
    });

    it('containers of a pod with pid POD should share one PID namespace whose PID 1 is the sandbox process [Conformance]', async (t) => {
      const modes = { pid: 'POD' } as const;
      const sb = await podWithModes(t, 'pid-pod', modes);
      const a = await sleeper(t, sb, 'pid-pod-a', modes);
      const b = await sleeper(t, sb, 'pid-pod-b', modes);
      const nsA = await nsOf(t, a.id, 'pid');
      check('ExecSync', '/proc/self/ns/pid of the second container (pid POD)', await nsOf(t, b.id, 'pid'), POD_PID).equals(nsA, 'containers of the pod share it');
      check('ExecSync', '/proc/self/ns/pid (pid POD)', nsA, POD_PID).notEquals(hostNamespace('pid'), "the pod's own, not the node's");
      const [initA, initB] = [await pid1(t, a.id), await pid1(t, b.id)];
      for (const c of [a, b]) check('ExecSync', `/proc/1/cmdline in ${c.name} (pid POD)`, initA.args, POD_PID).notEquals(c.argv.join(' '), 'PID 1 is the sandbox process, not a container command: the namespace is common to all containers, so it must outlive each one');
      check('ExecSync', 'PID 1 (cmdline, start time) of the second container (pid POD)', initB, POD_PID).equals(initA, 'both containers see the same PID 1');
      for (const [who, other] of [[a, b], [b, a]] as const) {
        const args = (await processes(t, who.id)).map((p) => p.args);
        check('ExecSync', `ps args in ${who.name} (pid POD)`, args, POD_PID).includes(other.argv.join(' '), `${other.name}'s process, in the same pod`);
      }
    });

    it('PID 1 of a pod with pid POD should run as the sandbox\'s run_as_user and run_as_group [Conformance]', async (t) => {
      const [uid, gid] = [1234, 2345];
      const modes = { pid: 'POD' } as const;
      const sb = await podWithModes(t, 'pid-pod-user', modes, (c) => void Object.assign(c.linux!.security_context!, {
        run_as_user: { value: String(uid) }, run_as_group: { value: String(gid) },
      }));
      const c = await sleeper(t, sb, 'pid-pod-user', modes);
      const status = await run(t, c.id, ['cat', '/proc/1/status']);
      const ids = (key: string) => (new RegExp(`^${key}:(.*)$`, 'm').exec(status)?.[1] ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
      check('ExecSync', 'Uid (real, effective, saved, fs) in /proc/1/status', ids('Uid'), SANDBOX_USER).equals([uid, uid, uid, uid], `the sandbox process; run_as_user ${uid}`);
      check('ExecSync', 'Gid (real, effective, saved, fs) in /proc/1/status', ids('Gid'), SANDBOX_GROUP).equals([gid, gid, gid, gid], `the sandbox process; run_as_group ${gid}`);
    });

    it('PID 1 of a pod with pid POD should run under the sandbox\'s SELinux level [Conformance]', async (t) => {
      requireHostFeature(t, 'selinux');
      const level = 's0:c4,c5';
      const modes = { pid: 'POD' } as const;
      // The kubelet sends the pod's seLinuxOptions to the sandbox and to each container that sets none of its own.
      const sb = await podWithModes(t, 'pid-pod-selinux', modes, (c) => void (c.linux!.security_context!.selinux_options = { level }));
      const c = await sleeper(t, sb, 'pid-pod-selinux', modes, withSelinux({ level }));
      const label = (await run(t, c.id, ['cat', '/proc/1/attr/current'])).replace(/\0/g, '').trim();
      check('ExecSync', 'SELinux level of PID 1 (/proc/1/attr/current)', label.split(':').slice(3).join(':'), SANDBOX_SELINUX).equals(level, `the sandbox process; label ${label}`);
    });

    it('runtime should refuse a sandbox with run_as_group and no run_as_user [Conformance]', async (t) => {
      const cfg = podSandboxConfig('group-only', (c) => void (c.linux!.security_context!.run_as_group = { value: '2345' }));
      await expectRpcError('RunPodSandbox (run_as_group 2345, no run_as_user)', () => runSandbox(t, cfg), 'run_as_group without run_as_user',
        undefined, SANDBOX_GROUP);
    });

    it('a container with pid CONTAINER should be PID 1 of its own PID namespace [Conformance]', async (t) => {
      const modes = { pid: 'CONTAINER' } as const;
      const sb = await podWithModes(t, 'pid-ctr', modes);
      const a = await sleeper(t, sb, 'pid-ctr-a', modes);
      const b = await sleeper(t, sb, 'pid-ctr-b', modes);
      for (const c of [a, b]) check('ExecSync', `/proc/1/cmdline in ${c.name} (pid CONTAINER)`, (await pid1(t, c.id)).args, CONTAINER_PID).equals(c.argv.join(' '), "the container's own command");
      for (const [who, other] of [[a, b], [b, a]] as const) {
        const args = (await processes(t, who.id)).map((p) => p.args);
        check('ExecSync', `ps args in ${who.name} (pid CONTAINER)`, args, CONTAINER_PID).excludes(other.argv.join(' '), `${other.name} has a PID namespace of its own`);
      }
    });

    it('a container with pid TARGET should share the PID namespace of its target container [Conformance]', async (t) => {
      // What the kubelet sends for an ephemeral container with targetContainerName (`kubectl debug --target`).
      const sb = await runSandbox(t, podSandboxConfig('pid-target', withSandboxNamespaces({ pid: 'CONTAINER' })));
      const target = await sleeper(t, sb, 'pid-target', { pid: 'CONTAINER' });
      const debug = await expectSuccess(`CreateContainer/StartContainer (namespace_options.pid TARGET, target_id ${target.id})`,
        () => sleeper(t, sb, 'pid-debug', { pid: 'TARGET', target_id: target.id }),
        'the kubelet sets pid TARGET for ephemeral containers that name a target container', TARGET_SENT);
      check('ExecSync', '/proc/self/ns/pid of the TARGET container', await nsOf(t, debug.id, 'pid'), TARGET_NS).equals(await nsOf(t, target.id, 'pid'), "the target container's");
      check('ExecSync', '/proc/1/cmdline in the TARGET container', (await pid1(t, debug.id)).args, TARGET_NS).equals(target.argv.join(' '), "PID 1 of the target's namespace is the target's command");
    });
  });

  describe('IPC namespace', () => {
    it('a pod with ipc NODE should see a SysV shared memory segment made on the node [Conformance]', async (t) => {
      const seg = await makeShmSegment(t);
      const modes = { ipc: 'NODE' } as const;
      const sb = await podWithModes(t, 'ipc-node', modes);
      const c = await sleeper(t, sb, 'ipc-node', modes);
      check('ExecSync', '/proc/self/ns/ipc (ipc NODE)', await nsOf(t, c.id, 'ipc'), NODE_IPC).equals(hostNamespace('ipc'), "the node's IPC namespace, as the node reads it");
      check('ExecSync', '/proc/sysvipc/shm (ipc NODE)', await shmIn(t, c.id), NODE_IPC).includes(seg, `the segment the node made (shmid ${seg.shmid}, ${seg.size} bytes)`);
    });

    it('containers of a pod with ipc POD should share SysV segments of their own and not see the node\'s [Conformance]', async (t) => {
      const hostSeg = await makeShmSegment(t);
      const modes = { ipc: 'POD' } as const;
      const sb = await podWithModes(t, 'ipc-pod', modes);
      const a = await sleeper(t, sb, 'ipc-pod-a', modes);
      const b = await sleeper(t, sb, 'ipc-pod-b', modes);
      check('ExecSync', `/proc/sysvipc/shm in ${a.name} (ipc POD)`, await shmIn(t, a.id), POD_IPC).excludes(hostSeg, `the node's segment (shmid ${hostSeg.shmid}, ${hostSeg.size} bytes)`);
      // A segment made in the first container's IPC namespace, from the node (nsenter into its process).
      const podSeg = await makeShmSegment(t, a.hostPid);
      check('ExecSync', `/proc/sysvipc/shm in ${b.name} (ipc POD)`, await shmIn(t, b.id), POD_IPC).includes(podSeg, `the segment made in ${a.name}'s IPC namespace (shmid ${podSeg.shmid}, ${podSeg.size} bytes)`);
      check('node', '/proc/sysvipc/shm', parseSysvShm(readFileSync('/proc/sysvipc/shm', 'utf8')).map(idAndSize), POD_IPC).excludes(podSeg, `the pod's segment (shmid ${podSeg.shmid}, ${podSeg.size} bytes) must stay in the pod`);
    });
  });

  describe('Network namespace', () => {
    it('a pod with network NODE should see the node\'s listening ports, hostname and interfaces [Conformance]', async (t) => {
      const iface = hostInterface();
      if (!iface) skip('the node has no network interface besides loopback to recognise inside the pod');
      const port = await hostListener(t);
      const modes = { network: 'NODE' } as const;
      // The kubelet sends no hostname for a host-network pod: it keeps the node's.
      const sb = await podWithModes(t, 'net-node', modes, withHostname(''));
      const c = await sleeper(t, sb, 'net-node', modes);
      check('ExecSync', '/proc/self/ns/net (network NODE)', await nsOf(t, c.id, 'net'), NODE_NET).equals(hostNamespace('net'), "the node's network namespace, as the node reads it");
      check('ExecSync', 'listening TCP sockets in /proc/net/tcp (network NODE)', await listening(t, c.id), NODE_NET).includes(`127.0.0.1:${port}`, 'the node listens there');
      check('ExecSync', 'hostname (network NODE)', (await run(t, c.id, ['hostname'])).trim(), HOSTNAME).equals(nodeHostname(), "a host-network pod has the node's UTS namespace");
      check('ExecSync', `ip -o link: ${iface.name} (network NODE)`, await linkMac(t, c.id, iface.name), NODE_NET).equals(iface.mac, `the node's ${iface.name}`);
    });

    it('a pod with network POD should not see the node\'s listening ports [Conformance]', async (t) => {
      const port = await hostListener(t);
      const modes = { network: 'POD' } as const;
      const sb = await podWithModes(t, 'net-pod', modes);
      const c = await sleeper(t, sb, 'net-pod', modes);
      check('ExecSync', 'listening TCP sockets in /proc/net/tcp (network POD)', await listening(t, c.id), POD_NET).excludes(`127.0.0.1:${port}`, "the node's listener, outside the pod");
      check('ExecSync', '/proc/self/ns/net (network POD)', await nsOf(t, c.id, 'net'), POD_NET).notEquals(hostNamespace('net'), "the pod's own, not the node's");
    });
  });

  describe('Sysctls', () => {
    it('runtime should apply unsafe namespaced sysctls from the sandbox config to the pod only [Conformance]', async (t) => {
      // Namespaced (mqueue and SysV in the IPC namespace, somaxconn in the network one), outside the kubelet's
      // safe set (a cluster enables them with --allowed-unsafe-sysctls), none at its namespace default.
      const wanted = { 'fs.mqueue.msg_max': 100, 'kernel.msgmax': 16384, 'net.core.somaxconn': 1234 };
      const file = (key: string) => `/proc/sys/${key.replace(/\./g, '/')}`;
      const before = Object.fromEntries(Object.keys(wanted).map((k) => [k, readFileSync(file(k), 'utf8').trim()]));
      // Never the node's own value: a leak into the node must show as a change.
      const sysctls = Object.fromEntries(Object.entries(wanted).map(([k, v]) => [k, String(before[k] === String(v) ? v + 1 : v)]));
      const sb = await runSandbox(t, podSandboxConfig('sysctl-unsafe', withSysctls(sysctls)));
      const c = await sleeper(t, sb, 'sysctl-unsafe', {});
      for (const [key, value] of Object.entries(sysctls)) {
        check('ExecSync', file(key), (await run(t, c.id, ['cat', file(key)])).trim(), SYSCTLS).equals(value, `linux.sysctls[${key}]`);
      }
      for (const key of Object.keys(sysctls)) {
        check('node', file(key), readFileSync(file(key), 'utf8').trim(), SYSCTLS).equals(before[key], 'a pod sysctl must not change the node');
      }
    });
  });
});

// ---- helpers only this suite needs ----

interface Sleeper {
  id: string;
  name: string;
  /** Its unique command, `sleep <n.nnnnnn>`. */
  argv: string[];
  /** Its pid on the node. */
  hostPid: number;
}

/** A container running a `sleep` no other process has, with these namespace modes over the kubelet's. Skips
 * when its process is not on this machine: the checks compare it with the node's view. */
async function sleeper(t: TestContext, sb: Sandbox, prefix: string, modes: NamespaceModes, ...more: ContainerOption[]): Promise<Sleeper> {
  const ref = await testImage(t);
  const argv = ['sleep', uniqueSleep()];
  const cfg = containerConfig(prefix, ref, withNamespaces(modes), withCommand(...argv), ...more);
  const id = await runContainer(t, sb, cfg);
  const pids = await eventually(async () => {
    const p = hostPidsRunning(argv);
    if (!p.length) throw new Error('not yet');
    return p;
  }, { timeoutMs: 10_000, intervalMs: 100 }).catch(() => skip(`the container's process (${argv.join(' ')}) is not in this machine's /proc: the runtime runs elsewhere, and namespace checks compare with the node's view`));
  return { id, name: cfg.metadata!.name!, argv, hostPid: pids[0]! };
}

/** A pod asking for these namespace modes, whose PodSandboxStatus echoes them. */
async function podWithModes(t: TestContext, prefix: string, modes: NamespaceModes, ...opts: SandboxOption[]): Promise<Sandbox> {
  // A shared PID namespace needs a sandbox process: a runtime may give it a lower oom_score_adj, which a node
  // without CAP_SYS_RESOURCE in its bounding set forbids (a host limit, named in the skip).
  const sb = await startWithinHostLimits(t, 'the sandbox process', () => runSandbox(t, podSandboxConfig(prefix, withSandboxNamespaces(modes), ...opts)));
  await expectNamespaceOptions(t, sb.id, modes);
  return sb;
}

/** PodSandboxStatus must echo the namespace modes the pod asked for (the kubelet's defaults elsewhere). */
async function expectNamespaceOptions(t: TestContext, id: string, modes: NamespaceModes): Promise<void> {
  const want = { network: 'POD', pid: 'CONTAINER', ipc: 'POD', ...modes } as Record<'network' | 'pid' | 'ipc', NamespaceMode__Output>;
  const ns = (await sandboxStatus(t, id)).linux?.namespaces?.options;
  if (!ns) failWith('PodSandboxStatus: status.linux.namespaces.options: expected the namespace options the pod asked for, got none', NS_ECHO);
  const why = 'the mode in PodSandboxConfig.linux.security_context.namespace_options';
  check('PodSandboxStatus', 'status.linux.namespaces.options.network', ns.network, NET_ECHO).equals(want.network, why);
  for (const k of ['pid', 'ipc'] as const) check('PodSandboxStatus', `status.linux.namespaces.options.${k}`, ns[k], NS_ECHO).equals(want[k], why);
}

/** ExecSync that must succeed; returns stdout. */
async function run(t: TestContext, id: string, cmd: string[]): Promise<string> {
  const r = await execSync(t, id, cmd);
  check('ExecSync', `exit_code (${cmd.join(' ')})`, r.exitCode, EXEC).equals(0, `stderr: ${r.stderr.trim()}`);
  return r.stdout;
}

/** `pid:[4026531836]` of the container's own process. */
const nsOf = async (t: TestContext, id: string, kind: string): Promise<string> => (await run(t, id, ['readlink', `/proc/self/ns/${kind}`])).trim();

/** Every process the container sees. */
async function processes(t: TestContext, id: string): Promise<{ pid: number; args: string }[]> {
  return (await run(t, id, ['ps', '-o', 'pid,args'])).split('\n').slice(1).map((l) => /^\s*(\d+)\s+(.*)$/.exec(l)).filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), args: m[2]!.trim() }));
}

/** PID 1 as the container sees it: its argv and its start time (field 22 of stat), which identify it. */
async function pid1(t: TestContext, id: string): Promise<{ args: string; started: string }> {
  const out = await run(t, id, ['sh', '-c', 'tr "\\0" " " </proc/1/cmdline; echo; cat /proc/1/stat']);
  const [cmdline = '', stat = ''] = out.split('\n');
  return { args: cmdline.trim(), started: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '' };
}

const idAndSize = (s: { shmid: string; size: string }) => ({ shmid: s.shmid, size: s.size });
const shmIn = async (t: TestContext, id: string) => parseSysvShm(await run(t, id, ['cat', '/proc/sysvipc/shm'])).map(idAndSize);

/** `addr:port` of every listening IPv4 TCP socket in the container's /proc/net/tcp. */
async function listening(t: TestContext, id: string): Promise<string[]> {
  const rows = (await run(t, id, ['cat', '/proc/net/tcp'])).split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  return rows.filter((w) => w[3] === '0A' && w[1]).map((w) => {
    const [hex, port] = w[1]!.split(':');
    const ip = (hex!.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)).join('.');
    return `${ip}:${parseInt(port!, 16)}`;
  });
}

/** The MAC of this interface in the container's network namespace (`ip -o link`), '' when it has none. */
async function linkMac(t: TestContext, id: string, name: string): Promise<string> {
  const line = (await run(t, id, ['ip', '-o', 'link'])).split('\n').find((l) => l.split(':')[1]?.trim().split('@')[0] === name);
  return /link\/\w+ ([0-9a-f:]{17})/.exec(line ?? '')?.[1] ?? '';
}
