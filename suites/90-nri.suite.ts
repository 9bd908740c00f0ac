// NRI (Node Resource Interface): a plugin registered with the runtime sees pod and container lifecycle events
// and can adjust a container being created. NRI is not part of the CRI: containerd (2.x: on by default) and
// CRI-O serve it on a unix socket, and critest's main branch judges it (pkg/validate/nri_linux.go). Our plugin
// is src/nri. The suite runs when the runtime serves NRI at CRI_CONFORMANCE_NRI_SOCKET (default
// /var/run/nri/nri.sock) and that socket is the runtime's under test; otherwise it skips, naming why.
import { existsSync } from 'node:fs';
import {
  defineSuite, check, failWith, skip, runSandbox, runContainer, createContainer, startContainer, execSync, waitContainerState,
  podSandboxConfig, containerConfig, withCommand, withShell, randomSuffix, testImage, opinion, type TestContext,
} from '../src/framework/index.js';
import { NriPlugin, NriPluginError, type NriEvent, type NriEventName, type NriPluginOptions } from '../src/nri/index.js';

export const DEFAULT_NRI_SOCKET = '/var/run/nri/nri.sock';
const EVENT_WAIT_MS = 10_000;

// NRI is not in api.proto and the kubelet does not use it: each judgement rests on NRI's own API
// (containerd/nri pkg/api/api.proto), which this project does not treat as the CRI contract.
const REGISTERS = opinion('NRI api.proto Runtime.RegisterPlugin: "registers the plugin with the runtime"; a runtime serving NRI accepts a plugin, configures it and synchronizes it');
const POD_EVENTS = opinion('NRI api.proto Plugin: "After initial synchronization the plugin starts receiving the events it subscribed for as they occur in the runtime" (RunPodSandbox, StopPodSandbox, RemovePodSandbox), with the pod\'s PodSandbox (id, name, uid, namespace)');
const CTR_EVENTS = opinion('NRI api.proto Plugin: container creation, start, stop and removal are relayed to a subscribed plugin as they occur, with the Container (id, name)');
const SYNC = opinion('NRI api.proto Plugin.Synchronize: "Synchronize the plugin with the state of the runtime": a plugin that connects receives the pods and containers that exist');
const ADJUST = opinion('NRI api.proto Plugin.CreateContainer: "In response, the plugin can adjust the container being created … Container adjustment can alter … environment variables"');

const CTR_LIFECYCLE: NriEventName[] = ['CREATE_CONTAINER', 'START_CONTAINER', 'STOP_CONTAINER', 'REMOVE_CONTAINER'];
const LIFECYCLE: NriEventName[] = ['RUN_POD_SANDBOX', 'STOP_POD_SANDBOX', 'REMOVE_POD_SANDBOX', 'CREATE_CONTAINER', 'START_CONTAINER', 'STOP_CONTAINER', 'REMOVE_CONTAINER'];

