// Containers: the lifecycle the kubelet drives (create, start, stop, remove), what ContainerStatus and
// ListContainers must report, how the container config is honoured (image, command, env, stdin/tty, mounts,
// devices, CDI devices, user, limits), ExecSync, CheckpointContainer, and what containers of one pod share.
import { existsSync } from 'node:fs';
import { readFile, symlink, writeFile, access, mkdir, stat, rm, rmdir } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { status as Status } from '@grpc/grpc-js';
import {
  defineSuite, check, failWith, skip, eventually, runSandbox, containerPod, createContainer, startContainer, runContainer,
  containerStatus, waitContainerState, execSync, tempDir, podSandboxConfig, containerConfig, randomSuffix,
  withShell, withCommand, withArgs, withEnv, withWorkingDir, withLabels, withAnnotations, withMount,
  withMemoryLimit, withReadonlyRootfs, withRunAsUser, withStdin, withTty, type ContainerOption, type TestContext, testImage,
  listContainers, expectNotFound, cri, kubelet, opinion, FACTS, pollFact, waitedFor, PROTOCOLS, openSession,
} from '../src/framework/index.js';
import { withKubeletNamespaces, withKubeletSandboxNamespaces } from '../src/framework/container.js';
import { codeName, isRpcError } from '../src/cri/errors.js';
import type { PodSandboxConfig } from '../src/gen/v1/runtime/v1/PodSandboxConfig.js';
import type { ContainerConfig } from '../src/gen/v1/runtime/v1/ContainerConfig.js';
import type { ContainerFilter } from '../src/gen/v1/runtime/v1/ContainerFilter.js';
import type { Container__Output } from '../src/gen/v1/runtime/v1/Container.js';
import type { ContainerStatus__Output } from '../src/gen/v1/runtime/v1/ContainerStatus.js';

// ---- what the checks rest on ----
const STATE = kubelet('kuberuntime helpers.go toKubeContainerState', 'maps CONTAINER_CREATED, CONTAINER_RUNNING and CONTAINER_EXITED to the container state it reports and acts on (start, restart, kill)');
const VERIFY = kubelet('cri-client utils.go verifyContainerStatus', 'rejects a ContainerStatus with an empty id, metadata.name, created_at, image.image or image_ref');
const CREATED_AT = kubelet('cri-client utils.go verifyContainerStatus', 'rejects a ContainerStatus whose created_at is 0 ("status.CreatedAt is not set")');
const STARTED_AT = cri('ContainerStatus.started_at', 'Start time of the container in nanoseconds. Default: 0 (not specified).');
const STARTED_AT_RUNNING = kubelet('prober/worker.go doProbe', 'counts initialDelaySeconds from the running state\'s startedAt, which is ContainerStatus.started_at');
const FINISHED_AT = cri('ContainerStatus.finished_at', 'Finish time of the container in nanoseconds. Default: 0 (not specified).');
const EXIT_CODE = cri('ContainerStatus.exit_code', 'Exit code of the container. Only required when finished_at != 0.');
const KILLED_NOT_ZERO = kubelet('container/helpers.go ShouldContainerBeRestarted', 'restartPolicy OnFailure restarts a container only when its exit_code is not 0, so a killed container must not report 0');
const REASON_OPINION = opinion('every exited container has a reason ("Completed", "Error"): the kubelet copies it into the pod status as is; containerd and CRI-O set it');
const SIGKILL_137 = opinion('a container killed by SIGKILL reports 137 (128 + 9), the convention users read from kubectl; containerd and CRI-O report it');
const STOP_GRACE = cri('StopContainerRequest.timeout', 'Timeout in seconds to wait for the container to stop before forcibly terminating it.', 'effect');
const STOP_KILL = cri('RuntimeService.StopContainer', 'The runtime must forcibly kill the container after the grace period is reached.');
const STOP_ID = cri('StopContainerRequest.container_id', 'ID of the container to stop.', 'effect');
const START_ID = cri('StartContainerRequest.container_id', 'ID of the container to start.', 'effect');
const REMOVE_ID = cri('RemoveContainerRequest.container_id', 'ID of the container to remove.', 'effect');
const STATUS_ID = cri('ContainerStatusRequest.container_id', 'ID of the container for which to retrieve status.', 'effect');
const IN_POD = cri('CreateContainerRequest.pod_sandbox_id', 'ID of the PodSandbox in which the container should be created.', 'effect');
const REMOVE = cri('RuntimeService.RemoveContainer', 'RemoveContainer removes the container. If the container is running, the container must be forcibly removed.');
const LIST = cri('RuntimeService.ListContainers', 'ListContainers lists all containers by filters.');
const GONE = kubelet('kuberuntime_container.go getPodContainerStatuses', 'skips a listed container whose ContainerStatus answers NOT_FOUND (removed in between); any other error fails the whole pod status');
const LABELS = kubelet('kuberuntime labels.go getContainerInfoFromLabels', 'reads the labels it set in CreateContainer back from ContainerStatus and ListContainers; a runtime may add labels of its own');
const ANNOTATIONS_STATUS = cri('ContainerStatus.annotations', 'Annotations MUST NOT be altered by the runtime; the value of this field MUST be identical to that of the corresponding ContainerConfig', 'echo', ['ContainerConfig.annotations']);
const ANNOTATIONS_LIST = cri('Container.annotations', 'Annotations MUST NOT be altered by the runtime; the value of this field MUST be identical to that of the corresponding ContainerConfig', 'echo', ['ContainerConfig.annotations']);
const LABELS_STATUS = cri('ContainerStatus.labels', 'Key-value pairs that may be used to scope and select individual resources.', 'echo', ['ContainerConfig.labels']);
const METADATA_ECHO = cri('ContainerConfig.metadata.name', 'Metadata of the container. This information will uniquely identify the container, and the runtime should leverage this to ensure correct operation.', 'echo', ['ContainerConfig.metadata.attempt']);
const METADATA = kubelet('kuberuntime helpers.go toKubeContainer, kuberuntime_container.go toKubeContainerStatus', 'names a container by metadata.name and counts its restarts by metadata.attempt');
const POD_ID = cri('Container.pod_sandbox_id', 'ID of the sandbox to which this container belongs.');
const FILTER = cri('ContainerFilter', "ContainerFilter is used to filter containers. All those fields are combined with 'AND'");
const LABEL_SELECTOR = cri('ListContainersRequest.filter.label_selector', 'LabelSelector to select matches. Only api.MatchLabels is supported for now and the requirements are ANDed.', 'honoured');
const FILTER_ID = cri('ListContainersRequest.filter.id', 'ID of the container.', 'honoured');
const FILTER_STATE = cri('ListContainersRequest.filter.state.state', 'State of the container.', 'honoured');
const FILTER_POD = cri('ListContainersRequest.filter.pod_sandbox_id', 'ID of the PodSandbox.', 'honoured');
const COMMAND = cri('ContainerConfig.command', 'Command to execute (i.e., entrypoint for docker)', 'effect');
const ARGS = cri('ContainerConfig.args', 'Args for the Command (i.e., command for docker)', 'effect');
const ENVS = cri('ContainerConfig.envs', 'List of environment variable to set in the container.', 'effect', ['KeyValue.key', 'KeyValue.value']);
const IMAGE_ENV = kubelet('kubelet_pods.go makeEnvironmentVariables', 'sends only the pod spec\'s variables in envs: the image\'s ENV (PATH) reaches the process only through the runtime');
const WORKING_DIR = cri('ContainerConfig.working_dir', 'Current working directory of the command.', 'effect');
const RUN_AS_USER = cri('LinuxContainerSecurityContext.run_as_user', 'UID to run the container process as.');
const MOUNT = cri('Mount', 'Mount specifies a host volume to mount into a container.');
const CONTAINER_PATH = cri('ContainerConfig.mounts.container_path', 'Path of the mount within the container.', 'effect');
const HOST_PATH = cri('ContainerConfig.mounts.host_path', 'Path of the mount on the host.', 'effect');
const SYMLINK = cri('ContainerConfig.mounts.host_path', 'If the hostpath is a symbolic link, runtimes should follow the symlink and mount the real destination to container.', 'effect');
const READONLY = cri('ContainerConfig.mounts.readonly', 'If set, the mount is read-only.', 'effect');
const READONLY_ROOTFS = cri('LinuxContainerSecurityContext.readonly_rootfs', 'If set, the root filesystem of the container is read-only.');
const NOT_READONLY = cri('ContainerConfig.mounts.recursive_read_only', '(readonly == false && recursive_read_only == false) does not make the mount read-only.', 'effect');
const NOT_RECURSIVE = cri('ContainerConfig.mounts.recursive_read_only', 'If set to true, the mount is made recursive read-only … kubelet translates that quaternary value in the core API into a boolean in this CRI API.', 'effect');
const RRO = cri('ContainerConfig.mounts.recursive_read_only', 'If set to true, the mount is made recursive read-only.', 'effect');
const RRO_INVALID = cri('Mount.recursive_read_only', 'when set to true, readonly must be explicitly set to true, and propagation must be PRIVATE (0).');
const OOM = cri('ContainerStatus.reason', 'Must be set to "OOMKilled" for containers terminated by cgroup-based Out-of-Memory killer.');
const POD_NS = cri('NamespaceMode.POD', 'A POD namespace is common to all containers in a pod.');
const OWN_ROOTFS = cri('ContainerConfig.image', 'Image to use.');
const IMAGE_CONTENT = cri('ContainerConfig.image.image', 'Image to use.', 'effect');
const TTY = cri('ContainerConfig.tty', 'Variables for interactive containers, these have very specialized use-cases (e.g. debugging).', 'effect');
const STDIN = cri('ContainerConfig.stdin', 'Variables for interactive containers, these have very specialized use-cases (e.g. debugging).', 'effect');
const STDIN_ONCE = cri('ContainerConfig.stdin_once', 'Variables for interactive containers, these have very specialized use-cases (e.g. debugging).', 'effect');
const DEVICE = cri('ContainerConfig.devices.host_path', 'Path of the device on the host.', 'effect', ['ContainerConfig.devices.container_path']);
const DEVICE_PERMISSIONS = cri('ContainerConfig.devices.permissions', 'Cgroups permissions of the device, candidates are one or more of * r - allows container to read from the specified device. * w - allows container to write to the specified device.', 'effect');
const CDI = cri('ContainerConfig.CDI_devices', 'CDI devices for the container.', 'effect', ['CDIDevice.name']);
const CHECKPOINT = cri('CheckpointContainerRequest.location', 'Location of the checkpoint archive used for export', 'effect', ['CheckpointContainerRequest.container_id']);
const EXEC_STDOUT = cri('ExecSyncResponse.stdout', 'Captured command stdout output.');
const EXEC_STDERR = cri('ExecSyncResponse.stderr', 'Captured command stderr output.');
const EXEC_EXIT = cri('ExecSyncResponse.exit_code', 'Exit code the command finished with. Default: 0 (success).');
const EXEC_TIMEOUT = cri('ExecSyncRequest.timeout', 'Timeout in seconds to stop the command. Default: 0 (run forever).', 'effect');
const EXEC_DEADLINE = kubelet('cri-client remote_runtime.go ExecSync', 'reads DEADLINE_EXCEEDED as a timed-out command (a probe timeout); any other error is a probe error');

