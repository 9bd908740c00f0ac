// Pod sandbox lifecycle: what the kubelet relies on when it runs, inspects, lists, stops and removes pods.
import {
  defineSuite, testImage, check, failWith, eventually, ensureImage, runSandbox, runContainer, execSync, sandboxStatus,
  containerStatus, podSandboxConfig, containerConfig, withShell, withSandboxLabels, withSandboxAnnotations,
  withHostname, withDns, withSysctls, withPortMapping, randomSuffix, type Sandbox, type TestContext,
  listPodSandboxes, deferSandboxRemoval, listContainers, stopPodSandbox, removePodSandbox, expectSuccess,
  expectRpcError, expectNotFound,
} from '../src/framework/index.js';
import { freeNodePort } from '../src/framework/host.js';
import type { PodSandboxConfig } from '../src/gen/v1/runtime/v1/PodSandboxConfig.js';
import type { PodSandboxFilter } from '../src/gen/v1/runtime/v1/PodSandboxFilter.js';

export default defineSuite(({ describe, it }) => {
  describe('PodSandbox', () => {
    it('runtime should run a PodSandbox and report it SANDBOX_READY in PodSandboxStatus and ListPodSandbox [Conformance]', async (t) => {
      const sb = await runSandbox(t);
      check('RunPodSandbox', 'pod_sandbox_id', sb.id).present();
      const s = await sandboxStatus(t, sb.id);
      check('PodSandboxStatus', 'status.id', s.id).equals(sb.id);
      check('PodSandboxStatus', 'status.state', s.state).equals('SANDBOX_READY', 'RunPodSandbox must leave the sandbox ready on success');
      const items = await listPodSandboxes(t, { id: sb.id });
      check('ListPodSandbox', `items[].id (filter id=${sb.id})`, items.map((i) => i.id)).equals([sb.id]);
      check('ListPodSandbox', 'items[0].state', items[0]!.state).equals('SANDBOX_READY');
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
      check('PodSandboxStatus', 'status.metadata.name', s.metadata?.name).equals(m.name);
      check('PodSandboxStatus', 'status.metadata.uid', s.metadata?.uid).equals(m.uid);
      check('PodSandboxStatus', 'status.metadata.namespace', s.metadata?.namespace).equals(m.namespace);
      check('PodSandboxStatus', 'status.metadata.attempt', s.metadata?.attempt).equals(2);
      check('PodSandboxStatus', 'status.labels', s.labels).equals(cfg.labels!);
      check('PodSandboxStatus', 'status.annotations', s.annotations).equals(cfg.annotations!);
      // Nanoseconds since the epoch, taken while RunPodSandbox ran (a minute of slack for coarse clocks).
      check('PodSandboxStatus', 'status.created_at (ns since epoch)', s.created_at).between(before - MINUTE_NS, after + MINUTE_NS);
      check('PodSandboxStatus', 'status.network.ip', s.network?.ip ?? '').matches(IP, 'a pod-network sandbox has a pod IP');
      const ns = s.linux?.namespaces?.options;
      if (!ns) failWith('PodSandboxStatus: status.linux.namespaces.options: expected the namespace options of the sandbox, got none');
      check('PodSandboxStatus', 'status.linux.namespaces.options.network', ns.network).equals('POD');
      check('PodSandboxStatus', 'status.linux.namespaces.options.pid', ns.pid).equals('CONTAINER');
      check('PodSandboxStatus', 'status.linux.namespaces.options.ipc', ns.ipc).equals('POD');

      const [item] = await listPodSandboxes(t, { id: sb.id });
      if (!item) failWith(`ListPodSandbox: items: expected sandbox ${sb.id} (filter id), got none`);
      check('ListPodSandbox', 'items[0].metadata', item.metadata).equals(s.metadata);
      check('ListPodSandbox', 'items[0].labels', item.labels).equals(cfg.labels!);
      check('ListPodSandbox', 'items[0].annotations', item.annotations).equals(cfg.annotations!);
      check('ListPodSandbox', 'items[0].created_at', item.created_at).equals(s.created_at, 'same sandbox, same creation time as PodSandboxStatus');
    });

    it('runtime should apply the sandbox hostname and DNS config to its containers [Conformance]', async (t) => {
      const hostname = `crc-host-${randomSuffix(8)}`;
      const dns = { servers: ['10.233.0.53', '10.233.0.54'], searches: ['crc.svc.cluster.local', 'example.test'], options: ['ndots:5', 'timeout:2'] };
      const sb = await runSandbox(t, podSandboxConfig('dns', withHostname(hostname), withDns(dns)));
      const id = await busyboxIn(t, sb, 'dns');

      const etcHostname = await catFile(t, id, '/etc/hostname');
      check('ExecSync', 'cat /etc/hostname', etcHostname.trim()).equals(hostname, 'PodSandboxConfig.hostname');
      const uname = await execSync(t, id, ['hostname']);
      check('ExecSync', 'hostname (UTS namespace)', uname.stdout.trim()).equals(hostname, 'PodSandboxConfig.hostname');

      const resolv = await catFile(t, id, '/etc/resolv.conf');
      const lines = resolv.split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => w[0] && !w[0].startsWith('#'));
      const words = (key: string) => lines.filter((w) => w[0] === key).flatMap((w) => w.slice(1));
      check('ExecSync', '/etc/resolv.conf nameserver lines', words('nameserver')).equals(dns.servers, `dns_config.servers; file: ${JSON.stringify(resolv)}`);
      check('ExecSync', '/etc/resolv.conf search domains', words('search')).equals(dns.searches, `dns_config.searches; file: ${JSON.stringify(resolv)}`);
      check('ExecSync', '/etc/resolv.conf options', words('options')).sameMembers(dns.options, `dns_config.options; file: ${JSON.stringify(resolv)}`);
    });

    it('runtime should apply safe namespaced sysctls from the sandbox config [Conformance]', async (t) => {
      // Both are in the kubelet's safe set and namespaced (IPC, network); neither is at its kernel default.
      const sysctls = { 'kernel.shm_rmid_forced': '1', 'net.ipv4.ip_unprivileged_port_start': '1000' };
      const sb = await runSandbox(t, podSandboxConfig('sysctl', withSysctls(sysctls)));
      const id = await busyboxIn(t, sb, 'sysctl');
      for (const [key, value] of Object.entries(sysctls)) {
        const got = await catFile(t, id, `/proc/sys/${key.replace(/\./g, '/')}`);
        check('ExecSync', `/proc/sys/${key.replace(/\./g, '/')}`, got.trim()).equals(value, `linux.sysctls[${key}]`);
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
        check('ListPodSandbox', `items[] of this test (filter state=${state})`, ours).sameMembers([...want]);
        for (const i of items) check('ListPodSandbox', `items[${i.id.slice(0, 12)}].state (filter state=${state})`, i.state).equals(state);
      }
    });

    it('runtime should stop a PodSandbox: SANDBOX_NOTREADY and its running containers exited [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('stop'));
      const id = await busyboxIn(t, sb, 'stop');
      check('ContainerStatus', 'status.state (before StopPodSandbox)', (await containerStatus(t, id)).state).equals('CONTAINER_RUNNING');
      await stopPodSandbox(t, sb.id);
      check('PodSandboxStatus', 'status.state', (await sandboxStatus(t, sb.id)).state).equals('SANDBOX_NOTREADY', 'after StopPodSandbox');
      const [item] = await listPodSandboxes(t, { id: sb.id });
      check('ListPodSandbox', 'items[0].state', item?.state).equals('SANDBOX_NOTREADY', 'after StopPodSandbox');
      // StopPodSandbox must forcibly terminate running containers before it returns.
      const cs = await containerStatus(t, id);
      check('ContainerStatus', 'status.state', cs.state).equals('CONTAINER_EXITED', 'containers of a stopped sandbox must be terminated');
      check('ContainerStatus', 'status.finished_at', cs.finished_at).present();
    });

    it('runtime should remove a stopped PodSandbox: gone from ListPodSandbox, PodSandboxStatus answers NOT_FOUND [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('remove'));
      const ctr = await busyboxIn(t, sb, 'remove');
      await stopPodSandbox(t, sb.id);
      await removePodSandbox(t, sb.id);
      await expectGone(t, sb.id, ctr);
    });

    it('RemovePodSandbox should forcibly stop and remove a ready sandbox and its running containers [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('force-remove'));
      const ctr = await busyboxIn(t, sb, 'force-remove');
      await expectSuccess('RemovePodSandbox', () => removePodSandbox(t, sb.id),
        'RemovePodSandbox must forcibly terminate and remove running containers of the sandbox');
      await expectGone(t, sb.id, ctr);
    });

    it('runtime should reject RunPodSandbox with the name, uid, namespace and attempt of a live sandbox [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('dup'));
      const dup: PodSandboxConfig = structuredClone(sb.config);
      const m = dup.metadata!;
      await expectRpcError(
        'RunPodSandbox (same metadata as a ready sandbox)',
        () => t.cri.runtime.call('RunPodSandbox', { config: dup, runtime_handler: '' }),
        `sandbox ${sb.id} already has name=${m.name} namespace=${m.namespace} uid=${m.uid} attempt=${m.attempt}`,
        (res) => deferSandboxRemoval(t, res.pod_sandbox_id),
      );
      check('PodSandboxStatus', 'status.state (original sandbox after the rejected duplicate)', (await sandboxStatus(t, sb.id)).state).equals('SANDBOX_READY');
      const same = (await listPodSandboxes(t, { label_selector: sb.config.labels })).filter((i) => i.metadata?.name === m.name);
      check('ListPodSandbox', `items[].id with metadata.name=${m.name}`, same.map((i) => i.id)).equals([sb.id]);
    });

    it('runtime should forward a sandbox port mapping on the node to the pod [Optional]', async (t) => {
      const hostPort = await freeNodePort();
      const sb = await runSandbox(t, podSandboxConfig('ports', withPortMapping(8080, hostPort)));
      const ref = t.image('webserver');
      await ensureImage(t, ref);
      await runContainer(t, sb, containerConfig('web', ref));
      const url = `http://127.0.0.1:${hostPort}/index.html`;
      const body = await eventually(async () => {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch((e: Error) =>
          failWith(`node -> ${url}: expected an HTTP answer through port_mappings[{container_port: 8080, host_port: ${hostPort}}], got ${e.message} ${String((e as { cause?: unknown }).cause ?? '')}`));
        return res.text();
      }, { timeoutMs: 20_000 });
      check(`GET ${url}`, 'body', body).includes('cri-conformance webserver OK');
    });
  });
});

