// Containers: the lifecycle the kubelet drives (create, start, stop, remove), what ContainerStatus and
// ListContainers must report, how the container config is honoured (command, env, mounts, user, limits),
// ExecSync, and what containers of one pod share.
import { readFile, symlink, writeFile, access, mkdir } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import {
  defineSuite, check, failWith, skip, eventually, runSandbox, containerPod, createContainer, startContainer, runContainer,
  containerStatus, waitContainerState, execSync, tempDir, podSandboxConfig, containerConfig, randomSuffix,
  withShell, withCommand, withArgs, withEnv, withWorkingDir, withLabels, withAnnotations, withMount,
  withMemoryLimit, withReadonlyRootfs, withRunAsUser, type ContainerOption, type TestContext, testImage,
  listContainers, expectNotFound,
} from '../src/framework/index.js';
import { withKubeletNamespaces, withKubeletSandboxNamespaces } from '../src/framework/container.js';
import { codeName, isRpcError } from '../src/cri/errors.js';
import type { PodSandboxConfig } from '../src/gen/v1/runtime/v1/PodSandboxConfig.js';
import type { ContainerConfig } from '../src/gen/v1/runtime/v1/ContainerConfig.js';
import type { ContainerFilter } from '../src/gen/v1/runtime/v1/ContainerFilter.js';
import type { Container__Output } from '../src/gen/v1/runtime/v1/Container.js';
import type { ContainerStatus__Output } from '../src/gen/v1/runtime/v1/ContainerStatus.js';

