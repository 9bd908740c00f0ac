// Pod sandbox lifecycle: what the kubelet relies on when it runs, inspects, lists, stops and removes pods.
import {
  defineSuite, testImage, check, failWith, eventually, ensureImage, runSandbox, runContainer, execSync, sandboxStatus,
  containerStatus, podSandboxConfig, containerConfig, withShell, withSandboxLabels, withSandboxAnnotations,
  withHostname, withDns, withSysctls, withPortMapping, withLogPath, randomSuffix, expectSuccess, type Sandbox, type TestContext, type Basis,
  listPodSandboxes, deferSandboxRemoval, listContainers, stopPodSandbox, removePodSandbox,
  expectNotFound, cri, kubelet, opinion, skip, FACTS,
} from '../src/framework/index.js';
import { status as Status } from '@grpc/grpc-js';
import { networkInterfaces } from 'node:os';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { freeNodePort, nodeAddressToward, startWithinHostLimits } from '../src/framework/host.js';
import { waitForLog } from '../src/framework/logs.js';
import { givenEntries } from '../src/framework/stats.js';
import { RpcError, UnimplementedError, codeName } from '../src/cri/errors.js';
import type { PodSandboxConfig } from '../src/gen/v1/runtime/v1/PodSandboxConfig.js';
import type { PodSandboxFilter } from '../src/gen/v1/runtime/v1/PodSandboxFilter.js';
import { httpRequest } from '../src/http.js';