const MINUTE_NS = 60_000_000_000n;
const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:.]*)$/;
const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

/** A long-running busybox container in the sandbox, for reading what the sandbox config produced. */
async function busyboxIn(t: TestContext, sb: Sandbox, prefix: string): Promise<string> {
  const ref = await testImage(t);
  return runContainer(t, sb, containerConfig(prefix, ref, withShell('sleep 3600')));
}

async function catFile(t: TestContext, id: string, file: string): Promise<string> {
  const out = await execSync(t, id, ['cat', file]);
  check('ExecSync', `exit_code (cat ${file})`, out.exitCode).equals(0, out.stderr.trim());
  return out.stdout;
}

/** The filter must return exactly the sandboxes `want` (by this test's short names), nothing else. */
async function expectListed(t: TestContext, names: Map<string, string>, desc: string, filter: PodSandboxFilter, want: string[]): Promise<void> {
  const items = await listPodSandboxes(t, filter);
  const got = items.map((i) => names.get(i.id) ?? `other:${i.id.slice(0, 12)}`);
  check('ListPodSandbox', `items[] (filter ${desc})`, got).sameMembers(want);
}

/** After RemovePodSandbox: no trace of the sandbox or of its container. */
async function expectGone(t: TestContext, id: string, containerId: string): Promise<void> {
  const listed = await listPodSandboxes(t, { id });
  check('ListPodSandbox', `items[].id (filter id of the removed sandbox)`, listed.map((i) => i.id)).absent();
  const all = await listPodSandboxes(t);
  check('ListPodSandbox', 'items[].id (no filter)', all.map((i) => i.id)).excludes(id, 'the sandbox was removed');
  await expectNotFound('PodSandboxStatus', () => t.cri.runtime.call('PodSandboxStatus', { pod_sandbox_id: id }), `sandbox ${id} was removed`);
  const ctrs = await listContainers(t, { pod_sandbox_id: id });
  check('ListContainers', 'containers[].id (filter pod_sandbox_id of the removed sandbox)', ctrs.map((c) => c.id)).absent();
  await expectNotFound('ContainerStatus', () => t.cri.runtime.call('ContainerStatus', { container_id: containerId }),
    `container ${containerId} belonged to the removed sandbox ${id}`);
}
