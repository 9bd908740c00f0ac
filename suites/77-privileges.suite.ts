// Privileges: what a container may do, read from inside it (the capability sets and NoNewPrivs in
// /proc/1/status, mount points and their options in /proc/1/mountinfo) and proven by trying the operation
// (mount, chown, mknod, creating a bridge, running a setuid-root binary, writing a read-only path).
import { existsSync } from 'node:fs';
import {
  defineSuite, check, skip, runSandbox, containerPod, runContainer, execSync, podSandboxConfig, containerConfig, withShell, testImage,
  type ContainerOption, type SandboxOption, type Sandbox, type TestContext,
} from '../src/framework/index.js';
import { withKubeletNamespaces, withKubeletSandboxNamespaces } from '../src/framework/container.js';
import { startWithinHostLimits } from '../src/framework/host.js';
import { CAP, capMask, capNames, hasCap, hex16, hostBoundingSet, mountinfo, procStatus } from '../src/framework/proc-status.js';
import type { LinuxContainerSecurityContext } from '../src/gen/v1/runtime/v1/LinuxContainerSecurityContext.js';
import { cri, kubelet, opinion } from '../src/framework/contract.js';

// What the checks rest on.
const PRIV_CAPS = cri('LinuxContainerSecurityContext.privileged', 'Privileged mode implies the following specific options are applied: 1. All capabilities are added.', 'effect');
const PRIV_UNMASKED = cri('LinuxContainerSecurityContext.privileged', 'Privileged mode implies … 2. Sensitive paths, such as kernel module paths within sysfs, are not masked. 3. Any sysfs and procfs mounts are mounted RW.', 'effect');
const PRIV_DEVICES = cri('LinuxContainerSecurityContext.privileged', 'Privileged mode implies … 7. All devices from the host\'s /dev are available within the container.', 'effect');
const UNPRIVILEGED = opinion('a container that is not privileged gets the runtime\'s default capability set, without CAP_SYS_ADMIN, a read-only /sys and only the default devices (what the Pod Security baseline assumes of every runtime); the CRI says only what privileged adds');
const ADD = cri('Capability.add_capabilities', 'List of capabilities to add.', 'effect');
const DROP = cri('Capability.drop_capabilities', 'List of capabilities to drop.', 'effect');
const ALL = kubelet('kuberuntime security_context.go convertToRuntimeCapabilities', 'passes the pod\'s capability names through as they are, "ALL" included (the restricted Pod Security Standard drops ALL and adds back what it needs)');
const NNP = cri('LinuxContainerSecurityContext.no_new_privs', 'no_new_privs defines if the flag for no_new_privs should be set on the container.', 'effect');
const MASKED = cri('LinuxContainerSecurityContext.masked_paths', 'masked_paths is a slice of paths that should be masked by the container runtime, this can be passed directly to the OCI spec.', 'effect');
const READONLY = cri('LinuxContainerSecurityContext.readonly_paths', 'readonly_paths is a slice of paths that should be set as readonly by the container runtime, this can be passed directly to the OCI spec.', 'effect');
const UNMASKED = kubelet('securitycontext/util.go ConvertToRuntimeMaskedPaths, ConvertToRuntimeReadonlyPaths', 'sends empty lists for procMount Unmasked and relies on the runtime masking nothing');
const ROOTFS = cri('LinuxContainerSecurityContext.readonly_rootfs', 'If set, the root filesystem of the container is read-only.', 'effect');

