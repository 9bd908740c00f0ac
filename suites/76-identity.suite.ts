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

export default defineSuite(({ describe, it }) => {
  describe('Users and groups', () => {
    it('runtime should run the process as run_as_user, with the primary group and groups the image gives that user [Conformance]', async (t) => {
      const id = await idContainer(t, 'busybox', { run_as_user: { value: '1001' } });
      const s = await procStatus(t, id);
      check('ExecSync', 'Uid of pid 1 (/proc/1/status, run_as_user=1001)', s['Uid']).equals(all4('1001'));
      check('ExecSync', 'Gid of pid 1 (/proc/1/status, run_as_user=1001: cruser\'s group in the image\'s /etc/passwd)', s['Gid']).equals(all4('1001'));
      check('ExecSync', 'Groups of pid 1 (/proc/1/status, run_as_user=1001: cruser is a member of crgroup 1005 in the image\'s /etc/group)', s['Groups']).includes('1005');
      check('ExecSync', 'id -G (exec, run_as_user=1001)', words(await out(t, id, ['id', '-G']))).sameMembers(s['Groups'] ?? [], 'an exec runs with the groups of the container\'s process');
    });

    it('runtime should resolve run_as_username through the image\'s /etc/passwd [Conformance]', async (t) => {
      const id = await idContainer(t, 'busybox', { run_as_username: 'cruser' });
      const s = await procStatus(t, id);
      check('ExecSync', 'Uid of pid 1 (/proc/1/status, run_as_username=cruser, uid 1001 in /etc/passwd)', s['Uid']).equals(all4('1001'));
      check('ExecSync', 'Gid of pid 1 (/proc/1/status, run_as_username=cruser, gid 1001 in /etc/passwd)', s['Gid']).equals(all4('1001'));
      check('ExecSync', 'id -un (exec, run_as_username=cruser)', (await out(t, id, ['id', '-un'])).trim()).equals('cruser');
    });

    it('runtime should run the process with run_as_group as its primary group [Conformance]', async (t) => {
      const id = await idContainer(t, 'busybox', { run_as_user: { value: '1001' }, run_as_group: { value: '2002' } });
      const s = await procStatus(t, id);
      check('ExecSync', 'Gid of pid 1 (/proc/1/status, run_as_user=1001 run_as_group=2002)', s['Gid']).equals(all4('2002'));
      check('ExecSync', 'Uid of pid 1 (/proc/1/status, run_as_user=1001 run_as_group=2002)', s['Uid']).equals(all4('1001'));
      check('ExecSync', 'id -g (exec, run_as_group=2002)', (await out(t, id, ['id', '-g'])).trim()).equals('2002');
    });

    it('runtime should reject run_as_group without run_as_user or run_as_username [Conformance]', async (t) => {
      const ref = await testImage(t);
      const sb = await containerPod(t);
      const cfg = labelled(t, ctr('grp-only', ref, sc({ run_as_group: { value: '2002' } })));
      await expectRpcError('CreateContainer (run_as_group=2002 without a user)', () => t.cri.runtime.call('CreateContainer', { pod_sandbox_id: sb.id, config: cfg, sandbox_config: sb.config }),
        'a group without a user is invalid (the kubelet validates the same)', (res) => t.defer(`container ${res.container_id}`, () => removeQuietly(t, res.container_id)));
    });

    it('runtime should add supplemental_groups to the groups of the container\'s processes [Conformance]', async (t) => {
      const id = await idContainer(t, 'busybox', { supplemental_groups: ['1234', '5678'] });
      const s = await procStatus(t, id);
      for (const g of ['1234', '5678']) check('ExecSync', `Groups of pid 1 (/proc/1/status, supplemental_groups=[1234,5678])`, s['Groups']).includes(g);
      const exec = words(await out(t, id, ['id', '-G']));
      for (const g of ['1234', '5678']) check('ExecSync', 'id -G (exec, supplemental_groups=[1234,5678])', exec).includes(g);
    });

    it('runtime should add supplemental_groups to those of run_as_user and keep its primary group [Conformance]', async (t) => {
      const id = await idContainer(t, 'busybox', { run_as_user: { value: '1001' }, supplemental_groups: ['1234'] });
      const s = await procStatus(t, id);
      check('ExecSync', 'Groups of pid 1 (/proc/1/status, run_as_user=1001 supplemental_groups=[1234])', s['Groups']).sameMembers(['1001', '1005', '1234'],
        'cruser\'s own group, crgroup from the image\'s /etc/group, and the supplemental group');
      check('ExecSync', 'Gid of pid 1 (/proc/1/status, run_as_user=1001 supplemental_groups=[1234])', s['Gid']).equals(all4('1001'), 'supplemental groups never change the primary group');
    });
  });

  describe('SupplementalGroupsPolicy', () => {
    it('runtime should merge the groups of the image\'s /etc/group with supplemental_groups (Merge) and report them in ContainerStatus.user [Feature:SupplementalGroupsPolicy]', async (t) => {
      await requireSupplementalGroupsPolicy(t);
      const id = await idContainer(t, 'busybox', { run_as_user: { value: '1001' }, supplemental_groups: ['1234'], supplemental_groups_policy: 'Merge' });
      const s = await procStatus(t, id);
      check('ExecSync', 'Groups of pid 1 (/proc/1/status, policy Merge)', s['Groups']).sameMembers(['1001', '1005', '1234'], 'Merge keeps crgroup 1005 from the image\'s /etc/group');
      const user = (await containerStatus(t, id)).user?.linux;
      check('ContainerStatus', 'status.user.linux.uid (policy Merge)', user?.uid).equals('1001');
      check('ContainerStatus', 'status.user.linux.gid (policy Merge)', user?.gid).equals('1001');
      check('ContainerStatus', 'status.user.linux.supplemental_groups (policy Merge)', user?.supplemental_groups).sameMembers(['1001', '1005', '1234'], 'the groups the process really has');
    });

    it('runtime should ignore the image\'s /etc/group under Strict and report the groups in ContainerStatus.user [Feature:SupplementalGroupsPolicy]', async (t) => {
      await requireSupplementalGroupsPolicy(t);
      const id = await idContainer(t, 'busybox', { run_as_user: { value: '1001' }, supplemental_groups: ['1234'], supplemental_groups_policy: 'Strict' });
      const s = await procStatus(t, id);
      check('ExecSync', 'Groups of pid 1 (/proc/1/status, policy Strict)', s['Groups']).sameMembers(['1001', '1234'], 'Strict: only the primary group and supplemental_groups, not crgroup 1005 from /etc/group');
      const user = (await containerStatus(t, id)).user?.linux;
      check('ContainerStatus', 'status.user.linux.uid (policy Strict)', user?.uid).equals('1001');
      check('ContainerStatus', 'status.user.linux.gid (policy Strict)', user?.gid).equals('1001');
      check('ContainerStatus', 'status.user.linux.supplemental_groups (policy Strict)', user?.supplemental_groups).sameMembers(['1001', '1234'], 'the groups the process really has');
    });
  });

  describe('Image USER', () => {
    it('runtime should run the image\'s USER when the config names no user [Conformance]', async (t) => {
      // logical image -> [uid, gid]: USER 1002 (not in /etc/passwd: gid 0), cruser, 1003:1004, 1001.
      const cases: [string, string, string][] = [['user-uid', '1002', '0'], ['user-name', '1001', '1001'], ['user-uid-gid', '1003', '1004'], ['nonroot', '1001', '1001']];
      for (const [image, uid, gid] of cases) {
        const id = await idContainer(t, image, {});
        const s = await procStatus(t, id);
        check('ExecSync', `Uid of pid 1 (/proc/1/status, image ${image}, no run_as_user)`, s['Uid']).equals(all4(uid));
        check('ExecSync', `Gid of pid 1 (/proc/1/status, image ${image}, no run_as_group)`, s['Gid']).equals(all4(gid));
      }
    });

    it('runtime should give the image\'s USER the groups the image\'s /etc/group gives it, and not root\'s [Conformance] [Strict]', async (t) => {
      const id = await idContainer(t, 'user-name', {});
      const s = await procStatus(t, id);
      check('ExecSync', 'Groups of pid 1 (/proc/1/status, image USER cruser)', s['Groups']).includes('1005', 'cruser is a member of crgroup 1005 in the image\'s /etc/group');
      check('ExecSync', 'Groups of pid 1 (/proc/1/status, image USER cruser)', s['Groups']).excludes('0', 'root\'s group is not cruser\'s (containerd before 1.6.18 gave it: CVE-2023-25173)');
    });

    it('runtime should let run_as_user, including 0, and run_as_group override the image\'s USER [Conformance]', async (t) => {
      const over = await idContainer(t, 'user-uid-gid', { run_as_user: { value: '1001' }, run_as_group: { value: '2002' } });
      const s = await procStatus(t, over);
      check('ExecSync', 'Uid of pid 1 (/proc/1/status, image USER 1003:1004, run_as_user=1001)', s['Uid']).equals(all4('1001'));
      check('ExecSync', 'Gid of pid 1 (/proc/1/status, image USER 1003:1004, run_as_group=2002)', s['Gid']).equals(all4('2002'));
      // run_as_user 0 is a value, not "unset": the kubelet sends it for runAsUser: 0.
      const root = await idContainer(t, 'nonroot', { run_as_user: { value: '0' } });
      check('ExecSync', 'Uid of pid 1 (/proc/1/status, image USER 1001, run_as_user=0)', (await procStatus(t, root))['Uid']).equals(all4('0'));
    });
  });
});

// ---- helpers only this suite needs ----

const all4 = (id: string): string[] => [id, id, id, id];
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
