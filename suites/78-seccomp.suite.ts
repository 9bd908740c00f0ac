// Seccomp: the syscall filter the kubelet asks for in security_context.seccomp (and, before it, the string
// seccomp_profile_path) must be the one the container's processes really run under. Every check reads the
// truth inside the container: the Seccomp: mode in /proc/<pid>/status (0 none, 2 filter) and the errno of a
// syscall the profile blocks.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  defineSuite, check, failWith, skip, runSandbox, containerPod, runContainer, execSync, podSandboxConfig, containerConfig,
  withCommand, testImage, tempDir, type TestContext, type ContainerOption, type SandboxOption, type Sandbox,
} from '../src/framework/index.js';
import {
  RUNTIME_DEFAULT, UNCONFINED, localhost, withSeccomp, withSeccompPath, withSandboxSeccomp, withPrivilegedContainer,
  withPrivilegedSandbox, withAddedCapabilities, withSharedPid, withSharedPidContainer, requireHostFeature,
} from '../src/framework/security-profiles.js';

const EPERM = 'Operation not permitted';
// Our own profiles: allow everything but the named syscalls, which fail with EPERM (SCMP_ACT_ERRNO's default).
const blocking = (...names: string[]) => JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names, action: 'SCMP_ACT_ERRNO' }] });
const BLOCK_MKDIR = blocking('mkdir', 'mkdirat');
const BLOCK_SETHOSTNAME = blocking('sethostname');

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
  const sandbox = pod ?? (sb.length ? await runSandbox(t, podSandboxConfig('seccomp', ...sb)) : await containerPod(t));
  const id = await runContainer(t, sandbox, containerConfig('seccomp', ref, withCommand('sleep', '3600'), ...ctr));
  return { sb: sandbox, id };
}

/** The seccomp mode the kernel reports for PID `pid` as seen in the container, and for the exec'd reader itself. */
async function seccompModes(t: TestContext, id: string, pid = '1'): Promise<string[]> {
  const r = await execSync(t, id, ['cat', `/proc/${pid}/status`, '/proc/self/status']);
  return [...r.stdout.matchAll(/^Seccomp:\s*(\d+)/gm)].map((m) => m[1]!);
}

/** Both the container's process and an exec in it must run in seccomp mode `want` (0 none, 2 filter). */
async function expectMode(t: TestContext, id: string, want: '0' | '2', field: string): Promise<void> {
  check('ExecSync (cat /proc/1/status /proc/self/status)', `Seccomp: of the container process and of an exec in it, under ${field}`, await seccompModes(t, id))
    .equals([want, want], want === '2' ? 'a seccomp filter must be installed' : 'no seccomp filter may be installed');
}

async function expectBlocked(t: TestContext, id: string, cmd: string[], field: string): Promise<void> {
  const r = await execSync(t, id, cmd);
  const out = `${r.stderr}${r.stdout}`.trim();
  if (r.exitCode === 0 || !out.includes(EPERM)) {
    failWith(`ExecSync (${cmd.join(' ')}): expected the syscall to fail with EPERM "${EPERM}" (${field} blocks it), got exit code ${r.exitCode}, output ${JSON.stringify(out)}`);
  }
}

async function expectAllowed(t: TestContext, id: string, cmd: string[], field: string): Promise<void> {
  const r = await execSync(t, id, cmd);
  check(`ExecSync (${cmd.join(' ')})`, 'exit_code', r.exitCode).equals(0, `${field} allows it; output ${JSON.stringify(`${r.stderr}${r.stdout}`.trim())}`);
}

// unshare(CLONE_NEWUSER) needs no capability, so only a filter stops it: the default profiles of containerd,
// CRI-O and Docker allow unshare only with CAP_SYS_ADMIN.
const UNSHARE = ['unshare', '-U', 'true'];