export default defineSuite(({ describe, it }) => {
  describe('NRI', () => {
    it('plugin should see RunPodSandbox, StopPodSandbox and RemovePodSandbox of a pod in that order, with its name, namespace and uid [Optional] [Feature:NRI] [Serial]', async (t) => {
      const plugin = await connectPlugin(t, 'pod');
      const cfg = podSandboxConfig('nri-pod');
      const sb = await runSandbox(t, cfg);
      await t.cri.runtime.call('StopPodSandbox', { pod_sandbox_id: sb.id });
      await t.cri.runtime.call('RemovePodSandbox', { pod_sandbox_id: sb.id });
      const events = await podEvents(plugin, sb.id, ['RUN_POD_SANDBOX', 'STOP_POD_SANDBOX', 'REMOVE_POD_SANDBOX']);
      const m = cfg.metadata!;
      const run = events.find((e) => e.event === 'RUN_POD_SANDBOX')!;
      check('NRI RunPodSandbox', 'pod.name', run.pod?.['name'], POD_EVENTS).equals(m.name);
      check('NRI RunPodSandbox', 'pod.namespace', run.pod?.['namespace'], POD_EVENTS).equals(m.namespace);
      check('NRI RunPodSandbox', 'pod.uid', run.pod?.['uid'], POD_EVENTS).equals(m.uid);
      const want: NriEventName[] = ['RUN_POD_SANDBOX', 'STOP_POD_SANDBOX', 'REMOVE_POD_SANDBOX'];
      check('NRI', `events of pod ${sb.id.slice(0, 12)} by first arrival`, firstArrivals(events, want), POD_EVENTS).equals(want, 'run, then stop, then removal');
      check('NRI', `container events of pod ${sb.id.slice(0, 12)}`, events.filter((e) => e.container?.['id']).map((e) => e.event), POD_EVENTS).equals([], 'the pod had no containers');
    });

    it('plugin should see CreateContainer, StartContainer, StopContainer and RemoveContainer of a container in that order, with its id and name [Optional] [Feature:NRI] [Serial]', async (t) => {
      const plugin = await connectPlugin(t, 'ctr');
      const ref = await testImage(t);
      const sb = await runSandbox(t, podSandboxConfig('nri-ctr'));
      // Ends on SIGTERM, so StopContainer's grace period is not spent.
      const cfg = containerConfig('nri-ctr', ref, withShell('trap "exit 0" TERM; while :; do sleep 1; done'));
      const id = await createContainer(t, sb, cfg);
      await startContainer(t, id);
      await t.cri.runtime.call('StopContainer', { container_id: id, timeout: '10' });
      await t.cri.runtime.call('RemoveContainer', { container_id: id });
      judgeContainerEvents(await containerEvents(plugin, id, CTR_LIFECYCLE), id, sb.id, cfg.metadata!.name!);
    });

    it('plugin should see StopContainer of a container that exits on its own before it is removed, then RemoveContainer [Optional] [Feature:NRI] [Serial]', async (t) => {
      const plugin = await connectPlugin(t, 'exit');
      const ref = await testImage(t);
      const sb = await runSandbox(t, podSandboxConfig('nri-exit'));
      const cfg = containerConfig('nri-exit', ref, withShell('exit 1'));
      const id = await createContainer(t, sb, cfg);
      await startContainer(t, id);
      await waitContainerState(t, id, 'CONTAINER_EXITED', 60_000);
      // No StopContainer call: the runtime relays the stop it saw, and not as a side effect of the removal.
      await containerEvents(plugin, id, ['CREATE_CONTAINER', 'START_CONTAINER', 'STOP_CONTAINER'], ' (exited on its own, before RemoveContainer)');
      await t.cri.runtime.call('RemoveContainer', { container_id: id });
      judgeContainerEvents(await containerEvents(plugin, id, CTR_LIFECYCLE), id, sb.id, cfg.metadata!.name!);
    });

    it('plugin that connects late should be synchronized with the existing pod and container, then see a new container created [Optional] [Feature:NRI] [Serial]', async (t) => {
      (await connectPlugin(t, 'probe')).close(); // the gates first: no pod for nothing
      const ref = await testImage(t);
      const sb = await runSandbox(t, podSandboxConfig('nri-sync'));
      const first = await runContainer(t, sb, containerConfig('nri-sync', ref, withCommand('sleep', '3600')));
      const plugin = await connectPlugin(t, 'sync');
      const synced = plugin.synchronized!;
      check('NRI Synchronize', 'pods[].id', synced.pods.map((p) => p['id']), SYNC).includes(sb.id);
      check('NRI Synchronize', 'containers[].id', synced.containers.map((c) => c['id']), SYNC).includes(first);
      const second = await createContainer(t, sb, containerConfig('nri-sync2', ref, withCommand('sleep', '3600')));
      const created = await waitEvent(plugin, (e) => e.event === 'CREATE_CONTAINER' && e.container?.['id'] === second, `NRI CreateContainer of container ${second.slice(0, 12)} (created after Synchronize)`);
      if (typeof created === 'string') failWith(created, SYNC);
    });

    it('container should run with the environment variable an NRI plugin adds in CreateContainer [Optional] [Feature:NRI] [Serial]', async (t) => {
      (await connectPlugin(t, 'probe')).close(); // the gates first: no pod for nothing
      const ref = await testImage(t);
      const sb = await runSandbox(t, podSandboxConfig('nri-adjust'));
      const value = `nri-${randomSuffix(8)}`;
      // Only this test's pod is adjusted: the plugin sees every pod on the node.
      await connectPlugin(t, 'adjust', {
        CreateContainer: (req) => (req['pod']?.id === sb.id ? { adjust: { env: [{ key: 'CRC_NRI_ADJUSTED', value }] } } : {}),
      });
      const id = await runContainer(t, sb, containerConfig('nri-adjust', ref, withCommand('sleep', '3600')));
      const out = await execSync(t, id, ['sh', '-c', 'echo "$CRC_NRI_ADJUSTED"']);
      check('ExecSync', 'stdout (echo "$CRC_NRI_ADJUSTED")', out.stdout.trim(), ADJUST).equals(value, 'the plugin\'s ContainerAdjustment.env');
    });
  });
});

/** The socket a runtime's NRI listens on: CRI_CONFORMANCE_NRI_SOCKET, else NRI's default. */
function nriSocket(): { path: string; given: boolean } {
  const env = process.env['CRI_CONFORMANCE_NRI_SOCKET'];
  return env ? { path: env, given: true } : { path: DEFAULT_NRI_SOCKET, given: false };
}

const bareVersion = (v: string): string => v.trim().replace(/^v/, '');

