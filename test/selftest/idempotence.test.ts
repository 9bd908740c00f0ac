// Self-tests: each idempotence check fails with a useful message when a repeated stop/remove errors, and
// the checks containerd 1.6.20 fails pass once the runtime answers as the contract says.
import { expect } from 'chai';
import { Status, expectCheckFails, runOne, type Fault } from '../support/selftest.js';

const I = 'idempotence/Idempotence ';
const STOP_TWICE = `${I}StopPodSandbox should succeed when called again on a stopped sandbox, which stays SANDBOX_NOTREADY [Conformance]`;
const STOP_REMOVED = `${I}StopPodSandbox should succeed on a removed sandbox [Conformance] [Strict]`;
const STOP_UNKNOWN = `${I}StopPodSandbox should succeed for a sandbox id the runtime never had [Conformance] [Strict]`;
const REMOVE_TWICE = `${I}RemovePodSandbox should succeed when called again on a removed sandbox [Conformance]`;
const REMOVE_UNKNOWN = `${I}RemovePodSandbox should succeed for a sandbox id the runtime never had [Conformance]`;
const STOP_EXITED = `${I}StopContainer should succeed on a container that already exited, keeping its exit code and finish time [Conformance]`;
const STOP_CTR_TWICE = `${I}StopContainer should succeed when called again on a stopped container [Conformance]`;
const STOP_CTR_UNKNOWN = `${I}StopContainer should succeed for a container id the runtime never had [Conformance] [Strict]`;
const RM_CTR_TWICE = `${I}RemoveContainer should succeed when called again on a removed container [Conformance]`;
const RM_CTR_UNKNOWN = `${I}RemoveContainer should succeed for a container id the runtime never had [Conformance]`;
const RMI_REF = `${I}RemoveImage should succeed for an image reference the runtime does not have [Conformance]`;
const RMI_ID = `${I}RemoveImage should succeed for an image id the runtime does not have [Conformance]`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

/**
 * The n-th call (1-based) of `rpc` for one id is refused by the proxy; every other call, for that id or any
 * other (negotiation, neighbours, the test's cleanup), reaches the runtime untouched. Counted per id, and
 * answered by the proxy, so neither call order nor what a runtime says to a bad id can change the outcome.
 */
function failCall(rpc: string, n: number, idField: string): Fault {
  const seen = new Map<string, number>();
  const nth = (req: Msg): boolean => {
    const k = (seen.get(req[idField]) ?? 0) + 1;
    seen.set(req[idField], k);
    return k === n;
  };
  return { rpc, when: nth, error: { code: Status.UNKNOWN, details: `call ${n} for this id refused (fault)` } };
}

const notFound = (rpc: string): Fault => ({ rpc, error: { code: Status.NOT_FOUND, details: 'not found (fault)' } });

/** With this fault the runtime behaves as the contract says; the test must then pass. */
async function passesWith(id: string, faults: Fault[]): Promise<void> {
  const r = await runOne(id, faults);
  expect(r.status, `expected "${id}" to pass with a contract-abiding answer: ${r.message ?? ''}`).to.equal('passed');
}

