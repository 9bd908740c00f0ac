// Self-tests: each container check fails with a useful message when the runtime answers wrong.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { withLabCri } from '../../src/lab/cri.js';
import { Status, expectCheckFails, labUpstream, runOne, type Fault } from '../support/selftest.js';
import { detectHostLimits } from '../../src/runner/host.js';

const L = 'container/Container lifecycle ';
const EXIT3 = `${L}runtime should report a container CREATED, then RUNNING, then EXITED with its exit code [Conformance]`;
const EXIT0 = `${L}runtime should report exit_code 0 for a container that completes [Conformance]`;
const STOP_TERM = `${L}runtime should stop a running container that exits on SIGTERM before the timeout [Conformance]`;
const STOP_KILL = `${L}runtime should kill a container that ignores SIGTERM once the stop timeout has passed [Conformance]`;
const REASON = `${L}runtime should give every exited container a reason and report exit_code 137 for one killed by SIGKILL [Strict]`;
const RM = (state: string) => `${L}runtime should remove ${state === 'exited' ? 'an' : 'a'} ${state} container so that it is neither listed nor found [Conformance]`;
const UNKNOWN = `${L}runtime should answer ContainerStatus for an unknown container with NOT_FOUND [Conformance]`;
const S = 'container/Container status ';
const META = `${S}runtime should preserve labels and annotations in ContainerStatus and ListContainers [Conformance]`;
const FIELDS = `${S}runtime should set the ContainerStatus fields the kubelet requires in every state [Conformance]`;
const F = 'container/ListContainers ';
const FILTER = `${F}runtime should filter containers by id, state, pod_sandbox_id and label_selector [Conformance]`;
const AND = `${F}runtime should AND the ListContainers filters [Conformance]`;
const C = 'container/Container config ';
const CMD = `${C}runtime should run the command with args, env and working_dir from the container config [Conformance]`;
const ARGS = `${C}runtime should run args in place of the image CMD when command is empty [Conformance]`;
const USER = `${C}runtime should run the container as run_as_user [Conformance]`;
const IMAGE = `${C}runtime should run each container from the image its config names [Conformance]`;
const TTY = `${C}runtime should give a tty container a terminal, and keep stdin open for a stdin container and at EOF for one without [Conformance]`;
const STDIN_ONCE = 'container/Container stdin runtime should close the stdin of a stdin_once container when the first attach ends, and keep it open for the next attach otherwise [Conformance]';
const DEVICES = 'container/Container devices runtime should create a device at container_path with the numbers of host_path, and refuse writes unless permissions allow them [Conformance]';
const CDI = 'container/Container CDI devices runtime should apply the container edits of the CDI device CDI_devices names [Feature:CDIDevices]';
const CHECKPOINT = 'container/Container checkpoint CheckpointContainer should write the checkpoint archive at location [Optional] [Feature:Checkpoint]';
const M = 'container/Container mounts ';
const VOL = `${M}runtime should mount a host path into the container, read-write by default [Conformance]`;
const SYMLINK = `${M}runtime should mount a host path that is a symlink to a directory [Conformance]`;
const RO = `${M}runtime should make a readonly mount read-only in the container [Conformance]`;
const ROROOT = `${M}runtime should make the root filesystem read-only when readonly_rootfs is set [Conformance]`;
const NRRO = `${M}runtime should leave submounts of a readonly (non-recursive) mount writable [Conformance]`;
const RRO = `${M}runtime should make every submount of a recursive_read_only mount read-only [Feature:RecursiveReadOnlyMounts]`;
const RRO_BAD = `${M}runtime should reject recursive_read_only without readonly or with host-to-container or bidirectional propagation [Feature:RecursiveReadOnlyMounts]`;
const OOM = 'container/Container resources runtime should report OOMKilled and a non-zero exit_code when a container exceeds its memory limit [Conformance]';
const P = 'container/Multiple containers in a pod ';
const NS = `${P}containers in one pod should share the network and IPC namespaces, and not with another pod [Conformance]`;
const LOCALHOST = `${P}containers in one pod should reach each other over localhost [Conformance]`;
const E = 'container/ExecSync ';
const EXEC = `${E}runtime should return stdout, stderr and the exit code of ExecSync separately [Conformance]`;
const EXEC_TIMEOUT = `${E}runtime should end an ExecSync whose command outlives its timeout [Conformance]`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

/** ContainerStatus answers rewritten only once the container has exited. */
const whenExited = (edit: (s: Msg) => void): Fault => inState('CONTAINER_EXITED', edit);

/** ContainerStatus answers rewritten only while the container is in this state. */
const inState = (state: string, edit: (s: Msg) => void): Fault => ({
  rpc: 'ContainerStatus',
  mutate: (r) => void (r.status?.state === state && edit(r.status)),
});

/** An int64 timestamp (decimal string) moved by `ns`. */
const shift = (ts: string, ns: bigint): string => String(BigInt(ts) + ns);

/** ListContainers answers rewritten, only for requests whose filter this accepts. */
const listAnswer = (when: (filter: Msg) => boolean, edit: (containers: Msg[]) => Msg[] | void): Fault => ({
  rpc: 'ListContainers',
  when: (req) => when(req.filter ?? {}),
  mutate: (r) => void (r.containers = edit(r.containers) ?? r.containers),
});

/** ListContainers requests whose filter this accepts, rewritten (a filter field the runtime ignored). */
const listIgnoring = (when: (filter: Msg) => boolean, edit: (filter: Msg) => void): Fault => ({
  rpc: 'ListContainers',
  when: (req) => when(req.filter ?? {}),
  mutateRequest: (req) => void edit(req.filter),
});

/** CreateContainer requests rewritten (e.g. a config field the runtime "forgot"). */
const createWith = (edit: (config: Msg) => void): Fault => ({ rpc: 'CreateContainer', mutateRequest: (req) => void edit(req.config) });

/** Host directories the "copying" runtime below made; removed after the file. */
const copies: string[] = [];
/** CreateContainer that mounts a copy of each host_path instead of the directory itself (writes never reach the host). */
const mountCopies = createWith((c) => {
  for (const m of c.mounts ?? []) {
    const copy = mkdtempSync(path.join(os.tmpdir(), 'crc-selftest-copy-'));
    copies.push(copy);
    cpSync(m.host_path, copy, { recursive: true });
    m.host_path = copy;
  }
});

/** ExecSync answers for a command whose joined argv contains `needle`, rewritten. */
const execAnswer = (needle: string, edit: (res: Msg, n: number) => void): Fault => {
  let n = 0;
  return { rpc: 'ExecSync', mutate: (res, req) => void ((req.cmd ?? []).join(' ').includes(needle) && edit(res, ++n)) };
};

/** A `when` that accepts only the first call it sees (the test's own; its cleanup's calls pass untouched). */
const once = (): (() => boolean) => {
  let n = 0;
  return () => n++ === 0;
};