// What each check rests on (src/framework/contract.ts); api.proto words are quoted from cri-api v0.36's comments.
const READY = cri('RuntimeService.RunPodSandbox', 'RunPodSandbox creates and starts a pod-level sandbox. Runtimes must ensure the sandbox is in the ready state on success.');
const SANDBOX_ID = cri('RunPodSandboxResponse.pod_sandbox_id', 'ID of the PodSandbox to run.');
const STATUS_ID = cri('PodSandboxStatus.id', 'ID of the sandbox.', 'echo', ['PodSandboxStatusRequest.pod_sandbox_id']);
const FILTER = cri('PodSandboxFilter', "PodSandboxFilter is used to filter a list of PodSandboxes. All those fields are combined with 'AND'");
// Each filter alone, shown to include what matches and exclude what does not (the sandboxes of one test).
const ID_FILTER = cri('ListPodSandboxRequest.filter.id', 'ID of the sandbox.', 'honoured');
const STATE_FILTER_ONLY = cri('ListPodSandboxRequest.filter.state.state', 'State of the sandbox.', 'honoured');
const LABEL_FILTER = cri('ListPodSandboxRequest.filter.label_selector', 'LabelSelector to select matches. Only api.MatchLabels is supported for now and the requirements are ANDed.', 'honoured');
const STATE_FILTER = kubelet('kuberuntime_sandbox.go getKubeletSandboxes', 'lists the ready sandboxes with filter state=SANDBOX_READY and trusts every item to be ready');
// Each field of the metadata the kubelet sent, echoed in PodSandboxStatus.metadata.
const META_NAME = cri('RunPodSandboxRequest.config.metadata.name', 'Pod name of the sandbox. Same as the pod name in the Pod ObjectMeta.', 'echo');
const META_UID = cri('RunPodSandboxRequest.config.metadata.uid', 'Pod UID of the sandbox. Same as the pod UID in the Pod ObjectMeta.', 'echo');
const META_NAMESPACE = cri('RunPodSandboxRequest.config.metadata.namespace', 'Pod namespace of the sandbox. Same as the pod namespace in the Pod ObjectMeta.', 'echo');
const META_ATTEMPT = cri('RunPodSandboxRequest.config.metadata.attempt', 'Attempt number of creating the sandbox. Default: 0.', 'echo');
const ATTEMPT = kubelet('kuberuntime_manager.go podSandboxChanged', 'creates the next sandbox with attempt = the sandbox status metadata.attempt + 1');
const LABELS = cri('PodSandboxStatus.labels', 'Labels are key-value pairs that may be used to scope and select individual resources.', 'echo', ['RunPodSandboxRequest.config.labels']);
const ANNOTATIONS = cri('PodSandboxStatus.annotations', 'Annotations MUST NOT be altered by the runtime; the value of this field MUST be identical to that of the corresponding PodSandboxConfig', 'echo', ['RunPodSandboxRequest.config.annotations']);
const CREATED = cri('PodSandboxStatus.created_at', 'Creation timestamp of the sandbox in nanoseconds. Must be > 0.');
const POD_IP = kubelet('kuberuntime_sandbox.go determinePodSandboxIPs', 'takes a pod-network pod\'s IPs (status.podIPs) from PodSandboxStatus.network; podSandboxChanged re-creates a ready sandbox whose network.ip is empty');
const NS_NETWORK = kubelet('kuberuntime_manager.go podSandboxChanged', 'a sandbox whose status.linux.namespaces.options.network differs from the pod\'s is created again');
const NS_OPTIONS = cri('Namespace.options', 'Namespace options for Linux namespaces.');
const LIST_METADATA = cri('PodSandbox.metadata', 'Metadata of the PodSandbox.');
const LIST_LABELS = cri('PodSandbox.labels', 'Labels of the PodSandbox.', 'echo', ['RunPodSandboxRequest.config.labels']);
const LIST_ANNOTATIONS = cri('PodSandbox.annotations', 'Annotations MUST NOT be altered by the runtime; the value of this field MUST be identical to that of the corresponding PodSandboxConfig used to instantiate this PodSandbox.', 'echo', ['RunPodSandboxRequest.config.annotations']);
const LIST_CREATED = cri('PodSandbox.created_at', 'Creation timestamps of the PodSandbox in nanoseconds. Must be > 0.');
const HOSTNAME = cri('PodSandboxConfig.hostname', 'Hostname of the sandbox. Hostname could only be empty when the pod network namespace is NODE.', 'effect');
const DNS_SERVERS = cri('DNSConfig.servers', 'List of DNS servers of the cluster.', 'effect');
const DNS_SEARCHES = cri('DNSConfig.searches', 'List of DNS search domains of the cluster.', 'effect');
const DNS_OPTIONS = cri('DNSConfig.options', 'List of DNS options. See https://linux.die.net/man/5/resolv.conf', 'effect');
const SYSCTLS = cri('LinuxPodSandboxConfig.sysctls', 'Sysctls holds linux sysctls config for the sandbox.');
const EXEC_OK = cri('ExecSyncResponse.exit_code', 'Exit code the command finished with. Default: 0 (success).');
const STARTED = cri('RuntimeService.StartContainer', 'StartContainer starts the container.');
const STOP = cri('RuntimeService.StopPodSandbox', 'StopPodSandbox stops any running process that is part of the sandbox … If there are any running containers in the sandbox, they must be forcibly terminated.');
const STOPPED_STATE = kubelet('kuberuntime_gc.go evictSandboxes', 'removes only sandboxes that are not SANDBOX_READY; a stopped sandbox must say so');
const FINISHED_AT = kubelet('kuberuntime_container.go toKubeContainerStatus', 'an exited container\'s finished_at becomes its terminated state\'s finishedAt');
const REMOVE = cri('RuntimeService.RemovePodSandbox', 'RemovePodSandbox removes the sandbox. If there are any running containers in the sandbox, they must be forcibly terminated and removed.');
const STATUS_NOT_FOUND = kubelet('kuberuntime_manager.go GetPodStatus', 'skips a sandbox whose PodSandboxStatus answers NOT_FOUND (removed since it was listed); any other error fails the pod status');
const CONTAINER_NOT_FOUND = kubelet('kuberuntime_container.go getPodContainerStatuses', 'skips a container whose ContainerStatus answers NOT_FOUND (removed since it was listed); any other error fails the pod status');
const UNIQUE = cri('PodSandboxConfig.metadata', 'Metadata of the sandbox. This information will uniquely identify the sandbox, and the runtime should leverage this to ensure correct operation.');
// The forward reaches the container's port 8080 over TCP: a wrong protocol or container port breaks it.
const HOST_PORT = cri('PortMapping.host_port', 'Port number on the host to map the container port to.', 'effect', ['PortMapping.container_port', 'PortMapping.protocol']);
const HOST_IP = cri('PortMapping.host_ip', 'Host IP.', 'effect');
const STOP_ID = cri('StopPodSandboxRequest.pod_sandbox_id', 'ID of the PodSandbox to stop.', 'effect');
const REMOVE_ID = cri('RemovePodSandboxRequest.pod_sandbox_id', 'ID of the PodSandbox to remove.', 'effect');
const LOG_DIR = cri('PodSandboxConfig.log_directory', 'Path to the directory on the host in which container log files are stored. By default the log of a container going into the LogDirectory will be hooked up to STDOUT and STDERR.', 'effect');
const PRIVILEGED_POD = cri('LinuxSandboxSecurityContext.privileged', 'Indicates whether the sandbox will be asked to run a privileged container. If a privileged container is to be executed within it, this MUST be true.', 'effect');

