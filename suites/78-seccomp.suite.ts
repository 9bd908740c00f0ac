// Seccomp: the syscall filter the kubelet asks for in security_context.seccomp (and, before it, the string
// seccomp_profile_path) must be the one the container's processes really run under. Every check reads the
// truth inside the container: the Seccomp: mode in /proc/<pid>/status (0 none, 2 filter) and the errno of a
// syscall the profile blocks.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  defineSuite, check, failWith, skip, runSandbox, containerPod, runContainer, execSync, podSandboxConfig, containerConfig,
  withCommand, testImage, tempDir, cri, kubelet, opinion, type TestContext, type ContainerOption, type SandboxOption, type Sandbox,
  type Basis,
} from '../src/framework/index.js';
import {
  RUNTIME_DEFAULT, UNCONFINED, localhost, withSeccomp, withSeccompPath, withSandboxSeccomp, withPrivilegedContainer,
  withPrivilegedSandbox, withAddedCapabilities, withSharedPid, withSharedPidContainer, requireHostFeature,
} from '../src/framework/security-profiles.js';
import { startWithinHostLimits } from '../src/framework/host.js';

const EPERM = 'Operation not permitted';
const ENOSYS = 'Function not implemented';
// Our own profiles: allow everything but the named syscalls, which fail with EPERM (SCMP_ACT_ERRNO's default).
const blocking = (...names: string[]) => JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names, action: 'SCMP_ACT_ERRNO' }] });
const BLOCK_MKDIR = blocking('mkdir', 'mkdirat');
const BLOCK_SETHOSTNAME = blocking('sethostname');

// What each check rests on (api.proto of cri-api v0.36; the proto in proto/ keeps only the places).
const UNCONFINED_BASIS = cri('LinuxContainerSecurityContext.seccomp.profile_type', 'Unconfined: "Disable the feature for the sandbox or the container."', 'effect');
const RUNTIME_DEFAULT_BASIS = cri('LinuxContainerSecurityContext.seccomp.profile_type', 'RuntimeDefault: "The container runtime default profile should be used."', 'effect');
const LOCALHOST_BASIS = cri('LinuxContainerSecurityContext.seccomp.localhost_ref', 'Indicates that a pre-defined profile on the node should be used. … For seccomp, it must be an absolute path to the seccomp profile.', 'effect');
const NIL_BASIS = cri('LinuxContainerSecurityContext.seccomp_profile_path', 'Default: "", which is identical with unconfined.', 'effect');
const PRIVILEGED_BASIS = cri('LinuxContainerSecurityContext.privileged', 'Privileged mode implies … 1. All capabilities are added. … 5. Seccomp restrictions are not applied.', 'effect');
const CAPS_BASIS = cri('Capability.add_capabilities', 'List of capabilities to add.', 'effect');
const SANDBOX_BASIS = cri('LinuxSandboxSecurityContext.seccomp', 'Seccomp profile for the sandbox.', 'effect');
const SANDBOX_KUBELET = kubelet('kuberuntime_sandbox.go generatePodSandboxLinuxConfig', 'always sets LinuxSandboxSecurityContext.seccomp to RuntimeDefault ("allow users to use least privileged seccomp profiles at pod level")');
const PATH_BASIS = cri('LinuxContainerSecurityContext.seccomp_profile_path', 'runtime/default: the default profile for the container runtime; unconfined: … no seccomp sandboxing; localhost/<full-path-to-profile>: the profile installed on the node.', 'effect');
const UNSHARE_OPINION = opinion('the CRI leaves RuntimeDefault\'s contents to the runtime; the default profiles of containerd, CRI-O and Docker all deny unshare without CAP_SYS_ADMIN, and a RuntimeDefault that lets it through is a weaker sandbox than the pod asked for');

/** Writes a seccomp profile into a host directory of this test; returns its absolute path (the localhost_ref). */
async function profileFile(t: TestContext, name: string, json: string): Promise<string> {
  const file = path.join(await tempDir(t, 'seccomp'), `${name}.json`);
  await writeFile(file, json, { mode: 0o644 });
  return file;
}

