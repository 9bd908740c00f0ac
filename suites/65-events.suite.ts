// Container events: with the EventedPLEG gate the kubelet learns about container state changes from the
// GetContainerEvents stream instead of relisting, and caches the pod status each event carries. So the
// events must come in lifecycle order, for the right container, with statuses that match.
// Every test here is [Serial]: containerd 1.7 hands each event to one of its subscribers, so two of these
// tests side by side would steal each other's events. That behaviour is judged by a test of its own.
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import type { ContainerEventResponse__Output } from '../src/gen/v1/runtime/v1/ContainerEventResponse.js';
import { codeName, toRpcError } from '../src/cri/errors.js';
import {
  defineSuite, testImage, check, failWith, skip, sleep, runSandbox, createContainer, startContainer,
  containerConfig, withShell, type Sandbox, type TestContext, cri, kubelet, opinion, FACTS, deadlineMs, waitedFor,
} from '../src/framework/index.js';
import { checkList } from '../src/framework/logs.js';

type Event = ContainerEventResponse__Output;
type EventType = Event['container_event_type'];

const LIFECYCLE: EventType[] = ['CONTAINER_CREATED_EVENT', 'CONTAINER_STARTED_EVENT', 'CONTAINER_STOPPED_EVENT', 'CONTAINER_DELETED_EVENT'];

// ---- what the checks rest on ----
const DELIVERY = cri('RuntimeService.GetContainerEvents', 'GetContainerEvents gets container events from the CRI runtime');
const STREAM = kubelet('pleg/evented.go watchEventsChannel', 'keeps one GetContainerEvents stream open for its lifetime; when it ends, retries a few times, then falls back to relisting');
const ORDER = kubelet('pleg/evented.go processCRIEvents', 'builds the pod status from each event in arrival order (GeneratePodStatus) and turns STARTED and STOPPED into pod lifecycle events');
const POD_STATUS = kubelet('pleg/evented.go processCRIEvents', 'ignores an event whose pod_sandbox_status or its metadata is nil and finds the pod by pod_sandbox_status.metadata.uid');
const CREATED_AT = kubelet('pleg/evented.go processCRIEvents', 'caches the pod status at time.Unix(0, created_at) and measures the event latency from it: created_at is in nanoseconds and moves forward');
const STATUSES = kubelet('kuberuntime_manager.go GeneratePodStatus', 'takes the pod\'s container statuses from the event\'s containers_statuses');
const EXIT_CODE = cri('ContainerStatus.exit_code', 'Exit code of the container. Only required when finished_at != 0.');
const FAN_OUT = opinion('every GetContainerEvents subscriber receives every event: the kubelet and another client (crictl events, a node agent) may subscribe at once; containerd 1.7 hands each event to one of them');