export default defineSuite(({ describe, it }) => {
  describe('Privileged', () => {
    it('runtime should give a privileged container every capability, the host\'s devices, a writable /sys and mount rights [Conformance]', async (t) => {
      const id = await privContainer(t, 'busybox', { privileged: true }, true);
      const host = hostBoundingSet();
      check('ExecSync', 'CapBnd/CapEff/CapPrm of pid 1 (/proc/1/status, privileged=true)', await capSets(t, id), PRIV_CAPS).equals(same3(hex16(host)), 'every capability of the node');
      const m = await tryOp(t, id, 'mkdir -p /tmp/crc-m && mount -t tmpfs crc-priv /tmp/crc-m');
      check('ExecSync', 'exit_code (mount -t tmpfs, privileged=true)', m.exitCode, PRIV_CAPS).equals(0, `stderr: ${m.stderr.trim()}`);
      check('ExecSync', 'options of /sys in /proc/1/mountinfo (privileged=true)', (await mountinfo(t, id)).get('/sys'), PRIV_UNMASKED).includes('rw', 'a privileged container gets /sys read-write');
      const dev = hostDevice() ?? skip(NO_DEVICE);
      const d = await tryOp(t, id, `test -c ${dev}`);
      check('ExecSync', `exit_code (test -c ${dev}: a device of the host, privileged=true)`, d.exitCode, PRIV_DEVICES).equals(0, 'a privileged container sees the host\'s devices');
    });

    it('runtime should deny an unprivileged container the full capability set, mount rights, a writable /sys and the host\'s devices [Strict]', async (t) => {
      const id = await privContainer(t, 'busybox', { privileged: false }, false);
      const sets = await capSets(t, id);
      check('ExecSync', 'CapBnd of pid 1 (/proc/1/status, privileged=false)', capNames(capMask(sets.CapBnd)), UNPRIVILEGED).excludes('SYS_ADMIN', 'CAP_SYS_ADMIN is not in the default set');
      const m = await tryOp(t, id, 'mkdir -p /tmp/crc-m && mount -t tmpfs crc-priv /tmp/crc-m');
      check('ExecSync', 'exit_code (mount -t tmpfs, privileged=false)', m.exitCode, UNPRIVILEGED).notEquals(0, 'mounting needs CAP_SYS_ADMIN');
      check('ExecSync', 'options of /sys in /proc/1/mountinfo (privileged=false)', (await mountinfo(t, id)).get('/sys'), UNPRIVILEGED).includes('ro', 'an unprivileged container gets /sys read-only');
      const dev = hostDevice() ?? skip(NO_DEVICE);
      const d = await tryOp(t, id, `test -e ${dev}`);
      check('ExecSync', `exit_code (test -e ${dev}: a device of the host, privileged=false)`, d.exitCode, UNPRIVILEGED).notEquals(0, 'only the default devices are in an unprivileged container');
    });
  });

  describe('Capabilities', () => {
    it('runtime should add a capability in add_capabilities to the bounding, effective and permitted sets [Conformance]', async (t) => {
      const id = await privContainer(t, 'busybox', { capabilities: { add_capabilities: ['NET_ADMIN'] } });
      check('ExecSync', 'NET_ADMIN in CapBnd/CapEff/CapPrm of pid 1 (/proc/1/status, add_capabilities=[NET_ADMIN])', has3(await capSets(t, id), CAP.NET_ADMIN), ADD).equals(same3(true));
      const b = await tryOp(t, id, 'brctl addbr crc-cap-add');
      check('ExecSync', 'exit_code (brctl addbr, add_capabilities=[NET_ADMIN])', b.exitCode, ADD).equals(0, `stderr: ${b.stderr.trim()}`);
      // The same with the capability dropped (the CRI leaves the default set to the runtime, so not "without any"):
      // the operation fails there, so its success above proved the addition.
      const plain = await privContainer(t, 'busybox', { capabilities: { drop_capabilities: ['NET_ADMIN'] } });
      check('ExecSync', 'NET_ADMIN in CapBnd/CapEff/CapPrm of pid 1 (/proc/1/status, drop_capabilities=[NET_ADMIN])', has3(await capSets(t, plain), CAP.NET_ADMIN), DROP).equals(same3(false));
      const p = await tryOp(t, plain, 'brctl addbr crc-cap-none');
      check('ExecSync', 'exit_code (brctl addbr, drop_capabilities=[NET_ADMIN])', p.exitCode, DROP).notEquals(0, 'creating a bridge needs CAP_NET_ADMIN');
    });

    it('runtime should drop the capabilities in drop_capabilities from every set [Conformance]', async (t) => {
      const id = await privContainer(t, 'busybox', { capabilities: { drop_capabilities: ['CHOWN', 'MKNOD'] } });
      const sets = await capSets(t, id);
      check('ExecSync', 'CHOWN in CapBnd/CapEff/CapPrm of pid 1 (/proc/1/status, drop_capabilities=[CHOWN,MKNOD])', has3(sets, CAP.CHOWN), DROP).equals(same3(false));
      check('ExecSync', 'MKNOD in CapBnd/CapEff/CapPrm of pid 1 (/proc/1/status, drop_capabilities=[CHOWN,MKNOD])', has3(sets, CAP.MKNOD), DROP).equals(same3(false));
      const c = await tryOp(t, id, 'touch /tmp/crc-f && chown 1001 /tmp/crc-f');
      check('ExecSync', 'exit_code (chown as root, CHOWN dropped)', c.exitCode, DROP).notEquals(0, 'chown to another user needs CAP_CHOWN');
      const n = await tryOp(t, id, 'mknod /tmp/crc-null c 1 3');
      check('ExecSync', 'exit_code (mknod as root, MKNOD dropped)', n.exitCode, DROP).notEquals(0, 'mknod of a device needs CAP_MKNOD');
    });

    it('runtime should grant every capability of the node for add_capabilities=[ALL] [Conformance]', async (t) => {
      const id = await privContainer(t, 'busybox', { capabilities: { add_capabilities: ['ALL'] } });
      check('ExecSync', 'CapBnd/CapEff/CapPrm of pid 1 (/proc/1/status, add_capabilities=[ALL])', await capSets(t, id), ALL).equals(same3(hex16(hostBoundingSet())), 'every capability of the node');
      const m = await tryOp(t, id, 'mkdir -p /tmp/crc-m && mount -t tmpfs crc-all /tmp/crc-m');
      check('ExecSync', 'exit_code (mount -t tmpfs, add_capabilities=[ALL]: needs SYS_ADMIN)', m.exitCode, ALL).equals(0, `stderr: ${m.stderr.trim()}`);
    });

    it('runtime should leave no capability for drop_capabilities=[ALL] [Conformance]', async (t) => {
      const id = await privContainer(t, 'busybox', { capabilities: { drop_capabilities: ['ALL'] } });
      check('ExecSync', 'CapBnd/CapEff/CapPrm of pid 1 (/proc/1/status, drop_capabilities=[ALL])', await capSets(t, id), ALL).equals(same3(hex16(0n)));
      const c = await tryOp(t, id, 'touch /tmp/crc-f && chown 1001 /tmp/crc-f');
      check('ExecSync', 'exit_code (chown as root, drop_capabilities=[ALL])', c.exitCode, ALL).notEquals(0, 'root without CAP_CHOWN cannot give a file away');
    });

    it('runtime should apply add_capabilities after drop_capabilities=[ALL] [Conformance]', async (t) => {
      // The restricted Pod Security Standard's shape: drop ALL, add back NET_BIND_SERVICE.
      const id = await privContainer(t, 'busybox', { capabilities: { drop_capabilities: ['ALL'], add_capabilities: ['NET_BIND_SERVICE'] } });
      check('ExecSync', 'CapBnd/CapEff/CapPrm of pid 1 (/proc/1/status, drop ALL, add NET_BIND_SERVICE)', await capSets(t, id), ALL).equals(same3(hex16(1n << BigInt(CAP.NET_BIND_SERVICE))));
    });
  });

  describe('no_new_privs', () => {
    it('runtime should set no_new_privs so that a setuid-root binary does not raise a non-root process [Conformance]', async (t) => {
      const id = await privContainer(t, 'suid', { run_as_user: { value: '1001' }, no_new_privs: true });
      check('ExecSync', 'NoNewPrivs of pid 1 (/proc/1/status, no_new_privs=true)', (await procStatus(t, id))['NoNewPrivs'], NNP).equals(['1']);
      check('ExecSync', 'stdout of the setuid-root crc-suid-id run by uid 1001 (no_new_privs=true)', (await suidId(t, id)).stdout.trim(), NNP).equals('uid=1001 euid=1001', 'no_new_privs keeps the setuid bit from raising the effective uid');
    });

    it('runtime should leave no_new_privs unset when false, so that a setuid-root binary raises the effective uid [Conformance]', async (t) => {
      const id = await privContainer(t, 'suid', { run_as_user: { value: '1001' }, no_new_privs: false });
      check('ExecSync', 'NoNewPrivs of pid 1 (/proc/1/status, no_new_privs=false)', (await procStatus(t, id))['NoNewPrivs'], NNP).equals(['0']);
      check('ExecSync', 'stdout of the setuid-root crc-suid-id run by uid 1001 (no_new_privs=false)', (await suidId(t, id)).stdout.trim(), NNP).equals('uid=1001 euid=0', 'a setuid-root binary runs with euid 0 (allowPrivilegeEscalation: true)');
    });
  });

  describe('Masked and read-only paths', () => {
    it('runtime should mask the files and directories in masked_paths [Conformance]', async (t) => {
      const id = await privContainer(t, 'busybox', { masked_paths: ['/etc/nsswitch.conf', '/home'] });
      const f = await tryOp(t, id, 'cat /etc/nsswitch.conf');
      check('ExecSync', 'stdout (cat /etc/nsswitch.conf, a masked file; the image\'s holds "hosts: files dns")', f.stdout, MASKED).equals('', `exit_code=${f.exitCode} stderr: ${f.stderr.trim()}`);
      const d = await tryOp(t, id, 'ls -A /home');
      check('ExecSync', 'stdout (ls -A /home, a masked directory; the image\'s holds cruser)', d.stdout, MASKED).equals('', `exit_code=${d.exitCode} stderr: ${d.stderr.trim()}`);
    });

    it('runtime should make the paths in readonly_paths read-only, and only those [Conformance]', async (t) => {
      const id = await privContainer(t, 'busybox', { readonly_paths: ['/tmp', '/etc/nsswitch.conf'] });
      const d = await tryOp(t, id, 'touch /tmp/crc-ro');
      check('ExecSync', 'stderr (touch /tmp/crc-ro, /tmp in readonly_paths)', d.stderr, READONLY).matches(/read-only/i, `exit_code=${d.exitCode}`);
      const f = await tryOp(t, id, 'echo x >> /etc/nsswitch.conf');
      check('ExecSync', 'stderr (append to /etc/nsswitch.conf, in readonly_paths)', f.stderr, READONLY).matches(/read-only/i, `exit_code=${f.exitCode}`);
      const w = await tryOp(t, id, 'touch /etc/crc-rw');
      check('ExecSync', 'exit_code (touch /etc/crc-rw, a path not in readonly_paths)', w.exitCode, READONLY).equals(0, `stderr: ${w.stderr.trim()}`);
    });

    it('runtime should mask and make read-only the /proc paths of the kubelet\'s default lists (procMount Default) [Conformance]', async (t) => {
      const id = await privContainer(t, 'busybox', { masked_paths: [...KUBELET_MASKED], readonly_paths: [...KUBELET_READONLY] });
      const m = await mountinfo(t, id);
      const masked = onNode(KUBELET_MASKED);
      check('ExecSync', `paths of masked_paths (the kubelet's defaults) that are no mount point in /proc/1/mountinfo`, masked.filter((x) => !m.has(x)), MASKED).absent(`each of ${masked.join(', ')} (those present on the node) must be covered`);
      check('ExecSync', 'options of /proc/sys in /proc/1/mountinfo (readonly_paths: the kubelet\'s defaults)', m.get('/proc/sys'), READONLY).includes('ro');
      const w = await tryOp(t, id, 'echo crc-ro > /proc/sys/kernel/hostname');
      check('ExecSync', 'stderr (write /proc/sys/kernel/hostname, /proc/sys in readonly_paths)', w.stderr, READONLY).matches(/read-only/i, `exit_code=${w.exitCode}`);
    });

    it('runtime should mask nothing when masked_paths and readonly_paths are empty (procMount Unmasked) [Optional]', async (t) => {
      // The kubelet sends empty lists for procMount: Unmasked and relies on the runtime masking nothing; protobuf
      // cannot tell an empty list from an absent one, so a runtime that applies defaults of its own here is not wrong
      // by the CRI text alone: [Optional].
      const id = await privContainer(t, 'busybox', { masked_paths: [], readonly_paths: [] });
      const m = await mountinfo(t, id);
      check('ExecSync', 'paths of the kubelet\'s default masked_paths that are mount points in /proc/1/mountinfo (masked_paths=[])', onNode(KUBELET_MASKED).filter((x) => m.has(x)), UNMASKED).absent('empty masked_paths: nothing masked');
      check('ExecSync', 'paths of the kubelet\'s default readonly_paths that are mount points in /proc/1/mountinfo (readonly_paths=[])', onNode(KUBELET_READONLY).filter((x) => m.has(x)), UNMASKED).absent('empty readonly_paths: nothing read-only');
    });

    it('runtime should mask nothing and leave /proc/sys writable in a privileged container, even when the lists are sent [Conformance]', async (t) => {
      // The kubelet sends its default lists for privileged containers too; the runtime must not apply them.
      const id = await privContainer(t, 'busybox', { privileged: true, masked_paths: [...KUBELET_MASKED], readonly_paths: [...KUBELET_READONLY] }, true);
      const m = await mountinfo(t, id);
      check('ExecSync', 'paths of masked_paths that are mount points in /proc/1/mountinfo (privileged, the kubelet\'s defaults sent)', onNode(KUBELET_MASKED).filter((x) => m.has(x)), PRIV_UNMASKED).absent('a privileged container sees /proc and /sys unmasked');
      check('ExecSync', 'paths of readonly_paths that are mount points in /proc/1/mountinfo (privileged, the kubelet\'s defaults sent)', onNode(KUBELET_READONLY).filter((x) => m.has(x)), PRIV_UNMASKED).absent('a privileged container gets /proc/sys read-write');
    });
  });

  describe('Root filesystem', () => {
    it('runtime should keep the root filesystem writable when readonly_rootfs is false [Conformance]', async (t) => {
      const id = await privContainer(t, 'busybox', { readonly_rootfs: false });
      check('ExecSync', 'options of / in /proc/1/mountinfo (readonly_rootfs=false)', (await mountinfo(t, id)).get('/'), ROOTFS).includes('rw');
      const w = await tryOp(t, id, 'echo x > /crc-rootfs-write && cat /crc-rootfs-write');
      check('ExecSync', 'stdout (write then read /crc-rootfs-write, readonly_rootfs=false)', w.stdout, ROOTFS).equals('x\n', `exit_code=${w.exitCode} stderr: ${w.stderr.trim()}`);
    });
  });
});