export default defineSuite(({ describe, it }) => {
  describe('Container lifecycle', () => {
    it('runtime should report a container CREATED, then RUNNING, then EXITED with its exit code [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const ctl = await tempDir(t, 'ctl');
      // The process waits for the test's go-ahead, so RUNNING is observed deterministically.
      const id = await createContainer(t, sb, ctr('exit3', ref, withMount(ctl, '/ctl'), withShell('while [ ! -e /ctl/go ]; do sleep 0.1; done; exit 3')));

      const created = await containerStatus(t, id);
      check('ContainerStatus', 'status.state (after CreateContainer)', created.state).equals('CONTAINER_CREATED');
      check('ContainerStatus', 'status.created_at (after CreateContainer)', created.created_at).greaterThan(0);
      check('ContainerStatus', 'status.started_at (after CreateContainer)', created.started_at).equals('0', 'the container has not been started');

      await startContainer(t, id);
      const running = await containerStatus(t, id);
      check('ContainerStatus', 'status.state (after StartContainer)', running.state).equals('CONTAINER_RUNNING');
      check('ContainerStatus', 'status.started_at (after StartContainer)', running.started_at).greaterThan(0);
      check('ContainerStatus', 'status.started_at (after StartContainer)', running.started_at).atLeast(BigInt(running.created_at), `created_at=${running.created_at}`);
      check('ContainerStatus', 'status.finished_at (while running)', running.finished_at).equals('0', 'the container is still running');

      await writeFile(path.join(ctl, 'go'), '');
      const exited = await waitContainerState(t, id, 'CONTAINER_EXITED');
      check('ContainerStatus', 'status.exit_code', exited.exit_code).equals(3, 'the process ran `exit 3`');
      check('ContainerStatus', 'status.started_at (after exit)', exited.started_at).equals(running.started_at, 'the start time must not change');
      check('ContainerStatus', 'status.finished_at', exited.finished_at).greaterThan(0);
      check('ContainerStatus', 'status.finished_at', exited.finished_at).atLeast(BigInt(exited.started_at), `started_at=${exited.started_at}`);
      check('ContainerStatus', 'status.reason', exited.reason).present('the kubelet shows the reason of a terminated container (containerd: "Error" for a non-zero exit)');
    });

    it('runtime should report exit_code 0 and a reason for a container that completes [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const ctl = await tempDir(t, 'ctl');
      // Not an instant exit: containerd 1.6 stamps started_at after the task started, so a process that exits at
      // once can have finished_at a few microseconds before started_at. Waiting for a go-ahead keeps the order real.
      const id = await runContainer(t, sb, ctr('exit0', ref, withMount(ctl, '/ctl'), withShell('while [ ! -e /ctl/go ]; do sleep 0.1; done; exit 0')));
      await waitContainerState(t, id, 'CONTAINER_RUNNING');
      await writeFile(path.join(ctl, 'go'), '');
      const exited = await waitContainerState(t, id, 'CONTAINER_EXITED');
      check('ContainerStatus', 'status.exit_code', exited.exit_code).equals(0, 'the process ran `exit 0`');
      check('ContainerStatus', 'status.finished_at', exited.finished_at).atLeast(BigInt(exited.started_at), `started_at=${exited.started_at}`);
      check('ContainerStatus', 'status.reason', exited.reason).present('containerd and CRI-O answer "Completed"');
    });

    it('runtime should stop a running container that exits on SIGTERM before the timeout [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      // `wait` is interruptible, so the TERM trap runs at once and the shell exits 0.
      const id = await runContainer(t, sb, ctr('term', ref, withShell('trap "exit 0" TERM; touch /tmp/ready; sleep 3600 & wait')));
      await eventually(async () => check('ExecSync', 'exit_code (test -e /tmp/ready)', (await execSync(t, id, ['test', '-e', '/tmp/ready'])).exitCode).equals(0));
      const timeout = 30;
      const t0 = Date.now();
      await t.cri.runtime.call('StopContainer', { container_id: id, timeout: String(timeout) }, { extraMs: timeout * 1000 });
      const took = Date.now() - t0;
      check('StopContainer', `duration in ms (timeout=${timeout}s, process exits on SIGTERM)`, took).atMost(20_000, 'SIGTERM must be sent first; the kill comes only after the timeout');
      const s = await containerStatus(t, id);
      check('ContainerStatus', 'status.state (after StopContainer)', s.state).equals('CONTAINER_EXITED');
      check('ContainerStatus', 'status.exit_code (after SIGTERM)', s.exit_code).equals(0, 'the TERM trap ran `exit 0`');
    });

    it('runtime should kill a container that ignores SIGTERM once the stop timeout has passed [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('noterm', ref, withShell('trap "" TERM; touch /tmp/ready; sleep 3600')));
      await eventually(async () => check('ExecSync', 'exit_code (test -e /tmp/ready)', (await execSync(t, id, ['test', '-e', '/tmp/ready'])).exitCode).equals(0));
      const timeout = 2;
      const t0 = Date.now();
      await t.cri.runtime.call('StopContainer', { container_id: id, timeout: String(timeout) }, { extraMs: timeout * 1000 });
      const took = Date.now() - t0;
      check('StopContainer', `duration in ms (timeout=${timeout}s, SIGTERM ignored)`, took).atLeast(timeout * 1000, 'the process must get the whole grace period');
      check('StopContainer', `duration in ms (timeout=${timeout}s, SIGTERM ignored)`, took).atMost(timeout * 1000 + 30_000, 'the process must be killed once the timeout passes');
      const s = await containerStatus(t, id);
      check('ContainerStatus', 'status.state (after StopContainer)', s.state).equals('CONTAINER_EXITED');
      check('ContainerStatus', 'status.exit_code (killed by SIGKILL)', s.exit_code).equals(137, '128 + SIGKILL');
    });

    for (const state of ['created', 'running', 'exited'] as const) {
      it(`runtime should remove ${state === 'exited' ? 'an' : 'a'} ${state} container so that it is neither listed nor found [Conformance]`, async (t) => {
        const ref = await testImage(t);
        const sb = await containerPod(t);
        const id = await createContainer(t, sb, ctr(`rm-${state}`, ref, withShell(state === 'exited' ? 'exit 0' : 'sleep 3600')));
        if (state !== 'created') await startContainer(t, id);
        await waitContainerState(t, id, `CONTAINER_${state.toUpperCase()}`);
        check('ListContainers', 'containers[].id (before RemoveContainer)', (await listContainers(t, { pod_sandbox_id: sb.id })).map((c) => c.id)).includes(id);

        // A running container must be removed by force (CRI contract); the kubelet stops it first, but GC may not.
        await t.cri.runtime.call('RemoveContainer', { container_id: id });
        check('ListContainers', `containers[].id (after RemoveContainer of a ${state} container)`, (await listContainers(t, {})).map((c) => c.id)).excludes(id);
        check('ListContainers', `containers[].id (filter id, after RemoveContainer of a ${state} container)`, (await listContainers(t, { id })).map((c) => c.id)).excludes(id);
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
      check('ContainerStatus', 'status.labels', s.labels).equals(cfg.labels!);
      check('ContainerStatus', 'status.annotations', s.annotations).equals(cfg.annotations!);
      const listed = (await listContainers(t, { id })).find((c) => c.id === id);
      if (!listed) failWith(`ListContainers: containers[].id: expected ${id} (filter id), got none`);
      check('ListContainers', 'containers[].labels', listed.labels).equals(cfg.labels!);
      check('ListContainers', 'containers[].annotations', listed.annotations).equals(cfg.annotations!);
      check('ListContainers', 'containers[].pod_sandbox_id', listed.pod_sandbox_id).equals(sb.id);
      check('ListContainers', 'containers[].metadata', listed.metadata).equals(cfg.metadata as Container__Output['metadata']);
    });

    it('runtime should set the ContainerStatus fields the kubelet requires in every state [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const ctl = await tempDir(t, 'ctl');
      const cfg = ctr('fields', ref, withMount(ctl, '/ctl'), withShell('while [ ! -e /ctl/go ]; do sleep 0.1; done'));
      const id = await createContainer(t, sb, cfg);
      // kubelet's CRI client rejects a status with any of these empty (verifyContainerStatus).
      const verify = (s: ContainerStatus__Output, when: string) => {
        check('ContainerStatus', `status.id (${when})`, s.id).equals(id);
        check('ContainerStatus', `status.metadata (${when})`, s.metadata).equals(cfg.metadata as ContainerStatus__Output['metadata']);
        check('ContainerStatus', `status.created_at (${when})`, s.created_at).greaterThan(0);
        check('ContainerStatus', `status.image.image (${when})`, s.image?.image).present();
        check('ContainerStatus', `status.image_ref (${when})`, s.image_ref).present();
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

      check('ListContainers', 'containers[].id (filter id)', names(ids(await listContainers(t, { id: f.a1 })))).sameMembers(names([f.a1]));
      check('ListContainers', 'containers[].id (filter id of a removed/unknown container)', ids(await listContainers(t, { id: `crc-none-${randomSuffix(12)}` }))).sameMembers([]);
      check('ListContainers', 'containers[].id (filter state CONTAINER_RUNNING, this test\'s containers)', names(mine(await listContainers(t, { state: { state: 'CONTAINER_RUNNING' } })))).sameMembers(names([f.a1, f.b1]));
      check('ListContainers', 'containers[].id (filter state CONTAINER_CREATED, this test\'s containers)', names(mine(await listContainers(t, { state: { state: 'CONTAINER_CREATED' } })))).sameMembers(names([f.a2]));
      check('ListContainers', 'containers[].id (filter state CONTAINER_EXITED, this test\'s containers)', names(mine(await listContainers(t, { state: { state: 'CONTAINER_EXITED' } })))).sameMembers(names([f.b2]));
      check('ListContainers', 'containers[].id (filter pod_sandbox_id)', names(ids(await listContainers(t, { pod_sandbox_id: f.sbA })))).sameMembers(names([f.a1, f.a2]));
      check('ListContainers', 'containers[].id (filter pod_sandbox_id)', names(ids(await listContainers(t, { pod_sandbox_id: f.sbB })))).sameMembers(names([f.b1, f.b2]));
      check('ListContainers', 'containers[].id (filter label_selector app=x)', names(ids(await listContainers(t, { label_selector: { [f.key]: 'x' } })))).sameMembers(names([f.a1, f.a2, f.b2]));
      check('ListContainers', 'containers[].id (filter label_selector app=x, tier=a)', names(ids(await listContainers(t, { label_selector: { [f.key]: 'x', tier: 'a' } })))).sameMembers(names([f.a1, f.b2]));
      for (const c of await listContainers(t, { pod_sandbox_id: f.sbA })) {
        check('ListContainers', `containers[${f.name[c.id] ?? c.id}].pod_sandbox_id`, c.pod_sandbox_id).equals(f.sbA);
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
        check('ListContainers', `containers[].id (filter ${what})`, names(await listContainers(t, filter))).sameMembers(want.map((x) => f.name[x]));
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
      check('ExecSync', '/proc/1/cmdline (command + args)', cmdline).equals(['sh', '-c', script, 'first-arg', 'second arg']);
      const environ = (await run(t, id, ['cat', '/proc/1/environ'])).split('\0');
      for (const kv of ['CRC_FOO=foo value', 'CRC_EMPTY=', 'CRC_EQ=a=b']) check('ExecSync', '/proc/1/environ (envs)', environ).includes(kv);
      check('ExecSync', '/proc/1/environ (PATH from the image)', environ.some((e) => e.startsWith('PATH='))).isTrue();
      check('ExecSync', 'readlink /proc/1/cwd (working_dir)', (await run(t, id, ['readlink', '/proc/1/cwd'])).trim()).equals('/etc');
    });

    it('runtime should run args in place of the image CMD when command is empty [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('args', ref, withArgs('sh', '-c', 'sleep 3600; exit 0')));
      const cmdline = (await run(t, id, ['cat', '/proc/1/cmdline'])).split('\0').filter((x) => x !== '');
      check('ExecSync', '/proc/1/cmdline (args, no command)', cmdline).equals(['sh', '-c', 'sleep 3600; exit 0']);
    });

    it('runtime should run the container as run_as_user [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('uid', ref, withRunAsUser(1001), withShell('sleep 3600')));
      const uid = (await run(t, id, ['sh', '-c', 'awk \'/^Uid:/{print $2}\' /proc/1/status'])).trim();
      check('ExecSync', 'Uid of pid 1 (run_as_user=1001)', uid).equals('1001');
      check('ExecSync', 'id -u (exec inherits run_as_user=1001)', (await run(t, id, ['id', '-u'])).trim()).equals('1001');
    });
  });

  describe('Container mounts', () => {
    it('runtime should mount a host path into the container, read-write by default [Conformance]', async (t) => {
      const ref = await testImage(t);
      const host = await tempDir(t, 'vol');
      await writeFile(path.join(host, 'from-host'), 'hello from the host\n');
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('vol', ref, withMount(host, '/mnt/vol'), withShell('sleep 3600')));
      check('ExecSync', 'cat /mnt/vol/from-host', await run(t, id, ['cat', '/mnt/vol/from-host'])).equals('hello from the host\n');
      await run(t, id, ['sh', '-c', 'echo hello from the container > /mnt/vol/from-container']);
      check('host', `${host}/from-container (written in the container)`, await readFile(path.join(host, 'from-container'), 'utf8').catch(() => '<missing>')).equals('hello from the container\n');
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
      check('ExecSync', 'cat /mnt/vol/via-link (host_path is a symlink)', await run(t, id, ['cat', '/mnt/vol/via-link'])).equals('seen through the symlink\n');
    });

    it('runtime should make a readonly mount read-only in the container [Conformance]', async (t) => {
      const ref = await testImage(t);
      const host = await tempDir(t, 'vol-ro');
      await writeFile(path.join(host, 'existing'), 'original\n');
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('ro', ref, withMount(host, '/mnt/ro', true), withShell('sleep 3600')));
      check('ExecSync', 'cat /mnt/ro/existing (readonly mount)', await run(t, id, ['cat', '/mnt/ro/existing'])).equals('original\n');
      const w = await execSync(t, id, ['sh', '-c', 'echo x > /mnt/ro/new']);
      check('ExecSync', 'exit_code (write to a readonly mount)', w.exitCode).notEquals(0, `stderr: ${w.stderr.trim()}`);
      check('ExecSync', 'stderr (write to a readonly mount)', w.stderr).matches(/read-only/i);
      const created = await access(path.join(host, 'new')).then(() => true, () => false);
      check('host', `${host}/new (written through a readonly mount)`, created).equals(false);
    });

    it('runtime should make the root filesystem read-only when readonly_rootfs is set [Conformance]', async (t) => {
      const ref = await testImage(t);
      const scratch = await tempDir(t, 'vol-rw');
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('rorootfs', ref, withReadonlyRootfs(), withMount(scratch, '/scratch'), withShell('sleep 3600')));
      const w = await execSync(t, id, ['sh', '-c', 'echo x > /crc-rootfs-write']);
      check('ExecSync', 'exit_code (write to / with readonly_rootfs)', w.exitCode).notEquals(0, `stderr: ${w.stderr.trim()}`);
      check('ExecSync', 'stderr (write to / with readonly_rootfs)', w.stderr).matches(/read-only/i);
      // Mounts stay writable: readonly_rootfs is about the image filesystem only.
      const m = await execSync(t, id, ['sh', '-c', 'echo x > /scratch/ok']);
      check('ExecSync', 'exit_code (write to a read-write mount with readonly_rootfs)', m.exitCode).equals(0, `stderr: ${m.stderr.trim()}`);
    });

    it('runtime should leave submounts of a readonly (non-recursive) mount writable [Conformance]', async (t) => {
      const ref = await testImage(t);
      const host = await hostDirWithTmpfs(t, 'vol-nrro');
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('nrro', ref, withMount(host, '/mnt/ro', true), withShell('sleep 3600')));
      const top = await execSync(t, id, ['touch', '/mnt/ro/top']);
      check('ExecSync', 'exit_code (touch /mnt/ro/top, readonly mount)', top.exitCode).notEquals(0, `stderr: ${top.stderr.trim()}`);
      // Kubernetes: readOnly without recursiveReadOnly leaves submounts as they are (critest "Container Mount Readonly").
      const sub = await execSync(t, id, ['touch', '/mnt/ro/tmpfs/file']);
      check('ExecSync', 'exit_code (touch /mnt/ro/tmpfs/file, tmpfs submount of a non-recursive readonly mount)', sub.exitCode).equals(0, `stderr: ${sub.stderr.trim()}`);
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
      check('ExecSync', 'exit_code (touch /mnt/rro/tmpfs/file, tmpfs submount of a recursive_read_only mount)', sub.exitCode).notEquals(0, `stderr: ${sub.stderr.trim()}`);
      check('ExecSync', 'stderr (touch /mnt/rro/tmpfs/file)', sub.stderr).matches(/read-only/i);
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
        if (created) failWith(`CreateContainer: expected an error for mounts[0] with recursive_read_only=true and ${what}, got container ${created}`);
      }
    });
  });

  describe('Container resources', () => {
    it('runtime should report OOMKilled with exit_code 137 when a container exceeds its memory limit [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      // `tail` keeps the whole (newline-free) input in memory: 128 MiB against a 32 MiB limit.
      const id = await runContainer(t, sb, ctr('oom', ref, withMemoryLimit(32 * 1024 * 1024), withShell('head -c 128m /dev/zero | tail')));
      const s = await waitContainerState(t, id, 'CONTAINER_EXITED', 60_000);
      check('ContainerStatus', 'status.reason (memory limit exceeded)', s.reason).equals('OOMKilled');
      check('ContainerStatus', 'status.exit_code (memory limit exceeded)', s.exit_code).equals(137, '128 + SIGKILL');
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
      const ns = async (id: string, kind: string) => (await run(t, id, ['readlink', `/proc/1/ns/${kind}`])).trim();
      for (const kind of ['net', 'ipc']) {
        const [n1, n2, n3] = [await ns(c1, kind), await ns(c2, kind), await ns(c3, kind)];
        check('ExecSync', `/proc/1/ns/${kind} of the second container in the pod`, n2).equals(n1, 'containers of one pod share it');
        check('ExecSync', `/proc/1/ns/${kind} of a container in another pod`, n3).notEquals(n1, 'each pod has its own');
      }
      check('ExecSync', '/proc/1/ns/mnt of the second container in the pod', await ns(c2, 'mnt')).notEquals(await ns(c1, 'mnt'), 'each container has its own root filesystem');
    });

    it('containers in one pod should reach each other over localhost [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const server = await runContainer(t, sb, ctr('server', ref, withShell(`while true; do echo crc-hello | nc -l -p ${port}; done`)));
      const client = await runContainer(t, sb, ctr('client', ref, withShell('sleep 3600')));
      await eventually(async () => {
        const r = await execSync(t, client, ['sh', '-c', `nc -w 2 127.0.0.1 ${port} </dev/null`]);
        check('ExecSync', `stdout (nc 127.0.0.1 ${port} from the second container)`, r.stdout.trim()).equals('crc-hello', `exit_code=${r.exitCode} stderr=${r.stderr.trim()}`);
      }, { timeoutMs: 30_000, intervalMs: 500 });
      check('ContainerStatus', 'status.state (server)', (await containerStatus(t, server)).state).equals('CONTAINER_RUNNING');
    });
  });

  describe('ExecSync', () => {
    it('runtime should return stdout, stderr and the exit code of ExecSync separately [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('exec', ref, withShell('sleep 3600')));
      const r = await execSync(t, id, ['sh', '-c', 'echo out; echo err >&2; exit 7']);
      check('ExecSync', 'stdout', r.stdout).equals('out\n');
      check('ExecSync', 'stderr', r.stderr).equals('err\n');
      check('ExecSync', 'exit_code', r.exitCode).equals(7);
      const ok = await execSync(t, id, ['echo', 'done']);
      check('ExecSync', 'exit_code (echo)', ok.exitCode).equals(0);
      check('ExecSync', 'stdout (echo)', ok.stdout).equals('done\n');
      check('ExecSync', 'stderr (echo)', ok.stderr).equals('');
    });

    it('runtime should end an ExecSync whose command outlives its timeout [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('exec-timeout', ref, withShell('sleep 3600')));
      const timeout = 1;
      const bound = 10_000;
      const t0 = Date.now();
      let outcome: string;
      try {
        // Our own deadline is well past the bound, so an error before it comes from the runtime.
        const r = await t.cri.runtime.call('ExecSync', { container_id: id, cmd: ['sleep', '60'], timeout: String(timeout) }, { timeoutMs: bound + 15_000 });
        outcome = `exit_code ${r.exit_code}`;
        check('ExecSync', `exit_code (sleep 60, timeout=${timeout}s)`, r.exit_code).notEquals(0, 'a timed-out command must not look successful');
      } catch (e) {
        if (!isRpcError(e)) throw e;
        outcome = `${codeName(e.code)}: ${e.details}`;
        // The kubelet reads DEADLINE_EXCEEDED as "probe timed out"; any other error is a probe error.
        check('ExecSync', `error code (sleep 60, timeout=${timeout}s)`, codeName(e.code)).equals('DEADLINE_EXCEEDED', e.details);
      }
      const took = Date.now() - t0;
      check('ExecSync', `duration in ms (sleep 60, timeout=${timeout}s)`, took).atMost(bound, `answered ${outcome}`);
      check('ExecSync', `duration in ms (sleep 60, timeout=${timeout}s)`, took).atLeast(timeout * 1000 - 100, `answered ${outcome}`);
      // The command itself must be gone, not left running behind the answer.
      await eventually(async () => {
        const ps = await run(t, id, ['ps', '-o', 'pid,args']);
        check('ExecSync', 'ps (after the timed-out exec)', ps).excludes('sleep 60');
      }, { timeoutMs: 10_000 });
    });
  });
});

// ---- helpers only this suite needs ----

const execFileP = promisify(execFile);

/** A pod as the kubelet configures it by default (own PID namespace per container). */
const pod = (prefix: string): PodSandboxConfig => podSandboxConfig(prefix, withKubeletSandboxNamespaces());
const ctr = (prefix: string, ref: string, ...opts: ContainerOption[]): ContainerConfig => containerConfig(prefix, ref, withKubeletNamespaces(), ...opts);

/** ExecSync that must succeed; returns stdout. */
async function run(t: TestContext, id: string, cmd: string[]): Promise<string> {
  const r = await execSync(t, id, cmd);
  check('ExecSync', `exit_code (${cmd.join(' ')})`, r.exitCode).equals(0, `stderr: ${r.stderr.trim()}`);
  return r.stdout;
}

/** ContainerStatus of a container that is gone must answer NOT_FOUND. Awaited here, not returned: a failure's
 * stack then holds this line (an async frame at the `await`), so it counts for this check. */
async function expectNoStatus(t: TestContext, id: string, when: string): Promise<void> {
  await expectNotFound(`ContainerStatus (${when})`, () => t.cri.runtime.call('ContainerStatus', { container_id: id }), 'no such container');
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