export default defineSuite(({ describe, it }) => {
  describe('Container events', () => {
    it('runtime should stream CONTAINER_CREATED, STARTED, STOPPED and DELETED events for a container, in order [Feature:ContainerEvents] [Serial]', async (t) => {
      const events = await watchEvents(t);
      const { id } = await lifecycle(t, [events]);
      const got = await events.waitFor(id, 'CONTAINER_DELETED_EVENT');
      checkOrder(id, got, LIFECYCLE);
    });

    it('container events should carry the pod sandbox status and the container statuses of the moment [Feature:ContainerEvents] [Serial]', async (t) => {
      const events = await watchEvents(t);
      const from = Date.now() - CLOCK_SLACK_MS;
      const { sb, id } = await lifecycle(t, [events]);
      const got = await events.waitFor(id, 'CONTAINER_DELETED_EVENT');
      const to = Date.now() + CLOCK_SLACK_MS;
      const state: Partial<Record<EventType, string>> = {
        CONTAINER_CREATED_EVENT: 'CONTAINER_CREATED',
        CONTAINER_STARTED_EVENT: 'CONTAINER_RUNNING',
        CONTAINER_STOPPED_EVENT: 'CONTAINER_EXITED',
      };
      let prev = 0n;
      // waitFor returns only the events whose container_id is this container's.
      for (const e of got) {
        const t = e.container_event_type;
        check('GetContainerEvents', `${t}.pod_sandbox_status.id`, e.pod_sandbox_status?.id, POD_STATUS).equals(sb.id, 'the kubelet finds the pod by this status');
        check('GetContainerEvents', `${t}.pod_sandbox_status.metadata.uid`, e.pod_sandbox_status?.metadata?.uid, POD_STATUS).equals(sb.config.metadata!.uid!);
        check('GetContainerEvents', `${t}.created_at (ns)`, e.created_at, CREATED_AT).between(BigInt(from) * 1_000_000n, BigInt(to) * 1_000_000n);
        check('GetContainerEvents', `${t}.created_at (ns)`, e.created_at, CREATED_AT).atLeast(prev, 'events of one container must not go back in time');
        prev = BigInt(e.created_at);
        // A deleted container has no state left to report: DELETED is judged by its pod status and time only.
        const want = state[t];
        if (!want) continue;
        const mine = e.containers_statuses.find((s) => s.id === id);
        if (!mine) failWith(`GetContainerEvents: ${t}.containers_statuses: expected a status for container ${id}, got [${e.containers_statuses.map((s) => s.id).join(', ')}]`, STATUSES);
        check('GetContainerEvents', `${t}.containers_statuses[${id}].state`, mine.state, STATUSES).equals(want as typeof mine.state, 'the kubelet caches this status as the pod status');
      }
    });

    it('runtime should send CONTAINER_STOPPED_EVENT with the exit code when a container exits on its own [Feature:ContainerEvents] [Serial]', async (t) => {
      const events = await watchEvents(t);
      const sb = await runSandbox(t);
      events.failIfClosed();
      const ref = await testImage(t);
      const id = await createContainer(t, sb, containerConfig('exits', ref, withShell('sleep 1; exit 3')));
      await startContainer(t, id);
      const got = await events.waitFor(id, 'CONTAINER_STOPPED_EVENT');
      checkOrder(id, got, LIFECYCLE.slice(0, 3));
      const stopped = got.at(-1)!;
      const mine = stopped.containers_statuses.find((s) => s.id === id);
      if (!mine) failWith(`GetContainerEvents: CONTAINER_STOPPED_EVENT.containers_statuses: expected a status for container ${id}, got [${stopped.containers_statuses.map((s) => s.id).join(', ')}]`, STATUSES);
      check('GetContainerEvents', `CONTAINER_STOPPED_EVENT.containers_statuses[${id}].state`, mine.state, STATUSES).equals('CONTAINER_EXITED');
      check('GetContainerEvents', `CONTAINER_STOPPED_EVENT.containers_statuses[${id}].exit_code`, mine.exit_code, EXIT_CODE).equals(3);
    });

    it('runtime should send every event of a container to each of two GetContainerEvents subscribers [Feature:ContainerEvents] [Optional] [Serial]', async (t) => {
      const streams = [await watchEvents(t), await watchEvents(t)];
      const { id } = await lifecycle(t, streams);
      // Each stream may take the full delivery time; read both at once, then judge them together.
      const got = await Promise.all(streams.map((s) => s.waitUntil(id, 'CONTAINER_DELETED_EVENT')));
      const types = got.map((g) => [...new Set(g.events.map((e) => e.container_event_type))]);
      const union = new Set(types.flat());
      const show = (i: number) => `stream ${i + 1} got [${got[i]!.events.map((e) => e.container_event_type).join(', ')}]`;
      if (got.every((g) => g.complete)) return;
      const waited = waitedFor(FACTS.containerEvent, Math.max(...got.map((g) => g.waitedMs)));
      if (LIFECYCLE.every((x) => union.has(x))) {
        failWith(`GetContainerEvents: two subscribers split the events of container ${id} between them: ${show(0)}, ${show(1)}; each must get all four (${waited})`, FAN_OUT);
      }
      failWith(`GetContainerEvents: expected CONTAINER_DELETED_EVENT for container ${id} on both streams, ${show(0)}, ${show(1)} (${waited})`, DELIVERY);
    });
  });
});

/** Event timestamps are compared with this host's clock: the runtime runs on it too. */
const CLOCK_SLACK_MS = 10_000;

/** The first event of each type, in arrival order, must be `want` (a repeated event changes nothing for the kubelet). */
function checkOrder(id: string, got: Event[], want: EventType[]): void {
  const all = got.map((e) => e.container_event_type);
  checkList('GetContainerEvents', `container_event_type of the events for container ${id} (first of each type, in arrival order)`, [...new Set(all)], want, ORDER, `all: ${JSON.stringify(all)}`);
}

