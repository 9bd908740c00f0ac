// AppArmor and SELinux: the LSM confinement the kubelet asks for (security_context.apparmor and the deprecated
// apparmor_profile string; selinux_options) must be what the container's processes really run under. Checks
// read the process label in /proc/self/attr/current, the mount labels in /proc/1/mountinfo, and whether a
// write the profile denies fails. A node without the LSM skips these tests, naming the evidence.
import { status as Status } from '@grpc/grpc-js';
import {
  defineSuite, check, failWith, skip, runSandbox, runContainer, createContainer, startContainer, execSync, podSandboxConfig, containerConfig,
  withCommand, testImage, cri, opinion, type TestContext, type ContainerOption, type Sandbox, type Basis,
} from '../src/framework/index.js';
import { RpcError, UnimplementedError } from '../src/cri/errors.js';
import {
  UNCONFINED, localhost, withApparmor, withApparmorPath, withSelinux, withPrivilegedContainer, withPrivilegedSandbox,
  requireHostFeature,
} from '../src/framework/security-profiles.js';

const DENY_WRITE = 'crc-apparmor-deny-write';
const AUDIT_WRITE = 'crc-apparmor-audit-write';
const UNLOADED = 'crc-apparmor-not-loaded';
// Two profiles that differ only in what a write does: denied, or allowed and audited.
const APPARMOR_PROFILES = `#include <tunables/global>
profile ${DENY_WRITE} flags=(attach_disconnected) {
  #include <abstractions/base>
  file,
  deny /** w,
}
profile ${AUDIT_WRITE} flags=(attach_disconnected) {
  #include <abstractions/base>
  file,
  audit /** w,
}
`;

// What the checks rest on (api.proto of cri-api v0.36). The CRI names no SELinux types or categories and says
// nothing on which AppArmor field wins when the two disagree (the kubelet always sends them alike): those tests
// are [Strict], on our opinion.
const APPARMOR_LOCALHOST = cri('LinuxContainerSecurityContext.apparmor.localhost_ref', 'Indicates that a pre-defined profile on the node should be used. … For AppArmor, this field is the AppArmor `<profile name>/`', 'effect', ['LinuxContainerSecurityContext.apparmor.profile_type']);
const APPARMOR_PATH = cri('LinuxContainerSecurityContext.apparmor_profile', 'localhost/<profile_name>: profile loaded on the node (localhost) by name.', 'effect');
const APPARMOR_FIELD_WINS = opinion('a deprecated field yields to the one that replaced it when both are set and disagree (critest\'s "prefer new apparmor field" specs; kubernetes#123811 calls containerd\'s preferring the newer field "correct"); the CRI does not say, and the kubelet always sends the two alike');
const SELINUX = cri('LinuxContainerSecurityContext.selinux_options', 'SELinux context to be optionally applied.', 'effect');
// The process label compared, part by part, with what selinux_options sent.
const SELINUX_LEVEL = cri('LinuxContainerSecurityContext.selinux_options.level', 'SELinuxOption are the labels to be applied to the container.', 'effect');
const SELINUX_LABEL = cri('LinuxContainerSecurityContext.selinux_options.user', 'SELinuxOption are the labels to be applied to the container.', 'effect', [
  'LinuxContainerSecurityContext.selinux_options.role', 'LinuxContainerSecurityContext.selinux_options.type', 'LinuxContainerSecurityContext.selinux_options.level',
]);
const MALFORMED_PRIVILEGED = opinion('a malformed label is refused even where privileged lets the runtime ignore selinux_options ("MAY have no effect"): accepting it silently hides a broken request');
const SELINUX_DEFAULTS = opinion('with no SELinux options the runtime confines a container as container-selinux defines (container_t / spc_t processes, container_file_t files, a pair of MCS categories per pod, shared by its containers), as containerd and CRI-O both do; the CRI names none of it');