/**
 * Registers a plugin subscribed to the lifecycle events, closed after the test. Skips when there is no NRI
 * socket, or when the socket's runtime (ConfigureRequest) is not the one the run talks to (Version): its
 * events would be another runtime's.
 */
async function connectPlugin(t: TestContext, what: string, handlers: NriPluginOptions['handlers'] = {}): Promise<NriPlugin> {
  const sock = nriSocket();
  if (!existsSync(sock.path)) {
    skip(`no NRI socket at ${sock.path}${sock.given ? ' (CRI_CONFORMANCE_NRI_SOCKET)' : ': the runtime does not serve NRI there (set CRI_CONFORMANCE_NRI_SOCKET to its socket)'}`);
  }
  let plugin: NriPlugin;
  try {
    plugin = await NriPlugin.connect({ socketPath: sock.path, name: `cri-conformance-${what}-${randomSuffix(6)}`, idx: '90', events: LIFECYCLE, handlers });
  } catch (e) {
    if (e instanceof NriPluginError) failWith(`NRI: ${e.message}`, REGISTERS);
    throw e;
  }
  t.defer(`NRI plugin ${what}`, async () => plugin.close());
  const v = await t.cri.runtime.call('Version', { version: '' });
  const cfg = plugin.configureRequest ?? {};
  const same = String(cfg['runtime_name'] ?? '').toLowerCase() === String(v.runtime_name ?? '').toLowerCase()
    && bareVersion(String(cfg['runtime_version'] ?? '')) === bareVersion(String(v.runtime_version ?? ''));
  if (!same) {
    skip(`the NRI socket ${sock.path} belongs to ${cfg['runtime_name']} ${cfg['runtime_version']}, not to the runtime under test (${v.runtime_name} ${v.runtime_version})`);
  }
  return plugin;
}

/** The first matching event, or why there is none (timed out, or the NRI connection closed first). */
async function waitEvent(plugin: NriPlugin, match: (e: NriEvent) => boolean, what: string): Promise<NriEvent | string> {
  try {
    return await plugin.waitForEvent(match, EVENT_WAIT_MS, what);
  } catch (e) {
    if (e instanceof NriPluginError) return e.message;
    throw e;
  }
}

/** Waits until each wanted event of the pod has arrived; answers all the pod's events, in arrival order. */
async function podEvents(plugin: NriPlugin, podId: string, want: NriEventName[]): Promise<NriEvent[]> {
  for (const ev of want) {
    const got = await waitEvent(plugin, (e) => e.event === ev && e.pod?.['id'] === podId, `NRI ${ev} of pod ${podId.slice(0, 12)}`);
    if (typeof got === 'string') failWith(got, POD_EVENTS);
  }
  return plugin.events.filter((e) => e.pod?.['id'] === podId);
}

/** Waits until each wanted event of the container has arrived; answers all its events, in arrival order. */
async function containerEvents(plugin: NriPlugin, id: string, want: NriEventName[], when = ''): Promise<NriEvent[]> {
  for (const ev of want) {
    const got = await waitEvent(plugin, (e) => e.event === ev && e.container?.['id'] === id, `NRI ${ev} of container ${id.slice(0, 12)}${when}`);
    if (typeof got === 'string') failWith(got, CTR_EVENTS);
  }
  return plugin.events.filter((e) => e.container?.['id'] === id);
}

/** The wanted events in the order each first arrived. A runtime may relay an event twice (critest allows it). */
function firstArrivals(events: NriEvent[], want: NriEventName[]): NriEventName[] {
  const at = (w: NriEventName) => events.findIndex((e) => e.event === w);
  return want.filter((w) => at(w) >= 0).sort((a, b) => at(a) - at(b));
}

/** Lifecycle order, the pod, and the name of every event of one container (critest's checks). */
function judgeContainerEvents(events: NriEvent[], id: string, podId: string, name: string): void {
  check('NRI', `events of container ${id.slice(0, 12)} by first arrival`, firstArrivals(events, CTR_LIFECYCLE), CTR_EVENTS).equals(CTR_LIFECYCLE, 'create, start, stop, remove');
  for (const e of events) check(`NRI ${e.method}`, 'pod.id', e.pod?.['id'], CTR_EVENTS).equals(podId);
  // critest accepts a runtime that leaves Container.name empty (CRI-O), and skips after its other checks.
  for (const e of events) if (e.container?.['name']) check(`NRI ${e.method}`, 'container.name', e.container['name'], CTR_EVENTS).equals(name);
  const unnamed = events.filter((e) => !e.container?.['name']).map((e) => e.event);
  if (unnamed.length) skip(`the runtime leaves Container.name empty in NRI ${unnamed.join(', ')} (critest: a known CRI-O discrepancy); ids and order checked`);
}