/** A pod and a long-running busybox container in it, both with these options. */
async function probe(t: TestContext, ctr: ContainerOption[], sb: SandboxOption[] = [], pod?: Sandbox): Promise<{ sb: Sandbox; id: string }> {
  requireHostFeature(t, 'seccomp');
  const ref = await testImage(t);
  const sandbox = pod ?? (sb.length ? await startWithinHostLimits(t, 'the sandbox', () => runSandbox(t, podSandboxConfig('seccomp', ...sb))) : await containerPod(t));
  const id = await startWithinHostLimits(t, 'the container', () => runContainer(t, sandbox, containerConfig('seccomp', ref, withCommand('sleep', '3600'), ...ctr)));
  return { sb: sandbox, id };
}

/** The seccomp mode the kernel reports for PID `pid` as seen in the container, and for the exec'd reader itself. */
async function seccompModes(t: TestContext, id: string, pid = '1'): Promise<string[]> {
  const r = await execSync(t, id, ['cat', `/proc/${pid}/status`, '/proc/self/status']);
  return [...r.stdout.matchAll(/^Seccomp:\s*(\d+)/gm)].map((m) => m[1]!);
}

/** Both the container's process and an exec in it must run in seccomp mode `want` (0 none, 2 filter). */
async function expectMode(t: TestContext, id: string, want: '0' | '2', field: string, basis: Basis): Promise<void> {
  check('ExecSync (cat /proc/1/status /proc/self/status)', `Seccomp: of the container process and of an exec in it, under ${field}`, await seccompModes(t, id), basis)
    .equals([want, want], want === '2' ? 'a seccomp filter must be installed' : 'no seccomp filter may be installed');
}

/**
 * The command must fail because a filter refused its syscall: with one of `errnos` (by their strerror text, as
 * busybox prints them). Success, or a failure for another reason, fails the check, naming what happened.
 */
async function expectBlocked(t: TestContext, id: string, cmd: string[], field: string, errnos: readonly string[], basis: Basis): Promise<void> {
  const r = await execSync(t, id, cmd);
  const out = `${r.stderr}${r.stdout}`.trim();
  const want = errnos.map((e) => `${e === EPERM ? 'EPERM' : 'ENOSYS'} "${e}"`).join(' or ');
  if (r.exitCode === 0 || !errnos.some((e) => out.includes(e))) {
    failWith(`ExecSync (${cmd.join(' ')}): expected the syscall to fail with ${want} (${field} blocks it), got exit code ${r.exitCode}, output ${JSON.stringify(out)}`, basis);
  }
}

async function expectAllowed(t: TestContext, id: string, cmd: string[], field: string, basis: Basis): Promise<void> {
  const r = await execSync(t, id, cmd);
  check(`ExecSync (${cmd.join(' ')})`, 'exit_code', r.exitCode, basis).equals(0, `${field} allows it; output ${JSON.stringify(`${r.stderr}${r.stdout}`.trim())}`);
}

// unshare(CLONE_NEWUSER) needs no capability, so only a filter stops it: the default profiles of containerd,
// CRI-O and Docker allow unshare only with CAP_SYS_ADMIN.
const UNSHARE = ['unshare', '-U', 'true'];