/** The LSM label of an exec'd process in the container (AppArmor: "name (mode)"; SELinux: user:role:type:level). */
async function processLabel(t: TestContext, id: string, basis: Basis): Promise<string> {
  const r = await execSync(t, id, ['cat', '/proc/self/attr/current']);
  if (r.exitCode !== 0) failWith(`ExecSync (cat /proc/self/attr/current): expected the process's LSM label, got exit code ${r.exitCode}: ${JSON.stringify(r.stderr.trim())}`, basis);
  return r.stdout.replace(/\0/g, '').trim();
}

/** An error answer (not a lost connection or a deadline) is the runtime refusing the request. */
async function refusedBy(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return false;
  } catch (e) {
    if (e instanceof RpcError && !(e instanceof UnimplementedError) && e.code !== Status.DEADLINE_EXCEEDED && e.code !== Status.UNAVAILABLE) return true;
    throw e;
  }
}

/** CreateContainer or StartContainer must refuse the container: the CRI does not say which of the two. */
async function expectRefused(t: TestContext, sb: Sandbox, cfg: Parameters<typeof createContainer>[2], label: string, why: string, basis: Basis): Promise<void> {
  let id = '';
  if (await refusedBy(async () => void (id = await createContainer(t, sb, cfg)))) return;
  if (await refusedBy(() => startContainer(t, id))) return;
  failWith(`CreateContainer and StartContainer (${label}): expected an error (${why}), got success`, basis);
}

/** Whether a write into the container's filesystem works. */
async function tryWrite(t: TestContext, id: string, file: string): Promise<{ ok: boolean; out: string }> {
  const r = await execSync(t, id, ['touch', file]);
  return { ok: r.exitCode === 0, out: `${r.stderr}${r.stdout}`.trim() };
}

async function sleeper(t: TestContext, sb: Sandbox, prefix: string, ...opts: ContainerOption[]): Promise<string> {
  return runContainer(t, sb, containerConfig(prefix, await testImage(t), withCommand('sleep', '3600'), ...opts));
}

/** An AppArmor test's pod, after the test profiles are loaded. */
async function apparmorPod(t: TestContext): Promise<Sandbox> {
  const h = requireHostFeature(t, 'apparmor');
  // Loading needs apparmor_parser on the node (as root): without it these tests cannot run here.
  await h.loadAppArmorProfiles(APPARMOR_PROFILES).catch((e: Error) => skip(`cannot load the AppArmor test profiles on this node: ${e.message}`));
  t.defer('AppArmor test profiles', () => h.unloadAppArmorProfiles(APPARMOR_PROFILES));
  return runSandbox(t, podSandboxConfig('apparmor'));
}

async function expectUnloadedRefused(t: TestContext, field: string, basis: Basis, ...opts: ContainerOption[]): Promise<void> {
  const sb = await apparmorPod(t);
  const cfg = containerConfig('apparmor', await testImage(t), withCommand('sleep', '3600'), ...opts);
  await expectRefused(t, sb, cfg, field, `profile ${UNLOADED} is not loaded on the node`, basis);
}

/** The container runs under `profile` in enforce mode, and writes are denied (deny-write) or allowed (audit-write). */
async function expectAppArmor(t: TestContext, field: string, profile: string, basis: Basis, ...opts: ContainerOption[]): Promise<void> {
  const sb = await apparmorPod(t);
  const id = await sleeper(t, sb, 'apparmor', ...opts);
  const want = profile === 'unconfined' ? 'unconfined' : `${profile} (enforce)`;
  check('ExecSync (cat /proc/self/attr/current)', `AppArmor profile of a process in the container under ${field}`, await processLabel(t, id, basis), basis).equals(want);
  const w = await tryWrite(t, id, '/tmp/crc-apparmor');
  if (profile === DENY_WRITE) {
    if (w.ok) failWith(`ExecSync (touch /tmp/crc-apparmor): expected the write to be denied (${field}: profile ${DENY_WRITE} denies writes), got success`, basis);
  } else {
    check('ExecSync (touch /tmp/crc-apparmor)', 'exit_code', w.ok ? 0 : 1, basis).equals(0, `${field}: profile ${profile} allows writes; output ${JSON.stringify(w.out)}`);
  }
}