export default defineSuite(({ describe, it }) => {
  describe('Container lifecycle', () => {
    it('runtime should report a container CREATED, then RUNNING, then EXITED with its exit code [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const ctl = await tempDir(t, 'ctl');
      // The process waits for the test's go-ahead, so RUNNING is observed deterministically.
      const id = await createContainer(t, sb, ctr('exit3', ref, withMount(ctl, '/ctl'), withShell('while [ ! -e /ctl/go ]; do sleep 0.1; done; exit 3')));

      const created = await containerStatus(t, id);
      check('ContainerStatus', 'status.state (after CreateContainer)', created.state, STATE).equals('CONTAINER_CREATED');
      check('ContainerStatus', 'status.created_at (after CreateContainer)', created.created_at, CREATED_AT).greaterThan(0);
      check('ContainerStatus', 'status.started_at (after CreateContainer)', created.started_at, STARTED_AT).equals('0', 'the container has not been started');

      await startContainer(t, id);
      const running = await containerStatus(t, id);
      check('ContainerStatus', 'status.state (after StartContainer)', running.state, START_ID).equals('CONTAINER_RUNNING');
      check('ContainerStatus', 'status.started_at (after StartContainer)', running.started_at, STARTED_AT_RUNNING).greaterThan(0);
      check('ContainerStatus', 'status.started_at (after StartContainer)', running.started_at, STARTED_AT).atLeast(BigInt(running.created_at), `created_at=${running.created_at}`);
      check('ContainerStatus', 'status.finished_at (while running)', running.finished_at, FINISHED_AT).equals('0', 'the container is still running');

      await writeFile(path.join(ctl, 'go'), '');
      const exited = await waitContainerState(t, id, 'CONTAINER_EXITED');
      check('ContainerStatus', 'status.exit_code', exited.exit_code, EXIT_CODE).equals(3, 'the process ran `exit 3`');
      check('ContainerStatus', 'status.started_at (after exit)', exited.started_at, STARTED_AT).equals(running.started_at, 'the start time must not change');
      check('ContainerStatus', 'status.finished_at', exited.finished_at, EXIT_CODE).greaterThan(0);
      check('ContainerStatus', 'status.finished_at', exited.finished_at, FINISHED_AT).atLeast(BigInt(exited.started_at), `started_at=${exited.started_at}`);
    });

    it('runtime should report exit_code 0 for a container that completes [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const ctl = await tempDir(t, 'ctl');
      // Not an instant exit: containerd 1.6 stamps started_at after the task started, so a process that exits at
      // once can have finished_at a few microseconds before started_at. Waiting for a go-ahead keeps the order real.
      const id = await runContainer(t, sb, ctr('exit0', ref, withMount(ctl, '/ctl'), withShell('while [ ! -e /ctl/go ]; do sleep 0.1; done; exit 0')));
      await waitContainerState(t, id, 'CONTAINER_RUNNING');
      await writeFile(path.join(ctl, 'go'), '');
      const exited = await waitContainerState(t, id, 'CONTAINER_EXITED');
      check('ContainerStatus', 'status.exit_code', exited.exit_code, EXIT_CODE).equals(0, 'the process ran `exit 0`');
      check('ContainerStatus', 'status.finished_at', exited.finished_at, FINISHED_AT).atLeast(BigInt(exited.started_at), `started_at=${exited.started_at}`);
    });

    it('runtime should give every exited container a reason and report exit_code 137 for one killed by SIGKILL [Strict]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const done = await runContainer(t, sb, ctr('reason0', ref, withShell('exit 0')));
      const failed = await runContainer(t, sb, ctr('reason3', ref, withShell('exit 3')));
      const killed = await runContainer(t, sb, ctr('killed', ref, withShell('trap "" TERM; touch /tmp/ready; sleep 3600 & wait')));
      await eventually(async () => check('ExecSync', 'exit_code (test -e /tmp/ready)', (await execSync(t, killed, ['test', '-e', '/tmp/ready'])).exitCode, EXEC_EXIT).equals(0));
      await t.cri.runtime.call('StopContainer', { container_id: killed, timeout: '0' });
      for (const [what, id] of [['exit 0', done], ['exit 3', failed], ['killed by StopContainer timeout=0', killed]] as const) {
        const s = await waitContainerState(t, id, 'CONTAINER_EXITED');
        check('ContainerStatus', `status.reason (${what})`, s.reason, REASON_OPINION).present();
        if (id === killed) check('ContainerStatus', 'status.exit_code (killed by SIGKILL: the workload ignores SIGTERM)', s.exit_code, SIGKILL_137).equals(137, '128 + SIGKILL');
      }
    });

    it('runtime should stop a running container that exits on SIGTERM before the timeout [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      // `wait` is interruptible, so the TERM trap runs at once and the shell exits 0.
      const id = await runContainer(t, sb, ctr('term', ref, withShell('trap "exit 0" TERM; touch /tmp/ready; sleep 3600 & wait')));
      await eventually(async () => check('ExecSync', 'exit_code (test -e /tmp/ready)', (await execSync(t, id, ['test', '-e', '/tmp/ready'])).exitCode, EXEC_EXIT).equals(0));
      const timeout = 30;
      const t0 = Date.now();
      await t.cri.runtime.call('StopContainer', { container_id: id, timeout: String(timeout) }, { extraMs: timeout * 1000 });
      const took = Date.now() - t0;
      check('StopContainer', `duration in ms (timeout=${timeout}s, process exits on SIGTERM)`, took, STOP_GRACE).atMost(20_000, 'SIGTERM must be sent first; the kill comes only after the timeout');
      const s = await containerStatus(t, id);
      check('ContainerStatus', 'status.state (after StopContainer)', s.state, STOP_ID).equals('CONTAINER_EXITED');
      check('ContainerStatus', 'status.exit_code (after SIGTERM)', s.exit_code, EXIT_CODE).equals(0, 'the TERM trap ran `exit 0`');
    });

    it('runtime should kill a container that ignores SIGTERM once the stop timeout has passed [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('noterm', ref, withShell('trap "" TERM; touch /tmp/ready; sleep 3600')));
      await eventually(async () => check('ExecSync', 'exit_code (test -e /tmp/ready)', (await execSync(t, id, ['test', '-e', '/tmp/ready'])).exitCode, EXEC_EXIT).equals(0));
      const timeout = 2;
      const t0 = Date.now();
      await t.cri.runtime.call('StopContainer', { container_id: id, timeout: String(timeout) }, { extraMs: timeout * 1000 });
      const took = Date.now() - t0;
      check('StopContainer', `duration in ms (timeout=${timeout}s, SIGTERM ignored)`, took, STOP_GRACE).atLeast(timeout * 1000, 'the process must get the whole grace period');
      check('StopContainer', `duration in ms (timeout=${timeout}s, SIGTERM ignored)`, took, STOP_KILL).atMost(timeout * 1000 + 30_000, 'the process must be killed once the timeout passes');
      const s = await containerStatus(t, id);
      check('ContainerStatus', 'status.state (after StopContainer)', s.state, STOP_KILL).equals('CONTAINER_EXITED');
      check('ContainerStatus', 'status.exit_code (killed after the grace period)', s.exit_code, KILLED_NOT_ZERO).notEquals(0, 'a killed container did not succeed');
    });

    for (const state of ['created', 'running', 'exited'] as const) {
      it(`runtime should remove ${state === 'exited' ? 'an' : 'a'} ${state} container so that it is neither listed nor found [Conformance]`, async (t) => {
        const ref = await testImage(t);
        const sb = await containerPod(t);
        // The running one ignores SIGTERM (an empty TERM trap, inherited by sleep): only a kill ends it.
        const id = await createContainer(t, sb, ctr(`rm-${state}`, ref, withShell(state === 'exited' ? 'exit 0' : 'trap "" TERM; sleep 3600 & wait')));
        if (state !== 'created') await startContainer(t, id);
        await waitContainerState(t, id, `CONTAINER_${state.toUpperCase()}`);
        check('ListContainers', 'containers[].id (before RemoveContainer)', (await listContainers(t, { pod_sandbox_id: sb.id })).map((c) => c.id), LIST).includes(id);

        // A running container must be removed by force (CRI contract); the kubelet stops it first, but GC may not.
        const how = state === 'running' ? await removeRunning(t, id) : (await t.cri.runtime.call('RemoveContainer', { container_id: id }), 'answered OK');
        check('ListContainers', `containers[].id (after RemoveContainer of a ${state} container, ${how})`, (await listContainers(t, {})).map((c) => c.id), REMOVE_ID).excludes(id);
        check('ListContainers', `containers[].id (filter id, after RemoveContainer of a ${state} container)`, (await listContainers(t, { id })).map((c) => c.id), REMOVE).excludes(id);
        await expectNoStatus(t, id, `after RemoveContainer of a ${state} container`);
      });
    }

    it('runtime should answer ContainerStatus for an unknown container with NOT_FOUND [Conformance]', async (t) => {
      await expectNoStatus(t, `crc-no-such-container-${randomSuffix(12)}`, 'for an id that never existed');
    });
  });

  describe('Container status', () => {
    it('runtime should preserve labels and annotations in ContainerStatus and ListContainers [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const labels = { 'crc.test/app': 'label-value', 'crc.test/empty': '' };
      const annotations = { 'crc.test/note': 'annotation value with spaces', 'crc.test/json': '{"a":[1,2]}' };
      const cfg = ctr('meta', ref, withLabels(labels), withAnnotations(annotations), withShell('sleep 3600'));
      const id = await runContainer(t, sb, cfg);
      const s = await containerStatus(t, id);
      // Labels: what was given must come back; a runtime may add its own. Annotations: exactly what was given.
      check('ContainerStatus', 'status.labels (the keys given in ContainerConfig.labels)', given(s.labels, cfg.labels!), LABELS_STATUS).equals(cfg.labels!);
      check('ContainerStatus', 'status.annotations', s.annotations, ANNOTATIONS_STATUS).equals(cfg.annotations!);
      const listed = (await listContainers(t, { id })).find((c) => c.id === id);
      if (!listed) failWith(`ListContainers: containers[].id: expected ${id} (filter id), got none`, LIST);
      check('ListContainers', 'containers[].labels (the keys given in ContainerConfig.labels)', given(listed.labels, cfg.labels!), LABELS).equals(cfg.labels!);
      check('ListContainers', 'containers[].annotations', listed.annotations, ANNOTATIONS_LIST).equals(cfg.annotations!);
      check('ListContainers', 'containers[].pod_sandbox_id', listed.pod_sandbox_id, POD_ID).equals(sb.id);
      check('ListContainers', 'containers[].metadata', listed.metadata, METADATA_ECHO).equals(cfg.metadata as Container__Output['metadata']);
    });

    it('runtime should set the ContainerStatus fields the kubelet requires in every state [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const ctl = await tempDir(t, 'ctl');
      const cfg = ctr('fields', ref, withMount(ctl, '/ctl'), withShell('while [ ! -e /ctl/go ]; do sleep 0.1; done'));
      const id = await createContainer(t, sb, cfg);
      // kubelet's CRI client rejects a status with any of these empty (verifyContainerStatus).
      const verify = (s: ContainerStatus__Output, when: string) => {
        check('ContainerStatus', `status.id (${when})`, s.id, STATUS_ID).equals(id);
        check('ContainerStatus', `status.metadata (${when})`, s.metadata, METADATA).equals(cfg.metadata as ContainerStatus__Output['metadata']);
        check('ContainerStatus', `status.created_at (${when})`, s.created_at, VERIFY).greaterThan(0);
        check('ContainerStatus', `status.image.image (${when})`, s.image?.image, VERIFY).present();
        check('ContainerStatus', `status.image_ref (${when})`, s.image_ref, VERIFY).present();
      };
      verify(await containerStatus(t, id), 'created');
      await startContainer(t, id);
      verify(await waitContainerState(t, id, 'CONTAINER_RUNNING'), 'running');
      await writeFile(path.join(ctl, 'go'), '');
      verify(await waitContainerState(t, id, 'CONTAINER_EXITED'), 'exited');
    });
  });

  describe('ListContainers', () => {
    it('runtime should filter containers by id, state, pod_sandbox_id and label_selector [Conformance]', async (t) => {
      const f = await filterFixture(t);
      const ids = (cs: Container__Output[]) => cs.map((c) => c.id);
      const mine = (cs: Container__Output[]) => ids(cs).filter((id) => f.all.includes(id));
      const names = (xs: string[]) => xs.map((x) => f.name[x] ?? x);

      check('ListContainers', 'containers[].id (filter id)', names(ids(await listContainers(t, { id: f.a1 }))), FILTER_ID).sameMembers(names([f.a1]));
      check('ListContainers', 'containers[].id (filter id of a removed/unknown container)', ids(await listContainers(t, { id: `crc-none-${randomSuffix(12)}` })), FILTER_ID).sameMembers([]);
      check('ListContainers', 'containers[].id (filter state CONTAINER_RUNNING, this test\'s containers)', names(mine(await listContainers(t, { state: { state: 'CONTAINER_RUNNING' } }))), FILTER_STATE).sameMembers(names([f.a1, f.b1]));
      check('ListContainers', 'containers[].id (filter state CONTAINER_CREATED, this test\'s containers)', names(mine(await listContainers(t, { state: { state: 'CONTAINER_CREATED' } }))), FILTER_STATE).sameMembers(names([f.a2]));
      check('ListContainers', 'containers[].id (filter state CONTAINER_EXITED, this test\'s containers)', names(mine(await listContainers(t, { state: { state: 'CONTAINER_EXITED' } }))), FILTER_STATE).sameMembers(names([f.b2]));
      check('ListContainers', 'containers[].id (filter pod_sandbox_id)', names(ids(await listContainers(t, { pod_sandbox_id: f.sbA }))), FILTER_POD).sameMembers(names([f.a1, f.a2]));
      check('ListContainers', 'containers[].id (filter pod_sandbox_id)', names(ids(await listContainers(t, { pod_sandbox_id: f.sbB }))), FILTER_POD).sameMembers(names([f.b1, f.b2]));
      check('ListContainers', 'containers[].id (filter label_selector app=x)', names(ids(await listContainers(t, { label_selector: { [f.key]: 'x' } }))), LABEL_SELECTOR).sameMembers(names([f.a1, f.a2, f.b2]));
      check('ListContainers', 'containers[].id (filter label_selector app=x, tier=a)', names(ids(await listContainers(t, { label_selector: { [f.key]: 'x', tier: 'a' } }))), LABEL_SELECTOR).sameMembers(names([f.a1, f.b2]));
      for (const c of await listContainers(t, { pod_sandbox_id: f.sbA })) {
        check('ListContainers', `containers[${f.name[c.id] ?? c.id}].pod_sandbox_id`, c.pod_sandbox_id, POD_ID).equals(f.sbA);
      }
    });

    it('runtime should AND the ListContainers filters [Conformance]', async (t) => {
      const f = await filterFixture(t);
      const names = (cs: Container__Output[]) => cs.map((c) => f.name[c.id] ?? c.id);
      const running = { state: 'CONTAINER_RUNNING' as const };
      const cases: [string, ContainerFilter, string[]][] = [
        ['pod_sandbox_id=A + state=RUNNING', { pod_sandbox_id: f.sbA, state: running }, [f.a1]],
        ['pod_sandbox_id=A + state=RUNNING + app=x', { pod_sandbox_id: f.sbA, state: running, label_selector: { [f.key]: 'x' } }, [f.a1]],
        ['pod_sandbox_id=B + app=x', { pod_sandbox_id: f.sbB, label_selector: { [f.key]: 'x' } }, [f.b2]],
        ['state=RUNNING + app=x', { state: running, label_selector: { [f.key]: 'x' } }, [f.a1]],
        ['state=EXITED + app=y', { state: { state: 'CONTAINER_EXITED' }, label_selector: { [f.key]: 'y' } }, []],
        ['id=A1 + pod_sandbox_id=B', { id: f.a1, pod_sandbox_id: f.sbB }, []],
        ['id=A1 + state=CREATED', { id: f.a1, state: { state: 'CONTAINER_CREATED' } }, []],
        ['id=A1 + app=y', { id: f.a1, label_selector: { [f.key]: 'y' } }, []],
        ['id=B1 + pod_sandbox_id=B + state=RUNNING + app=y', { id: f.b1, pod_sandbox_id: f.sbB, state: running, label_selector: { [f.key]: 'y' } }, [f.b1]],
      ];
      for (const [what, filter, want] of cases) {
        check('ListContainers', `containers[].id (filter ${what})`, names(await listContainers(t, filter)), FILTER).sameMembers(want.map((x) => f.name[x]));
      }
    });
  });

  describe('Container config', () => {
    it('runtime should run the command with args, env and working_dir from the container config [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const script = 'sleep 3600; exit 0'; // not a lone command: sh would exec it and leave no sh in /proc/1
      const id = await runContainer(t, sb, ctr('cmd', ref, withCommand('sh', '-c', script), withArgs('first-arg', 'second arg'),
        withEnv({ CRC_FOO: 'foo value', CRC_EMPTY: '', CRC_EQ: 'a=b' }), withWorkingDir('/etc')));
      const cmdline = (await run(t, id, ['cat', '/proc/1/cmdline'])).split('\0').filter((x, i, a) => x !== '' || i < a.length - 1);
      check('ExecSync', '/proc/1/cmdline (command + args)', cmdline, COMMAND).equals(['sh', '-c', script, 'first-arg', 'second arg']);
      const environ = (await run(t, id, ['cat', '/proc/1/environ'])).split('\0');
      for (const kv of ['CRC_FOO=foo value', 'CRC_EMPTY=', 'CRC_EQ=a=b']) check('ExecSync', '/proc/1/environ (envs)', environ, ENVS).includes(kv);
      check('ExecSync', '/proc/1/environ (PATH from the image)', environ.some((e) => e.startsWith('PATH=')), IMAGE_ENV).isTrue();
      check('ExecSync', 'readlink /proc/1/cwd (working_dir)', (await run(t, id, ['readlink', '/proc/1/cwd'])).trim(), WORKING_DIR).equals('/etc');
    });

    it('runtime should run each container from the image its config names [Conformance]', async (t) => {
      const sb = await containerPod(t);
      // alt1 and alt2: busybox with /etc/cri-conformance-variant holding their own name (fixtures/images.json).
      for (const name of ['alt1', 'alt2']) {
        const id = await runContainer(t, sb, ctr(`img-${name}`, await testImage(t, name), withShell('sleep 3600')));
        check('ExecSync', `cat /etc/cri-conformance-variant (container of image ${name})`, await run(t, id, ['cat', '/etc/cri-conformance-variant']), IMAGE_CONTENT).equals(`${name}\n`);
      }
    });

    it('runtime should give a tty container a terminal, and keep stdin open for a stdin container and at EOF for one without [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const fd = async (id: string, n: number) => (await run(t, id, ['readlink', `/proc/1/fd/${n}`])).trim();
      // `kubectl run -it`: stdin and tty; `kubectl run -i`: stdin alone; a plain container: neither.
      const term = await runContainer(t, sb, ctr('tty', ref, withStdin(), withTty(), withShell('sleep 3600')));
      const piped = await runContainer(t, sb, ctr('stdin', ref, withStdin(), withShell('sleep 3600')));
      const plain = await runContainer(t, sb, ctr('nostdin', ref, withShell('sleep 3600')));
      for (const n of [0, 1]) check('ExecSync', `readlink /proc/1/fd/${n} (tty=true)`, await fd(term, n), TTY).matches(/^\/dev\/pts\/\d+$/, 'the process runs on a terminal');
      check('ExecSync', 'readlink /proc/1/fd/1 (stdin=true, tty=false)', await fd(piped, 1), TTY).matches(/^(?!\/dev\/pts\/)/, 'no terminal without tty');
      // A read of pid 1's stdin: with stdin it waits for an attach (timeout ends it), without it ends at once (EOF), as
      // the Pod API's Container.stdin says ("If this is not set, reads from stdin in the container will always result in EOF").
      const read = async (id: string) => (await run(t, id, ['sh', '-c', 'timeout 2 cat /proc/1/fd/0 >/dev/null 2>&1; echo $?'])).trim();
      check('ExecSync', 'exit status of `timeout 2 cat /proc/1/fd/0` (stdin=true)', await read(piped), STDIN).notEquals('0', 'stdin=true: the container has a stdin buffer, so a read waits for input instead of meeting EOF');
      check('ExecSync', 'exit status of `timeout 2 cat /proc/1/fd/0` (stdin=false)', await read(plain), STDIN).equals('0', 'stdin=false: a read of stdin meets EOF at once');
    });

    it('runtime should run args in place of the image CMD when command is empty [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('args', ref, withArgs('sh', '-c', 'sleep 3600; exit 0')));
      const cmdline = (await run(t, id, ['cat', '/proc/1/cmdline'])).split('\0').filter((x) => x !== '');
      check('ExecSync', '/proc/1/cmdline (args, no command)', cmdline, ARGS).equals(['sh', '-c', 'sleep 3600; exit 0']);
    });

    it('runtime should run the container as run_as_user [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('uid', ref, withRunAsUser(1001), withShell('sleep 3600')));
      const uid = (await run(t, id, ['sh', '-c', 'awk \'/^Uid:/{print $2}\' /proc/1/status'])).trim();
      check('ExecSync', 'Uid of pid 1 (run_as_user=1001)', uid, RUN_AS_USER).equals('1001');
      check('ExecSync', 'id -u (exec inherits run_as_user=1001)', (await run(t, id, ['id', '-u'])).trim(), RUN_AS_USER).equals('1001');
    });
  });

  describe('Container mounts', () => {
    it('runtime should mount a host path into the container, read-write by default [Conformance]', async (t) => {
      const ref = await testImage(t);
      const host = await tempDir(t, 'vol');
      await writeFile(path.join(host, 'from-host'), 'hello from the host\n');
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('vol', ref, withMount(host, '/mnt/vol'), withShell('sleep 3600')));
      check('ExecSync', 'cat /mnt/vol/from-host', await run(t, id, ['cat', '/mnt/vol/from-host']), CONTAINER_PATH).equals('hello from the host\n');
      await run(t, id, ['sh', '-c', 'echo hello from the container > /mnt/vol/from-container']);
      check('host', `${host}/from-container (written in the container)`, await readFile(path.join(host, 'from-container'), 'utf8').catch(() => '<missing>'), HOST_PATH).equals('hello from the container\n');
    });

    it('runtime should mount a host path that is a symlink to a directory [Conformance]', async (t) => {
      const ref = await testImage(t);
      const target = await tempDir(t, 'vol-target');
      await writeFile(path.join(target, 'via-link'), 'seen through the symlink\n');
      const links = await tempDir(t, 'vol-link');
      const link = path.join(links, 'link');
      await symlink(target, link);
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('symlink', ref, withMount(link, '/mnt/vol'), withShell('sleep 3600')));
      check('ExecSync', 'cat /mnt/vol/via-link (host_path is a symlink)', await run(t, id, ['cat', '/mnt/vol/via-link']), SYMLINK).equals('seen through the symlink\n');
    });

    it('runtime should make a readonly mount read-only in the container [Conformance]', async (t) => {
      const ref = await testImage(t);
      const host = await tempDir(t, 'vol-ro');
      await writeFile(path.join(host, 'existing'), 'original\n');
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('ro', ref, withMount(host, '/mnt/ro', true), withShell('sleep 3600')));
      check('ExecSync', 'cat /mnt/ro/existing (readonly mount)', await run(t, id, ['cat', '/mnt/ro/existing']), MOUNT).equals('original\n');
      const w = await execSync(t, id, ['sh', '-c', 'echo x > /mnt/ro/new']);
      check('ExecSync', 'exit_code (write to a readonly mount)', w.exitCode, READONLY).notEquals(0, `stderr: ${w.stderr.trim()}`);
      check('ExecSync', 'stderr (write to a readonly mount)', w.stderr, READONLY).matches(/read-only/i);
      const created = await access(path.join(host, 'new')).then(() => true, () => false);
      check('host', `${host}/new (written through a readonly mount)`, created, READONLY).equals(false);
    });

    it('runtime should make the root filesystem read-only when readonly_rootfs is set [Conformance]', async (t) => {
      const ref = await testImage(t);
      const scratch = await tempDir(t, 'vol-rw');
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('rorootfs', ref, withReadonlyRootfs(), withMount(scratch, '/scratch'), withShell('sleep 3600')));
      const w = await execSync(t, id, ['sh', '-c', 'echo x > /crc-rootfs-write']);
      check('ExecSync', 'exit_code (write to / with readonly_rootfs)', w.exitCode, READONLY_ROOTFS).notEquals(0, `stderr: ${w.stderr.trim()}`);
      check('ExecSync', 'stderr (write to / with readonly_rootfs)', w.stderr, READONLY_ROOTFS).matches(/read-only/i);
      // Mounts stay writable: readonly_rootfs is about the image filesystem only.
      const m = await execSync(t, id, ['sh', '-c', 'echo x > /scratch/ok']);
      check('ExecSync', 'exit_code (write to a read-write mount with readonly_rootfs)', m.exitCode, NOT_READONLY).equals(0, `stderr: ${m.stderr.trim()}`);
    });

    it('runtime should leave submounts of a readonly (non-recursive) mount writable [Conformance]', async (t) => {
      const ref = await testImage(t);
      const host = await hostDirWithTmpfs(t, 'vol-nrro');
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('nrro', ref, withMount(host, '/mnt/ro', true), withShell('sleep 3600')));
      const top = await execSync(t, id, ['touch', '/mnt/ro/top']);
      check('ExecSync', 'exit_code (touch /mnt/ro/top, readonly mount)', top.exitCode, READONLY).notEquals(0, `stderr: ${top.stderr.trim()}`);
      // Kubernetes: readOnly without recursiveReadOnly leaves submounts as they are (critest "Container Mount Readonly").
      const sub = await execSync(t, id, ['touch', '/mnt/ro/tmpfs/file']);
      check('ExecSync', 'exit_code (touch /mnt/ro/tmpfs/file, tmpfs submount of a non-recursive readonly mount)', sub.exitCode, NOT_RECURSIVE).equals(0, `stderr: ${sub.stderr.trim()}`);
    });

    it('runtime should make every submount of a recursive_read_only mount read-only [Feature:RecursiveReadOnlyMounts]', async (t) => {
      await requireRecursiveReadOnly(t);
      const ref = await testImage(t);
      const host = await hostDirWithTmpfs(t, 'vol-rro');
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('rro', ref, withShell('sleep 3600'), (c) => {
        c.mounts = [{ host_path: host, container_path: '/mnt/rro', readonly: true, recursive_read_only: true }];
      }));
      const sub = await execSync(t, id, ['touch', '/mnt/rro/tmpfs/file']);
      check('ExecSync', 'exit_code (touch /mnt/rro/tmpfs/file, tmpfs submount of a recursive_read_only mount)', sub.exitCode, RRO).notEquals(0, `stderr: ${sub.stderr.trim()}`);
      check('ExecSync', 'stderr (touch /mnt/rro/tmpfs/file)', sub.stderr, RRO).matches(/read-only/i);
    });

    it('runtime should reject recursive_read_only without readonly or with host-to-container or bidirectional propagation [Feature:RecursiveReadOnlyMounts]', async (t) => {
      await requireRecursiveReadOnly(t);
      const ref = await testImage(t);
      const host = await hostDirWithTmpfs(t, 'vol-rro-bad');
      const sb = await containerPod(t);
      const bad: [string, NonNullable<ContainerConfig['mounts']>[number]][] = [
        ['readonly=false', { host_path: host, container_path: '/mnt/rro', readonly: false, recursive_read_only: true }],
        ['propagation=PROPAGATION_HOST_TO_CONTAINER', { host_path: host, container_path: '/mnt/rro', readonly: true, recursive_read_only: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' }],
        ['propagation=PROPAGATION_BIDIRECTIONAL', { host_path: host, container_path: '/mnt/rro', readonly: true, recursive_read_only: true, propagation: 'PROPAGATION_BIDIRECTIONAL' }],
      ];
      for (const [what, mount] of bad) {
        let created: string | undefined;
        try {
          created = await createContainer(t, sb, ctr('rro-bad', ref, withShell('sleep 3600'), (c) => void (c.mounts = [mount])));
        } catch (e) {
          if (!isRpcError(e)) throw e;
        }
        if (created) failWith(`CreateContainer: expected an error for mounts[0] with recursive_read_only=true and ${what}, got container ${created}`, RRO_INVALID);
      }
    });
  });

  describe('Container stdin', () => {
    // The Pod API's stdinOnce: "the container runtime should close the stdin channel after it has been opened by a
    // single attach"; without it stdin stays open for the next attach. `kubectl run -i --rm` relies on the close.
    it('runtime should close the stdin of a stdin_once container when the first attach ends, and keep it open for the next attach otherwise [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const ctl = await tempDir(t, 'ctl');
      const [spdy] = PROTOCOLS;
      const attachAndWrite = async (id: string, line: string) => {
        const { url } = await t.cri.runtime.call('Attach', { container_id: id, stdin: true, stdout: true, stderr: false, tty: false });
        const s = await openSession(t, spdy, url, 'Attach', { stdin: true, stdout: true });
        s.stdin!.end(`${line}\n`);
        return s;
      };
      const text = (f: string) => readFile(path.join(ctl, f), 'utf8').catch(() => '<missing>');
      for (const once of [true, false]) {
        const n = once ? 'once' : 'open';
        const cfg = ctr(`stdin-${n}`, ref, withStdin(), withMount(ctl, '/ctl'), withShell(`cat > /ctl/in-${n}; echo eof > /ctl/eof-${n}; exec sleep 3600`));
        cfg.stdin_once = once;
        const id = await runContainer(t, sb, cfg);
        const first = await attachAndWrite(id, 'first');
        await eventually(async () => check('host', `${ctl}/in-${n} (stdin_once=${once}, written by the first attach)`, await text(`in-${n}`), STDIN_ONCE).equals('first\n'), { timeoutMs: 10_000 });
        first.close();
        if (once) {
          await eventually(async () => check('host', `${ctl}/eof-${n} (stdin_once=true, after the first attach ended)`, await text(`eof-${n}`), STDIN_ONCE).equals('eof\n', 'the runtime closes stdin: cat meets EOF'), { timeoutMs: 10_000 });
          continue;
        }
        const second = await attachAndWrite(id, 'second');
        await eventually(async () => check('host', `${ctl}/in-${n} (stdin_once=false, after a second attach)`, await text(`in-${n}`), STDIN_ONCE).equals('first\nsecond\n', 'stdin stays open for the next attach'), { timeoutMs: 10_000 });
        second.close();
      }
    });
  });

  describe('Container devices', () => {
    // A device node this test makes with the numbers of the FUSE device (char 10:229): opening it has no effect,
    // and no runtime allows it by default (/dev/null and the other defaults are allowed rwm whatever Device says).
    it('runtime should create a device at container_path with the numbers of host_path, and refuse writes unless permissions allow them [Conformance]', async (t) => {
      const ref = await testImage(t);
      const host = await tempDir(t, 'dev');
      const node = path.join(host, 'crc-fuse');
      await execFileP('mknod', [node, 'c', '10', '229']);
      const sb = await containerPod(t);
      const withDevice = (permissions: string): ContainerOption => (c) => void (c.devices = [{ host_path: node, container_path: '/dev/crc-dev', permissions }]);
      const ro = await runContainer(t, sb, ctr('dev-r', ref, withDevice('r'), withShell('sleep 3600')));
      const rw = await runContainer(t, sb, ctr('dev-rw', ref, withDevice('rw'), withShell('sleep 3600')));
      // stat prints the numbers in hex: 10:229 is a:e5.
      for (const [what, id] of [['r', ro], ['rw', rw]] as const) {
        check('ExecSync', `stat -c '%F %t:%T' /dev/crc-dev (permissions ${what})`, (await run(t, id, ['stat', '-c', '%F %t:%T', '/dev/crc-dev'])).trim(), DEVICE).equals('character special file a:e5', `host_path ${node} is char 10:229`);
      }
      const open = async (id: string, how: string) => {
        const r = await execSync(t, id, ['sh', '-c', `exec 3${how}/dev/crc-dev`]);
        return r.exitCode === 0 ? 'opened' : `refused: ${r.stderr.trim()}`;
      };
      check('ExecSync', 'open /dev/crc-dev for reading (permissions "r")', await open(ro, '<'), DEVICE_PERMISSIONS).equals('opened', 'r allows reading');
      check('ExecSync', 'open /dev/crc-dev for writing (permissions "r")', await open(ro, '>'), DEVICE_PERMISSIONS).matches(/^refused: .*Operation not permitted/, 'without w the device cgroup refuses a write open (EPERM)');
      check('ExecSync', 'open /dev/crc-dev for writing (permissions "rw")', await open(rw, '>'), DEVICE_PERMISSIONS).equals('opened', 'w allows writing');
    });
  });

  describe('Container CDI devices', () => {
    // A CDI spec of our own in /var/run/cdi (the CDI specification's directory for generated specs, which
    // containerd and CRI-O read by default) whose device only sets an environment variable: no device is touched.
    it('runtime should apply the container edits of the CDI device CDI_devices names [Feature:CDIDevices]', async (t) => {
      const ref = await testImage(t);
      const kind = 'cri-conformance.io/test';
      const dev = `dev-${randomSuffix(8)}`;
      const value = `cdi-${randomSuffix(8)}`;
      // The directory too, when we make it: nothing of ours stays behind (rmdir leaves it if anything else came).
      if (!existsSync(CDI_SPEC_DIR)) {
        await mkdir(CDI_SPEC_DIR, { recursive: true });
        t.defer(`CDI spec dir ${CDI_SPEC_DIR}`, async () => void (await rmdir(CDI_SPEC_DIR).catch(() => undefined)));
      }
      const file = path.join(CDI_SPEC_DIR, `cri-conformance-${dev}.json`);
      await writeFile(file, JSON.stringify({ cdiVersion: '0.5.0', kind, devices: [{ name: dev, containerEdits: { env: [`CRC_CDI=${value}`] } }] }));
      t.defer(`CDI spec ${file}`, async () => void (await rm(file, { force: true })));
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('cdi', ref, withShell('sleep 3600'), (c) => void (c.CDI_devices = [{ name: `${kind}=${dev}` }])));
      const environ = (await run(t, id, ['cat', '/proc/1/environ'])).split('\0');
      check('ExecSync', `/proc/1/environ (CDI device ${kind}=${dev} sets CRC_CDI)`, environ, CDI).includes(`CRC_CDI=${value}`);
    });
  });

  describe('Container checkpoint', () => {
    it('CheckpointContainer should write the checkpoint archive at location [Optional] [Feature:Checkpoint]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('checkpoint', ref, withShell('sleep 3600')));
      const dir = await tempDir(t, 'checkpoint');
      const location = path.join(dir, 'checkpoint.tar');
      try {
        // The kubelet's checkpoint API passes the request's timeout (0: the runtime's default).
        await t.cri.runtime.call('CheckpointContainer', { container_id: id, location, timeout: '0' }, { extraMs: 60_000 });
      } catch (e) {
        if (!isRpcError(e)) throw e;
        skip(`CheckpointContainer answered ${codeName(e.code)}: ${e.details} (checkpointing needs the runtime's support and CRIU on the node)`);
      }
      const size = await stat(location).then((s) => s.size, () => -1);
      check('host', `size of ${location} after CheckpointContainer answered OK`, size, CHECKPOINT).greaterThan(0, 'the checkpoint archive must be at location');
    });
  });

  describe('Container resources', () => {
    it('runtime should report OOMKilled and a non-zero exit_code when a container exceeds its memory limit [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      // `tail` keeps the whole (newline-free) input in memory: 128 MiB against a 32 MiB limit.
      const limit = 32 * 1024 * 1024;
      // With swap on the node, a memory limit alone lets the container swap instead of being killed: the kubelet
      // (NoSwap) then sets the swap limit to the memory limit on cgroup v1 and memory.swap.max 0 on v2.
      const noSwap: ContainerOption = (c) => {
        if (!t.run.hostFeatures.limits.swap.limited) return;
        const r = c.linux!.resources!;
        if (existsSync('/sys/fs/cgroup/cgroup.controllers')) r.unified = { ...r.unified, 'memory.swap.max': '0' };
        else r.memory_swap_limit_in_bytes = String(limit);
      };
      const id = await runContainer(t, sb, ctr('oom', ref, withMemoryLimit(limit), noSwap, withShell('head -c 128m /dev/zero | tail')));
      await waitContainerState(t, id, 'CONTAINER_EXITED', 60_000);
      // The reason may come a moment after the exit (a runtime learns of the OOM kill on its own path).
      const s = await pollFact(FACTS.oomReason, () => containerStatus(t, id), (x) => x.reason === 'OOMKilled', (last, waited) => {
        check('ContainerStatus', 'status.reason (memory limit exceeded)', last.reason, OOM).equals('OOMKilled', waitedFor(FACTS.oomReason, waited));
        throw new Error('unreachable: the reason was not OOMKilled');
      });
      check('ContainerStatus', 'status.exit_code (memory limit exceeded)', s.exit_code, KILLED_NOT_ZERO).notEquals(0, 'the OOM killer killed it');
    });
  });

  describe('Multiple containers in a pod', () => {
    it('containers in one pod should share the network and IPC namespaces, and not with another pod [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const other = await runSandbox(t, pod('other'));
      const c1 = await runContainer(t, sb, ctr('ns1', ref, withShell('sleep 3600')));
      const c2 = await runContainer(t, sb, ctr('ns2', ref, withShell('sleep 3600')));
      const c3 = await runContainer(t, other, ctr('ns3', ref, withShell('sleep 3600')));
      for (const [who, id, want] of [['first', c1, sb.id], ['second', c2, sb.id], ['other pod\'s', c3, other.id]] as const) {
        check('ListContainers', `containers[].pod_sandbox_id (filter id, the ${who} container)`, (await listContainers(t, { id }))[0]?.pod_sandbox_id, IN_POD).equals(want);
      }
      const ns = async (id: string, kind: string) => (await run(t, id, ['readlink', `/proc/1/ns/${kind}`])).trim();
      for (const kind of ['net', 'ipc']) {
        const [n1, n2, n3] = [await ns(c1, kind), await ns(c2, kind), await ns(c3, kind)];
        check('ExecSync', `/proc/1/ns/${kind} of the second container in the pod`, n2, POD_NS).equals(n1, 'containers of one pod share it');
        check('ExecSync', `/proc/1/ns/${kind} of a container in another pod`, n3, POD_NS).notEquals(n1, 'each pod has its own');
      }
      check('ExecSync', '/proc/1/ns/mnt of the second container in the pod', await ns(c2, 'mnt'), OWN_ROOTFS).notEquals(await ns(c1, 'mnt'), 'each container has its own root filesystem');
    });

    it('containers in one pod should reach each other over localhost [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const server = await runContainer(t, sb, ctr('server', ref, withShell(`while true; do echo crc-hello | nc -l -p ${port}; done`)));
      const client = await runContainer(t, sb, ctr('client', ref, withShell('sleep 3600')));
      await eventually(async () => {
        const r = await execSync(t, client, ['sh', '-c', `nc -w 2 127.0.0.1 ${port} </dev/null`]);
        check('ExecSync', `stdout (nc 127.0.0.1 ${port} from the second container)`, r.stdout.trim(), POD_NS).equals('crc-hello', `exit_code=${r.exitCode} stderr=${r.stderr.trim()}`);
      }, { timeoutMs: 30_000, intervalMs: 500 });
      check('ContainerStatus', 'status.state (server)', (await containerStatus(t, server)).state, STATE).equals('CONTAINER_RUNNING');
    });
  });

  describe('ExecSync', () => {
    it('runtime should return stdout, stderr and the exit code of ExecSync separately [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('exec', ref, withShell('sleep 3600')));
      const r = await execSync(t, id, ['sh', '-c', 'echo out; echo err >&2; exit 7']);
      check('ExecSync', 'stdout', r.stdout, EXEC_STDOUT).equals('out\n');
      check('ExecSync', 'stderr', r.stderr, EXEC_STDERR).equals('err\n');
      check('ExecSync', 'exit_code', r.exitCode, EXEC_EXIT).equals(7);
      const ok = await execSync(t, id, ['echo', 'done']);
      check('ExecSync', 'exit_code (echo)', ok.exitCode, EXEC_EXIT).equals(0);
      check('ExecSync', 'stdout (echo)', ok.stdout, EXEC_STDOUT).equals('done\n');
      check('ExecSync', 'stderr (echo)', ok.stderr, EXEC_STDERR).equals('');
    });

    it('runtime should end an ExecSync whose command outlives its timeout [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('exec-timeout', ref, withShell('sleep 3600')));
      // 2 s, and no answer before 1 s: a runtime may time the command with one-second timers that fire up to a
      // second early (CRI-O's conmon uses glib's g_timeout_add_seconds, documented as not precise to the second).
      const timeout = 2;
      const earliest = (timeout - 1) * 1000;
      const bound = 10_000;
      const t0 = Date.now();
      let outcome: string;
      try {
        // Our own deadline is well past the bound, so an error before it comes from the runtime.
        const r = await t.cri.runtime.call('ExecSync', { container_id: id, cmd: ['sleep', '60'], timeout: String(timeout) }, { timeoutMs: bound + 15_000 });
        outcome = `exit_code ${r.exit_code}`;
        check('ExecSync', `exit_code (sleep 60, timeout=${timeout}s)`, r.exit_code, EXEC_EXIT).notEquals(0, 'a timed-out command must not look successful');
      } catch (e) {
        if (!isRpcError(e)) throw e;
        outcome = `${codeName(e.code)}: ${e.details}`;
        // The kubelet reads DEADLINE_EXCEEDED as "probe timed out"; any other error is a probe error.
        check('ExecSync', `error code (sleep 60, timeout=${timeout}s)`, codeName(e.code), EXEC_DEADLINE).equals('DEADLINE_EXCEEDED', e.details);
      }
      const took = Date.now() - t0;
      check('ExecSync', `duration in ms (sleep 60, timeout=${timeout}s)`, took, EXEC_TIMEOUT).atMost(bound, `answered ${outcome}`);
      check('ExecSync', `duration in ms (sleep 60, timeout=${timeout}s)`, took, EXEC_TIMEOUT).atLeast(earliest, `answered ${outcome}; one-second timers may fire up to a second early`);
      // The command itself must be gone, not left running behind the answer.
      await eventually(async () => {
        const ps = await run(t, id, ['ps', '-o', 'pid,args']);
        check('ExecSync', 'ps (after the timed-out exec)', ps, EXEC_TIMEOUT).excludes('sleep 60');
      }, { timeoutMs: 10_000 });
    });
  });
});