export default defineSuite(({ describe, it }) => {
  describe('PodSandbox', () => {
    it('runtime should run a PodSandbox and report it SANDBOX_READY in PodSandboxStatus and ListPodSandbox [Conformance]', async (t) => {
      const sb = await runSandbox(t);
      check('RunPodSandbox', 'pod_sandbox_id', sb.id, SANDBOX_ID).present();
      const s = await sandboxStatus(t, sb.id);
      check('PodSandboxStatus', 'status.id', s.id, STATUS_ID).equals(sb.id);
      check('PodSandboxStatus', 'status.state', s.state, READY).equals('SANDBOX_READY', 'RunPodSandbox must leave the sandbox ready on success');
      const items = await listPodSandboxes(t, { id: sb.id });
      check('ListPodSandbox', `items[].id (filter id=${sb.id})`, items.map((i) => i.id), FILTER).equals([sb.id]);
      check('ListPodSandbox', 'items[0].state', items[0]!.state, READY).equals('SANDBOX_READY');
    });

    it('PodSandboxStatus should echo metadata, labels and annotations and report created_at, the pod IP and namespace options [Conformance]', async (t) => {
      const labels = { 'crc.example/app': 'attrs', 'io.kubernetes.pod.name': 'attrs-pod' };
      const annotations = { 'crc.example/note': 'preserve me', 'crc.example/empty': '' };
      const cfg = podSandboxConfig('attrs', withSandboxLabels(labels), withSandboxAnnotations(annotations));
      cfg.metadata!.attempt = 2;
      // What the kubelet sends for a pod without hostPID/hostIPC/hostNetwork.
      cfg.linux!.security_context!.namespace_options = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' };
      const before = nowNs();
      const sb = await runSandbox(t, cfg);
      const s = await sandboxStatus(t, sb.id);
      const after = nowNs();

      const m = cfg.metadata!;
      check('PodSandboxStatus', 'status.metadata.name', s.metadata?.name, META_NAME).equals(m.name);
      check('PodSandboxStatus', 'status.metadata.uid', s.metadata?.uid, META_UID).equals(m.uid);
      check('PodSandboxStatus', 'status.metadata.namespace', s.metadata?.namespace, META_NAMESPACE).equals(m.namespace);
      check('PodSandboxStatus', 'status.metadata.attempt', s.metadata?.attempt, META_ATTEMPT).equals(2, `the kubelet (${ATTEMPT.where}) ${ATTEMPT.says}`);
      // Labels: what was given comes back; a runtime may add its own (CRI-O does). Annotations: identical.
      check('PodSandboxStatus', 'status.labels (the ones given)', givenEntries(s.labels, cfg.labels), LABELS).equals(cfg.labels!, `all labels: ${JSON.stringify(s.labels)}`);
      check('PodSandboxStatus', 'status.annotations', s.annotations, ANNOTATIONS).equals(cfg.annotations!);
      // Nanoseconds since the epoch, taken while RunPodSandbox ran (a minute of slack for coarse clocks).
      check('PodSandboxStatus', 'status.created_at (ns since epoch)', s.created_at, CREATED).between(before - MINUTE_NS, after + MINUTE_NS);
      check('PodSandboxStatus', 'status.network.ip', s.network?.ip ?? '', POD_IP).matches(IP, 'a pod-network sandbox has a pod IP');
      const ns = s.linux?.namespaces?.options;
      if (!ns) failWith('PodSandboxStatus: status.linux.namespaces.options: expected the namespace options of the sandbox, got none', NS_OPTIONS);
      check('PodSandboxStatus', 'status.linux.namespaces.options.network', ns.network, NS_NETWORK).equals('POD');
      check('PodSandboxStatus', 'status.linux.namespaces.options.pid', ns.pid, NS_OPTIONS).equals('CONTAINER');
      check('PodSandboxStatus', 'status.linux.namespaces.options.ipc', ns.ipc, NS_OPTIONS).equals('POD');

      const [item] = await listPodSandboxes(t, { id: sb.id });
      if (!item) failWith(`ListPodSandbox: items: expected sandbox ${sb.id} (filter id), got none`, FILTER);
      check('ListPodSandbox', 'items[0].metadata', item.metadata, LIST_METADATA).equals(s.metadata);
      check('ListPodSandbox', 'items[0].labels (the ones given)', givenEntries(item.labels, cfg.labels), LIST_LABELS).equals(cfg.labels!, `all labels: ${JSON.stringify(item.labels)}`);
      check('ListPodSandbox', 'items[0].annotations', item.annotations, LIST_ANNOTATIONS).equals(cfg.annotations!);
      check('ListPodSandbox', 'items[0].created_at', item.created_at, LIST_CREATED).equals(s.created_at, 'same sandbox, same creation time as PodSandboxStatus');
    });

    it('runtime should apply the sandbox hostname and DNS config to its containers [Conformance]', async (t) => {
      const hostname = `crc-host-${randomSuffix(8)}`;
      const dns = { servers: ['10.233.0.53', '10.233.0.54'], searches: ['crc.svc.cluster.local', 'example.test'], options: ['ndots:5', 'timeout:2'] };
      const sb = await runSandbox(t, podSandboxConfig('dns', withHostname(hostname), withDns(dns)));
      const id = await busyboxIn(t, sb, 'dns');

      const etcHostname = await catFile(t, id, '/etc/hostname');
      check('ExecSync', 'cat /etc/hostname', etcHostname.trim(), HOSTNAME).equals(hostname, 'PodSandboxConfig.hostname');
      const uname = await execSync(t, id, ['hostname']);
      check('ExecSync', 'hostname (UTS namespace)', uname.stdout.trim(), HOSTNAME).equals(hostname, 'PodSandboxConfig.hostname');

      const resolv = await catFile(t, id, '/etc/resolv.conf');
      const lines = resolv.split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => w[0] && !w[0].startsWith('#'));
      const words = (key: string) => lines.filter((w) => w[0] === key).flatMap((w) => w.slice(1));
      check('ExecSync', '/etc/resolv.conf nameserver lines', words('nameserver'), DNS_SERVERS).equals(dns.servers, `dns_config.servers; file: ${JSON.stringify(resolv)}`);
      check('ExecSync', '/etc/resolv.conf search domains', words('search'), DNS_SEARCHES).equals(dns.searches, `dns_config.searches; file: ${JSON.stringify(resolv)}`);
      check('ExecSync', '/etc/resolv.conf options', words('options'), DNS_OPTIONS).sameMembers(dns.options, `dns_config.options; file: ${JSON.stringify(resolv)}`);
    });

    it('runtime should apply safe namespaced sysctls from the sandbox config [Conformance]', async (t) => {
      // Both are in the kubelet's safe set and namespaced (IPC, network); neither is at its kernel default.
      const sysctls = { 'kernel.shm_rmid_forced': '1', 'net.ipv4.ip_unprivileged_port_start': '1000' };
      const sb = await runSandbox(t, podSandboxConfig('sysctl', withSysctls(sysctls)));
      const id = await busyboxIn(t, sb, 'sysctl');
      for (const [key, value] of Object.entries(sysctls)) {
        const got = await catFile(t, id, `/proc/sys/${key.replace(/\./g, '/')}`);
        check('ExecSync', `/proc/sys/${key.replace(/\./g, '/')}`, got.trim(), SYSCTLS).equals(value, `linux.sysctls[${key}]`);
      }
    });

    it('runtime should write a container\'s log under the sandbox\'s log_directory on the node [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('logdir'));
      const ref = await testImage(t);
      const cfg = containerConfig('logdir', ref, withShell('echo "$MARKER"; exec sleep 3600'));
      const marker = `marker-${cfg.metadata!.name}`;
      cfg.envs = [{ key: 'MARKER', value: marker }];
      const rel = `${cfg.metadata!.name}/0.log`;
      withLogPath(rel)(cfg);
      // The kubelet makes <log_directory>/<container name>/ before CreateContainer (BuildContainerLogsDirectory).
      await mkdir(path.join(sb.config.log_directory!, cfg.metadata!.name!), { recursive: true, mode: 0o755 });
      await runContainer(t, sb, cfg);
      const file = path.join(sb.config.log_directory!, rel);
      await waitForLog(file, (text) => text.includes(`${marker}\n`), `the line "${marker}" the container printed, in log_directory ${sb.config.log_directory} + log_path ${rel}`, LOG_DIR);
    });

    it('runtime should run a privileged container in a sandbox that says privileged [Conformance]', async (t) => {
      // The kubelet marks the sandbox privileged when any container of the pod is (generatePodSandboxLinuxConfig).
      const ref = await testImage(t);
      const sb = await startWithinHostLimits(t, 'a privileged sandbox', () =>
        runSandbox(t, podSandboxConfig('priv-pod', (c) => void (c.linux!.security_context!.privileged = true))));
      const cfg = containerConfig('priv', ref, withShell('sleep 3600'), (c) => void (c.linux!.security_context!.privileged = true));
      // A node whose capability bounding set lacks some may keep a runtime from starting it: a named skip.
      const id = await expectSuccess('CreateContainer/StartContainer (privileged, in the privileged sandbox)',
        () => startWithinHostLimits(t, 'a privileged container', () => runContainer(t, sb, cfg)),
        'a privileged container in a sandbox with linux.security_context.privileged true', PRIVILEGED_POD);
      check('ContainerStatus', 'status.state', (await containerStatus(t, id)).state, PRIVILEGED_POD).equals('CONTAINER_RUNNING', 'the privileged container of the privileged sandbox');
    });

    it('ListPodSandbox should filter by id, by state, by label_selector and by their combination [Conformance]', async (t) => {
      const key = 'crc.example/list-test';
      const token = randomSuffix(10);
      const made = new Map<string, Made>();
      const mk = async (tier: string, group: string): Promise<Sandbox> => {
        const labels = { [key]: token, 'crc.example/tier': tier, 'crc.example/group': group };
        const sb = await runSandbox(t, podSandboxConfig(`list-${tier}`, withSandboxLabels(labels)));
        made.set(sb.id, { name: tier, podName: sb.config.metadata!.name!, labels, state: 'SANDBOX_READY' });
        return sb;
      };
      const a = await mk('a', 'g1');
      const b = await mk('b', 'g2');
      const c = await mk('c', 'g1');
      await stopPodSandbox(t, c.id);
      made.get(c.id)!.state = 'SANDBOX_NOTREADY';
      const mine = { [key]: token };

      // Every label filter below includes this test's own label, so the runtime must answer exactly these.
      await expectListed(t, made, 'id=a', { id: a.id }, ['a'], ID_FILTER);
      await expectListed(t, made, 'id=c', { id: c.id }, ['c'], ID_FILTER);
      await expectListed(t, made, `label ${key}`, { label_selector: mine }, ['a', 'b', 'c'], LABEL_FILTER);
      await expectListed(t, made, 'label group=g1', { label_selector: { ...mine, 'crc.example/group': 'g1' } }, ['a', 'c'], LABEL_FILTER);
      await expectListed(t, made, 'label tier=b', { label_selector: { ...mine, 'crc.example/tier': 'b' } }, ['b'], LABEL_FILTER);
      await expectListed(t, made, 'label tier=b AND group=g1', { label_selector: { ...mine, 'crc.example/tier': 'b', 'crc.example/group': 'g1' } }, [], LABEL_FILTER);
      await expectListed(t, made, 'label group=g1 AND state=SANDBOX_READY', { label_selector: { ...mine, 'crc.example/group': 'g1' }, state: { state: 'SANDBOX_READY' } }, ['a'], FILTER);
      await expectListed(t, made, 'label group=g1 AND state=SANDBOX_NOTREADY', { label_selector: { ...mine, 'crc.example/group': 'g1' }, state: { state: 'SANDBOX_NOTREADY' } }, ['c'], FILTER);
      await expectListed(t, made, 'id=a AND state=SANDBOX_NOTREADY', { id: a.id, state: { state: 'SANDBOX_NOTREADY' } }, [], FILTER);
      await expectListed(t, made, 'id=b AND label group=g1', { id: b.id, label_selector: { 'crc.example/group': 'g1' } }, [], FILTER);
      await expectListed(t, made, 'id=c AND state=SANDBOX_NOTREADY AND label group=g1', { id: c.id, state: { state: 'SANDBOX_NOTREADY' }, label_selector: { 'crc.example/group': 'g1' } }, ['c'], FILTER);

      // A state filter alone also matches other tests' sandboxes: judge ours, and the state of every item.
      for (const [state, want] of [['SANDBOX_READY', ['a', 'b']], ['SANDBOX_NOTREADY', ['c']]] as const) {
        const items = await listPodSandboxes(t, { state: { state } });
        const ours = items.filter((i) => made.has(i.id)).map((i) => made.get(i.id)!.name);
        check('ListPodSandbox', `items[] of this test (filter state=${state})`, ours, STATE_FILTER_ONLY).sameMembers([...want]);
        for (const i of items) check('ListPodSandbox', `items[${i.id.slice(0, 12)}].state (filter state=${state})`, i.state, STATE_FILTER).equals(state);
      }
    });

    it('runtime should stop a PodSandbox: SANDBOX_NOTREADY and its running containers exited [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('stop'));
      // Another sandbox, which the call does not name: it must stay ready.
      const other = await runSandbox(t, podSandboxConfig('stop-other'));
      // A workload that ends on SIGTERM: a runtime may spend the call's deadline as the grace period (CRI-O
      // does), and what is judged here is the state afterwards. Forced stops are judged by RemovePodSandbox below.
      const id = await busyboxIn(t, sb, 'stop');
      check('ContainerStatus', 'status.state (before StopPodSandbox)', (await containerStatus(t, id)).state, STARTED).equals('CONTAINER_RUNNING');
      await stopPodSandbox(t, sb.id);
      check('PodSandboxStatus', 'status.state', (await sandboxStatus(t, sb.id)).state, STOP_ID).equals('SANDBOX_NOTREADY', `after StopPodSandbox of it; ${STOPPED_STATE.where}: ${STOPPED_STATE.says}`);
      check('PodSandboxStatus', 'status.state (the other sandbox)', (await sandboxStatus(t, other.id)).state, STOP_ID).equals('SANDBOX_READY', `StopPodSandbox named ${sb.id}, not this one`);
      const [item] = await listPodSandboxes(t, { id: sb.id });
      check('ListPodSandbox', 'items[0].state', item?.state, STOPPED_STATE).equals('SANDBOX_NOTREADY', 'after StopPodSandbox');
      // StopPodSandbox must terminate running containers before it returns.
      const cs = await containerStatus(t, id);
      check('ContainerStatus', 'status.state', cs.state, STOP).equals('CONTAINER_EXITED', 'containers of a stopped sandbox must be terminated');
      check('ContainerStatus', 'status.finished_at', cs.finished_at, FINISHED_AT).present();
    });

    it('runtime should remove a stopped PodSandbox: gone from ListPodSandbox, PodSandboxStatus answers NOT_FOUND [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('remove'));
      const other = await runSandbox(t, podSandboxConfig('remove-other'));
      const ctr = await busyboxIn(t, sb, 'remove');
      await stopPodSandbox(t, sb.id);
      await stopPodSandbox(t, other.id);
      await removePodSandbox(t, sb.id);
      await expectGone(t, sb.id, ctr);
      // The call named one sandbox: the other, stopped alike, is still there.
      const [kept] = await listPodSandboxes(t, { id: other.id });
      check('ListPodSandbox', 'items[0].id (filter id of the other, stopped sandbox)', kept?.id, REMOVE_ID).equals(other.id, `RemovePodSandbox named ${sb.id}, not this one`);
    });

    it('RemovePodSandbox should forcibly stop and remove a ready sandbox and its running container that ignores SIGTERM [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('force-remove'));
      const ctr = await busyboxIn(t, sb, 'force-remove', IGNORES_SIGTERM);
      await removeForcibly(t, sb.id);
      await expectGone(t, sb.id, ctr);
    });

    // The CRI does not say how a repeated RunPodSandbox is answered: containerd refuses it, CRI-O answers the
    // sandbox it already has (a kubelet retry after a lost answer stays idempotent). Both are accepted; a second
    // sandbox for the same metadata is not.
    it('runtime should refuse RunPodSandbox with the name, uid, namespace and attempt of a live sandbox, or answer that same sandbox [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('dup'));
      const dup: PodSandboxConfig = structuredClone(sb.config);
      const m = dup.metadata!;
      const what = `RunPodSandbox (same metadata as the ready sandbox ${sb.id}: name=${m.name} namespace=${m.namespace} uid=${m.uid} attempt=${m.attempt})`;
      let answered: string | undefined;
      try {
        answered = (await t.cri.runtime.call('RunPodSandbox', { config: dup, runtime_handler: t.run.runtimeHandler })).pod_sandbox_id;
      } catch (e) {
        if (!(e instanceof RpcError) || e instanceof UnimplementedError) throw e;
      }
      if (answered !== undefined && answered !== sb.id) {
        deferSandboxRemoval(t, answered);
        failWith(`${what}: expected an error or the same sandbox id ${sb.id}, got a second sandbox ${answered}`, UNIQUE);
      }
      check('PodSandboxStatus', 'status.state (original sandbox after the repeated RunPodSandbox)', (await sandboxStatus(t, sb.id)).state, UNIQUE).equals('SANDBOX_READY');
      const same = (await listPodSandboxes(t, { label_selector: sb.config.labels })).filter((i) => i.metadata?.name === m.name);
      check('ListPodSandbox', `items[].id with metadata.name=${m.name}`, same.map((i) => i.id), UNIQUE).equals([sb.id]);
    });

    // Port mappings as the kubelet sends them: host_ip empty, i.e. every node address. Judged on the node's own
    // address on the route to the pod (the CNI bridge's gateway on this machine): CRI-O's hostport rules answer
    // there and not on loopback, containerd's portmap plugin on both. Nothing else is ever dialled.
    it('runtime should forward a sandbox port mapping on a node address to the pod [Optional]', async (t) => {
      const { hostPort, podIp } = await webserverWithHostPort(t, 'ports');
      const node = await nodeAddressToward(podIp);
      if (!node.address) skip(`cannot reach the pod's node from here: ${node.why}`);
      await expectServed(t, node.address, hostPort, `${node.address} is this node's address on the route to the pod ${podIp} (${node.why})`, HOST_PORT);
    });

    it('runtime should also forward a sandbox port mapping on the node\'s loopback address [Optional]', async (t) => {
      const { hostPort } = await webserverWithHostPort(t, 'ports-lo');
      await expectServed(t, '127.0.0.1', hostPort, 'loopback is a node address too, but nothing in the contract or the kubelet asks for it',
        opinion('a port mapping with an empty host_ip answers on 127.0.0.1 as on every other node address (containerd\'s portmap does, CRI-O\'s hostport rules do not)'));
    });

    // A pod's hostIP (ContainerPort.hostIP, "what host IP to bind the external port to"): the port answers on
    // that node address, and not on loopback, where nothing else listens on that port.
    it('runtime should forward a sandbox port mapping with a host_ip on that node address only [Optional]', async (t) => {
      const address = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
      if (!address) skip('the node has no IPv4 address besides loopback to bind a host port to');
      const { hostPort } = await webserverWithHostPort(t, 'ports-ip', address);
      await expectServed(t, address, hostPort, `host_ip ${address}, a node address`, HOST_IP, address);
      const lo = `http://127.0.0.1:${hostPort}/index.html`;
      const answer = await httpRequest(lo, { timeoutMs: 2000 }).then((r) => `HTTP ${r.status}`, () => undefined);
      check(`GET ${lo}`, 'answer', answer, HOST_IP).absent(`port_mappings[{host_port: ${hostPort}, host_ip: "${address}"}] binds ${address} only; nothing else listens on that port`);
    });
  });
});