// ---- helpers only this suite needs ----

/** What the kubelet sends for procMount Default (pkg/securitycontext/util.go defaultMaskedPaths, defaultReadonlyPaths). */
const KUBELET_MASKED = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'] as const;
const KUBELET_READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'] as const;
/** Those present on this node's kernel (/proc/kcore needs CONFIG_PROC_KCORE): a runtime skips a missing one. */
const onNode = (paths: readonly string[]): string[] => paths.filter((x) => existsSync(x));

type Sets = { CapBnd: string; CapEff: string; CapPrm: string };
const same3 = <T>(v: T) => ({ CapBnd: v, CapEff: v, CapPrm: v });
const has3 = (s: Sets, cap: number) => ({ CapBnd: hasCap(capMask(s.CapBnd), cap), CapEff: hasCap(capMask(s.CapEff), cap), CapPrm: hasCap(capMask(s.CapPrm), cap) });

async function capSets(t: TestContext, id: string): Promise<Sets> {
  const s = await procStatus(t, id);
  return { CapBnd: s['CapBnd']?.[0] ?? '', CapEff: s['CapEff']?.[0] ?? '', CapPrm: s['CapPrm']?.[0] ?? '' };
}

/** `sh -c script` in the container; its outcome is what the test judges. */
const tryOp = (t: TestContext, id: string, script: string) => execSync(t, id, ['sh', '-c', script]);