// ---- helpers only this suite needs ----

const execFileP = promisify(execFile);

/** Where the CDI specification puts generated specs (container-device-interface SPEC.md: /var/run/cdi). */
const CDI_SPEC_DIR = '/var/run/cdi';

/** A pod as the kubelet configures it by default (own PID namespace per container). */
const pod = (prefix: string): PodSandboxConfig => podSandboxConfig(prefix, withKubeletSandboxNamespaces());
const ctr = (prefix: string, ref: string, ...opts: ContainerOption[]): ContainerConfig => containerConfig(prefix, ref, withKubeletNamespaces(), ...opts);

/** ExecSync that must succeed; returns stdout. */
async function run(t: TestContext, id: string, cmd: string[]): Promise<string> {
  const r = await execSync(t, id, cmd);
  check('ExecSync', `exit_code (${cmd.join(' ')})`, r.exitCode, EXEC_EXIT).equals(0, `stderr: ${r.stderr.trim()}`);
  return r.stdout;
}

/** ContainerStatus of a container that is gone must answer NOT_FOUND. Awaited here, not returned: a failure's
 * stack then holds this line (an async frame at the `await`), so it counts for this check. */
async function expectNoStatus(t: TestContext, id: string, when: string): Promise<void> {
  await expectNotFound(`ContainerStatus (${when})`, () => t.cri.runtime.call('ContainerStatus', { container_id: id }), 'no such container', GONE);
}