export default defineSuite(({ describe, it }) => {
  describe('Seccomp', () => {
    it('runtime should run a container with seccomp Unconfined without a filter (Seccomp: 0) [Conformance]', async (t) => {
      const { id } = await probe(t, [withSeccomp(UNCONFINED)], [withSandboxSeccomp(UNCONFINED)]);
      await expectMode(t, id, '0', 'security_context.seccomp Unconfined', UNCONFINED_BASIS);
    });

    it('runtime should confine a container with seccomp RuntimeDefault (Seccomp: 2) [Conformance]', async (t) => {
      const { id } = await probe(t, [withSeccomp(RUNTIME_DEFAULT)], [withSandboxSeccomp(RUNTIME_DEFAULT)]);
      await expectMode(t, id, '2', 'security_context.seccomp RuntimeDefault', RUNTIME_DEFAULT_BASIS);
    });

    // What RuntimeDefault blocks is the runtime's: only that it blocks (EPERM, or ENOSYS as CRI-O's profile
    // answers), not how, is judged, and only as our opinion.
    it('runtime should block unshare without CAP_SYS_ADMIN under seccomp RuntimeDefault (EPERM or ENOSYS) [Strict]', async (t) => {
      const { sb, id } = await probe(t, [withSeccomp(RUNTIME_DEFAULT)], [withSandboxSeccomp(RUNTIME_DEFAULT)]);
      // Control: without a filter the kernel must allow it, or unshare cannot tell the profile apart here.
      const { id: free } = await probe(t, [withSeccomp(UNCONFINED)], [], sb);
      const c = await execSync(t, free, UNSHARE);
      if (c.exitCode !== 0) skip(`the kernel refuses unprivileged user namespaces even without seccomp (unshare -U: ${`${c.stderr}${c.stdout}`.trim()}), so RuntimeDefault's block cannot be observed`);
      await expectBlocked(t, id, UNSHARE, 'security_context.seccomp RuntimeDefault', [EPERM, ENOSYS], UNSHARE_OPINION);
    });

    it('runtime should apply a Localhost seccomp profile: the syscalls it blocks fail with EPERM, the rest work [Conformance]', async (t) => {
      const ref = await profileFile(t, 'block-mkdir', BLOCK_MKDIR);
      const { id } = await probe(t, [withSeccomp(localhost(ref))]);
      const field = `security_context.seccomp Localhost ${ref}`;
      await expectMode(t, id, '2', field, LOCALHOST_BASIS);
      await expectBlocked(t, id, ['mkdir', '/tmp/crc-blocked'], field, [EPERM], LOCALHOST_BASIS);
      await expectAllowed(t, id, ['touch', '/tmp/crc-allowed'], field, LOCALHOST_BASIS);
    });

    it('runtime should run a container with no seccomp profile (nil) unconfined, as the CRI defines [Conformance]', async (t) => {
      const { id } = await probe(t, []);
      await expectMode(t, id, '0', 'no security_context.seccomp and no seccomp_profile_path', NIL_BASIS);
    });

    it('runtime should ignore the seccomp profile of a privileged container: sethostname blocked by the profile works [Conformance]', async (t) => {
      const ref = await profileFile(t, 'block-sethostname', BLOCK_SETHOSTNAME);
      const { id } = await probe(t, [withPrivilegedContainer(), withSeccomp(localhost(ref))], [withPrivilegedSandbox()]);
      await expectAllowed(t, id, ['hostname', 'crc-privileged'], `privileged: true with security_context.seccomp Localhost ${ref}`, PRIVILEGED_BASIS);
      await expectMode(t, id, '0', 'privileged: true (which overrides any seccomp profile)', PRIVILEGED_BASIS);
    });

    it('runtime should let a container with CAP_SYS_ADMIN and seccomp Unconfined set the hostname [Conformance]', async (t) => {
      const { id } = await probe(t, [withAddedCapabilities('SYS_ADMIN'), withSeccomp(UNCONFINED)]);
      await expectAllowed(t, id, ['hostname', 'crc-sysadmin'], 'capabilities.add_capabilities [SYS_ADMIN] with seccomp Unconfined', CAPS_BASIS);
    });

    it('runtime should block sethostname for a container with CAP_SYS_ADMIN under a Localhost profile that denies it [Conformance]', async (t) => {
      const ref = await profileFile(t, 'block-sethostname', BLOCK_SETHOSTNAME);
      const { id } = await probe(t, [withAddedCapabilities('SYS_ADMIN'), withSeccomp(localhost(ref))]);
      await expectBlocked(t, id, ['hostname', 'crc-sysadmin'], `security_context.seccomp Localhost ${ref} (despite CAP_SYS_ADMIN)`, [EPERM], LOCALHOST_BASIS);
    });

    it('runtime should apply the pod-level seccomp profile RuntimeDefault to the sandbox\'s own process (Seccomp: 2)', async (t) => {
      const { id } = await sandboxProbe(t, withSandboxSeccomp(RUNTIME_DEFAULT), []);
      await expectSandboxMode(t, id, 'LinuxSandboxSecurityContext.seccomp RuntimeDefault', '2', SANDBOX_KUBELET);
    });

    // The kubelet sends RuntimeDefault for every sandbox: other sandbox profiles rest on the CRI's words alone.
    it('runtime should run the sandbox\'s own process without a filter under a pod-level seccomp Unconfined (Seccomp: 0) [Strict]', async (t) => {
      const { id } = await sandboxProbe(t, withSandboxSeccomp(UNCONFINED), []);
      await expectSandboxMode(t, id, 'LinuxSandboxSecurityContext.seccomp Unconfined', '0', SANDBOX_BASIS);
    });

    // As critest does: the same Localhost profile on the sandbox and on the container.
    it('runtime should apply a Localhost seccomp profile set on the sandbox as well as on the container to both [Strict]', async (t) => {
      const ref = await profileFile(t, 'block-mkdir', BLOCK_MKDIR);
      const { id } = await sandboxProbe(t, withSandboxSeccomp(localhost(ref)), [withSeccomp(localhost(ref))]);
      await expectSandboxMode(t, id, `LinuxSandboxSecurityContext.seccomp Localhost ${ref}`, '2', SANDBOX_BASIS);
      await expectBlocked(t, id, ['mkdir', '/tmp/crc-blocked'], `security_context.seccomp Localhost ${ref} (the sandbox has it too)`, [EPERM], LOCALHOST_BASIS);
    });
  });

  // The deprecated string field. Kubelets 1.20-1.27 sent it beside security_context.seccomp, always alike, and 1.28
  // dropped it (kubernetes/kubernetes#117050; fixtures/profiles.yaml, SeccompProfilePath): no profiled kubelet sends
  // it alone, so a runtime that reads only the structured field serves every release. The string alone is judged
  // by api.proto's words, for the releases that still sent it, and [Strict]: it fails the run, not a release.
  describe('Seccomp (deprecated seccomp_profile_path)', () => {
    it('runtime should confine a container with seccomp_profile_path "runtime/default" (Seccomp: 2) [Strict] [Feature:SeccompProfilePath]', async (t) => {
      const { id } = await probe(t, [withSeccompPath('runtime/default')]);
      await expectMode(t, id, '2', 'security_context.seccomp_profile_path "runtime/default"', PATH_BASIS);
    });

    it('runtime should run a container with seccomp_profile_path "unconfined" without a filter (Seccomp: 0) [Strict] [Feature:SeccompProfilePath]', async (t) => {
      const { id } = await probe(t, [withSeccompPath('unconfined')]);
      await expectMode(t, id, '0', 'security_context.seccomp_profile_path "unconfined"', PATH_BASIS);
    });

    it('runtime should apply seccomp_profile_path "localhost/<path>": the syscalls the profile blocks fail with EPERM [Strict] [Feature:SeccompProfilePath]', async (t) => {
      const ref = await profileFile(t, 'block-mkdir', BLOCK_MKDIR);
      const { id } = await probe(t, [withSeccompPath(`localhost/${ref}`)]);
      const field = `security_context.seccomp_profile_path "localhost/${ref}"`;
      await expectMode(t, id, '2', field, PATH_BASIS);
      await expectBlocked(t, id, ['mkdir', '/tmp/crc-blocked'], field, [EPERM], PATH_BASIS);
    });
  });
});