const suidId = (t: TestContext, id: string) => execSync(t, id, ['/usr/local/bin/crc-suid-id']);

/** Why a device check cannot be judged (the other checks of the test ran first). */
const NO_DEVICE = 'the node has none of /dev/loop-control, /dev/kmsg, /dev/fuse, /dev/net/tun, /dev/mem to look for in the container: the device check cannot be judged (every other check of this test passed)';

/** A character device of the node outside the default container set, if it has one. */
function hostDevice(): string | undefined {
  return ['/dev/loop-control', '/dev/kmsg', '/dev/fuse', '/dev/net/tun', '/dev/mem'].find((d) => existsSync(d));
}

const sc = (fields: LinuxContainerSecurityContext): ContainerOption => (c) => {
  c.linux = { ...c.linux, security_context: { ...c.linux?.security_context, ...fields } };
};
const privilegedPod = (): SandboxOption => (c) => {
  c.linux = { ...c.linux, security_context: { ...c.linux?.security_context, privileged: true } };
};

/** A running container with these security-context fields in a pod of its own (privileged when asked:
 * the kubelet marks the sandbox privileged when any container is). */
async function privContainer(t: TestContext, image: string, fields: LinuxContainerSecurityContext, privilegedSandbox = false): Promise<string> {
  const ref = await testImage(t, image);
  const start = async () => {
    const sb: Sandbox = privilegedSandbox ? await runSandbox(t, podSandboxConfig('priv', withKubeletSandboxNamespaces(), privilegedPod())) : await containerPod(t);
    return runContainer(t, sb, containerConfig('priv', ref, withKubeletNamespaces(), withShell('sleep 3600'), sc(fields)));
  };
  // Every capability: a node whose bounding set lacks some may keep a runtime from starting it (a named skip).
  const all = fields.privileged || privilegedSandbox || fields.capabilities?.add_capabilities?.some((c) => c.toUpperCase() === 'ALL');
  return all ? startWithinHostLimits(t, fields.privileged || privilegedSandbox ? 'a privileged container' : 'a container with add_capabilities=[ALL]', start) : start();
}