/** The entries of `actual` under the keys of `wanted`: what was given, whatever the runtime added. */
function given(actual: Record<string, string> | undefined, wanted: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(wanted).filter((k) => actual && k in actual).map((k) => [k, actual![k]!]));
}

/** The deadline RemoveContainer of a running container gets: the contract sets no time for "forcibly removed". */
const FORCED_REMOVAL_DEADLINE_MS = 20_000;

/**
 * RemoveContainer of a running container whose workload ignores SIGTERM. api.proto says only that it "must be
 * forcibly removed". containerd kills at once; CRI-O stops it with the time left before the request's deadline
 * as grace and kills only then, so its answer lands right at the caller's deadline, on either side of it.
 * Decided here: the call gets FORCED_REMOVAL_DEADLINE_MS; it may answer OK within it, or run out of it while the
 * runtime goes on removing; either way the container must be gone (not listed) within the forced-removal fact's
 * bound after that. Any other error fails. Waiting here until it is gone also keeps the test's cleanup from
 * racing a removal still under way. Returns how it went, with the measured times, for the messages.
 */
async function removeRunning(t: TestContext, id: string): Promise<string> {
  const t0 = Date.now();
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  let answer: string;
  try {
    await t.cri.runtime.call('RemoveContainer', { container_id: id }, { timeoutMs: FORCED_REMOVAL_DEADLINE_MS });
    answer = `RemoveContainer answered OK after ${secs(Date.now() - t0)}`;
  } catch (e) {
    if (!isRpcError(e)) throw e;
    if (e.code !== Status.DEADLINE_EXCEEDED) {
      failWith(`RemoveContainer (running container ignoring SIGTERM): expected success (it must be forcibly removed), got ${codeName(e.code)}: ${e.details} after ${secs(Date.now() - t0)}`, REMOVE);
    }
    answer = `RemoveContainer had not answered at our ${secs(FORCED_REMOVAL_DEADLINE_MS)} deadline`;
  }
  const listed = async () => (await listContainers(t, { id })).map((c) => c.id);
  await pollFact(FACTS.forcedRemoval, listed, (ids) => !ids.includes(id), (ids, waited) =>
    failWith(`ListContainers: containers[].id (filter id, ${secs(Date.now() - t0)} after RemoveContainer of a running container): expected not to include ${JSON.stringify(id)}, got ${JSON.stringify(ids)} (${answer}; ${waitedFor(FACTS.forcedRemoval, waited)})`, REMOVE),
  );
  return `${answer}, gone ${secs(Date.now() - t0)} after the call`;
}