describe('self-test: idempotence', function () {
  this.timeout(600_000);

  it(`${STOP_TWICE} fails when the first StopPodSandbox of a ready sandbox errors`, () =>
    expectCheckFails(STOP_TWICE, [failCall('StopPodSandbox', 1, 'pod_sandbox_id')],
      /StopPodSandbox \(first call\): expected success \(the sandbox is ready\), got UNKNOWN: call 1 for this id refused \(fault\)/));

  it(`${STOP_TWICE} fails when the second StopPodSandbox errors`, () =>
    expectCheckFails(STOP_TWICE, [failCall('StopPodSandbox', 2, 'pod_sandbox_id')],
      /StopPodSandbox \(second call\): expected success \(StopPodSandbox is idempotent and must not return an error if all relevant resources have already been reclaimed\), got UNKNOWN/));

  it(`${STOP_TWICE} fails when the sandbox is READY after two stops`, () =>
    expectCheckFails(STOP_TWICE, [{ rpc: 'PodSandboxStatus', mutate: (r) => void (r.status.state = 'SANDBOX_READY') }],
      /PodSandboxStatus: status\.state \(after two StopPodSandbox calls\): expected "SANDBOX_NOTREADY", got "SANDBOX_READY"/));

  it(`${STOP_TWICE} fails when RemovePodSandbox of the twice-stopped sandbox errors`, () =>
    expectCheckFails(STOP_TWICE, [failCall('RemovePodSandbox', 1, 'pod_sandbox_id')],
      /RemovePodSandbox \(after two StopPodSandbox calls\): expected success \(the sandbox is stopped\), got UNKNOWN: call 1 for this id refused \(fault\)/));

  it(`${STOP_REMOVED} fails when StopPodSandbox on the removed sandbox errors`, () =>
    expectCheckFails(STOP_REMOVED, [failCall('StopPodSandbox', 2, 'pod_sandbox_id')],
      /StopPodSandbox \(removed sandbox\): expected success \(StopPodSandbox is idempotent and must not return an error if all relevant resources have already been reclaimed\), got UNKNOWN: call 2 for this id refused \(fault\)/));

  it(`${STOP_REMOVED} passes when StopPodSandbox succeeds`, () =>
    passesWith(STOP_REMOVED, [{ rpc: 'StopPodSandbox', respond: () => ({}) }]));

  it(`${STOP_UNKNOWN} fails when StopPodSandbox answers NOT_FOUND`, () =>
    expectCheckFails(STOP_UNKNOWN, [notFound('StopPodSandbox')],
      /StopPodSandbox \(unknown id [0-9a-f-]{36}\): expected success \(StopPodSandbox is idempotent.*\), got NOT_FOUND: not found \(fault\)/));

  it(`${STOP_UNKNOWN} passes when StopPodSandbox succeeds`, () =>
    passesWith(STOP_UNKNOWN, [{ rpc: 'StopPodSandbox', respond: () => ({}) }]));

  it(`${REMOVE_TWICE} fails when the first RemovePodSandbox of a stopped sandbox errors`, () =>
    expectCheckFails(REMOVE_TWICE, [failCall('RemovePodSandbox', 1, 'pod_sandbox_id')],
      /RemovePodSandbox \(first call\): expected success \(the sandbox is stopped\), got UNKNOWN: call 1 for this id refused \(fault\)/));

  it(`${REMOVE_TWICE} fails when the second RemovePodSandbox errors`, () =>
    expectCheckFails(REMOVE_TWICE, [failCall('RemovePodSandbox', 2, 'pod_sandbox_id')],
      /RemovePodSandbox \(second call\): expected success \(RemovePodSandbox is idempotent and must not return an error if the sandbox has already been removed\), got UNKNOWN/));

  it(`${REMOVE_TWICE} fails when the removed sandbox is still listed`, () =>
    expectCheckFails(REMOVE_TWICE, [{
      rpc: 'ListPodSandbox',
      mutate: (r, req) => void (req.filter?.id && r.items.push({ id: req.filter.id, state: 'SANDBOX_NOTREADY', labels: {}, annotations: {} })),
    }], /ListPodSandbox: items\[\]\.id \(filter id of the removed sandbox\): expected no value, got \[ '[0-9a-f]+' \]/));

  it(`${REMOVE_UNKNOWN} fails when RemovePodSandbox answers NOT_FOUND`, () =>
    expectCheckFails(REMOVE_UNKNOWN, [notFound('RemovePodSandbox')],
      /RemovePodSandbox \(unknown id [0-9a-f-]{36}\): expected success \(RemovePodSandbox is idempotent and must not return an error if the sandbox has already been removed\), got NOT_FOUND/));

  it(`${REMOVE_UNKNOWN} fails when only the repeated RemovePodSandbox of the unknown id errors`, () =>
    expectCheckFails(REMOVE_UNKNOWN, [failCall('RemovePodSandbox', 2, 'pod_sandbox_id')],
      /RemovePodSandbox \(unknown id [0-9a-f-]{36}, again\): expected success \(RemovePodSandbox is idempotent.*\), got UNKNOWN: call 2 for this id refused \(fault\)/));

  it(`${STOP_EXITED} fails when StopContainer refuses an exited container`, () =>
    expectCheckFails(STOP_EXITED, [{ rpc: 'StopContainer', error: { code: Status.FAILED_PRECONDITION, details: 'container is not running' } }],
      /StopContainer \(exited container\): expected success \(StopContainer is idempotent and must not return an error if the container has already been stopped\), got FAILED_PRECONDITION: container is not running/));

  it(`${STOP_EXITED} fails when the exited container is no longer EXITED after StopContainer`, () => {
    let stopped = false;
    return expectCheckFails(STOP_EXITED, [
      { rpc: 'StopContainer', mutateRequest: () => void (stopped = true) },
      { rpc: 'ContainerStatus', mutate: (r) => void (stopped && (r.status.state = 'CONTAINER_UNKNOWN')) },
    ], /ContainerStatus: status\.state \(after StopContainer\): expected "CONTAINER_EXITED", got "CONTAINER_UNKNOWN"/);
  });

  it(`${STOP_EXITED} fails when the exit code changes`, () => {
    let stopped = false;
    return expectCheckFails(STOP_EXITED, [
      { rpc: 'StopContainer', mutateRequest: () => void (stopped = true) },
      { rpc: 'ContainerStatus', mutate: (r) => void (stopped && (r.status.exit_code = 137)) },
    ], /ContainerStatus: status\.exit_code \(after StopContainer\): expected 3, got 137 \(stopping an exited container must not change how it exited\)/);
  });

  it(`${STOP_EXITED} fails when finished_at changes`, () => {
    let stopped = false;
    return expectCheckFails(STOP_EXITED, [
      { rpc: 'StopContainer', mutateRequest: () => void (stopped = true) },
      { rpc: 'ContainerStatus', mutate: (r) => void (stopped && (r.status.finished_at = String(BigInt(r.status.finished_at) + 1_000_000_000n))) },
    ], /ContainerStatus: status\.finished_at \(after StopContainer\): expected "\d+", got "\d+"/);
  });

  it(`${STOP_CTR_TWICE} fails when the first StopContainer of a running container errors`, () =>
    expectCheckFails(STOP_CTR_TWICE, [failCall('StopContainer', 1, 'container_id')],
      /StopContainer \(first call\): expected success \(the container is running\), got UNKNOWN: call 1 for this id refused \(fault\)/));

  it(`${STOP_CTR_TWICE} fails when the second StopContainer errors`, () =>
    expectCheckFails(STOP_CTR_TWICE, [failCall('StopContainer', 2, 'container_id')],
      /StopContainer \(second call\): expected success \(StopContainer is idempotent and must not return an error if the container has already been stopped\), got UNKNOWN/));

  it(`${STOP_CTR_TWICE} fails when the container is not EXITED after the stops`, () =>
    expectCheckFails(STOP_CTR_TWICE, [{ rpc: 'ContainerStatus', mutate: (r) => void (r.status.state = 'CONTAINER_RUNNING') }],
      /ContainerStatus: status\.state \(after StopContainer\): expected "CONTAINER_EXITED", got "CONTAINER_RUNNING"/));

  // Only once the second StopContainer went through: the state after the first stop stays right.
  it(`${STOP_CTR_TWICE} fails when the container is not EXITED after the second stop`, () => {
    let stops = 0;
    return expectCheckFails(STOP_CTR_TWICE, [
      { rpc: 'StopContainer', mutateRequest: () => void stops++ },
      { rpc: 'ContainerStatus', mutate: (r) => void (stops >= 2 && (r.status.state = 'CONTAINER_UNKNOWN')) },
    ], /ContainerStatus: status\.state \(after two StopContainer calls\): expected "CONTAINER_EXITED", got "CONTAINER_UNKNOWN"/);
  });

  it(`${STOP_CTR_UNKNOWN} fails when StopContainer answers NOT_FOUND`, () =>
    expectCheckFails(STOP_CTR_UNKNOWN, [notFound('StopContainer')],
      /StopContainer \(unknown id [0-9a-f-]{36}\): expected success \(StopContainer is idempotent.*\), got NOT_FOUND/));

  it(`${STOP_CTR_UNKNOWN} passes when StopContainer succeeds`, () =>
    passesWith(STOP_CTR_UNKNOWN, [{ rpc: 'StopContainer', respond: () => ({}) }]));

  it(`${RM_CTR_TWICE} fails when the first RemoveContainer of a stopped container errors`, () =>
    expectCheckFails(RM_CTR_TWICE, [failCall('RemoveContainer', 1, 'container_id')],
      /RemoveContainer \(first call\): expected success \(the container is stopped\), got UNKNOWN: call 1 for this id refused \(fault\)/));

  it(`${RM_CTR_TWICE} fails when the second RemoveContainer errors`, () =>
    expectCheckFails(RM_CTR_TWICE, [failCall('RemoveContainer', 2, 'container_id')],
      /RemoveContainer \(second call\): expected success \(RemoveContainer is idempotent and must not return an error if the container has already been removed\), got UNKNOWN/));

  it(`${RM_CTR_TWICE} fails when the removed container still has a status`, () =>
    expectCheckFails(RM_CTR_TWICE, [{ rpc: 'ContainerStatus', respond: (req) => ({ status: { id: req.container_id, state: 'CONTAINER_EXITED' } }) }],
      /ContainerStatus: expected an error \(NOT_FOUND: container [0-9a-f]+ was removed\), got success/));

  it(`${RM_CTR_UNKNOWN} fails when RemoveContainer answers NOT_FOUND`, () =>
    expectCheckFails(RM_CTR_UNKNOWN, [notFound('RemoveContainer')],
      /RemoveContainer \(unknown id [0-9a-f-]{36}\): expected success \(RemoveContainer is idempotent.*\), got NOT_FOUND/));

  it(`${RMI_REF} fails when RemoveImage answers NOT_FOUND`, () =>
    expectCheckFails(RMI_REF, [notFound('RemoveImage')],
      /RemoveImage \(\S+:crc-absent-[0-9a-f]+, absent\): expected success \(RemoveImage is idempotent and must not return an error if the image has already been removed\), got NOT_FOUND/));

  // Keyed by the reference, not by call order: the first RemoveImage of the test's never-pushed tag reaches
  // containerd, a repeat of that same reference is refused by the proxy. An emptied reference is no fault:
  // containerd 1.6 reads "" as a short image id (UNKNOWN "ambiguous" with 2+ images, success with none, and
  // with exactly one image it removes that image and succeeds).
  it(`${RMI_REF} fails when only the repeated RemoveImage errors`, () => {
    const removed = new Set<string>();
    return expectCheckFails(RMI_REF, [{
      rpc: 'RemoveImage',
      when: (req: Msg) => {
        const ref = String(req.image?.image ?? '');
        const repeat = removed.has(ref);
        removed.add(ref);
        return repeat && /:crc-absent-[0-9a-f]+$/.test(ref);
      },
      error: { code: Status.UNKNOWN, details: 'image reference removed twice (fault)' },
    }], /RemoveImage \(\S+:crc-absent-[0-9a-f]+, absent, again\): expected success .*got UNKNOWN: image reference removed twice \(fault\)/);
  });

  it(`${RMI_REF} fails when ImageStatus claims the absent tag exists`, () =>
    expectCheckFails(RMI_REF, [{ rpc: 'ImageStatus', respond: () => ({ image: { id: `sha256:${'a'.repeat(64)}`, repo_tags: [], repo_digests: [], size: '1' }, info: {} }) }],
      /ImageStatus: image \(\S+:crc-absent-[0-9a-f]+\): expected undefined, got "sha256:a{64}" \(the tag was never pushed\)/));

  it(`${RMI_ID} fails when RemoveImage answers NOT_FOUND`, () =>
    expectCheckFails(RMI_ID, [notFound('RemoveImage')],
      /RemoveImage \(id 0{64}\): expected success \(RemoveImage is idempotent.*\), got NOT_FOUND/));

  it(`${RMI_ID} fails when ImageStatus claims an image with the all-zero id exists`, () =>
    expectCheckFails(RMI_ID, [{
      rpc: 'ImageStatus',
      when: (req: Msg) => req.image?.image === '0'.repeat(64),
      respond: () => ({ image: { id: `sha256:${'0'.repeat(64)}`, repo_tags: [], repo_digests: [], size: '1' }, info: {} }),
    }], /ImageStatus: image \(0{64}\): expected undefined, got "sha256:0{64}"/));

  // Keyed by the reference, as for RMI_REF: the first RemoveImage of the all-zero id reaches containerd.
  it(`${RMI_ID} fails when only the repeated RemoveImage of the id errors`, () => {
    const removed = new Set<string>();
    return expectCheckFails(RMI_ID, [{
      rpc: 'RemoveImage',
      when: (req: Msg) => {
        const ref = String(req.image?.image ?? '');
        const repeat = removed.has(ref);
        removed.add(ref);
        return repeat && ref === '0'.repeat(64);
      },
      error: { code: Status.UNKNOWN, details: 'image id removed twice (fault)' },
    }], /RemoveImage \(id 0{64}, again\): expected success \(RemoveImage is idempotent.*\), got UNKNOWN: image id removed twice \(fault\)/);
  });
});
