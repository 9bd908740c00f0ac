// Users and groups: the identity a container's processes really run with (read from /proc inside the
// container and from `id` in an exec), for run_as_user, run_as_username, run_as_group, supplemental_groups,
// the SupplementalGroupsPolicy with ContainerStatus.user, and the image's USER.
// The busybox images' /etc/passwd has cruser 1001:1001, /etc/group has crgroup 1005 with member cruser.
import {
  defineSuite, check, skip, expectRpcError, containerPod, runContainer, containerStatus, execSync,
  containerConfig, withShell, testImage, labelled, type ContainerOption, type TestContext,
} from '../src/framework/index.js';
import { withKubeletNamespaces } from '../src/framework/container.js';
import { procStatus } from '../src/framework/proc-status.js';
import type { LinuxContainerSecurityContext } from '../src/gen/v1/runtime/v1/LinuxContainerSecurityContext.js';
import { cri, kubelet, opinion } from '../src/framework/contract.js';

// What the checks rest on.
const RUN_AS_USER = cri('LinuxContainerSecurityContext.run_as_user.value', 'UID to run the container process as.', 'effect');
const RUN_AS_USERNAME = cri('LinuxContainerSecurityContext.run_as_username', 'User name to run the container process as. If specified, the user MUST exist in the container image (i.e. in the /etc/passwd inside the image), and be resolved there by the runtime', 'effect');
const RUN_AS_GROUP = cri('LinuxContainerSecurityContext.run_as_group.value', 'GID to run the container process as.', 'effect');
const GROUP_NEEDS_USER = cri('LinuxContainerSecurityContext.run_as_group', 'run_as_group should only be specified when run_as_user or run_as_username is specified; otherwise, the runtime MUST error.');
const SUPPLEMENTAL = cri('LinuxContainerSecurityContext.supplemental_groups', 'List of groups applied to the first process run in each container.', 'effect');
const MERGE = cri('SupplementalGroupsPolicy.Merge', 'Merge means that the container\'s provided SupplementalGroups … will be merged with the primary user\'s groups as defined in the container image (in /etc/group).', 'effect');
/** The two tests that send supplemental_groups_policy (Merge, Strict) and read the groups the process gets. */
const POLICY = cri('LinuxContainerSecurityContext.supplemental_groups_policy', 'supplemental_groups_policy defines how supplemental groups of the first container processes are calculated. Valid values are "Merge" and "Strict". If not specified, "Merge" is used.', 'effect');
const USER_UID = cri('LinuxContainerUser.uid', 'uid is the primary uid initially attached to the first process in the container', 'true');
const USER_GID = cri('LinuxContainerUser.gid', 'gid is the primary gid initially attached to the first process in the container', 'true');
const USER_GROUPS = cri('LinuxContainerUser.supplemental_groups', 'supplemental_groups are the supplemental groups initially attached to the first process in the container', 'true');
const IMAGE_UID = cri('Image.uid', 'UID that will run the command(s). This is used as a default if no user is specified when creating the container.');
/** Every test here reads pid 1 as the container's process: so it is only in the PID namespace of its own the kubelet asks for. */
const OWN_PID_NS = cri('LinuxContainerSecurityContext.namespace_options.pid', 'PID namespace for this container/sandbox. Note: The CRI default is POD, but the v1.PodSpec default is CONTAINER. The kubelet\'s runtime manager will set this to CONTAINER explicitly for v1 pods.', 'effect');
const REPORTED_UID = cri('Image.uid', 'UID that will run the command(s). This is used as a default if no user is specified when creating the container. UID and the following user name are mutually exclusive.', 'true');
const REPORTED_USERNAME = cri('Image.username', 'User name that will run the command(s). This is used if UID is not set and no user is specified when creating the container.', 'true');
/** ExecSyncRequest and ExecRequest carry no user: the container's identity is the only one an exec can have. */
const EXEC_AS_CONTAINER = kubelet('prober.go runProbe, kuberuntime_container.go RunInContainer', 'runs exec probes and kubectl exec through ExecSync/Exec, which carry no user of their own: they run as the container');
const PRIMARY_FROM_PASSWD = opinion('a run_as_user without run_as_group gets its primary group from the image\'s /etc/passwd, as every runtime does (the Pod API says "uses runtime default if unset"; the CRI is silent)');
const IMAGE_GID = opinion('the image\'s USER gets the group it names (uid:gid), else its /etc/passwd group, else 0, as the OCI image config says for User; the CRI is silent on the image\'s groups');