/** A pod with this sandbox seccomp option and a pod-wide PID namespace (PID 1 is the sandbox's own process), and a container in it. */
async function sandboxProbe(t: TestContext, opt: SandboxOption, ctr: ContainerOption[]): Promise<{ sb: Sandbox; id: string }> {
  return probe(t, [withSeccomp(UNCONFINED), withSharedPidContainer(), ...ctr], [withSharedPid(), opt]);
}

/**
 * The Seccomp: mode of PID 1, the sandbox's own process, must be `want`. A runtime whose sandbox runs no process
 * of its own (PID 1 is then the container's) cannot be judged: the CRI allows that.
 */
async function expectSandboxMode(t: TestContext, id: string, field: string, want: '0' | '2', basis: Basis): Promise<void> {
  const cmdline = await execSync(t, id, ['cat', '/proc/1/cmdline']);
  if (cmdline.stdout.split('\0')[0] === 'sleep') {
    skip(`PID 1 of the pod-wide PID namespace is the container's own "sleep", not a sandbox process: LinuxSandboxSecurityContext "may not be applicable to a PodSandbox which does not contain any running process"`);
  }
  check('ExecSync (cat /proc/1/status /proc/self/status)', `Seccomp: of the sandbox process (PID 1) under ${field}`, (await seccompModes(t, id))[0], basis)
    .equals(want);
}
