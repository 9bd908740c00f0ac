// Container events: with the EventedPLEG gate the kubelet learns about container state changes from the
// GetContainerEvents stream instead of relisting, and caches the pod status each event carries. So the
// events must come in lifecycle order, for the right container, with statuses that match.
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import type { ContainerEventResponse__Output } from '../src/gen/v1/runtime/v1/ContainerEventResponse.js';
import { codeName, toRpcError } from '../src/cri/errors.js';
import {
  defineSuite, testImage, check, failWith, skip, sleep, runSandbox, createContainer, startContainer,
  containerConfig, withShell, type Sandbox, type TestContext,
} from '../src/framework/index.js';
import { checkList } from '../src/framework/logs.js';

type Event = ContainerEventResponse__Output;
type EventType = Event['container_event_type'];

const LIFECYCLE: EventType[] = ['CONTAINER_CREATED_EVENT', 'CONTAINER_STARTED_EVENT', 'CONTAINER_STOPPED_EVENT', 'CONTAINER_DELETED_EVENT'];

export default defineSuite(({ describe, it }) => {
  describe('Container events', () => {
    it('runtime should stream CONTAINER_CREATED, STARTED, STOPPED and DELETED events for a container, in order [Feature:ContainerEvents]', async (t) => {
      const events = await watchEvents(t);
      const { id } = await lifecycle(t, events);
      const got = await events.waitFor(id, 'CONTAINER_DELETED_EVENT');
      checkList('GetContainerEvents', `container_event_type of the events for container ${id}`, got.map((e) => e.container_event_type), LIFECYCLE);
    });

    it('container events should carry the pod sandbox status and the container statuses of the moment [Feature:ContainerEvents]', async (t) => {
      const events = await watchEvents(t);
      const from = Date.now() - CLOCK_SLACK_MS;
      const { sb, id } = await lifecycle(t, events);
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
        check('GetContainerEvents', `${t}.pod_sandbox_status.id`, e.pod_sandbox_status?.id).equals(sb.id, 'the kubelet finds the pod by this status');
        check('GetContainerEvents', `${t}.pod_sandbox_status.metadata.uid`, e.pod_sandbox_status?.metadata?.uid).equals(sb.config.metadata!.uid!);
        check('GetContainerEvents', `${t}.created_at (ns)`, e.created_at).between(BigInt(from) * 1_000_000n, BigInt(to) * 1_000_000n);
        check('GetContainerEvents', `${t}.created_at (ns)`, e.created_at).atLeast(prev, 'events of one container must not go back in time');
        prev = BigInt(e.created_at);
        const want = state[t];
        if (!want) continue;
        const mine = e.containers_statuses.find((s) => s.id === id);
        if (!mine) failWith(`GetContainerEvents: ${t}.containers_statuses: expected a status for container ${id}, got [${e.containers_statuses.map((s) => s.id).join(', ')}]`);
        check('GetContainerEvents', `${t}.containers_statuses[${id}].state`, mine.state).equals(want as typeof mine.state, 'the kubelet caches this status as the pod status');
      }
    });

    it('runtime should send CONTAINER_STOPPED_EVENT with the exit code when a container exits on its own [Feature:ContainerEvents]', async (t) => {
      const events = await watchEvents(t);
      const sb = await runSandbox(t);
      events.failIfClosed();
      const ref = await testImage(t);
      const id = await createContainer(t, sb, containerConfig('exits', ref, withShell('sleep 1; exit 3')));
      await startContainer(t, id);
      const got = await events.waitFor(id, 'CONTAINER_STOPPED_EVENT');
      checkList('GetContainerEvents', `container_event_type of the events for container ${id}`, got.map((e) => e.container_event_type), LIFECYCLE.slice(0, 3));
      const stopped = got.at(-1)!;
      const mine = stopped.containers_statuses.find((s) => s.id === id);
      if (!mine) failWith(`GetContainerEvents: CONTAINER_STOPPED_EVENT.containers_statuses: expected a status for container ${id}, got [${stopped.containers_statuses.map((s) => s.id).join(', ')}]`);
      check('GetContainerEvents', `CONTAINER_STOPPED_EVENT.containers_statuses[${id}].state`, mine.state).equals('CONTAINER_EXITED');
      check('GetContainerEvents', `CONTAINER_STOPPED_EVENT.containers_statuses[${id}].exit_code`, mine.exit_code).equals(3);
    });
  });
});

/** Event timestamps are compared with this host's clock: the runtime runs on it too. */
const CLOCK_SLACK_MS = 10_000;
/** How long an event may take to arrive after the RPC that caused it returned. */
const EVENT_TIMEOUT_MS = 15_000;

interface EventWatch {
  /** Throws (skip, UNIMPLEMENTED, failure) when the stream has already ended. */
  failIfClosed(): void;
  /** Events for `id` up to and including the first `type`, in arrival order. */
  waitFor(id: string, type: EventType): Promise<Event[]>;
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
    failWith(`GetContainerEvents: expected the stream to stay open, it ended ${how} after ${all.length} events`);
  };

  return {
    failIfClosed,
    async waitFor(id, type) {
      const deadline = Date.now() + EVENT_TIMEOUT_MS;
      for (;;) {
        const mine = all.filter((e) => e.container_id === id);
        const at = mine.findIndex((e) => e.container_event_type === type);
        if (at >= 0) return mine.slice(0, at + 1);
        failIfClosed();
        if (Date.now() > deadline) {
          failWith(
            `GetContainerEvents: expected ${type} for container ${id} within ${EVENT_TIMEOUT_MS / 1000}s, got [${mine.map((e) => e.container_event_type).join(', ')}] (${all.length} events on the stream in all)`,
          );
        }
        await sleep(100);
      }
    },
  };
}

/**
 * A pod with one container taken through its whole lifecycle: create, start, stop, remove, without
 * waiting for events in between, so the order the runtime delivers them in is what the test sees.
 * Running the pod first gives the runtime time to set up the subscription before the first event.
 */
async function lifecycle(t: TestContext, events: EventWatch): Promise<{ sb: Sandbox; id: string }> {
  const sb = await runSandbox(t);
  events.failIfClosed();
  const ref = await testImage(t);
  const id = await createContainer(t, sb, containerConfig('events', ref, withShell('exec sleep 3600')));
  await startContainer(t, id);
  await t.cri.runtime.call('StopContainer', { container_id: id, timeout: '0' });
  await t.cri.runtime.call('RemoveContainer', { container_id: id });
  return { sb, id };
}
