// Self-tests: each namespace and sysctl check fails when the runtime does not do what the pod asked. Most
// faults rewrite the namespace options of RunPodSandbox/CreateContainer requests, so the runtime really runs
// the pod another way; where an earlier check would then stop the test first, the answer that check reads is
// doctored too, so the later check is the one that has to catch it.
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { expectCheckFails, runOne, Status, type Fault } from '../support/selftest.js';

const P = 'namespaces/PID namespace ';
const PID_NODE = `${P}a container with pid NODE should see the processes of the node [Conformance]`;
const PID_POD = `${P}containers of a pod with pid POD should share one PID namespace whose PID 1 is the sandbox process [Conformance]`;
const PID_CTR = `${P}a container with pid CONTAINER should be PID 1 of its own PID namespace [Conformance]`;
const PID_TARGET = `${P}a container with pid TARGET should share the PID namespace of its target container [Conformance]`;
const PID_USER = `${P}PID 1 of a pod with pid POD should run as the sandbox's run_as_user and run_as_group [Conformance]`;
const PID_SELINUX = `${P}PID 1 of a pod with pid POD should run under the sandbox's SELinux level [Conformance]`;
const GROUP_ONLY = `${P}runtime should refuse a sandbox with run_as_group and no run_as_user [Conformance]`;
const I = 'namespaces/IPC namespace ';
const IPC_NODE = `${I}a pod with ipc NODE should see a SysV shared memory segment made on the node [Conformance]`;
const IPC_POD = `${I}containers of a pod with ipc POD should share SysV segments of their own and not see the node's [Conformance]`;
const N = 'namespaces/Network namespace ';
const NET_NODE = `${N}a pod with network NODE should see the node's listening ports, hostname and interfaces [Conformance]`;
const NET_POD = `${N}a pod with network POD should not see the node's listening ports [Conformance]`;
const SYSCTL = 'namespaces/Sysctls runtime should apply unsafe namespaced sysctls from the sandbox config to the pod only [Conformance]';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;
type Kind = 'pid' | 'ipc' | 'network';

const hostNs = (kind: string): string => readlinkSync(`/proc/self/ns/${kind}`);

/** The namespace options of a RunPodSandbox or CreateContainer request. */
const nsOptions = (config: Msg): Msg => config?.linux?.security_context?.namespace_options;

/** RunPodSandbox runs the pod with `mode` for `kind`, whatever it asked, while PodSandboxStatus still echoes
 * what was asked: a runtime that ignores the field (the echo alone would not tell). */
function sandboxRunsWith(kind: Kind, mode: string): Fault[] {
  let asked: unknown;
  return [{
    rpc: 'RunPodSandbox',
    mutateRequest: (req) => {
      const ns = nsOptions(req.config);
      asked = ns[kind];
      ns[kind] = mode;
      // A host-network sandbox keeps the node's hostname (runc refuses one without a UTS namespace).
      if (kind === 'network' && mode === 'NODE') req.config.hostname = '';
    },
  }, {
    rpc: 'PodSandboxStatus',
    mutate: (r) => void (asked !== undefined && r.status?.linux?.namespaces?.options && (r.status.linux.namespaces.options[kind] = asked)),
  }];
}

/** CreateContainer (the n-th call only, when given) runs the container with `mode` for `kind`; `commands`
 * collects each created container's command by id (one fault per RPC: the proxy applies the first match). */
function containerRunsWith(kind: Kind, mode: string, n?: number, commands?: Map<string, string>): Fault {
  let seen = 0;
  return {
    rpc: 'CreateContainer',
    mutateRequest: (req) => {
      if (n !== undefined && ++seen !== n) return;
      const ns = nsOptions(req.config);
      ns[kind] = mode;
      if (kind === 'pid' && mode !== 'TARGET') ns.target_id = '';
      const sns = nsOptions(req.sandbox_config);
      if (sns && n === undefined) sns[kind] = mode;
    },
    mutate: (res, req) => void commands?.set(res.container_id, (req.config.command ?? []).join(' ')),
  };
}