export default defineSuite(({ describe, it }) => {
  describe('Users and groups', () => {
    it('runtime should run the process as run_as_user, with the primary group and groups the image gives that user [Strict]', async (t) => {
      const id = await idContainer(t, 'busybox', { run_as_user: { value: '1001' } });
      const s = await procStatus(t, id);
      check('ExecSync', 'Uid of pid 1 (/proc/1/status, run_as_user=1001)', s['Uid'], RUN_AS_USER).equals(all4('1001'));
      check('ExecSync', 'Gid of pid 1 (/proc/1/status, run_as_user=1001: cruser\'s group in the image\'s /etc/passwd)', s['Gid'], PRIMARY_FROM_PASSWD).equals(all4('1001'));
      check('ExecSync', 'Groups of pid 1 (/proc/1/status, run_as_user=1001: cruser is a member of crgroup 1005 in the image\'s /etc/group)', s['Groups'], MERGE).includes('1005');
      check('ExecSync', 'id -G (exec, run_as_user=1001)', words(await out(t, id, ['id', '-G'])), EXEC_AS_CONTAINER).sameMembers(s['Groups'] ?? [], 'an exec runs with the groups of the container\'s process');
    });

    it('runtime should resolve run_as_username through the image\'s /etc/passwd [Conformance]', async (t) => {
      const id = await idContainer(t, 'busybox', { run_as_username: 'cruser' });
      const pid1 = (await out(t, id, ['cat', '/proc/1/cmdline'])).split('\0')[0] ?? '';
      check('ExecSync', 'argv[0] of pid 1 (/proc/1/cmdline, namespace_options.pid CONTAINER)', pid1, OWN_PID_NS).oneOf(['sh', 'sleep'], 'the container\'s own command (sh -c "sleep 3600") is pid 1 of its PID namespace');
      const s = await procStatus(t, id);
      check('ExecSync', 'Uid of pid 1 (/proc/1/status, run_as_username=cruser, uid 1001 in /etc/passwd)', s['Uid'], RUN_AS_USERNAME).equals(all4('1001'));
      check('ExecSync', 'Gid of pid 1 (/proc/1/status, run_as_username=cruser, gid 1001 in /etc/passwd)', s['Gid'], RUN_AS_USERNAME).equals(all4('1001'));
      check('ExecSync', 'id -un (exec, run_as_username=cruser)', (await out(t, id, ['id', '-un'])).trim(), EXEC_AS_CONTAINER).equals('cruser');
    });

    it('runtime should run the process with run_as_group as its primary group [Conformance]', async (t) => {
      const id = await idContainer(t, 'busybox', { run_as_user: { value: '1001' }, run_as_group: { value: '2002' } });
      const s = await procStatus(t, id);
      check('ExecSync', 'Gid of pid 1 (/proc/1/status, run_as_user=1001 run_as_group=2002)', s['Gid'], RUN_AS_GROUP).equals(all4('2002'));
      check('ExecSync', 'Uid of pid 1 (/proc/1/status, run_as_user=1001 run_as_group=2002)', s['Uid'], RUN_AS_USER).equals(all4('1001'));
      check('ExecSync', 'id -g (exec, run_as_group=2002)', (await out(t, id, ['id', '-g'])).trim(), EXEC_AS_CONTAINER).equals('2002');
    });

    it('runtime should reject run_as_group without run_as_user or run_as_username [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const cfg = labelled(t, ctr('grp-only', ref, sc({ run_as_group: { value: '2002' } })));
      await expectRpcError('CreateContainer (run_as_group=2002 without a user)', () => t.cri.runtime.call('CreateContainer', { pod_sandbox_id: sb.id, config: cfg, sandbox_config: sb.config }),
        'a group without a user is invalid (the kubelet validates the same)', (res) => t.defer(`container ${res.container_id}`, () => removeQuietly(t, res.container_id)), GROUP_NEEDS_USER);
    });

    it('runtime should add supplemental_groups to the groups of the container\'s processes [Conformance]', async (t) => {
      const id = await idContainer(t, 'busybox', { supplemental_groups: ['1234', '5678'] });
      const s = await procStatus(t, id);
      for (const g of ['1234', '5678']) check('ExecSync', `Groups of pid 1 (/proc/1/status, supplemental_groups=[1234,5678])`, s['Groups'], SUPPLEMENTAL).includes(g);
      const exec = words(await out(t, id, ['id', '-G']));
      for (const g of ['1234', '5678']) check('ExecSync', 'id -G (exec, supplemental_groups=[1234,5678])', exec, EXEC_AS_CONTAINER).includes(g);
    });

    it('runtime should add supplemental_groups to those of run_as_user and keep its primary group [Strict]', async (t) => {
      const id = await idContainer(t, 'busybox', { run_as_user: { value: '1001' }, supplemental_groups: ['1234'] });
      const s = await procStatus(t, id);
      check('ExecSync', 'Groups of pid 1 (/proc/1/status, run_as_user=1001 supplemental_groups=[1234])', s['Groups'], PRIMARY_FROM_PASSWD).sameMembers(['1001', '1005', '1234'],
        'cruser\'s own group, crgroup from the image\'s /etc/group, and the supplemental group');
      check('ExecSync', 'Gid of pid 1 (/proc/1/status, run_as_user=1001 supplemental_groups=[1234])', s['Gid'], PRIMARY_FROM_PASSWD).equals(all4('1001'), 'supplemental groups never change the primary group');
    });
  });

  describe('SupplementalGroupsPolicy', () => {
    it('runtime should merge the groups of the image\'s /etc/group with supplemental_groups (Merge) and report them in ContainerStatus.user [Feature:SupplementalGroupsPolicy]', async (t) => {
      await requireSupplementalGroupsPolicy(t);
      const id = await idContainer(t, 'busybox', { run_as_user: { value: '1001' }, supplemental_groups: ['1234'], supplemental_groups_policy: 'Merge' });
      const s = await procStatus(t, id);
      check('ExecSync', 'Groups of pid 1 (/proc/1/status, policy Merge)', s['Groups'], POLICY).sameMembers(['1001', '1005', '1234'], 'Merge keeps crgroup 1005 from the image\'s /etc/group');
      const user = (await containerStatus(t, id)).user?.linux;
      check('ContainerStatus', 'status.user.linux.uid (policy Merge)', user?.uid, USER_UID).equals(s['Uid']?.[0], 'the uid of pid 1');
      check('ContainerStatus', 'status.user.linux.gid (policy Merge)', user?.gid, USER_GID).equals(s['Gid']?.[0], 'the gid of pid 1');
      check('ContainerStatus', 'status.user.linux.supplemental_groups (policy Merge)', user?.supplemental_groups, USER_GROUPS).sameMembers(s['Groups'] ?? [], 'the groups pid 1 really has');
      // As critest: a process exec'd later has the same groups (ExecSync carries no user of its own).
      check('ExecSync', 'id -G (exec, policy Merge)', words(await out(t, id, ['id', '-G'])), EXEC_AS_CONTAINER).sameMembers(['1001', '1005', '1234'], 'an exec runs with the groups Merge gives the container');
    });

    it('runtime should ignore the image\'s /etc/group under Strict and report the groups in ContainerStatus.user [Feature:SupplementalGroupsPolicy]', async (t) => {
      await requireSupplementalGroupsPolicy(t);
      const id = await idContainer(t, 'busybox', { run_as_user: { value: '1001' }, supplemental_groups: ['1234'], supplemental_groups_policy: 'Strict' });
      const s = await procStatus(t, id);
      check('ExecSync', 'Groups of pid 1 (/proc/1/status, policy Strict)', s['Groups'], POLICY).sameMembers(['1001', '1234'], 'Strict: only the primary group and supplemental_groups, not crgroup 1005 from /etc/group');
      const user = (await containerStatus(t, id)).user?.linux;
      check('ContainerStatus', 'status.user.linux.uid (policy Strict)', user?.uid, USER_UID).equals(s['Uid']?.[0], 'the uid of pid 1');
      check('ContainerStatus', 'status.user.linux.gid (policy Strict)', user?.gid, USER_GID).equals(s['Gid']?.[0], 'the gid of pid 1');
      check('ContainerStatus', 'status.user.linux.supplemental_groups (policy Strict)', user?.supplemental_groups, USER_GROUPS).sameMembers(s['Groups'] ?? [], 'the groups pid 1 really has');
      check('ExecSync', 'id -G (exec, policy Strict)', words(await out(t, id, ['id', '-G'])), EXEC_AS_CONTAINER).sameMembers(['1001', '1234'], 'an exec runs with the groups Strict gives the container, not crgroup 1005');
    });
  });

  describe('Image USER', () => {
    it('runtime should run the image\'s USER when the config names no user [Conformance]', async (t) => {
      for (const [image, uid] of IMAGE_USERS) {
        const id = await idContainer(t, image, {});
        const s = await procStatus(t, id);
        check('ExecSync', `Uid of pid 1 (/proc/1/status, image ${image}, no run_as_user)`, s['Uid'], IMAGE_UID).equals(all4(uid));
        // What ImageStatus reports of the USER is who the container runs as: its uid, or (USER by name) its name.
        const img = (await t.cri.image.call('ImageStatus', { image: { image: await testImage(t, image) } })).image;
        if (img?.uid) check('ImageStatus', `image.uid (image ${image})`, img.uid.value, REPORTED_UID).equals(s['Uid']?.[0], 'the uid its container runs as');
        else check('ImageStatus', `image.username (image ${image})`, img?.username, REPORTED_USERNAME).equals((await out(t, id, ['id', '-un'])).trim(), 'the user its container runs as');
      }
    });

    it('runtime should give the image\'s USER the group it names, else its /etc/passwd group, else 0 [Strict]', async (t) => {
      for (const [image, , gid] of IMAGE_USERS) {
        const s = await procStatus(t, await idContainer(t, image, {}));
        check('ExecSync', `Gid of pid 1 (/proc/1/status, image ${image}, no run_as_group)`, s['Gid'], IMAGE_GID).equals(all4(gid));
      }
    });

    it('runtime should give the image\'s USER the groups the image\'s /etc/group gives it, and not root\'s [Conformance] [Strict]', async (t) => {
      const id = await idContainer(t, 'user-name', {});
      const s = await procStatus(t, id);
      check('ExecSync', 'Groups of pid 1 (/proc/1/status, image USER cruser)', s['Groups'], MERGE).includes('1005', 'cruser is a member of crgroup 1005 in the image\'s /etc/group');
      check('ExecSync', 'Groups of pid 1 (/proc/1/status, image USER cruser)', s['Groups'], MERGE).excludes('0', 'root\'s group is not cruser\'s (containerd before 1.6.18 gave it: CVE-2023-25173)');
    });

    it('runtime should let run_as_user, including 0, and run_as_group override the image\'s USER [Conformance]', async (t) => {
      const over = await idContainer(t, 'user-uid-gid', { run_as_user: { value: '1001' }, run_as_group: { value: '2002' } });
      const s = await procStatus(t, over);
      check('ExecSync', 'Uid of pid 1 (/proc/1/status, image USER 1003:1004, run_as_user=1001)', s['Uid'], RUN_AS_USER).equals(all4('1001'));
      check('ExecSync', 'Gid of pid 1 (/proc/1/status, image USER 1003:1004, run_as_group=2002)', s['Gid'], RUN_AS_GROUP).equals(all4('2002'));
      // run_as_user 0 is a value, not "unset": the kubelet sends it for runAsUser: 0.
      const root = await idContainer(t, 'nonroot', { run_as_user: { value: '0' } });
      check('ExecSync', 'Uid of pid 1 (/proc/1/status, image USER 1001, run_as_user=0)', (await procStatus(t, root))['Uid'], RUN_AS_USER).equals(all4('0'));
    });
  });
});