const dep = (name: string) => `localhost/${name}`;

// SELinux ------------------------------------------------------------------------------------------------
const MCS = /:s0(-s0)?:c[0-9]+(,c[0-9]+)+$/;
const PRIVILEGED_LEVEL = /:s0(-s0)?(:c0\.c1023)?$/;

async function selinuxPod(t: TestContext, privileged: boolean): Promise<Sandbox> {
  requireHostFeature(t, 'selinux');
  return runSandbox(t, podSandboxConfig('selinux', ...(privileged ? [withPrivilegedSandbox()] : [])));
}

const selinuxOpts = (privileged: boolean, ...more: ContainerOption[]): ContainerOption[] => [...(privileged ? [withPrivilegedContainer()] : []), ...more];

async function expectWritable(t: TestContext, id: string, field: string): Promise<void> {
  const w = await tryWrite(t, id, 'crc-selinux');
  check('ExecSync (touch crc-selinux)', 'exit_code', w.ok ? 0 : 1, SELINUX).equals(0, `a container under ${field} must be able to write its own filesystem; output ${JSON.stringify(w.out)}`);
}

async function mountinfo(t: TestContext, id: string): Promise<string> {
  const r = await execSync(t, id, ['cat', '/proc/1/mountinfo']);
  if (r.exitCode !== 0) failWith(`ExecSync (cat /proc/1/mountinfo): expected the container's mount table, got exit code ${r.exitCode}: ${JSON.stringify(r.stderr.trim())}`, SELINUX_DEFAULTS);
  return r.stdout;
}