const MINUTE_NS = 60_000_000_000n;
const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:.]*)$/;
const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

/** Ends at once on SIGTERM (the shell's wait is interrupted by the trapped signal). */
const ENDS_ON_SIGTERM = "trap 'exit 0' TERM; sleep 3600 & wait";
/** Ignores SIGTERM: only a forced kill ends it. */
const IGNORES_SIGTERM = "trap '' TERM; sleep 3600";

/** A long-running busybox container in the sandbox, for reading what the sandbox config produced. */
async function busyboxIn(t: TestContext, sb: Sandbox, prefix: string, script = ENDS_ON_SIGTERM): Promise<string> {
  const ref = await testImage(t);
  return runContainer(t, sb, containerConfig(prefix, ref, withShell(script)));
}

async function catFile(t: TestContext, id: string, file: string): Promise<string> {
  const out = await execSync(t, id, ['cat', file]);
  check('ExecSync', `exit_code (cat ${file})`, out.exitCode, EXEC_OK).equals(0, out.stderr.trim());
  return out.stdout;
}

/**
 * RemovePodSandbox of a ready sandbox whose container ignores SIGTERM, judged on an explicit time: the call gets
 * the fact's deadline. A runtime that spends the deadline as grace period (CRI-O) may answer just after it and
 * finish the removal anyway; then the removal is retried once, as the kubelet's garbage collector would
 * (idempotent), after the runtime had a moment to finish. Two deadline expiries at most: the run's breaker
 * stops calling an RPC after three, which would block every later removal and the cleanup.
 */