// ---- helpers only this suite needs ----

const all4 = (id: string): string[] => [id, id, id, id];
/** Logical image -> [uid, gid] of its USER: 1002 (not in /etc/passwd: gid 0), cruser, 1003:1004, 1001. */
const IMAGE_USERS: [string, string, string][] = [['user-uid', '1002', '0'], ['user-name', '1001', '1001'], ['user-uid-gid', '1003', '1004'], ['nonroot', '1001', '1001']];
const words = (s: string): string[] => s.trim().split(/\s+/).filter(Boolean);

const sc = (fields: LinuxContainerSecurityContext): ContainerOption => (c) => {
  c.linux = { ...c.linux, security_context: { ...c.linux?.security_context, ...fields } };
};
const ctr = (prefix: string, ref: string, ...opts: ContainerOption[]) => containerConfig(prefix, ref, withKubeletNamespaces(), withShell('sleep 3600'), ...opts);

/** A running container of this image with these security-context fields, in a pod of its own. */
async function idContainer(t: TestContext, image: string, fields: LinuxContainerSecurityContext): Promise<string> {
  const ref = await testImage(t, image);
  const sb = await containerPod(t);
  return runContainer(t, sb, ctr('ident', ref, sc(fields)));
}

/** ExecSync stdout; the exec itself must work (its failure is not what these tests judge). */
async function out(t: TestContext, id: string, cmd: string[]): Promise<string> {
  const r = await execSync(t, id, cmd);
  if (r.exitCode !== 0) throw new Error(`ExecSync: ${cmd.join(' ')} exited ${r.exitCode}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function removeQuietly(t: TestContext, id: string): Promise<void> {
  await t.cri.runtime.call('RemoveContainer', { container_id: id }).catch(() => undefined);
}

/** Skips unless the runtime reports SupplementalGroupsPolicy support (StatusResponse.features, v1 only), as the kubelet reads it. */
async function requireSupplementalGroupsPolicy(t: TestContext): Promise<void> {
  if (t.run.negotiation.runtime !== 'v1') skip(`runtime.${t.run.negotiation.runtime} has no SupplementalGroupsPolicy, StatusResponse.features or ContainerStatus.user`);
  const res = await t.cri.runtime.call('Status', { verbose: false });
  if (!res.features?.supplemental_groups_policy) {
    skip('the runtime does not report features.supplemental_groups_policy in StatusResponse (KEP-3619); the kubelet then rejects pods that ask for supplementalGroupsPolicy Strict');
  }
}