/** A fresh host directory with a tmpfs mounted on its `tmpfs` subdirectory (unmounted before removal). */
async function hostDirWithTmpfs(t: TestContext, prefix: string): Promise<string> {
  const dir = await tempDir(t, prefix);
  const sub = path.join(dir, 'tmpfs');
  await mkdir(sub);
  await execFileP('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'crc-tmpfs', sub]);
  t.defer(`tmpfs mount ${sub}`, async () => void (await execFileP('umount', ['-l', sub])));
  return dir;
}

/** Skips unless the default runtime handler reports recursive read-only mount support (Status, v1 only). */
async function requireRecursiveReadOnly(t: TestContext): Promise<void> {
  if (t.run.negotiation.runtime !== 'v1') skip(`runtime.${t.run.negotiation.runtime} has no Status.runtime_handlers to report recursive read-only mount support`);
  const res = await t.cri.runtime.call('Status', { verbose: false });
  // The features of the handler this run's pods use (--runtime-handler), as the kubelet reads them per RuntimeClass.
  const name = t.run.runtimeHandler;
  const h = (res.runtime_handlers ?? []).find((x) => x.name === name);
  if (!h?.features?.recursive_read_only_mounts) {
    skip(`the runtime handler ${JSON.stringify(name || '(default)')} does not report features.recursive_read_only_mounts in Status.runtime_handlers; the kubelet then refuses recursiveReadOnly mounts`);
  }
}

interface FilterFixture {
  sbA: string;
  sbB: string;
  /** A1 running (x, tier a), A2 created (x, tier b), B1 running (y), B2 exited (x, tier a). */
  a1: string;
  a2: string;
  b1: string;
  b2: string;
  all: string[];
  /** The label key, unique to this test, so label filters have an exact answer node-wide. */
  key: string;
  name: Record<string, string>;
}

async function filterFixture(t: TestContext): Promise<FilterFixture> {
  const ref = await testImage(t);
  const key = `crc.test/app-${randomSuffix(8)}`;
  const A = await containerPod(t);
  const B = await runSandbox(t, pod('filter-b'));
  const mk = (prefix: string, app: string, tier: string | undefined, script: string): ContainerConfig =>
    ctr(prefix, ref, withLabels({ [key]: app, ...(tier ? { tier } : {}) }), withShell(script));
  const a1 = await runContainer(t, A, mk('a1', 'x', 'a', 'sleep 3600'));
  const a2 = await createContainer(t, A, mk('a2', 'x', 'b', 'sleep 3600'));
  const b1 = await runContainer(t, B, mk('b1', 'y', undefined, 'sleep 3600'));
  const b2 = await runContainer(t, B, mk('b2', 'x', 'a', 'exit 0'));
  await waitContainerState(t, a1, 'CONTAINER_RUNNING');
  await waitContainerState(t, b1, 'CONTAINER_RUNNING');
  await waitContainerState(t, b2, 'CONTAINER_EXITED');
  return { sbA: A.id, sbB: B.id, a1, a2, b1, b2, all: [a1, a2, b1, b2], key, name: { [a1]: 'A1', [a2]: 'A2', [b1]: 'B1', [b2]: 'B2' } };
}