export default defineSuite(({ describe, it }) => {
  // Which field the kubelet sends (fixtures/profiles.yaml): apparmor_profile alone through 1.29
  // (AppArmorProfilePath), the structured field beside it, alike, from 1.30 (AppArmorField).
  describe('AppArmor (deprecated apparmor_profile)', () => {
    it('runtime should refuse a container whose apparmor_profile is not loaded [Feature:AppArmorProfilePath]', (t) =>
      expectUnloadedRefused(t, `apparmor_profile "${dep(UNLOADED)}"`, APPARMOR_PATH, withApparmorPath(dep(UNLOADED))));
    it('runtime should enforce an apparmor_profile that denies writes [Feature:AppArmorProfilePath]', (t) =>
      expectAppArmor(t, `apparmor_profile "${dep(DENY_WRITE)}"`, DENY_WRITE, APPARMOR_PATH, withApparmorPath(dep(DENY_WRITE))));
    it('runtime should run a container under a permissive (audit-only) apparmor_profile [Feature:AppArmorProfilePath]', (t) =>
      expectAppArmor(t, `apparmor_profile "${dep(AUDIT_WRITE)}"`, AUDIT_WRITE, APPARMOR_PATH, withApparmorPath(dep(AUDIT_WRITE))));
  });

  describe('AppArmor (apparmor field)', () => {
    it('runtime should refuse a container whose apparmor Localhost profile is not loaded [Conformance] [Feature:AppArmorField]', (t) =>
      expectUnloadedRefused(t, `apparmor Localhost "${UNLOADED}"`, APPARMOR_LOCALHOST, withApparmor(localhost(UNLOADED))));
    it('runtime should enforce an apparmor Localhost profile that denies writes [Conformance] [Feature:AppArmorField]', (t) =>
      expectAppArmor(t, `apparmor Localhost "${DENY_WRITE}"`, DENY_WRITE, APPARMOR_LOCALHOST, withApparmor(localhost(DENY_WRITE))));
    it('runtime should run a container under a permissive (audit-only) apparmor Localhost profile [Conformance] [Feature:AppArmorField]', (t) =>
      expectAppArmor(t, `apparmor Localhost "${AUDIT_WRITE}"`, AUDIT_WRITE, APPARMOR_LOCALHOST, withApparmor(localhost(AUDIT_WRITE))));
  });

  // When the two fields disagree the structured one decides: our opinion (the kubelet sends them alike).
  describe('AppArmor (apparmor field wins over apparmor_profile)', () => {
    it('runtime should refuse a container when both fields name a profile that is not loaded [Conformance] [Feature:AppArmorField]', (t) =>
      expectUnloadedRefused(t, `apparmor Localhost "${UNLOADED}" and apparmor_profile "${dep(UNLOADED)}"`, APPARMOR_LOCALHOST, withApparmorPath(dep(UNLOADED)), withApparmor(localhost(UNLOADED))));
    it('runtime should enforce the apparmor field\'s deny-write profile over an unloaded apparmor_profile [Strict] [Feature:AppArmorField]', (t) =>
      expectAppArmor(t, `apparmor Localhost "${DENY_WRITE}" (apparmor_profile "${dep(UNLOADED)}")`, DENY_WRITE, APPARMOR_FIELD_WINS, withApparmorPath(dep(UNLOADED)), withApparmor(localhost(DENY_WRITE))));
    it('runtime should run under the apparmor field\'s audit-only profile over an unloaded apparmor_profile [Strict] [Feature:AppArmorField]', (t) =>
      expectAppArmor(t, `apparmor Localhost "${AUDIT_WRITE}" (apparmor_profile "${dep(UNLOADED)}")`, AUDIT_WRITE, APPARMOR_FIELD_WINS, withApparmorPath(dep(UNLOADED)), withApparmor(localhost(AUDIT_WRITE))));
    it('runtime should run a container unconfined when the apparmor field says Unconfined, whatever apparmor_profile says [Strict] [Feature:AppArmorField]', (t) =>
      expectAppArmor(t, `apparmor Unconfined (apparmor_profile "${dep(DENY_WRITE)}")`, 'unconfined', APPARMOR_FIELD_WINS, withApparmorPath(dep(DENY_WRITE)), withApparmor(UNCONFINED)));
  });

  for (const privileged of [false, true]) {
    const pod = privileged ? 'privileged' : 'unprivileged';
    describe(`SELinux (${pod} pod)`, () => {
      it('runtime should run a container with just the SELinux level set, able to write', async (t) => {
        const sb = await selinuxPod(t, privileged);
        const id = await sleeper(t, sb, 'selinux', ...selinuxOpts(privileged, withSelinux({ level: 's0' })));
        const field = `selinux_options {level: "s0"}${privileged ? ', privileged' : ''}`;
        if (!privileged) check('ExecSync (cat /proc/self/attr/current)', `SELinux level of a process in the container under ${field}`, (await processLabel(t, id, SELINUX)).split(':').slice(3).join(':'), SELINUX_LEVEL).equals('s0');
        await expectWritable(t, id, field);
      });

      it('runtime should run a container with SELinux user, role, type and level set, able to write', async (t) => {
        const sb = await selinuxPod(t, privileged);
        const opts = { user: 'system_u', role: 'system_r', type: 'svirt_lxc_net_t', level: 's0:c4,c5' };
        const id = await sleeper(t, sb, 'selinux', ...selinuxOpts(privileged, withSelinux(opts)));
        const field = `selinux_options ${JSON.stringify(opts)}${privileged ? ', privileged' : ''}`;
        // svirt_lxc_net_t is an alias of container_t in container-selinux: the kernel reports either name.
        if (!privileged) check('ExecSync (cat /proc/self/attr/current)', `SELinux label of a process in the container under ${field}`, await processLabel(t, id, SELINUX), SELINUX_LABEL).matches(/^system_u:system_r:(svirt_lxc_net_t|container_t):s0:c4,c5$/);
        await expectWritable(t, id, field);
      });

      // A label that cannot be applied as given: CreateContainer or StartContainer must say so. A privileged
      // container's selinux_options "MAY have no effect" (LinuxContainerSecurityContext.privileged): there the
      // refusal is our opinion.
      it(`runtime should refuse a container with a malformed SELinux level (s0,c4,c5)${privileged ? ' [Strict]' : ''}`, async (t) => {
        const sb = await selinuxPod(t, privileged);
        const cfg = containerConfig('selinux', await testImage(t), withCommand('sleep', '3600'),
          ...selinuxOpts(privileged, withSelinux({ user: 'system_u', role: 'system_r', type: 'svirt_lxc_net_t', level: 's0,c4,c5' })));
        await expectRefused(t, sb, cfg, 'selinux_options.level "s0,c4,c5"', 'the level is malformed: categories follow a colon', privileged ? MALFORMED_PRIVILEGED : SELINUX);
      });

      it('runtime should label the container\'s mounts with role object_r and type container_file_t [Strict]', async (t) => {
        const id = await sleeper(t, await selinuxPod(t, privileged), 'selinux', ...selinuxOpts(privileged));
        check('ExecSync (cat /proc/1/mountinfo)', `context= of the container's mounts${privileged ? ' (privileged)' : ''}`, await mountinfo(t, id), SELINUX_DEFAULTS).includes(':object_r:container_file_t:');
      });

      it('runtime should label the container\'s mounts with level s0 and two or more MCS categories [Strict]', async (t) => {
        const id = await sleeper(t, await selinuxPod(t, privileged), 'selinux', ...selinuxOpts(privileged));
        check('ExecSync (cat /proc/1/mountinfo)', `context= of the container's mounts${privileged ? ' (privileged)' : ''}`, await mountinfo(t, id), SELINUX_DEFAULTS).matches(/,context="[^"]*:s0(-s0)?:c[0-9]+(,c[0-9]+)+",/);
      });

      it(`runtime should run the container's processes with role system_r and type ${privileged ? 'spc_t' : 'container_t'} [Strict]`, async (t) => {
        const id = await sleeper(t, await selinuxPod(t, privileged), 'selinux', ...selinuxOpts(privileged));
        check('ExecSync (cat /proc/self/attr/current)', `SELinux label of a process in the container${privileged ? ' (privileged)' : ''}`, await processLabel(t, id, SELINUX_DEFAULTS), SELINUX_DEFAULTS)
          .includes(privileged ? ':system_r:spc_t:' : ':system_r:container_t:');
      });

      it(`runtime should run the container's processes at level s0 with ${privileged ? 'all or no categories' : 'two or more MCS categories'} [Strict]`, async (t) => {
        const id = await sleeper(t, await selinuxPod(t, privileged), 'selinux', ...selinuxOpts(privileged));
        check('ExecSync (cat /proc/self/attr/current)', `SELinux level of a process in the container${privileged ? ' (privileged)' : ''}`, await processLabel(t, id, SELINUX_DEFAULTS), SELINUX_DEFAULTS)
          .matches(privileged ? PRIVILEGED_LEVEL : MCS);
      });

      it('runtime should give two containers of one pod the same process label [Strict]', async (t) => {
        const sb = await selinuxPod(t, privileged);
        const a = await processLabel(t, await sleeper(t, sb, 'selinux-a', ...selinuxOpts(privileged)), SELINUX_DEFAULTS);
        const b = await processLabel(t, await sleeper(t, sb, 'selinux-b', ...selinuxOpts(privileged)), SELINUX_DEFAULTS);
        check('ExecSync (cat /proc/self/attr/current)', `SELinux label of the second container of the pod${privileged ? ' (privileged)' : ''}`, b, SELINUX_DEFAULTS).equals(a, 'containers of one pod share its label');
      });
    });
  }

  describe('SELinux (two unprivileged pods)', () => {
    it('runtime should give containers of two pods different process labels [Strict]', async (t) => {
      const a = await processLabel(t, await sleeper(t, await selinuxPod(t, false), 'selinux-a'), SELINUX_DEFAULTS);
      const b = await processLabel(t, await sleeper(t, await selinuxPod(t, false), 'selinux-b'), SELINUX_DEFAULTS);
      check('ExecSync (cat /proc/self/attr/current)', 'SELinux label of a container in another pod', b, SELINUX_DEFAULTS).notEquals(a, 'each pod gets its own MCS categories');
      check('ExecSync (cat /proc/self/attr/current)', 'SELinux level of a container in another pod', b, SELINUX_DEFAULTS).matches(MCS);
    });
  });
});