async function removeForcibly(t: TestContext, id: string): Promise<void> {
  const f = FACTS.forcedSandboxRemoval;
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const start = Date.now();
  const attempt = async (): Promise<string | undefined> => {
    const at = Date.now();
    try {
      await t.cri.runtime.call('RemovePodSandbox', { pod_sandbox_id: id }, { timeoutMs: f.periodMs });
      return undefined;
    } catch (e) {
      if (!(e instanceof RpcError) || e instanceof UnimplementedError) throw e;
      return `${codeName(e.code)} after ${secs(Date.now() - at)}: ${e.details}`;
    }
  };
  const what = `RemovePodSandbox (ready sandbox ${id}, its container ignores SIGTERM, deadline ${secs(f.periodMs)})`;
  const first = await attempt();
  if (first === undefined) return;
  if (!first.startsWith(codeName(Status.DEADLINE_EXCEEDED))) failWith(`${what}: expected success, got ${first}`, REMOVE);
  // The runtime may still be removing it: wait a little for it to go from the list, then retry once.
  await eventually(async () => {
    if ((await listPodSandboxes(t, { id })).length) throw new Error('still listed');
  }, { timeoutMs: 5_000, intervalMs: 500 }).catch(() => undefined);
  const second = await attempt();
  if (second !== undefined) {
    failWith(`${what}: expected the sandbox removed by a call or its retry, got: first call ${first}; retry ${second} ` +
      `(${secs(Date.now() - start)} in all; ${f.source})`, REMOVE);
  }
}