/** The whole pod runs with `mode` for `kind`. */
const podRunsWith = (kind: Kind, mode: string): Fault[] => [...sandboxRunsWith(kind, mode), containerRunsWith(kind, mode)];

/** ExecSync answers for a command whose joined argv contains `needle`, rewritten (n counts those answers). */
const execAnswer = (needle: string, edit: (res: Msg, n: number, req: Msg) => void): Fault => {
  let n = 0;
  return { rpc: 'ExecSync', mutate: (res, req) => void ((req.cmd ?? []).join(' ').includes(needle) && edit(res, ++n, req)) };
};
const setStdout = (res: Msg, s: string) => void (res.stdout = Buffer.from(s));

/** `readlink /proc/self/ns/<kind>` answers `link`. */
const nsAnswer = (kind: string, link: string): Fault => execAnswer(`readlink /proc/self/ns/${kind}`, (r) => setStdout(r, `${link}\n`));

/** The answers of the PID 1 probe (`cmdline` line, then `stat` line), rewritten. */
const pid1Answer = (edit: (lines: string[], n: number, req: Msg) => void): Fault =>
  execAnswer('/proc/1/cmdline', (r, n, req) => {
    const lines = r.stdout.toString('utf8').split('\n');
    edit(lines, n, req);
    setStdout(r, lines.join('\n'));
  });