/** RemoveContainer that answers OK without removing anything (the sandbox's removal cleans up). */
const fakeRemove: Fault = { rpc: 'RemoveContainer', respond: () => ({}) };

/** Status claims recursive read-only mount support for the default handler. */
const claimRro: Fault = {
  rpc: 'Status',
  mutate: (r) => void (r.runtime_handlers = [{ name: '', features: { recursive_read_only_mounts: true, user_namespaces: false } }]),
};

describe('self-test: container', function () {
  this.timeout(600_000);
  after(() => copies.forEach((d) => rmSync(d, { recursive: true, force: true })));

  // ---- lifecycle ----
  it(`${EXIT3} fails when ContainerStatus reports another exit code`, () =>
    expectCheckFails(EXIT3, [whenExited((s) => (s.exit_code = 4))], /ContainerStatus: status\.exit_code: expected 3, got 4/));

  it(`${EXIT3} fails when finished_at is before started_at`, () =>
    expectCheckFails(EXIT3, [whenExited((s) => (s.finished_at = '1'))], /ContainerStatus: status\.finished_at: expected > 0|ContainerStatus: status\.finished_at: expected >= \d+/));

  it(`${EXIT3} fails when ContainerStatus answers CREATED after StartContainer`, () =>
    expectCheckFails(EXIT3, [{ rpc: 'ContainerStatus', mutate: (r) => void (r.status.state === 'CONTAINER_RUNNING' && (r.status.state = 'CONTAINER_CREATED')) }],
      /ContainerStatus: status\.state \(after StartContainer\): expected "CONTAINER_RUNNING", got "CONTAINER_CREATED"/));

  it(`${REASON} fails when ContainerStatus reports no reason for a container that completed`, () =>
    expectCheckFails(REASON, [whenExited((s) => void (s.exit_code === 0 && (s.reason = '')))],
      /ContainerStatus: status\.reason \(exit 0\): expected a non-empty value, got "" \[rests on our opinion, not the contract: /));

  it(`${REASON} fails when ContainerStatus reports no reason for a container that exited 3`, () =>
    expectCheckFails(REASON, [whenExited((s) => void (s.exit_code === 3 && (s.reason = '')))], /ContainerStatus: status\.reason \(exit 3\): expected a non-empty value, got ""/));

  it(`${REASON} fails when ExecSync reports a failing exit code for a command that succeeds`, () =>
    expectCheckFails(REASON, [execAnswer('test -e /tmp/ready', (r) => (r.exit_code = 1))], /ExecSync: exit_code \(test -e \/tmp\/ready\): expected 0, got 1/));

  it(`${REASON} fails when a container killed by SIGKILL reports 143 instead of 137`, () =>
    expectCheckFails(REASON, [whenExited((s) => void (s.exit_code === 137 && (s.exit_code = 143)))],
      /ContainerStatus: status\.exit_code \(killed by SIGKILL: the workload ignores SIGTERM\): expected 137, got 143 \(128 \+ SIGKILL\)/));

  it(`${EXIT0} fails when exit_code 0 is reported as 1`, () =>
    expectCheckFails(EXIT0, [whenExited((s) => (s.exit_code = 1))], /ContainerStatus: status\.exit_code: expected 0, got 1/));

  it(`${STOP_TERM} fails when the container is killed instead of terminated (exit 137)`, () =>
    expectCheckFails(STOP_TERM, [whenExited((s) => (s.exit_code = 137))], /ContainerStatus: status\.exit_code \(after SIGTERM\): expected 0, got 137/));

  it(`${STOP_KILL} fails when StopContainer returns at once without waiting out the timeout`, () =>
    expectCheckFails(STOP_KILL, [{ rpc: 'StopContainer', respond: () => ({}) }], /StopContainer: duration in ms \(timeout=2s, SIGTERM ignored\): expected >= 2000/));

  it(`${STOP_KILL} fails when the killed container is reported with exit_code 0`, () =>
    expectCheckFails(STOP_KILL, [whenExited((s) => (s.exit_code = 0))],
      /ContainerStatus: status\.exit_code \(killed after the grace period\): expected anything but 0, got 0 \(a killed container did not succeed\) \[rests on the kubelet \(container\/helpers\.go ShouldContainerBeRestarted\)/));

  it(`${EXIT3} fails when a created container is reported CONTAINER_UNKNOWN`, () =>
    expectCheckFails(EXIT3, [inState('CONTAINER_CREATED', (s) => (s.state = 'CONTAINER_UNKNOWN'))],
      /ContainerStatus: status\.state \(after CreateContainer\): expected "CONTAINER_CREATED", got "CONTAINER_UNKNOWN"/));

  it(`${EXIT3} fails when a created container has no created_at`, () =>
    expectCheckFails(EXIT3, [inState('CONTAINER_CREATED', (s) => (s.created_at = '0'))],
      /ContainerStatus: status\.created_at \(after CreateContainer\): expected > 0, got "0"/));

  it(`${EXIT3} fails when a container that was never started has a started_at`, () =>
    expectCheckFails(EXIT3, [inState('CONTAINER_CREATED', (s) => (s.started_at = s.created_at))],
      /ContainerStatus: status\.started_at \(after CreateContainer\): expected "0", got "\d+" \(the container has not been started\)/));

  it(`${EXIT3} fails when a running container has no started_at`, () =>
    expectCheckFails(EXIT3, [inState('CONTAINER_RUNNING', (s) => (s.started_at = '0'))],
      /ContainerStatus: status\.started_at \(after StartContainer\): expected > 0, got "0"/));

  it(`${EXIT3} fails when started_at is before created_at`, () =>
    expectCheckFails(EXIT3, [inState('CONTAINER_RUNNING', (s) => (s.started_at = shift(s.created_at, -1n)))],
      /ContainerStatus: status\.started_at \(after StartContainer\): expected >= \d+, got "\d+" \(created_at=\d+\)/));

  it(`${EXIT3} fails when a running container has a finished_at`, () =>
    expectCheckFails(EXIT3, [inState('CONTAINER_RUNNING', (s) => (s.finished_at = s.started_at))],
      /ContainerStatus: status\.finished_at \(while running\): expected "0", got "\d+" \(the container is still running\)/));

  it(`${EXIT3} fails when started_at changes when the container exits`, () =>
    expectCheckFails(EXIT3, [whenExited((s) => (s.started_at = s.finished_at))],
      /ContainerStatus: status\.started_at \(after exit\): expected "\d+", got "\d+" \(the start time must not change\)/));

  it(`${EXIT3} fails when an exited container has no finished_at`, () =>
    expectCheckFails(EXIT3, [whenExited((s) => (s.finished_at = '0'))], /ContainerStatus: status\.finished_at: expected > 0, got "0"/));

  it(`${EXIT0} fails when finished_at is before started_at`, () =>
    expectCheckFails(EXIT0, [whenExited((s) => (s.finished_at = shift(s.started_at, -1n)))],
      /ContainerStatus: status\.finished_at: expected >= \d+, got "\d+" \(started_at=\d+\)/));

  it(`${STOP_TERM} fails when ExecSync reports a failing exit code for a command that succeeds`, () =>
    expectCheckFails(STOP_TERM, [execAnswer('test -e /tmp/ready', (r) => (r.exit_code = 1))], /ExecSync: exit_code \(test -e \/tmp\/ready\): expected 0, got 1/));

  it(`${STOP_TERM} fails when StopContainer waits out the whole timeout and then kills (no SIGTERM first)`, () =>
    expectCheckFails(STOP_TERM, [{ rpc: 'StopContainer', when: (req) => req.timeout === '30', delayMs: 30_000, mutateRequest: (req) => void (req.timeout = '0') }],
      /StopContainer: duration in ms \(timeout=30s, process exits on SIGTERM\): expected <= 20000, got \d+ \(SIGTERM must be sent first/));

  it(`${STOP_TERM} fails when StopContainer answers OK but the container keeps running`, () =>
    expectCheckFails(STOP_TERM, [{ rpc: 'StopContainer', when: (req) => req.timeout === '30', respond: () => ({}) }],
      /ContainerStatus: status\.state \(after StopContainer\): expected "CONTAINER_EXITED", got "CONTAINER_RUNNING"/));

  it(`${STOP_KILL} fails when ExecSync reports a failing exit code for a command that succeeds`, () =>
    expectCheckFails(STOP_KILL, [execAnswer('test -e /tmp/ready', (r) => (r.exit_code = 1))], /ExecSync: exit_code \(test -e \/tmp\/ready\): expected 0, got 1/));

  it(`${STOP_KILL} fails when StopContainer does not kill once the timeout has passed`, () =>
    expectCheckFails(STOP_KILL, [{ rpc: 'StopContainer', when: (req) => req.timeout === '2', delayMs: 33_000 }],
      /StopContainer: duration in ms \(timeout=2s, SIGTERM ignored\): expected <= 32000, got \d+ \(the process must be killed once the timeout passes\)/));

  it(`${STOP_KILL} fails when StopContainer answers OK after the timeout but the container keeps running`, () =>
    expectCheckFails(STOP_KILL, [{ rpc: 'StopContainer', when: (req) => req.timeout === '2', delayMs: 2_500, respond: () => ({}) }],
      /ContainerStatus: status\.state \(after StopContainer\): expected "CONTAINER_EXITED", got "CONTAINER_RUNNING"/));

  for (const state of ['created', 'exited']) {
    it(`${RM(state)} fails when RemoveContainer leaves the container listed`, () =>
      expectCheckFails(RM(state), [fakeRemove], new RegExp(`ListContainers: containers\\[\\]\\.id \\(after RemoveContainer of a ${state} container, answered OK\\): expected not to include`)));
  }

  // Forced removal of a running container that ignores SIGTERM: OK within our deadline, or gone soon after it.
  it(`${RM('running')} fails when RemoveContainer answers OK and leaves the container listed`, () =>
    expectCheckFails(RM('running'), [fakeRemove],
      /ListContainers: containers\[\]\.id \(filter id, [\d.]+ s after RemoveContainer of a running container\): expected not to include "[0-9a-f]+", got \[.*\] \(RemoveContainer answered OK after [\d.]+ s; polled [\d.]+ s, 3 periods: removal of a running container/));

  it(`${RM('running')} fails when RemoveContainer outlives the deadline and the container is never removed`, () =>
    expectCheckFails(RM('running'), [{ rpc: 'RemoveContainer', when: once(), delayMs: 25_000, respond: () => ({}) }],
      /RemoveContainer had not answered at our 20\.0 s deadline; polled [\d.]+ s, 3 periods/));

  it(`${RM('running')} fails when RemoveContainer refuses a running container`, () =>
    expectCheckFails(RM('running'), [{ rpc: 'RemoveContainer', when: once(), error: { code: Status.FAILED_PRECONDITION, details: 'container is running, stop it first' } }],
      /RemoveContainer \(running container ignoring SIGTERM\): expected success \(it must be forcibly removed\), got FAILED_PRECONDITION: container is running, stop it first after [\d.]+ s/));

  // CRI-O: the stop takes the time left before the request deadline as grace, so the removal ends after the caller gave up.
  it(`${RM('running')} passes when the runtime removes the container only after the caller's deadline`, async () => {
    const { endpoint } = await labUpstream();
    let late: Promise<unknown> = Promise.resolve();
    const r = await runOne(RM('running'), [{
      rpc: 'RemoveContainer',
      when: once(),
      delayMs: 21_000,
      respond: (req) => {
        late = withLabCri(endpoint.uri, (cri) => cri.runtime.call('RemoveContainer', { container_id: req.container_id }));
        return {};
      },
    }]);
    await late.catch(() => undefined);
    expect(r.status, `expected a pass, got ${r.status}: ${r.message ?? ''}`).to.equal('passed');
  });

  it(`${RM('running')} fails when ContainerStatus still answers for a removed container`, () => {
    let removed = '';
    return expectCheckFails(RM('running'), [
      { rpc: 'RemoveContainer', respond: (req) => ((removed = req.container_id), {}) },
      { rpc: 'ListContainers', mutate: (res) => void (res.containers = res.containers.filter((c: Msg) => c.id !== removed)) },
    ], /ContainerStatus \(after RemoveContainer of a running container\): expected an error \(NOT_FOUND: no such container\), got success/);
  });

  it(`${RM('created')} fails when ListContainers leaves out a created container of the sandbox`, () =>
    expectCheckFails(RM('created'), [listAnswer((f) => !!f.pod_sandbox_id, (cs) => cs.filter((c) => c.state !== 'CONTAINER_CREATED'))],
      /ListContainers: containers\[\]\.id \(before RemoveContainer\): expected to include "[0-9a-f]+", got \[\]/));

  it(`${RM('exited')} fails when the id filter still finds a removed container`, () => {
    let removed = '';
    return expectCheckFails(RM('exited'), [
      { rpc: 'RemoveContainer', respond: (req) => ((removed = req.container_id), {}) },
      listAnswer((f) => !f.id, (cs) => cs.filter((c) => c.id !== removed)),
    ], /ListContainers: containers\[\]\.id \(filter id, after RemoveContainer of a exited container\): expected not to include "[0-9a-f]+"/);
  });

  it(`${UNKNOWN} fails when ContainerStatus answers UNKNOWN instead of NOT_FOUND`, () =>
    expectCheckFails(UNKNOWN, [{ rpc: 'ContainerStatus', error: { code: Status.UNKNOWN, details: 'container does not exist' } }],
      /ContainerStatus \(for an id that never existed\): expected NOT_FOUND \(no such container\), got UNKNOWN/));

  // ---- status ----
  it(`${META} fails when ContainerStatus drops a label with an empty value`, () =>
    expectCheckFails(META, [{ rpc: 'ContainerStatus', mutate: (r) => void delete r.status.labels['crc.test/empty'] }], /ContainerStatus: status\.labels \(the keys given in ContainerConfig\.labels\): expected \{.*'crc\.test\/empty': ''.*got \{ 'crc\.test\/app': 'label-value', 'cri-conformance\.io\/run-id': '[^']+'[^}]*\} \[rests on api\.proto ContainerStatus\.labels/));

  it(`${META} fails when ListContainers drops the annotations`, () =>
    expectCheckFails(META, [{ rpc: 'ListContainers', mutate: (r) => void r.containers.forEach((c: Msg) => (c.annotations = {})) }],
      /ListContainers: containers\[\]\.annotations: expected \{.*got \{\}/));

  it(`${META} fails when ContainerStatus drops an annotation`, () =>
    expectCheckFails(META, [{ rpc: 'ContainerStatus', mutate: (r) => void delete r.status.annotations['crc.test/json'] }],
      /ContainerStatus: status\.annotations: expected \{.*'crc\.test\/json': '\{"a":\[1,2\]\}'.*\}, got \{(?:(?!crc\.test\/json).)*'crc\.test\/note': 'annotation value with spaces'(?:(?!crc\.test\/json).)*\} \[rests on api\.proto ContainerStatus\.annotations/));

  it(`${META} fails when ListContainers with the id filter does not list the container`, () =>
    expectCheckFails(META, [listAnswer((f) => !!f.id, () => [])], /ListContainers: containers\[\]\.id: expected [0-9a-f]+ \(filter id\), got none/));

  it(`${META} passes when the runtime adds labels of its own (CRI-O)`, async () => {
    const add = (labels: Msg) => void (labels && (labels['io.container.manager'] = 'cri-o'));
    const r = await runOne(META, [
      { rpc: 'ContainerStatus', mutate: (res) => add(res.status?.labels) },
      listAnswer(() => true, (cs) => cs.forEach((c) => add(c.labels))),
    ]);
    expect(r.status, r.message ?? '').to.equal('passed');
  });

  it(`${META} fails when ListContainers drops a label with an empty value`, () =>
    expectCheckFails(META, [listAnswer(() => true, (cs) => cs.forEach((c) => delete c.labels['crc.test/empty']))],
      /ListContainers: containers\[\]\.labels \(the keys given in ContainerConfig\.labels\): expected \{.*'crc\.test\/empty': ''.*got \{/));

  it(`${META} fails when ListContainers reports a short pod_sandbox_id`, () =>
    expectCheckFails(META, [listAnswer(() => true, (cs) => cs.forEach((c) => (c.pod_sandbox_id = c.pod_sandbox_id.slice(0, 12))))],
      /ListContainers: containers\[\]\.pod_sandbox_id: expected "[0-9a-f]{64}", got "[0-9a-f]{12}"/));

  it(`${META} fails when ListContainers reports another metadata.attempt`, () =>
    expectCheckFails(META, [listAnswer(() => true, (cs) => cs.forEach((c) => (c.metadata.attempt = 1)))],
      /ListContainers: containers\[\]\.metadata: expected \{ name: '[^']+', attempt: 0 \}, got \{ name: '[^']+', attempt: 1 \}/));

  it(`${FIELDS} fails when status.id is empty`, () =>
    expectCheckFails(FIELDS, [{ rpc: 'ContainerStatus', mutate: (r) => void (r.status.id = '') }], /ContainerStatus: status\.id \(created\): expected "[0-9a-f]+", got ""/));

  it(`${FIELDS} fails when status.metadata is missing once the container runs`, () =>
    expectCheckFails(FIELDS, [inState('CONTAINER_RUNNING', (s) => (s.metadata = null))],
      /ContainerStatus: status\.metadata \(running\): expected \{ name: '[^']+', attempt: 0 \}, got null/));

  it(`${FIELDS} fails when image_ref is empty`, () =>
    expectCheckFails(FIELDS, [{ rpc: 'ContainerStatus', mutate: (r) => void (r.status.image_ref = '') }], /ContainerStatus: status\.image_ref \(created\): expected a non-empty value, got ""/));

  it(`${FIELDS} fails when an exited container has no image.image`, () =>
    expectCheckFails(FIELDS, [whenExited((s) => (s.image = null))], /ContainerStatus: status\.image\.image \(exited\): expected a non-empty value/));

  it(`${FIELDS} fails when created_at is missing while running`, () =>
    expectCheckFails(FIELDS, [{ rpc: 'ContainerStatus', mutate: (r) => void (r.status.state === 'CONTAINER_RUNNING' && (r.status.created_at = '0')) }],
      /ContainerStatus: status\.created_at \(running\): expected > 0, got "0"/));

  // ---- ListContainers ----
  it(`${FILTER} fails when ListContainers ignores the filter`, () =>
    expectCheckFails(FILTER, [{ rpc: 'ListContainers', mutateRequest: (req) => void (req.filter = null) }],
      /ListContainers: containers\[\]\.id \(filter id\): expected exactly \["A1"\] in any order/));

  it(`${FILTER} fails when ListContainers ignores the label selector`, () =>
    expectCheckFails(FILTER, [{ rpc: 'ListContainers', mutateRequest: (req) => void (req.filter && (req.filter.label_selector = {})) }],
      /ListContainers: containers\[\]\.id \(filter label_selector app=x\): expected exactly \["A1", "A2", "B2"\]/));

  it(`${FILTER} fails when the state filter is ignored`, () =>
    expectCheckFails(FILTER, [{ rpc: 'ListContainers', mutateRequest: (req) => void (req.filter && (req.filter.state = null)) }],
      /ListContainers: containers\[\]\.id \(filter state CONTAINER_RUNNING, this test's containers\): expected exactly \["A1", "B1"\]/));

  it(`${FILTER} fails when an id filter that matches nothing is ignored`, () =>
    expectCheckFails(FILTER, [listIgnoring((f) => /^crc-none-/.test(f.id ?? ''), (f) => (f.id = ''))],
      /ListContainers: containers\[\]\.id \(filter id of a removed\/unknown container\): expected exactly \[\] in any order, got \[ '[0-9a-f]+'/));

  it(`${FILTER} fails when the CONTAINER_CREATED state filter is ignored`, () =>
    expectCheckFails(FILTER, [listIgnoring((f) => f.state?.state === 'CONTAINER_CREATED', (f) => (f.state = null))],
      /ListContainers: containers\[\]\.id \(filter state CONTAINER_CREATED, this test's containers\): expected exactly \["A2"\] in any order, got \[/));

  it(`${FILTER} fails when the CONTAINER_EXITED state filter is ignored`, () =>
    expectCheckFails(FILTER, [listIgnoring((f) => f.state?.state === 'CONTAINER_EXITED', (f) => (f.state = null))],
      /ListContainers: containers\[\]\.id \(filter state CONTAINER_EXITED, this test's containers\): expected exactly \["B2"\] in any order, got \[/));

  it(`${FILTER} fails when the pod_sandbox_id filter is ignored`, () =>
    expectCheckFails(FILTER, [listIgnoring((f) => !!f.pod_sandbox_id, (f) => (f.pod_sandbox_id = ''))],
      /ListContainers: containers\[\]\.id \(filter pod_sandbox_id\): expected exactly \["A1", "A2"\] in any order, got \[/));

  it(`${FILTER} fails when the pod_sandbox_id filter leaves out exited containers`, () =>
    expectCheckFails(FILTER, [listAnswer((f) => !!f.pod_sandbox_id, (cs) => cs.filter((c) => c.state !== 'CONTAINER_EXITED'))],
      /ListContainers: containers\[\]\.id \(filter pod_sandbox_id\): expected exactly \["B1", "B2"\] in any order, got \[ 'B1' \]/));

  it(`${FILTER} fails when only the first label of the selector is matched`, () =>
    expectCheckFails(FILTER, [listIgnoring((f) => 'tier' in (f.label_selector ?? {}), (f) => void delete f.label_selector.tier)],
      /ListContainers: containers\[\]\.id \(filter label_selector app=x, tier=a\): expected exactly \["A1", "B2"\] in any order, got \[/));

  it(`${FILTER} fails when listed containers carry a short pod_sandbox_id`, () =>
    expectCheckFails(FILTER, [listAnswer((f) => !!f.pod_sandbox_id, (cs) => cs.forEach((c) => (c.pod_sandbox_id = c.pod_sandbox_id.slice(0, 12))))],
      /ListContainers: containers\[A[12]\]\.pod_sandbox_id: expected "[0-9a-f]{64}", got "[0-9a-f]{12}"/));

  it(`${AND} fails when ListContainers ORs instead of ANDs (drops state next to a sandbox id)`, () =>
    expectCheckFails(AND, [{ rpc: 'ListContainers', mutateRequest: (req) => void (req.filter?.pod_sandbox_id && (req.filter.state = null)) }],
      /ListContainers: containers\[\]\.id \(filter pod_sandbox_id=A \+ state=RUNNING\): expected exactly \["A1"\] in any order, got \[/));

  it(`${AND} fails when the id filter wins over the other fields`, () =>
    expectCheckFails(AND, [{ rpc: 'ListContainers', mutateRequest: (req) => void (req.filter?.id && (req.filter = { id: req.filter.id })) }],
      /ListContainers: containers\[\]\.id \(filter id=A1 \+ pod_sandbox_id=B\): expected exactly \[\] in any order, got \[ 'A1' \]/));

  // ---- config ----
  it(`${CMD} fails when args are dropped`, () =>
    expectCheckFails(CMD, [createWith((c) => (c.args = []))], /ExecSync: \/proc\/1\/cmdline \(command \+ args\): expected \[/));

  it(`${CMD} fails when an env var is dropped`, () =>
    expectCheckFails(CMD, [createWith((c) => (c.envs = c.envs.filter((e: Msg) => e.key !== 'CRC_EQ')))], /ExecSync: \/proc\/1\/environ \(envs\): expected to include "CRC_EQ=a=b"/));

  it(`${CMD} fails when the image's env (PATH) is not passed to the process`, () =>
    expectCheckFails(CMD, [execAnswer('cat /proc/1/environ', (r) => (r.stdout = Buffer.from(r.stdout.toString().split('\0').filter((e: string) => !e.startsWith('PATH=')).join('\0'))))],
      /ExecSync: \/proc\/1\/environ \(PATH from the image\): expected true, got false/));

  it(`${CMD} fails when working_dir is ignored`, () =>
    expectCheckFails(CMD, [createWith((c) => (c.working_dir = ''))], /ExecSync: readlink \/proc\/1\/cwd \(working_dir\): expected "\/etc", got "\/"/));

  it(`${ARGS} fails when args are not what runs`, () =>
    expectCheckFails(ARGS, [createWith((c) => (c.args = ['sh', '-c', 'sleep 3599; exit 0']))], /ExecSync: \/proc\/1\/cmdline \(args, no command\): expected \[ 'sh', '-c', 'sleep 3600; exit 0' \], got \[ 'sh', '-c', 'sleep 3599; exit 0' \]/));

  it(`${USER} fails when run_as_user is ignored`, () =>
    expectCheckFails(USER, [createWith((c) => (c.linux.security_context.run_as_user = null))], /ExecSync: Uid of pid 1 \(run_as_user=1001\): expected "1001", got "0"/));

  it(`${USER} fails when ExecSync runs as root instead of run_as_user`, () =>
    expectCheckFails(USER, [execAnswer('id -u', (r) => (r.stdout = Buffer.from('0\n')))], /ExecSync: id -u \(exec inherits run_as_user=1001\): expected "1001", got "0"/));

  // A runtime that keeps running the first image it was given, whatever the next config names.
  it(`${IMAGE} fails when the second container runs the first container's image`, () => {
    let first: Msg;
    return expectCheckFails(IMAGE, [{ rpc: 'CreateContainer', mutateRequest: (req) => void (first ? (req.config.image = first) : (first = req.config.image)) }],
      /ExecSync: cat \/etc\/cri-conformance-variant \(container of image alt2\): expected "alt2\\n", got "alt1\\n" \[rests on api\.proto ContainerConfig\.image\.image/);
  });

  it(`${TTY} fails when tty is ignored`, () =>
    expectCheckFails(TTY, [createWith((c) => void (c.tty && (c.tty = false)))], /ExecSync: readlink \/proc\/1\/fd\/0 \(tty=true\): expected a value matching .*, got "(?!\/dev\/pts)/));

  it(`${TTY} fails when a container without tty gets a terminal`, () =>
    expectCheckFails(TTY, [createWith((c) => void (c.stdin && !c.tty && (c.tty = true)))], /ExecSync: readlink \/proc\/1\/fd\/1 \(stdin=true, tty=false\): expected a value matching .*, got "\/dev\/pts\/\d+" \(no terminal without tty\)/));

  it(`${TTY} fails when stdin is ignored (stdin at EOF)`, () =>
    expectCheckFails(TTY, [createWith((c) => void (c.stdin && !c.tty && (c.stdin = false)))], /ExecSync: exit status of `timeout 2 cat \/proc\/1\/fd\/0` \(stdin=true\): expected anything but "0", got "0"/));

  it(`${TTY} fails when a container without stdin gets an open stdin`, () =>
    expectCheckFails(TTY, [createWith((c) => void (!c.stdin && (c.stdin = true)))], /ExecSync: exit status of `timeout 2 cat \/proc\/1\/fd\/0` \(stdin=false\): expected "0", got "\d+"/));

  it(`${STDIN_ONCE} fails when stdin_once is ignored (stdin stays open after the first attach)`, () =>
    expectCheckFails(STDIN_ONCE, [createWith((c) => void (c.stdin_once && (c.stdin_once = false)))],
      /host: \S+\/eof-once \(stdin_once=true, after the first attach ended\): expected "eof\\n", got "<missing>"/));

  it(`${STDIN_ONCE} fails when what the first attach writes never reaches the container's stdin`, () =>
    // As a runtime that leaves the container's stdin unconnected: the command reads /dev/null instead.
    expectCheckFails(STDIN_ONCE, [createWith((c) => {
      for (const k of ['command', 'args'] as const) c[k] = (c[k] ?? []).map((a: string) => a.replace('cat > /ctl/in-once', 'cat </dev/null > /ctl/in-once'));
    })],
      /host: \S+\/in-once \(stdin_once=true, written by the first attach\): expected "first\\n", got "(<missing>)?"/));

  it(`${STDIN_ONCE} fails when stdin is closed after the first attach without stdin_once`, () =>
    expectCheckFails(STDIN_ONCE, [createWith((c) => void (c.stdin && (c.stdin_once = true)))],
      /host: \S+\/in-open \(stdin_once=false, after a second attach\): expected "first\\nsecond\\n", got "first\\n"/));

  // ---- devices ----
  it(`${DEVICES} fails when the runtime maps another host device`, () =>
    expectCheckFails(DEVICES, [createWith((c) => c.devices?.forEach((d: Msg) => (d.host_path = '/dev/null')))],
      /ExecSync: stat -c '%F %t:%T' \/dev\/crc-dev \(permissions r\): expected "character special file a:e5", got "character special file 1:3"/));

  it(`${DEVICES} fails when permissions "r" still allow writes`, () =>
    expectCheckFails(DEVICES, [createWith((c) => c.devices?.forEach((d: Msg) => (d.permissions = 'rw')))],
      /ExecSync: open \/dev\/crc-dev for writing \(permissions "r"\): expected a value matching .*, got "opened"/));

  it(`${DEVICES} fails when permissions "rw" do not allow writes`, () =>
    expectCheckFails(DEVICES, [createWith((c) => c.devices?.forEach((d: Msg) => (d.permissions = 'r')))],
      /ExecSync: open \/dev\/crc-dev for writing \(permissions "rw"\): expected "opened", got "refused: .*Operation not permitted"/));

  it(`${DEVICES} fails when permissions "r" do not allow reads`, () =>
    expectCheckFails(DEVICES, [createWith((c) => c.devices?.forEach((d: Msg) => void (d.permissions === 'r' && (d.permissions = 'w'))))],
      /ExecSync: open \/dev\/crc-dev for reading \(permissions "r"\): expected "opened", got "refused: .*Operation not permitted"/));

  // ---- CDI ----
  it(`${CDI} fails when the runtime ignores CDI_devices`, () =>
    expectCheckFails(CDI, [createWith((c) => (c.CDI_devices = []))],
      /ExecSync: \/proc\/1\/environ \(CDI device cri-conformance\.io\/test=dev-\w+ sets CRC_CDI\): expected to include "CRC_CDI=cdi-\w+", got \[/));

  // The lab's containerd 1.6 predates CDI: the proxy applies the test's spec (its env) as a CDI runtime would.
  it(`${CDI} passes when the runtime applies the CDI device's env`, async () => {
    const applyCdi = createWith((c) => {
      for (const d of c.CDI_devices ?? []) {
        const spec = JSON.parse(readFileSync(`/var/run/cdi/cri-conformance-${d.name.split('=')[1]}.json`, 'utf8'));
        for (const kv of spec.devices[0].containerEdits.env as string[]) c.envs = [...(c.envs ?? []), { key: kv.split('=')[0], value: kv.slice(kv.indexOf('=') + 1) }];
      }
      c.CDI_devices = [];
    });
    const r = await runOne(CDI, [applyCdi]);
    expect(r.status, r.message ?? '').to.equal('passed');
  });

  // ---- checkpoint ----
  it(`${CHECKPOINT} fails when CheckpointContainer answers OK and writes no archive`, () =>
    expectCheckFails(CHECKPOINT, [{ rpc: 'CheckpointContainer', respond: () => ({}) }],
      /host: size of \S+\/checkpoint\.tar after CheckpointContainer answered OK: expected > 0, got -1 \(the checkpoint archive must be at location\)/));

  it(`${CHECKPOINT} passes when CheckpointContainer writes an archive at location`, async () => {
    const r = await runOne(CHECKPOINT, [{ rpc: 'CheckpointContainer', respond: (req) => (writeFileSync(req.location, 'archive'), {}) }]);
    expect(r.status, r.message ?? '').to.equal('passed');
  });

  // ---- mounts ----
  it(`${VOL} fails when the mount is made read-only`, () =>
    expectCheckFails(VOL, [createWith((c) => (c.mounts[0].readonly = true))], /ExecSync: exit_code \(sh -c echo hello from the container > \/mnt\/vol\/from-container\): expected 0, got [1-9]/));

  it(`${VOL} fails when the container sees other content`, () =>
    expectCheckFails(VOL, [execAnswer('/mnt/vol/from-host', (r) => (r.stdout = Buffer.from('something else\n')))], /ExecSync: cat \/mnt\/vol\/from-host: expected "hello from the host\\n", got "something else\\n"/));

  it(`${VOL} fails when writes in the container do not reach the host directory`, () =>
    expectCheckFails(VOL, [mountCopies], /host: \S+\/from-container \(written in the container\): expected "hello from the container\\n", got "<missing>"/));

  it(`${SYMLINK} fails when the symlinked mount is missing`, () =>
    expectCheckFails(SYMLINK, [createWith((c) => (c.mounts = []))], /ExecSync: exit_code \(cat \/mnt\/vol\/via-link\): expected 0, got 1/));

  it(`${SYMLINK} fails when the container sees other content through the symlink`, () =>
    expectCheckFails(SYMLINK, [execAnswer('cat /mnt/vol/via-link', (r) => (r.stdout = Buffer.from('something else\n')))],
      /ExecSync: cat \/mnt\/vol\/via-link \(host_path is a symlink\): expected "seen through the symlink\\n", got "something else\\n"/));

  it(`${RO} fails when the readonly mount shows other content`, () =>
    expectCheckFails(RO, [execAnswer('cat /mnt/ro/existing', (r) => (r.stdout = Buffer.from('something else\n')))],
      /ExecSync: cat \/mnt\/ro\/existing \(readonly mount\): expected "original\\n", got "something else\\n"/));

  it(`${RO} fails when the write fails for another reason than a read-only mount`, () =>
    expectCheckFails(RO, [execAnswer('echo x > /mnt/ro/new', (r) => (r.stderr = Buffer.from("sh: can't create /mnt/ro/new: Permission denied\n")))],
      /ExecSync: stderr \(write to a readonly mount\): expected a value matching \/read-only\/i, got "sh: can't create \/mnt\/ro\/new: Permission denied\\n"/));

  it(`${RO} fails when the write reaches the host although ExecSync reports a read-only failure`, () =>
    expectCheckFails(RO, [
      createWith((c) => (c.mounts[0].readonly = false)),
      execAnswer('echo x > /mnt/ro/new', (r) => { r.exit_code = 1; r.stderr = Buffer.from("sh: can't create /mnt/ro/new: Read-only file system\n"); }),
    ], /host: \S+\/new \(written through a readonly mount\): expected false, got true/));

  it(`${RO} fails when readonly is ignored`, () =>
    expectCheckFails(RO, [createWith((c) => (c.mounts[0].readonly = false))], /ExecSync: exit_code \(write to a readonly mount\): expected anything but 0, got 0/));

  it(`${ROROOT} fails when readonly_rootfs is ignored`, () =>
    expectCheckFails(ROROOT, [createWith((c) => (c.linux.security_context.readonly_rootfs = false))], /ExecSync: exit_code \(write to \/ with readonly_rootfs\): expected anything but 0, got 0/));

  it(`${ROROOT} fails when the write to / fails for another reason than a read-only root`, () =>
    expectCheckFails(ROROOT, [execAnswer('/crc-rootfs-write', (r) => (r.stderr = Buffer.from("sh: can't create /crc-rootfs-write: Permission denied\n")))],
      /ExecSync: stderr \(write to \/ with readonly_rootfs\): expected a value matching \/read-only\/i, got "sh: can't create \/crc-rootfs-write: Permission denied\\n"/));

  it(`${ROROOT} fails when readonly_rootfs makes the mounts read-only too`, () =>
    expectCheckFails(ROROOT, [createWith((c) => (c.mounts[0].readonly = true))],
      /ExecSync: exit_code \(write to a read-write mount with readonly_rootfs\): expected 0, got 1 \(stderr: .*[Rr]ead-only file system\)/));

  it(`${NRRO} fails when a submount of a readonly mount is read-only too`, () =>
    expectCheckFails(NRRO, [execAnswer('touch /mnt/ro/tmpfs/file', (r) => { r.exit_code = 1; r.stderr = Buffer.from('touch: /mnt/ro/tmpfs/file: Read-only file system\n'); })],
      /ExecSync: exit_code \(touch \/mnt\/ro\/tmpfs\/file, tmpfs submount of a non-recursive readonly mount\): expected 0, got 1/));

  it(`${NRRO} fails when the readonly mount itself is writable`, () =>
    expectCheckFails(NRRO, [createWith((c) => (c.mounts[0].readonly = false))], /ExecSync: exit_code \(touch \/mnt\/ro\/top, readonly mount\): expected anything but 0, got 0/));

  // containerd 1.6 does not know recursive_read_only: claiming the feature for it must fail both checks.
  it(`${RRO} fails when the runtime claims the feature but leaves submounts writable`, () =>
    expectCheckFails(RRO, [claimRro], /ExecSync: exit_code \(touch \/mnt\/rro\/tmpfs\/file, tmpfs submount of a recursive_read_only mount\): expected anything but 0, got 0/));

  it(`${RRO} fails when the submount write fails for another reason than a read-only mount`, () =>
    expectCheckFails(RRO, [claimRro, execAnswer('touch /mnt/rro/tmpfs/file', (r) => { r.exit_code = 1; r.stderr = Buffer.from('touch: /mnt/rro/tmpfs/file: Permission denied\n'); })],
      /ExecSync: stderr \(touch \/mnt\/rro\/tmpfs\/file\): expected a value matching \/read-only\/i, got "touch: \/mnt\/rro\/tmpfs\/file: Permission denied\\n"/));

  it(`${RRO_BAD} fails when the runtime claims the feature but accepts recursive_read_only without readonly`, () =>
    expectCheckFails(RRO_BAD, [claimRro], /CreateContainer: expected an error for mounts\[0\] with recursive_read_only=true and readonly=false, got container [0-9a-f]+/));

  // ---- resources ----
  it(`${OOM} fails when the reason is "Error" instead of "OOMKilled"`, () =>
    expectCheckFails(OOM, [whenExited((s) => (s.reason = 'Error'))], /ContainerStatus: status\.reason \(memory limit exceeded\): expected "OOMKilled", got "Error"/));

  it(`${OOM} passes when the OOMKilled reason shows a moment after the exit (containerd learns of the OOM kill apart from the exit)`, async () => {
    let exitedReads = 0;
    const r = await runOne(OOM, [whenExited((s) => void (++exitedReads <= 3 && (s.reason = 'Error')))]);
    expect(r.status, r.message).to.equal('passed');
    expect(exitedReads, 'ContainerStatus reads of the exited container').to.be.greaterThan(3);
  });

  it(`${OOM} fails when the OOM-killed container reports exit_code 0`, () =>
    expectCheckFails(OOM, [whenExited((s) => (s.exit_code = 0))], /ContainerStatus: status\.exit_code \(memory limit exceeded\): expected anything but 0, got 0/));

  // ---- multiple containers ----
  it(`${NS} fails when the second container of the pod has another network namespace`, () =>
    expectCheckFails(NS, [execAnswer('/proc/1/ns/net', (r, n) => void (n === 2 && (r.stdout = Buffer.from('net:[4026530001]\n'))))],
      /ExecSync: \/proc\/1\/ns\/net of the second container in the pod: expected "net:\[\d+\]", got "net:\[4026530001\]"/));

  // A runtime that puts every container into the first pod it created one in.
  it(`${NS} fails when a container is created in another pod than pod_sandbox_id names`, () => {
    let first = '';
    return expectCheckFails(NS, [{ rpc: 'CreateContainer', mutateRequest: (req) => void (first ? (req.pod_sandbox_id = first) : (first = req.pod_sandbox_id)) }],
      /ListContainers: containers\[\]\.pod_sandbox_id \(filter id, the other pod's container\): expected "[0-9a-f]+", got "[0-9a-f]+" \[rests on api\.proto CreateContainerRequest\.pod_sandbox_id/);
  });

  it(`${NS} fails when a container of another pod shares the network namespace`, () =>
    expectCheckFails(NS, [execAnswer('/proc/1/ns/net', (r) => void (r.stdout = Buffer.from('net:[4026530001]\n')))],
      /ExecSync: \/proc\/1\/ns\/net of a container in another pod: expected anything but "net:\[4026530001\]"/));

  it(`${NS} fails when the second container of the pod shares the first one's mount namespace`, () =>
    expectCheckFails(NS, [execAnswer('/proc/1/ns/mnt', (r) => (r.stdout = Buffer.from('mnt:[4026531840]\n')))],
      /ExecSync: \/proc\/1\/ns\/mnt of the second container in the pod: expected anything but "mnt:\[4026531840\]", got "mnt:\[4026531840\]" \(each container has its own root filesystem\)/));

  it(`${LOCALHOST} fails when the second container cannot reach the first over localhost`, () =>
    expectCheckFails(LOCALHOST, [execAnswer('nc -w 2 127.0.0.1', (r) => { r.stdout = Buffer.alloc(0); r.exit_code = 1; })],
      /ExecSync: stdout \(nc 127\.0\.0\.1 \d+ from the second container\): expected "crc-hello", got ""/));

  it(`${LOCALHOST} fails when ContainerStatus reports the serving container exited`, () =>
    expectCheckFails(LOCALHOST, [inState('CONTAINER_RUNNING', (s) => (s.state = 'CONTAINER_EXITED'))],
      /ContainerStatus: status\.state \(server\): expected "CONTAINER_RUNNING", got "CONTAINER_EXITED"/));

  // ---- ExecSync ----
  it(`${EXEC} fails when ExecSync swaps stdout and stderr`, () =>
    expectCheckFails(EXEC, [{ rpc: 'ExecSync', mutate: (r) => void ([r.stdout, r.stderr] = [r.stderr, r.stdout]) }], /ExecSync: stdout: expected "out\\n", got "err\\n"/));

  it(`${EXEC} fails when the exit code is lost`, () =>
    expectCheckFails(EXEC, [{ rpc: 'ExecSync', mutate: (r) => void (r.exit_code = 0) }], /ExecSync: exit_code: expected 7, got 0/));

  it(`${EXEC} fails when ExecSync loses stderr`, () =>
    expectCheckFails(EXEC, [{ rpc: 'ExecSync', mutate: (r) => void (r.stderr = Buffer.alloc(0)) }], /ExecSync: stderr: expected "err\\n", got ""/));

  it(`${EXEC} fails when the next exec reports the previous exit code`, () =>
    expectCheckFails(EXEC, [execAnswer('echo done', (r) => (r.exit_code = 7))], /ExecSync: exit_code \(echo\): expected 0, got 7/));

  it(`${EXEC} fails when the next exec's stdout carries the previous output`, () =>
    expectCheckFails(EXEC, [execAnswer('echo done', (r) => (r.stdout = Buffer.concat([Buffer.from('out\n'), r.stdout])))],
      /ExecSync: stdout \(echo\): expected "done\\n", got "out\\ndone\\n"/));

  it(`${EXEC} fails when the next exec's stderr carries the previous output`, () =>
    expectCheckFails(EXEC, [execAnswer('echo done', (r) => (r.stderr = Buffer.from('err\n')))], /ExecSync: stderr \(echo\): expected "", got "err\\n"/));

  it(`${EXEC_TIMEOUT} fails when a timed-out exec looks successful`, () =>
    expectCheckFails(EXEC_TIMEOUT, [{ rpc: 'ExecSync', respond: () => ({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exit_code: 0 }) }],
      /ExecSync: exit_code \(sleep 60, timeout=2s\): expected anything but 0, got 0/));

  it(`${EXEC_TIMEOUT} fails when the timeout surfaces as an error other than DEADLINE_EXCEEDED`, () =>
    expectCheckFails(EXEC_TIMEOUT, [{ rpc: 'ExecSync', error: { code: Status.UNKNOWN, details: 'timeout 1s exceeded' } }],
      /ExecSync: error code \(sleep 60, timeout=2s\): expected "DEADLINE_EXCEEDED", got "UNKNOWN"/));

  it(`${EXEC_TIMEOUT} fails when the runtime ignores the timeout`, () =>
    expectCheckFails(EXEC_TIMEOUT, [{ rpc: 'ExecSync', mutateRequest: (req) => void (req.cmd?.[0] === 'sleep' && (req.timeout = '0')) }],
      /ExecSync: duration in ms \(sleep 60, timeout=2s\): expected <= 10000/));

  it(`${EXEC_TIMEOUT} fails when ExecSync answers DEADLINE_EXCEEDED before the timeout`, () =>
    expectCheckFails(EXEC_TIMEOUT, [{ rpc: 'ExecSync', when: (req) => req.cmd?.[0] === 'sleep', error: { code: Status.DEADLINE_EXCEEDED, details: 'timeout 1s exceeded' } }],
      /ExecSync: duration in ms \(sleep 60, timeout=2s\): expected >= 1000, got \d+ \(answered DEADLINE_EXCEEDED: /));

  // A runtime that kills only the exec's own process on timeout: a child the command started keeps running.
  it(`${EXEC_TIMEOUT} fails when a process of the timed-out command is left running`, () =>
    expectCheckFails(EXEC_TIMEOUT, [{
      rpc: 'ExecSync',
      when: (req) => req.cmd?.[0] === 'sleep',
      mutateRequest: (req) => void (req.cmd = ['sh', '-c', 'sleep 60 </dev/null >/dev/null 2>&1 & exec sleep 60']),
    }], /ExecSync: ps \(after the timed-out exec\): expected not to include "sleep 60", got ".*sleep 60/));
});

describe('self-test: container requests on a limited host', function () {
  this.timeout(300_000);
  // A node with swap on: the OOM test sets the swap limit as the kubelet does (NoSwap), else the container swaps.
  it(`${OOM} sets the swap limit to the memory limit (cgroup v1) on a node with swap`, async () => {
    let sent: Msg;
    const limits = { ...detectHostLimits(), swap: { limited: true, evidence: '/proc/swaps lists /swapfile (pretended)' } };
    const r = await runOne(OOM, [{ rpc: 'CreateContainer', mutateRequest: (req: Msg) => void (sent = req) }], { hostFeatures: { limits } });
    expect(r.status, r.message).to.equal('passed');
    const res = sent.config.linux.resources;
    if (!cgroupV2()) expect(res.memory_swap_limit_in_bytes, 'memory_swap_limit_in_bytes').to.equal(res.memory_limit_in_bytes);
    else expect(res.unified['memory.swap.max']).to.equal('0');
  });
  it(`${OOM} sends no swap limit on a node without swap`, async () => {
    let sent: Msg;
    const limits = { ...detectHostLimits(), swap: { limited: false, evidence: '/proc/swaps lists nothing' } };
    await runOne(OOM, [{ rpc: 'CreateContainer', mutateRequest: (req: Msg) => void (sent = req) }], { hostFeatures: { limits } });
    expect(Number(sent.config.linux.resources.memory_swap_limit_in_bytes ?? 0), 'memory_swap_limit_in_bytes').to.equal(0);
  });
});

/** cgroup v2: the unified hierarchy's controllers at the root. */
function cgroupV2(): boolean {
  return existsSync('/sys/fs/cgroup/cgroup.controllers');
}