/** A webserver pod with container port 8080 mapped to a free node port, as the kubelet maps it (host_ip empty unless given). */
async function webserverWithHostPort(t: TestContext, prefix: string, hostIp = ''): Promise<{ hostPort: number; podIp: string }> {
  const hostPort = await freeNodePort();
  const sb = await runSandbox(t, podSandboxConfig(prefix, withPortMapping(8080, hostPort, hostIp)));
  const ref = t.image('webserver');
  await ensureImage(t, ref);
  await runContainer(t, sb, containerConfig('web', ref));
  return { hostPort, podIp: (await sandboxStatus(t, sb.id)).network?.ip ?? '' };
}

/** GET the webserver's page through the host port on `address`, polled while the runtime sets up its rules. */
async function expectServed(t: TestContext, address: string, hostPort: number, why: string, basis: Basis, hostIp = ''): Promise<void> {
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${hostPort}/index.html`;
  const body = await eventually(async () => {
    const res = await httpRequest(url, { timeoutMs: 2000 }).catch((e: Error) =>
      failWith(`node -> ${url}: expected an HTTP answer through port_mappings[{container_port: 8080, host_port: ${hostPort}, host_ip: "${hostIp}"}], got ${e.message} (${why})`, basis));
    return res.body;
  }, { timeoutMs: 20_000 });
  check(`GET ${url}`, 'body', body, basis).includes('cri-conformance webserver OK', why);
}

/** A sandbox of the list test: its short name, pod name, labels and the state it must be in. */
interface Made {
  name: string;
  podName: string;
  labels: Record<string, string>;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
}

/** The filter must return exactly the sandboxes `want` (by this test's short names), nothing else; each item with
 * its own pod name, labels and state (entry by entry: an answer that swaps two sandboxes' values is wrong). */
async function expectListed(t: TestContext, made: Map<string, Made>, desc: string, filter: PodSandboxFilter, want: string[], basis: Basis): Promise<void> {
  const items = await listPodSandboxes(t, filter);
  const got = items.map((i) => made.get(i.id)?.name ?? `other:${i.id.slice(0, 12)}`);
  check('ListPodSandbox', `items[] (filter ${desc})`, got, basis).sameMembers(want);
  for (const i of items) {
    const m = made.get(i.id);
    if (!m) continue;
    check('ListPodSandbox', `items[${m.name}].metadata.name (filter ${desc})`, i.metadata?.name, LIST_METADATA).equals(m.podName);
    check('ListPodSandbox', `items[${m.name}].labels (the ones given; filter ${desc})`, givenEntries(i.labels, m.labels), LIST_LABELS).equals(m.labels);
    check('ListPodSandbox', `items[${m.name}].state (filter ${desc})`, i.state, STATE_FILTER).equals(m.state);
  }
}

/** After RemovePodSandbox: no trace of the sandbox or of its container. */
async function expectGone(t: TestContext, id: string, containerId: string): Promise<void> {
  const listed = await listPodSandboxes(t, { id });
  check('ListPodSandbox', `items[].id (filter id of the removed sandbox)`, listed.map((i) => i.id), REMOVE).absent();
  const all = await listPodSandboxes(t);
  check('ListPodSandbox', 'items[].id (no filter)', all.map((i) => i.id), REMOVE).excludes(id, 'the sandbox was removed');
  await expectNotFound('PodSandboxStatus', () => t.cri.runtime.call('PodSandboxStatus', { pod_sandbox_id: id }), `sandbox ${id} was removed`, STATUS_NOT_FOUND);
  const ctrs = await listContainers(t, { pod_sandbox_id: id });
  check('ListContainers', 'containers[].id (filter pod_sandbox_id of the removed sandbox)', ctrs.map((c) => c.id), REMOVE).absent();
  await expectNotFound('ContainerStatus', () => t.cri.runtime.call('ContainerStatus', { container_id: containerId }),
    `container ${containerId} belonged to the removed sandbox ${id}`, CONTAINER_NOT_FOUND);
}
