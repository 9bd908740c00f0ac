// Pod sandbox lifecycle: what the kubelet relies on when it runs, inspects, lists, stops and removes pods.
import {
  defineSuite, testImage, check, failWith, eventually, ensureImage, runSandbox, runContainer, execSync, sandboxStatus,
  containerStatus, podSandboxConfig, containerConfig, withShell, withSandboxLabels, withSandboxAnnotations,
  withHostname, withDns, withSysctls, withPortMapping, randomSuffix, type Sandbox, type TestContext, type Basis,
  listPodSandboxes, deferSandboxRemoval, listContainers, stopPodSandbox, removePodSandbox,
  expectNotFound, cri, kubelet, opinion, skip, FACTS,
} from '../src/framework/index.js';
import { status as Status } from '@grpc/grpc-js';
import { freeNodePort, nodeAddressToward } from '../src/framework/host.js';
import { givenEntries } from '../src/framework/stats.js';
import { RpcError, UnimplementedError, codeName } from '../src/cri/errors.js';
import type { PodSandboxConfig } from '../src/gen/v1/runtime/v1/PodSandboxConfig.js';
import type { PodSandboxFilter } from '../src/gen/v1/runtime/v1/PodSandboxFilter.js';
import { httpRequest } from '../src/http.js';

// What each check rests on (src/framework/contract.ts); api.proto words are quoted from cri-api v0.36's comments.
const READY = cri('RuntimeService.RunPodSandbox', 'RunPodSandbox creates and starts a pod-level sandbox. Runtimes must ensure the sandbox is in the ready state on success.');
const SANDBOX_ID = cri('RunPodSandboxResponse.pod_sandbox_id', 'ID of the PodSandbox to run.');
const STATUS_ID = cri('PodSandboxStatus.id', 'ID of the sandbox.');
const FILTER = cri('PodSandboxFilter', "PodSandboxFilter is used to filter a list of PodSandboxes. All those fields are combined with 'AND'");
const STATE_FILTER = kubelet('kuberuntime_sandbox.go getKubeletSandboxes', 'lists the ready sandboxes with filter state=SANDBOX_READY and trusts every item to be ready');
const METADATA = cri('PodSandboxStatus.metadata', 'Metadata of the sandbox.');
const ATTEMPT = kubelet('kuberuntime_manager.go podSandboxChanged', 'creates the next sandbox with attempt = the sandbox status metadata.attempt + 1');
const LABELS = cri('PodSandboxStatus.labels', 'Labels are key-value pairs that may be used to scope and select individual resources.');
const ANNOTATIONS = cri('PodSandboxStatus.annotations', 'Annotations MUST NOT be altered by the runtime; the value of this field MUST be identical to that of the corresponding PodSandboxConfig');
const CREATED = cri('PodSandboxStatus.created_at', 'Creation timestamp of the sandbox in nanoseconds. Must be > 0.');
const POD_IP = kubelet('kuberuntime_sandbox.go determinePodSandboxIPs', 'takes a pod-network pod\'s IPs (status.podIPs) from PodSandboxStatus.network; podSandboxChanged re-creates a ready sandbox whose network.ip is empty');
const NS_NETWORK = kubelet('kuberuntime_manager.go podSandboxChanged', 'a sandbox whose status.linux.namespaces.options.network differs from the pod\'s is created again');
const NS_OPTIONS = cri('Namespace.options', 'Namespace options for Linux namespaces.');
const LIST_METADATA = cri('PodSandbox.metadata', 'Metadata of the PodSandbox.');
const LIST_LABELS = cri('PodSandbox.labels', 'Labels of the PodSandbox.');
const LIST_ANNOTATIONS = cri('PodSandbox.annotations', 'Annotations MUST NOT be altered by the runtime; the value of this field MUST be identical to that of the corresponding PodSandboxConfig used to instantiate this PodSandbox.');
const LIST_CREATED = cri('PodSandbox.created_at', 'Creation timestamps of the PodSandbox in nanoseconds. Must be > 0.');
const HOSTNAME = cri('PodSandboxConfig.hostname', 'Hostname of the sandbox. Hostname could only be empty when the pod network namespace is NODE.');
const DNS_SERVERS = cri('DNSConfig.servers', 'List of DNS servers of the cluster.');
const DNS_SEARCHES = cri('DNSConfig.searches', 'List of DNS search domains of the cluster.');
const DNS_OPTIONS = cri('DNSConfig.options', 'List of DNS options. See https://linux.die.net/man/5/resolv.conf');
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
const HOST_PORT = cri('PortMapping.host_port', 'Port number on the host to map the container port to.');

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
      check('PodSandboxStatus', 'status.metadata.name', s.metadata?.name, METADATA).equals(m.name);
      check('PodSandboxStatus', 'status.metadata.uid', s.metadata?.uid, METADATA).equals(m.uid);
      check('PodSandboxStatus', 'status.metadata.namespace', s.metadata?.namespace, METADATA).equals(m.namespace);
      check('PodSandboxStatus', 'status.metadata.attempt', s.metadata?.attempt, ATTEMPT).equals(2);
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

    it('ListPodSandbox should filter by id, by state, by label_selector and by their combination [Conformance]', async (t) => {
      const key = 'crc.example/list-test';
      const token = randomSuffix(10);
      const mk = (tier: string, group: string) =>
        runSandbox(t, podSandboxConfig(`list-${tier}`, withSandboxLabels({ [key]: token, 'crc.example/tier': tier, 'crc.example/group': group })));
      const a = await mk('a', 'g1');
      const b = await mk('b', 'g2');
      const c = await mk('c', 'g1');
      await stopPodSandbox(t, c.id);
      const names = new Map([[a.id, 'a'], [b.id, 'b'], [c.id, 'c']]);
      const mine = { [key]: token };

      // Every label filter below includes this test's own label, so the runtime must answer exactly these.
      await expectListed(t, names, 'id=a', { id: a.id }, ['a']);
      await expectListed(t, names, 'id=c', { id: c.id }, ['c']);
      await expectListed(t, names, `label ${key}`, { label_selector: mine }, ['a', 'b', 'c']);
      await expectListed(t, names, 'label group=g1', { label_selector: { ...mine, 'crc.example/group': 'g1' } }, ['a', 'c']);
      await expectListed(t, names, 'label tier=b', { label_selector: { ...mine, 'crc.example/tier': 'b' } }, ['b']);
      await expectListed(t, names, 'label tier=b AND group=g1', { label_selector: { ...mine, 'crc.example/tier': 'b', 'crc.example/group': 'g1' } }, []);
      await expectListed(t, names, 'label group=g1 AND state=SANDBOX_READY', { label_selector: { ...mine, 'crc.example/group': 'g1' }, state: { state: 'SANDBOX_READY' } }, ['a']);
      await expectListed(t, names, 'label group=g1 AND state=SANDBOX_NOTREADY', { label_selector: { ...mine, 'crc.example/group': 'g1' }, state: { state: 'SANDBOX_NOTREADY' } }, ['c']);
      await expectListed(t, names, 'id=a AND state=SANDBOX_NOTREADY', { id: a.id, state: { state: 'SANDBOX_NOTREADY' } }, []);
      await expectListed(t, names, 'id=b AND label group=g1', { id: b.id, label_selector: { 'crc.example/group': 'g1' } }, []);
      await expectListed(t, names, 'id=c AND state=SANDBOX_NOTREADY AND label group=g1', { id: c.id, state: { state: 'SANDBOX_NOTREADY' }, label_selector: { 'crc.example/group': 'g1' } }, ['c']);

      // A state filter alone also matches other tests' sandboxes: judge ours, and the state of every item.
      for (const [state, want] of [['SANDBOX_READY', ['a', 'b']], ['SANDBOX_NOTREADY', ['c']]] as const) {
        const items = await listPodSandboxes(t, { state: { state } });
        const ours = items.filter((i) => names.has(i.id)).map((i) => names.get(i.id)!);
        check('ListPodSandbox', `items[] of this test (filter state=${state})`, ours, FILTER).sameMembers([...want]);
        for (const i of items) check('ListPodSandbox', `items[${i.id.slice(0, 12)}].state (filter state=${state})`, i.state, STATE_FILTER).equals(state);
      }
    });

    it('runtime should stop a PodSandbox: SANDBOX_NOTREADY and its running containers exited [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('stop'));
      // A workload that ends on SIGTERM: a runtime may spend the call's deadline as the grace period (CRI-O
      // does), and what is judged here is the state afterwards. Forced stops are judged by RemovePodSandbox below.
      const id = await busyboxIn(t, sb, 'stop');
      check('ContainerStatus', 'status.state (before StopPodSandbox)', (await containerStatus(t, id)).state, STARTED).equals('CONTAINER_RUNNING');
      await stopPodSandbox(t, sb.id);
      check('PodSandboxStatus', 'status.state', (await sandboxStatus(t, sb.id)).state, STOPPED_STATE).equals('SANDBOX_NOTREADY', 'after StopPodSandbox');
      const [item] = await listPodSandboxes(t, { id: sb.id });
      check('ListPodSandbox', 'items[0].state', item?.state, STOPPED_STATE).equals('SANDBOX_NOTREADY', 'after StopPodSandbox');
      // StopPodSandbox must terminate running containers before it returns.
      const cs = await containerStatus(t, id);
      check('ContainerStatus', 'status.state', cs.state, STOP).equals('CONTAINER_EXITED', 'containers of a stopped sandbox must be terminated');
      check('ContainerStatus', 'status.finished_at', cs.finished_at, FINISHED_AT).present();
    });

    it('runtime should remove a stopped PodSandbox: gone from ListPodSandbox, PodSandboxStatus answers NOT_FOUND [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('remove'));
      const ctr = await busyboxIn(t, sb, 'remove');
      await stopPodSandbox(t, sb.id);
      await removePodSandbox(t, sb.id);
      await expectGone(t, sb.id, ctr);
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

/** A webserver pod with container port 8080 mapped to a free node port, as the kubelet maps it (host_ip empty). */
async function webserverWithHostPort(t: TestContext, prefix: string): Promise<{ hostPort: number; podIp: string }> {
  const hostPort = await freeNodePort();
  const sb = await runSandbox(t, podSandboxConfig(prefix, withPortMapping(8080, hostPort)));
  const ref = t.image('webserver');
  await ensureImage(t, ref);
  await runContainer(t, sb, containerConfig('web', ref));
  return { hostPort, podIp: (await sandboxStatus(t, sb.id)).network?.ip ?? '' };
}

/** GET the webserver's page through the host port on `address`, polled while the runtime sets up its rules. */
async function expectServed(t: TestContext, address: string, hostPort: number, why: string, basis: Basis): Promise<void> {
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${hostPort}/index.html`;
  const body = await eventually(async () => {
    const res = await httpRequest(url, { timeoutMs: 2000 }).catch((e: Error) =>
      failWith(`node -> ${url}: expected an HTTP answer through port_mappings[{container_port: 8080, host_port: ${hostPort}, host_ip: ""}], got ${e.message} (${why})`, basis));
    return res.body;
  }, { timeoutMs: 20_000 });
  check(`GET ${url}`, 'body', body, basis).includes('cri-conformance webserver OK', why);
}

/** The filter must return exactly the sandboxes `want` (by this test's short names), nothing else. */
async function expectListed(t: TestContext, names: Map<string, string>, desc: string, filter: PodSandboxFilter, want: string[]): Promise<void> {
  const items = await listPodSandboxes(t, filter);
  const got = items.map((i) => names.get(i.id) ?? `other:${i.id.slice(0, 12)}`);
  check('ListPodSandbox', `items[] (filter ${desc})`, got, FILTER).sameMembers(want);
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