export default defineSuite(({ describe, it }) => {
  describe('Seccomp', () => {
    it('runtime should run a container with seccomp Unconfined without a filter (Seccomp: 0) [Conformance]', async (t) => {
      const { id } = await probe(t, [withSeccomp(UNCONFINED)], [withSandboxSeccomp(UNCONFINED)]);
      await expectMode(t, id, '0', 'security_context.seccomp Unconfined');
    });

    it('runtime should confine a container with seccomp RuntimeDefault (Seccomp: 2) and block unshare without CAP_SYS_ADMIN [Conformance]', async (t) => {
      const { sb, id } = await probe(t, [withSeccomp(RUNTIME_DEFAULT)], [withSandboxSeccomp(RUNTIME_DEFAULT)]);
      await expectMode(t, id, '2', 'security_context.seccomp RuntimeDefault');
      // Control: without a filter the kernel must allow it, or unshare cannot tell the profile apart here.
      const { id: free } = await probe(t, [withSeccomp(UNCONFINED)], [], sb);
      const c = await execSync(t, free, UNSHARE);
      if (c.exitCode !== 0) skip(`the kernel refuses unprivileged user namespaces even without seccomp (unshare -U: ${`${c.stderr}${c.stdout}`.trim()}), so RuntimeDefault's block cannot be observed`);
      await expectBlocked(t, id, UNSHARE, 'security_context.seccomp RuntimeDefault');
    });

    it('runtime should apply a Localhost seccomp profile: the syscalls it blocks fail with EPERM, the rest work [Conformance]', async (t) => {
      const ref = await profileFile(t, 'block-mkdir', BLOCK_MKDIR);
      const { id } = await probe(t, [withSeccomp(localhost(ref))]);
      const field = `security_context.seccomp Localhost ${ref}`;
      await expectMode(t, id, '2', field);
      await expectBlocked(t, id, ['mkdir', '/tmp/crc-blocked'], field);
      await expectAllowed(t, id, ['touch', '/tmp/crc-allowed'], field);
    });

    it('runtime should run a container with no seccomp profile (nil) unconfined, as the CRI defines [Conformance]', async (t) => {
      const { id } = await probe(t, []);
      await expectMode(t, id, '0', 'no security_context.seccomp and no seccomp_profile_path');
    });

    it('runtime should ignore the seccomp profile of a privileged container: sethostname blocked by the profile works [Conformance]', async (t) => {
      const ref = await profileFile(t, 'block-sethostname', BLOCK_SETHOSTNAME);
      const { id } = await probe(t, [withPrivilegedContainer(), withSeccomp(localhost(ref))], [withPrivilegedSandbox()]);
      await expectAllowed(t, id, ['hostname', 'crc-privileged'], `privileged: true with security_context.seccomp Localhost ${ref}`);
      await expectMode(t, id, '0', 'privileged: true (which overrides any seccomp profile)');
    });

    it('runtime should let a container with CAP_SYS_ADMIN and seccomp Unconfined set the hostname [Conformance]', async (t) => {
      const { id } = await probe(t, [withAddedCapabilities('SYS_ADMIN'), withSeccomp(UNCONFINED)]);
      await expectAllowed(t, id, ['hostname', 'crc-sysadmin'], 'capabilities.add_capabilities [SYS_ADMIN] with seccomp Unconfined');
    });

    it('runtime should block sethostname for a container with CAP_SYS_ADMIN under a Localhost profile that denies it [Conformance]', async (t) => {
      const ref = await profileFile(t, 'block-sethostname', BLOCK_SETHOSTNAME);
      const { id } = await probe(t, [withAddedCapabilities('SYS_ADMIN'), withSeccomp(localhost(ref))]);
      await expectBlocked(t, id, ['hostname', 'crc-sysadmin'], `security_context.seccomp Localhost ${ref} (despite CAP_SYS_ADMIN)`);
    });

    it('runtime should apply the pod-level seccomp profile to the sandbox\'s own process (RuntimeDefault: 2, Unconfined: 0)', async (t) => {
      for (const [p, want] of [[RUNTIME_DEFAULT, '2'], [UNCONFINED, '0']] as const) {
        // With a pod-wide PID namespace, PID 1 is the sandbox's process; the reader itself is unconfined.
        const { id } = await probe(t, [withSeccomp(UNCONFINED), withSharedPidContainer()], [withSharedPid(), withSandboxSeccomp(p)]);
        check('ExecSync (cat /proc/1/status /proc/self/status)', `Seccomp: of the sandbox process (PID 1) under LinuxSandboxSecurityContext.seccomp ${p.profile_type}`, (await seccompModes(t, id))[0])
          .equals(want);
      }
    });
  });

  // The string field the kubelet sent before SecurityProfile (v1alpha2 kubelets; still in v1): the same contract.
  describe('Seccomp (deprecated seccomp_profile_path)', () => {
    it('runtime should confine a container with seccomp_profile_path "runtime/default" (Seccomp: 2)', async (t) => {
      const { id } = await probe(t, [withSeccompPath('runtime/default')]);
      await expectMode(t, id, '2', 'security_context.seccomp_profile_path "runtime/default"');
    });

    it('runtime should run a container with seccomp_profile_path "unconfined" without a filter (Seccomp: 0)', async (t) => {
      const { id } = await probe(t, [withSeccompPath('unconfined')]);
      await expectMode(t, id, '0', 'security_context.seccomp_profile_path "unconfined"');
    });

    it('runtime should apply seccomp_profile_path "localhost/<path>": the syscalls the profile blocks fail with EPERM', async (t) => {
      const ref = await profileFile(t, 'block-mkdir', BLOCK_MKDIR);
      const { id } = await probe(t, [withSeccompPath(`localhost/${ref}`)]);
      const field = `security_context.seccomp_profile_path "localhost/${ref}"`;
      await expectMode(t, id, '2', field);
      await expectBlocked(t, id, ['mkdir', '/tmp/crc-blocked'], field);
    });
  });
});