interface EventWatch {
  /** Throws (skip, UNIMPLEMENTED, failure) when the stream has already ended. */
  failIfClosed(): void;
  /** Events for `id` up to and including the first `type`, in arrival order; fails when it does not come in time. */
  waitFor(id: string, type: EventType): Promise<Event[]>;
  /** The same without failing on time-out: what came, whether `type` came, and how long it waited. */
  waitUntil(id: string, type: EventType): Promise<{ events: Event[]; complete: boolean; waitedMs: number }>;
}

/**
 * Subscribes to GetContainerEvents for the rest of the test. The stream carries the events of every
 * container on the node (and runtimes may replay buffered ones), so everything is filtered by id.
 */
async function watchEvents(t: TestContext): Promise<EventWatch> {
  const c = t.run;
  const call = c.cri.runtime.stream('GetContainerEvents', {});
  const all: Event[] = [];
  let ended: { code: number; details: string; err?: ServiceError } | undefined;
  let cancelled = false;
  call.on('data', (e: Event) => all.push(e));
  call.on('error', (e: ServiceError) => {
    if (cancelled && e.code === Status.CANCELLED) return;
    ended ??= { code: e.code ?? Status.UNKNOWN, details: e.details ?? e.message ?? '', err: e };
  });
  call.on('end', () => {
    ended ??= { code: Status.OK, details: '' };
  });
  t.defer('GetContainerEvents stream', async () => {
    cancelled = true;
    call.cancel();
  });

  const failIfClosed = (): void => {
    if (!ended) return;
    if (ended.code === Status.UNIMPLEMENTED) throw toRpcError('GetContainerEvents', ended.err ?? new Error(ended.details));
    const how = ended.code === Status.OK ? 'cleanly' : `with ${codeName(ended.code)}: ${ended.details}`;
    if (all.length === 0) skip(`runtime closed the GetContainerEvents stream ${how} without sending any event while the test ran a pod: container events are disabled`);
    failWith(`GetContainerEvents: expected the stream to stay open, it ended ${how} after ${all.length} events`, STREAM);
  };

  const waitUntil = async (id: string, type: EventType) => {
    const start = Date.now();
    const deadline = start + deadlineMs(FACTS.containerEvent);
    for (;;) {
      const mine = all.filter((e) => e.container_id === id);
      const at = mine.findIndex((e) => e.container_event_type === type);
      if (at >= 0) return { events: mine.slice(0, at + 1), complete: true, waitedMs: Date.now() - start };
      failIfClosed();
      if (Date.now() > deadline) return { events: mine, complete: false, waitedMs: Date.now() - start };
      await sleep(100);
    }
  };

  return {
    failIfClosed,
    waitUntil,
    async waitFor(id, type) {
      const r = await waitUntil(id, type);
      if (r.complete) return r.events;
      return failWith(
        `GetContainerEvents: expected ${type} for container ${id} within ${deadlineMs(FACTS.containerEvent) / 1000}s, got [${r.events.map((e) => e.container_event_type).join(', ')}] (${all.length} events on the stream in all; ${waitedFor(FACTS.containerEvent, r.waitedMs)})`,
        DELIVERY,
      );
    },
  };
}

/**
 * A pod with one container taken through its whole lifecycle: create, start, stop, remove, without
 * waiting for events in between, so the order the runtime delivers them in is what the test sees.
 * Running the pod first gives the runtime time to set up the subscriptions before the first event.
 * The pod and container come from the framework's builders, with the kubelet's labels: CRI-O finds a
 * pod's containers for the event's containers_statuses by io.kubernetes.pod.uid.
 */
async function lifecycle(t: TestContext, streams: EventWatch[]): Promise<{ sb: Sandbox; id: string }> {
  const sb = await runSandbox(t);
  for (const s of streams) s.failIfClosed();
  const ref = await testImage(t);
  const id = await createContainer(t, sb, containerConfig('events', ref, withShell('exec sleep 3600')));
  await startContainer(t, id);
  await t.cri.runtime.call('StopContainer', { container_id: id, timeout: '0' });
  await t.cri.runtime.call('RemoveContainer', { container_id: id });
  return { sb, id };
}