describe('self-test: namespaces', function () {
  this.timeout(600_000);

  // ---- shared helpers: the namespace options echo and ExecSync ----
  it(`${PID_NODE} fails when PodSandboxStatus answers no namespace options`, () =>
    expectCheckFails(PID_NODE, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.linux = null) }],
      /PodSandboxStatus: status\.linux\.namespaces\.options: expected the namespace options the pod asked for, got none/));

  it(`${PID_NODE} fails when PodSandboxStatus echoes pid CONTAINER for a pid NODE pod`, () =>
    expectCheckFails(PID_NODE, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.linux.namespaces.options.pid = 'CONTAINER') }],
      /PodSandboxStatus: status\.linux\.namespaces\.options\.pid: expected "NODE", got "CONTAINER"/));

  it(`${IPC_NODE} fails when PodSandboxStatus echoes ipc POD for an ipc NODE pod`, () =>
    expectCheckFails(IPC_NODE, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.linux.namespaces.options.ipc = 'POD') }],
      /PodSandboxStatus: status\.linux\.namespaces\.options\.ipc: expected "NODE", got "POD"/));

  it(`${NET_NODE} fails when PodSandboxStatus echoes network POD for a host-network pod (the kubelet would recreate the sandbox)`, () =>
    expectCheckFails(NET_NODE, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.linux.namespaces.options.network = 'POD') }],
      /PodSandboxStatus: status\.linux\.namespaces\.options\.network: expected "NODE", got "POD" .*\[rests on the kubelet \(kuberuntime_manager\.go podSandboxChanged\)/));

  it(`${PID_CTR} fails when an ExecSync in the container fails`, () =>
    expectCheckFails(PID_CTR, [execAnswer('ps -o pid,args', (r) => Object.assign(r, { exit_code: 1, stdout: Buffer.alloc(0), stderr: Buffer.from('ps: boom\n') }))],
      /ExecSync: exit_code \(ps -o pid,args\): expected 0, got 1 \(stderr: ps: boom\)/));

  // ---- pid NODE ----
  it(`${PID_NODE} fails when the runtime ignores pid NODE`, () =>
    expectCheckFails(PID_NODE, podRunsWith('pid', 'CONTAINER'),
      /ExecSync: \/proc\/self\/ns\/pid \(pid NODE\): expected "pid:\[\d+\]", got "pid:\[\d+\]" \(the node's PID namespace/));

  it(`${PID_NODE} fails when the runtime ignores pid NODE and the namespace link is faked`, () =>
    expectCheckFails(PID_NODE, [...podRunsWith('pid', 'CONTAINER'), nsAnswer('pid', hostNs('pid'))],
      /ExecSync: pids running "sleep [\d.]+" in ps \(pid NODE\): expected \[ \d+ \], got \[\] \(the node started it as pid \d+\)/));

  // ---- pid POD ----
  it(`${PID_POD} skips naming the host limit on a node without CAP_SYS_RESOURCE, or fails on one with it, when the sandbox process cannot lower its oom_score_adj`, async () => {
    const bnd = BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
    const r = await runOne(PID_POD, [{ rpc: 'RunPodSandbox', error: { code: Status.UNKNOWN, details: 'container create failed: nsexec[1]: failed to update /proc/self/oom_score_adj: Permission denied' } }]);
    if ((bnd & (1n << 24n)) === 0n) {
      expect(r.status, r.message).to.equal('skipped');
      expect(r.message).to.match(/^host limit: the node's capability bounding set lacks SYS_RESOURCE .*could not give the sandbox process the lower oom_score_adj/);
    } else {
      expect(r.status, r.message).to.equal('failed');
    }
  });

  it(`${PID_POD} fails when the second container gets a PID namespace of its own`, () =>
    expectCheckFails(PID_POD, [containerRunsWith('pid', 'CONTAINER', 2)],
      /ExecSync: \/proc\/self\/ns\/pid of the second container \(pid POD\): expected "pid:\[\d+\]", got "pid:\[\d+\]" \(containers of the pod share it\)/));

  it(`${PID_POD} fails when the pod runs in the node's PID namespace`, () =>
    expectCheckFails(PID_POD, podRunsWith('pid', 'NODE'),
      /ExecSync: \/proc\/self\/ns\/pid \(pid POD\): expected anything but "pid:\[\d+\]", got "pid:\[\d+\]" \(the pod's own, not the node's\)/));

  it(`${PID_POD} fails when each container is PID 1 of its own namespace (namespace links faked alike)`, () =>
    expectCheckFails(PID_POD, [containerRunsWith('pid', 'CONTAINER'), nsAnswer('pid', 'pid:[4026599999]')],
      /ExecSync: \/proc\/1\/cmdline in crc-pid-pod-a-\w+ \(pid POD\): expected anything but "sleep [\d.]+", got "sleep [\d.]+" \(PID 1 is the sandbox process/));

  it(`${PID_POD} fails when the second container sees another PID 1`, () =>
    expectCheckFails(PID_POD, [pid1Answer((lines, n) => {
      if (n !== 2) return;
      const cut = lines[1]!.lastIndexOf(')') + 2;
      const f = lines[1]!.slice(cut).split(' ');
      f[19] = String(Number(f[19]) + 1);
      lines[1] = lines[1]!.slice(0, cut) + f.join(' ');
    })], /ExecSync: PID 1 \(cmdline, start time\) of the second container \(pid POD\): expected \{ args: '.*', started: '\d+' \}, got \{ args: '.*', started: '\d+' \} \(both containers see the same PID 1\)/));

  it(`${PID_POD} fails when a container does not see the other's process`, () =>
    expectCheckFails(PID_POD, [execAnswer('ps -o pid,args', (r) => setStdout(r, r.stdout.toString('utf8').split('\n').filter((l: string) => !/sleep \d+\.\d+/.test(l) || l.includes('PID')).join('\n')))],
      /ExecSync: ps args in crc-pid-pod-a-\w+ \(pid POD\): expected to include "sleep [\d.]+", got \[.*\] \(crc-pid-pod-b-\w+'s process, in the same pod\)/));

  // ---- pid CONTAINER ----
  it(`${PID_CTR} fails when the containers share the pod's PID namespace`, () =>
    expectCheckFails(PID_CTR, podRunsWith('pid', 'POD'),
      /ExecSync: \/proc\/1\/cmdline in crc-pid-ctr-a-\w+ \(pid CONTAINER\): expected "sleep [\d.]+", got "[^"]*" \(the container's own command\)/));

  it(`${PID_CTR} fails when the containers share the pod's PID namespace (PID 1 answer faked)`, () => {
    const commands = new Map<string, string>();
    return expectCheckFails(PID_CTR, [...sandboxRunsWith('pid', 'POD'), containerRunsWith('pid', 'POD', undefined, commands),
      pid1Answer((lines, _n, req) => void (lines[0] = commands.get(req.container_id) ?? lines[0]!))],
      /ExecSync: ps args in crc-pid-ctr-a-\w+ \(pid CONTAINER\): expected not to include "sleep [\d.]+", got \[.*\] \(crc-pid-ctr-b-\w+ has a PID namespace of its own\)/);
  });

  // ---- pid TARGET ----
  it(`${PID_TARGET} fails when the runtime rejects pid TARGET`, () =>
    expectCheckFails(PID_TARGET, [{
      rpc: 'CreateContainer', when: (req) => nsOptions(req.config)?.pid === 'TARGET',
      error: { code: Status.INVALID_ARGUMENT, details: 'NamespaceMode TARGET is not supported' },
    }], /CreateContainer\/StartContainer \(namespace_options\.pid TARGET, target_id \w+\): expected success \(the kubelet sets pid TARGET for ephemeral containers that name a target container\), got INVALID_ARGUMENT: NamespaceMode TARGET is not supported/));

  it(`${PID_TARGET} fails when the runtime ignores pid TARGET`, () =>
    expectCheckFails(PID_TARGET, [containerRunsWith('pid', 'CONTAINER', 2)],
      /ExecSync: \/proc\/self\/ns\/pid of the TARGET container: expected "pid:\[\d+\]", got "pid:\[\d+\]" \(the target container's\)/));

  it(`${PID_TARGET} fails when the runtime ignores pid TARGET and the namespace links are faked alike`, () =>
    expectCheckFails(PID_TARGET, [containerRunsWith('pid', 'CONTAINER', 2), nsAnswer('pid', 'pid:[4026599999]')],
      /ExecSync: \/proc\/1\/cmdline in the TARGET container: expected "sleep [\d.]+", got "sleep [\d.]+" \(PID 1 of the target's namespace is the target's command\)/));

  // ---- ipc NODE ----
  it(`${IPC_NODE} fails when the runtime ignores ipc NODE`, () =>
    expectCheckFails(IPC_NODE, podRunsWith('ipc', 'POD'),
      /ExecSync: \/proc\/self\/ns\/ipc \(ipc NODE\): expected "ipc:\[\d+\]", got "ipc:\[\d+\]" \(the node's IPC namespace/));

  it(`${IPC_NODE} fails when the runtime ignores ipc NODE and the namespace link is faked`, () =>
    expectCheckFails(IPC_NODE, [...podRunsWith('ipc', 'POD'), nsAnswer('ipc', hostNs('ipc'))],
      /ExecSync: \/proc\/sysvipc\/shm \(ipc NODE\): expected to include \{ shmid: '\d+', size: '\d+' \}, got \[\] \(the segment the node made/));

  // ---- ipc POD ----
  it(`${IPC_POD} fails when the pod runs in the node's IPC namespace`, () =>
    expectCheckFails(IPC_POD, podRunsWith('ipc', 'NODE'),
      /ExecSync: \/proc\/sysvipc\/shm in crc-ipc-pod-a-\w+ \(ipc POD\): expected not to include \{ shmid: '\d+', size: '\d+' \}, got \[.*\] \(the node's segment/));

  // containerd puts every container in the sandbox's IPC namespace whatever the container asks, so this one
  // is an answer: the second container's segment table without the pod's segment.
  it(`${IPC_POD} fails when the second container does not see the pod's segment`, () =>
    expectCheckFails(IPC_POD, [execAnswer('cat /proc/sysvipc/shm', (r, n) => void (n === 2 && setStdout(r, r.stdout.toString('utf8').split('\n')[0] + '\n')))],
      /ExecSync: \/proc\/sysvipc\/shm in crc-ipc-pod-b-\w+ \(ipc POD\): expected to include \{ shmid: '\d+', size: '\d+' \}, got \[.*\] \(the segment made in crc-ipc-pod-a-\w+'s IPC namespace/));

  it(`${IPC_POD} fails when the pod's segments land on the node (first container's view faked)`, () =>
    expectCheckFails(IPC_POD, [...podRunsWith('ipc', 'NODE'), execAnswer('cat /proc/sysvipc/shm', (r, n) => void (n === 1 && setStdout(r, r.stdout.toString('utf8').split('\n')[0] + '\n')))],
      /node: \/proc\/sysvipc\/shm: expected not to include \{ shmid: '\d+', size: '\d+' \}, got \[.*\] \(the pod's segment .* must stay in the pod\)/));

  // ---- network NODE ----
  it(`${NET_NODE} fails when the runtime ignores network NODE`, () =>
    expectCheckFails(NET_NODE, podRunsWith('network', 'POD'),
      /ExecSync: \/proc\/self\/ns\/net \(network NODE\): expected "net:\[\d+\]", got "net:\[\d+\]" \(the node's network namespace/));

  it(`${NET_NODE} fails when the runtime ignores network NODE and the namespace link is faked`, () =>
    expectCheckFails(NET_NODE, [...podRunsWith('network', 'POD'), nsAnswer('net', hostNs('net'))],
      /ExecSync: listening TCP sockets in \/proc\/net\/tcp \(network NODE\): expected to include "127\.0\.0\.1:\d+", got \[.*\] \(the node listens there\)/));

  it(`${NET_NODE} fails when the pod has a hostname of its own`, () =>
    expectCheckFails(NET_NODE, [execAnswer('hostname', (r) => setStdout(r, 'crc-own-uts\n'))],
      /ExecSync: hostname \(network NODE\): expected ".+", got "crc-own-uts" \(a host-network pod has the node's UTS namespace\)/));

  it(`${NET_NODE} fails when the node's interface is not the one the pod sees`, () =>
    expectCheckFails(NET_NODE, [execAnswer('ip -o link', (r) => setStdout(r, r.stdout.toString('utf8').replace(/link\/ether [0-9a-f:]{17}/g, 'link/ether 02:00:00:c0:ff:ee')))],
      /ExecSync: ip -o link: \w+ \(network NODE\): expected "[0-9a-f:]{17}", got "02:00:00:c0:ff:ee" \(the node's \w+\)/));

  // ---- network POD ----
  it(`${NET_POD} fails when the pod runs in the node's network namespace`, () =>
    expectCheckFails(NET_POD, podRunsWith('network', 'NODE'),
      /ExecSync: listening TCP sockets in \/proc\/net\/tcp \(network POD\): expected not to include "127\.0\.0\.1:\d+", got \[.*\] \(the node's listener, outside the pod\)/));

  it(`${NET_POD} fails when the pod runs in the node's network namespace (socket table faked)`, () =>
    expectCheckFails(NET_POD, [...podRunsWith('network', 'NODE'), execAnswer('cat /proc/net/tcp', (r) => setStdout(r, r.stdout.toString('utf8').split('\n')[0] + '\n'))],
      /ExecSync: \/proc\/self\/ns\/net \(network POD\): expected anything but "net:\[\d+\]", got "net:\[\d+\]" \(the pod's own, not the node's\)/));

  // ---- sysctls ----
  it(`${SYSCTL} fails when an unsafe sysctl is not applied`, () =>
    expectCheckFails(SYSCTL, [
      { rpc: 'RunPodSandbox', mutateRequest: (req) => void delete req.config.linux.sysctls['fs.mqueue.msg_max'] },
      { rpc: 'CreateContainer', mutateRequest: (req) => void delete req.sandbox_config.linux.sysctls['fs.mqueue.msg_max'] },
    ], /ExecSync: \/proc\/sys\/fs\/mqueue\/msg_max: expected "100", got "\d+" \(linux\.sysctls\[fs\.mqueue\.msg_max\]\)/));

  it(`${SYSCTL} fails when the runtime writes a sysctl to the node`, async () => {
    // The runtime applies kernel.msgmax in the node's IPC namespace (restored right after the run).
    const file = '/proc/sys/kernel/msgmax';
    const before = readFileSync(file, 'utf8').trim();
    try {
      await expectCheckFails(SYSCTL, [{ rpc: 'RunPodSandbox', mutateRequest: (req) => void writeFileSync(file, req.config.linux.sysctls['kernel.msgmax']) }],
        /node: \/proc\/sys\/kernel\/msgmax: expected "(\d+)", got "(?!\1")\d+" \(a pod sysctl must not change the node\)/);
    } finally {
      writeFileSync(file, before);
    }
  });
  it(`${PID_USER} fails when the sandbox process runs as root instead of run_as_user`, () =>
    expectCheckFails(PID_USER, [{ rpc: 'RunPodSandbox', mutateRequest: (req) => void (req.config.linux.security_context.run_as_user = { value: '0' }) }],
      /ExecSync: Uid \(real, effective, saved, fs\) in \/proc\/1\/status: expected \[ 1234, 1234, 1234, 1234 \], got \[ 0, 0, 0, 0 \] \(the sandbox process; run_as_user 1234\)/));

  it(`${PID_USER} fails when the sandbox process keeps another group than run_as_group`, () =>
    expectCheckFails(PID_USER, [{ rpc: 'RunPodSandbox', mutateRequest: (req) => void (req.config.linux.security_context.run_as_group = { value: '0' }) }],
      /ExecSync: Gid \(real, effective, saved, fs\) in \/proc\/1\/status: expected \[ 2345, 2345, 2345, 2345 \], got \[ 0, 0, 0, 0 \] \(the sandbox process; run_as_group 2345\)/));

  it(`${GROUP_ONLY} fails when the runtime accepts run_as_group without run_as_user`, () =>
    expectCheckFails(GROUP_ONLY, [{ rpc: 'RunPodSandbox', mutateRequest: (req) => void (req.config.linux.security_context.run_as_user = { value: '0' }) }],
      /RunPodSandbox \(run_as_group 2345, no run_as_user\): expected an error \(run_as_group without run_as_user\), got success/));
  // This node has no SELinux: the host feature is pretended and the proxy answers the label read with a wrong level.
  it(`${PID_SELINUX} fails when PID 1 runs under another level than the sandbox's`, () =>
    expectCheckFails(PID_SELINUX, [{
      rpc: 'ExecSync',
      when: (req) => JSON.stringify(req.cmd) === JSON.stringify(['cat', '/proc/1/attr/current']),
      respond: () => ({ stdout: Buffer.from('system_u:system_r:container_t:s0:c1,c2\0'), stderr: Buffer.from(''), exit_code: 0 }),
    }], /ExecSync: SELinux level of PID 1 \(\/proc\/1\/attr\/current\): expected "s0:c4,c5", got "s0:c1,c2"/,
    { hostFeatures: { selinux: { present: true, evidence: 'pretended by the self-test' } } }));

  // Only a node with SELinux can judge it; elsewhere the test must skip and say why (the check counts in the map).
  it(`${PID_SELINUX} skips, naming the missing host feature, on this node without SELinux`, async () => {
    const r = await runOne(PID_SELINUX, []);
    expect(r.status, r.message).to.equal('skipped');
    expect(r.message).to.match(/^SELinux is not enabled on this node \(.*selinuxfs.*\)$/);
  });
});
