// Self-tests: each privileges check fails with a useful message when the runtime drops or changes a
// security-context field (the request rewritten before the runtime sees it, so the container really runs
// without it) or answers wrong.
import { expect } from 'chai';
import { expectCheckFails, runOne, Status, type Fault } from '../support/selftest.js';
import { hostLimitsFrom } from '../../src/runner/host.js';
import { execAnswer, securityContextWith } from '../support/faults.js';

const PR = 'privileges/Privileged ';
const PRIV = `${PR}runtime should give a privileged container every capability, the host's devices, a writable /sys and mount rights [Conformance]`;
const UNPRIV = `${PR}runtime should deny an unprivileged container the full capability set, mount rights, a writable /sys and the host's devices [Strict]`;
const C = 'privileges/Capabilities ';
const ADD = `${C}runtime should add a capability in add_capabilities to the bounding, effective and permitted sets [Conformance]`;
const DROP = `${C}runtime should drop the capabilities in drop_capabilities from every set [Conformance]`;
const ADD_ALL = `${C}runtime should grant every capability of the node for add_capabilities=[ALL] [Conformance]`;
const DROP_ALL = `${C}runtime should leave no capability for drop_capabilities=[ALL] [Conformance]`;
const DROP_ADD = `${C}runtime should apply add_capabilities after drop_capabilities=[ALL] [Conformance]`;
const N = 'privileges/no_new_privs ';
const NNP = `${N}runtime should set no_new_privs so that a setuid-root binary does not raise a non-root process [Conformance]`;
const NO_NNP = `${N}runtime should leave no_new_privs unset when false, so that a setuid-root binary raises the effective uid [Conformance]`;
const M = 'privileges/Masked and read-only paths ';
const MASKED = `${M}runtime should mask the files and directories in masked_paths [Conformance]`;
const READONLY = `${M}runtime should make the paths in readonly_paths read-only, and only those [Conformance]`;
const DEFAULTS = `${M}runtime should mask and make read-only the /proc paths of the kubelet's default lists (procMount Default) [Conformance]`;
const UNMASKED = `${M}runtime should mask nothing when masked_paths and readonly_paths are empty (procMount Unmasked) [Optional]`;
const PRIV_PATHS = `${M}runtime should mask nothing and leave /proc/sys writable in a privileged container, even when the lists are sent [Conformance]`;
const ROOTFS = 'privileges/Root filesystem runtime should keep the root filesystem writable when readonly_rootfs is false [Conformance]';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

/** RunPodSandbox requests made privileged (a container can be privileged only in a privileged sandbox). */
const privilegedSandbox: Fault = {
  rpc: 'RunPodSandbox',
  mutateRequest: (req) => {
    req.config.linux ??= {};
    req.config.linux.security_context = { ...(req.config.linux.security_context ?? {}), privileged: true };
  },
};
/** CreateContainer made privileged, with the sandbox config it carries saying so too (containerd checks that one). */
const privilegedContainer: Fault = {
  rpc: 'CreateContainer',
  mutateRequest: (req) => {
    req.config.linux.security_context.privileged = true;
    req.sandbox_config.linux.security_context = { ...(req.sandbox_config.linux.security_context ?? {}), privileged: true };
  },
};
const caps = (sc: Msg) => (sc.capabilities ??= { add_capabilities: [], drop_capabilities: [] });
const dropsNetAdmin = (config: Msg) => (config.linux?.security_context?.capabilities?.drop_capabilities ?? []).includes('NET_ADMIN');

const exitCode = (needle: string, code: number): Fault => execAnswer(needle, (r) => void (r.exit_code = code));
const stdout = (needle: string, text: (was: string) => string): Fault => execAnswer(needle, (r) => void (r.stdout = Buffer.from(text(r.stdout.toString('utf8')))));
/** /proc/1/mountinfo with the per-mount options of one mount point replaced. */
const mountOptions = (point: string, options: string): Fault =>
  stdout('/proc/1/mountinfo', (s) => s.split('\n').map((l) => {
    const f = l.split(' ');
    if (f[4] === point) f[5] = options;
    return f.join(' ');
  }).join('\n'));

/** runc's answer when a container asks for a capability the node's bounding set lacks (CRI-O on such a node). */
const capsRefused = (rpc: string): Fault => ({
  rpc,
  error: { code: Status.UNKNOWN, details: 'container create failed: runc create failed: unable to start container process: error during container init: unable to apply caps: can\'t apply capabilities: operation not permitted' },
});
/** A node whose bounding set lacks CAP_SYS_RESOURCE (24), and one whose set is complete. */
const status = (bnd: string) => ({ hostFeatures: { limits: hostLimitsFrom({ status: `CapBnd:\t${bnd}\n`, capLastCap: '40\n', swaps: 'Filename Type\n' }) } });
const LACKS_SYS_RESOURCE = status('000001fffeffffff');
const COMPLETE = status('000001ffffffffff');

describe('self-test: privileges', function () {
  this.timeout(600_000);

  // ---- host limits: a node whose bounding set is incomplete ----
  for (const [id, rpc] of [[PRIV, 'StartContainer'], [PRIV, 'RunPodSandbox'], [ADD_ALL, 'CreateContainer'], [PRIV_PATHS, 'StartContainer']] as const) {
    it(`${id} skips naming the host limit when ${rpc} cannot apply every capability on a node whose bounding set lacks SYS_RESOURCE`, async () => {
      const r = await runOne(id, [capsRefused(rpc)], LACKS_SYS_RESOURCE);
      expect(r.status, r.message).to.equal('skipped');
      expect(r.message).to.match(/^host limit: the node's capability bounding set lacks SYS_RESOURCE \(CapBnd 000001fffeffffff in \/proc\/self\/status, cap_last_cap 40: lacks SYS_RESOURCE\), and the runtime could not start a (privileged container|container with add_capabilities=\[ALL\]) with every capability here \(\w+ failed: UNKNOWN: .*unable to apply caps/);
    });
  }

  it(`${PRIV} fails when the runtime cannot apply every capability on a node whose bounding set is complete`, async () => {
    const r = await runOne(PRIV, [capsRefused('StartContainer')], COMPLETE);
    expect(r.status, r.message).to.equal('failed');
    expect(r.message).to.match(/StartContainer failed: UNKNOWN: .*unable to apply caps/);
  });

  it(`${PRIV} fails on a node whose bounding set is incomplete when the start fails for another reason`, async () => {
    const r = await runOne(PRIV, [{ rpc: 'StartContainer', error: { code: Status.UNKNOWN, details: 'failed to create shim task: OCI runtime create failed: no such device' } }], LACKS_SYS_RESOURCE);
    expect(r.status, r.message).to.equal('failed');
    expect(r.message).to.match(/StartContainer failed: UNKNOWN: .*no such device/);
  });

  // ---- privileged ----
  it(`${PRIV} fails when the runtime ignores privileged (the container gets the default capabilities)`, () =>
    expectCheckFails(PRIV, [securityContextWith((sc) => (sc.privileged = false))], /ExecSync: CapBnd\/CapEff\/CapPrm of pid 1 \(\/proc\/1\/status, privileged=true\): expected \{ CapBnd: '[0-9a-f]{16}'.*got \{ CapBnd: '[0-9a-f]{16}'/));

  it(`${PRIV} fails when mounting a tmpfs fails`, () =>
    expectCheckFails(PRIV, [exitCode('mount -t tmpfs', 32)], /ExecSync: exit_code \(mount -t tmpfs, privileged=true\): expected 0, got 32/));

  it(`${PRIV} fails when /sys is read-only`, () =>
    expectCheckFails(PRIV, [mountOptions('/sys', 'ro,nosuid,nodev,noexec,relatime')], /ExecSync: options of \/sys in \/proc\/1\/mountinfo \(privileged=true\): expected to include "rw", got \[ 'ro'/));

  it(`${PRIV} fails when the host's devices are missing`, () =>
    expectCheckFails(PRIV, [exitCode('test -c /dev/', 1)], /ExecSync: exit_code \(test -c \/dev\/[\w/-]+: a device of the host, privileged=true\): expected 0, got 1/));

  it(`${UNPRIV} fails when the runtime makes the container privileged`, () =>
    expectCheckFails(UNPRIV, [privilegedSandbox, privilegedContainer], /ExecSync: CapBnd of pid 1 \(\/proc\/1\/status, privileged=false\): expected not to include "SYS_ADMIN"/));

  it(`${UNPRIV} fails when mounting a tmpfs succeeds`, () =>
    expectCheckFails(UNPRIV, [exitCode('mount -t tmpfs', 0)], /ExecSync: exit_code \(mount -t tmpfs, privileged=false\): expected anything but 0, got 0 \(mounting needs CAP_SYS_ADMIN\)/));

  it(`${UNPRIV} fails when /sys is read-write`, () =>
    expectCheckFails(UNPRIV, [mountOptions('/sys', 'rw,nosuid,nodev,noexec,relatime')], /ExecSync: options of \/sys in \/proc\/1\/mountinfo \(privileged=false\): expected to include "ro", got \[ 'rw'/));

  it(`${UNPRIV} fails when a host device is present`, () =>
    expectCheckFails(UNPRIV, [exitCode('test -e /dev/', 0)], /ExecSync: exit_code \(test -e \/dev\/[\w/-]+: a device of the host, privileged=false\): expected anything but 0, got 0/));

  // ---- capabilities ----
  it(`${ADD} fails when the runtime ignores add_capabilities`, () =>
    expectCheckFails(ADD, [securityContextWith((sc) => (caps(sc).add_capabilities = []))], /ExecSync: NET_ADMIN in CapBnd\/CapEff\/CapPrm of pid 1 \(\/proc\/1\/status, add_capabilities=\[NET_ADMIN\]\): expected \{ CapBnd: true, CapEff: true, CapPrm: true \}, got \{ CapBnd: false/));

  it(`${ADD} fails when the operation the capability allows fails`, () =>
    expectCheckFails(ADD, [exitCode('brctl addbr crc-cap-add', 1)], /ExecSync: exit_code \(brctl addbr, add_capabilities=\[NET_ADMIN\]\): expected 0, got 1/));

  it(`${ADD} fails when a container that drops NET_ADMIN still has it`, () =>
    expectCheckFails(ADD, [securityContextWith((sc) => (sc.capabilities = { add_capabilities: ['NET_ADMIN'] }), dropsNetAdmin)], /ExecSync: NET_ADMIN in CapBnd\/CapEff\/CapPrm of pid 1 \(\/proc\/1\/status, drop_capabilities=\[NET_ADMIN\]\): expected \{ CapBnd: false.*got \{ CapBnd: true/));

  it(`${ADD} fails when a container without NET_ADMIN can create a bridge`, () =>
    expectCheckFails(ADD, [exitCode('brctl addbr crc-cap-none', 0)], /ExecSync: exit_code \(brctl addbr, drop_capabilities=\[NET_ADMIN\]\): expected anything but 0, got 0/));

  it(`${DROP} fails when the runtime ignores drop_capabilities`, () =>
    expectCheckFails(DROP, [securityContextWith((sc) => (caps(sc).drop_capabilities = []))], /ExecSync: CHOWN in CapBnd\/CapEff\/CapPrm of pid 1 \(\/proc\/1\/status, drop_capabilities=\[CHOWN,MKNOD\]\): expected \{ CapBnd: false.*got \{ CapBnd: true/));

  it(`${DROP} fails when only the first capability is dropped`, () =>
    expectCheckFails(DROP, [securityContextWith((sc) => (caps(sc).drop_capabilities = ['CHOWN']))], /ExecSync: MKNOD in CapBnd\/CapEff\/CapPrm of pid 1 .*expected \{ CapBnd: false.*got \{ CapBnd: true/));

  it(`${DROP} fails when chown still works`, () =>
    expectCheckFails(DROP, [exitCode('chown 1001', 0)], /ExecSync: exit_code \(chown as root, CHOWN dropped\): expected anything but 0, got 0/));

  it(`${DROP} fails when mknod still works`, () =>
    expectCheckFails(DROP, [exitCode('mknod /tmp/crc-null', 0)], /ExecSync: exit_code \(mknod as root, MKNOD dropped\): expected anything but 0, got 0/));

  it(`${ADD_ALL} fails when the runtime ignores add_capabilities=[ALL]`, () =>
    expectCheckFails(ADD_ALL, [securityContextWith((sc) => (caps(sc).add_capabilities = []))], /ExecSync: CapBnd\/CapEff\/CapPrm of pid 1 \(\/proc\/1\/status, add_capabilities=\[ALL\]\): expected .*got \{ CapBnd: '[0-9a-f]{16}'/));

  it(`${ADD_ALL} fails when mounting still fails`, () =>
    expectCheckFails(ADD_ALL, [exitCode('mount -t tmpfs', 32)], /ExecSync: exit_code \(mount -t tmpfs, add_capabilities=\[ALL\]: needs SYS_ADMIN\): expected 0, got 32/));

  it(`${DROP_ALL} fails when the runtime ignores drop_capabilities=[ALL]`, () =>
    expectCheckFails(DROP_ALL, [securityContextWith((sc) => (caps(sc).drop_capabilities = []))], /ExecSync: CapBnd\/CapEff\/CapPrm of pid 1 \(\/proc\/1\/status, drop_capabilities=\[ALL\]\): expected \{ CapBnd: '0000000000000000'.*got \{ CapBnd: '[0-9a-f]{16}'/));

  it(`${DROP_ALL} fails when chown still works`, () =>
    expectCheckFails(DROP_ALL, [exitCode('chown 1001', 0)], /ExecSync: exit_code \(chown as root, drop_capabilities=\[ALL\]\): expected anything but 0, got 0/));

  it(`${DROP_ADD} fails when the added capability is dropped too (ALL applied after the additions)`, () =>
    expectCheckFails(DROP_ADD, [securityContextWith((sc) => (caps(sc).add_capabilities = []))], /ExecSync: CapBnd\/CapEff\/CapPrm of pid 1 \(\/proc\/1\/status, drop ALL, add NET_BIND_SERVICE\): expected \{ CapBnd: '0000000000000400'.*got \{ CapBnd: '0000000000000000'/));

  // ---- no_new_privs ----
  it(`${NNP} fails when the runtime ignores no_new_privs`, () =>
    expectCheckFails(NNP, [securityContextWith((sc) => (sc.no_new_privs = false))], /ExecSync: NoNewPrivs of pid 1 \(\/proc\/1\/status, no_new_privs=true\): expected \[ '1' \], got \[ '0' \]/));

  it(`${NNP} fails when the setuid binary still raises the effective uid`, () =>
    expectCheckFails(NNP, [stdout('crc-suid-id', () => 'uid=1001 euid=0\n')], /ExecSync: stdout of the setuid-root crc-suid-id run by uid 1001 \(no_new_privs=true\): expected "uid=1001 euid=1001", got "uid=1001 euid=0"/));

  it(`${NO_NNP} fails when the runtime sets no_new_privs anyway`, () =>
    expectCheckFails(NO_NNP, [securityContextWith((sc) => (sc.no_new_privs = true))], /ExecSync: NoNewPrivs of pid 1 \(\/proc\/1\/status, no_new_privs=false\): expected \[ '0' \], got \[ '1' \]/));

  it(`${NO_NNP} fails when the setuid binary does not raise the effective uid`, () =>
    expectCheckFails(NO_NNP, [stdout('crc-suid-id', () => 'uid=1001 euid=1001\n')], /ExecSync: stdout of the setuid-root crc-suid-id run by uid 1001 \(no_new_privs=false\): expected "uid=1001 euid=0", got "uid=1001 euid=1001"/));

  it(`${NNP} fails over v1alpha2 when the runtime ignores no_new_privs`, () =>
    expectCheckFails(NNP, [securityContextWith((sc) => (sc.no_new_privs = false))], /ExecSync: NoNewPrivs of pid 1 .*expected \[ '1' \], got \[ '0' \]/, { criVersion: 'v1alpha2', kubernetes: '1.25' }));

  // ---- masked and read-only paths ----
  it(`${MASKED} fails when the runtime ignores masked_paths`, () =>
    expectCheckFails(MASKED, [securityContextWith((sc) => (sc.masked_paths = []))], /ExecSync: stdout \(cat \/etc\/nsswitch\.conf, a masked file.*\): expected "", got "hosts: files dns\\n"/));

  it(`${MASKED} fails when a masked directory is listed`, () =>
    expectCheckFails(MASKED, [securityContextWith((sc) => (sc.masked_paths = ['/etc/nsswitch.conf']))], /ExecSync: stdout \(ls -A \/home, a masked directory.*\): expected "", got "cruser\\n"/));

  it(`${READONLY} fails when the runtime ignores readonly_paths`, () =>
    expectCheckFails(READONLY, [securityContextWith((sc) => (sc.readonly_paths = []))], /ExecSync: stderr \(touch \/tmp\/crc-ro, \/tmp in readonly_paths\): expected a value matching \/read-only\/i, got "" \(exit_code=0\)/));

  it(`${READONLY} fails when a read-only file stays writable`, () =>
    expectCheckFails(READONLY, [securityContextWith((sc) => (sc.readonly_paths = ['/tmp']))], /ExecSync: stderr \(append to \/etc\/nsswitch\.conf, in readonly_paths\): expected a value matching \/read-only\/i, got "" \(exit_code=0\)/));

  it(`${READONLY} fails when paths outside the list are read-only too`, () =>
    expectCheckFails(READONLY, [securityContextWith((sc) => (sc.readonly_paths = ['/tmp', '/etc']))], /ExecSync: exit_code \(touch \/etc\/crc-rw, a path not in readonly_paths\): expected 0, got 1/));

  it(`${DEFAULTS} fails when the runtime ignores the kubelet's masked_paths`, () =>
    expectCheckFails(DEFAULTS, [securityContextWith((sc) => (sc.masked_paths = []))], /ExecSync: paths of masked_paths \(the kubelet's defaults\) that are no mount point in \/proc\/1\/mountinfo: expected no value, got \[ '\/proc\/acpi'/));

  it(`${DEFAULTS} fails when the runtime ignores the kubelet's readonly_paths`, () =>
    expectCheckFails(DEFAULTS, [securityContextWith((sc) => (sc.readonly_paths = []))], /ExecSync: options of \/proc\/sys in \/proc\/1\/mountinfo \(readonly_paths: the kubelet's defaults\): expected to include "ro", got undefined/));

  it(`${DEFAULTS} fails when a write to /proc/sys is refused for another reason than read-only`, () =>
    expectCheckFails(DEFAULTS, [execAnswer('/proc/sys/kernel/hostname', (r) => Object.assign(r, { exit_code: 1, stderr: Buffer.from('sh: can\'t create /proc/sys/kernel/hostname: Permission denied\n') }))],
      /ExecSync: stderr \(write \/proc\/sys\/kernel\/hostname, \/proc\/sys in readonly_paths\): expected a value matching \/read-only\/i, got "sh: can't create/));

  it(`${UNMASKED} fails when the runtime masks its own defaults for empty lists`, () =>
    expectCheckFails(UNMASKED, [securityContextWith((sc) => (sc.masked_paths = ['/proc/keys', '/proc/timer_list']))], /ExecSync: paths of the kubelet's default masked_paths that are mount points in \/proc\/1\/mountinfo \(masked_paths=\[\]\): expected no value, got \[ '\/proc\/keys'/));

  it(`${UNMASKED} fails when the runtime makes its own default paths read-only for an empty list`, () =>
    expectCheckFails(UNMASKED, [securityContextWith((sc) => (sc.readonly_paths = ['/proc/sys']))], /ExecSync: paths of the kubelet's default readonly_paths that are mount points in \/proc\/1\/mountinfo \(readonly_paths=\[\]\): expected no value, got \[ '\/proc\/sys' \]/));

  it(`${PRIV_PATHS} fails when the runtime applies masked_paths to a privileged container`, () =>
    expectCheckFails(PRIV_PATHS, [securityContextWith((sc) => (sc.privileged = false))], /ExecSync: paths of masked_paths that are mount points in \/proc\/1\/mountinfo \(privileged, the kubelet's defaults sent\): expected no value, got \[ '\/proc\/acpi'/));

  it(`${PRIV_PATHS} fails when the runtime applies readonly_paths to a privileged container`, () =>
    expectCheckFails(PRIV_PATHS, [securityContextWith((sc) => Object.assign(sc, { privileged: false, masked_paths: [] }))], /ExecSync: paths of readonly_paths that are mount points in \/proc\/1\/mountinfo \(privileged, the kubelet's defaults sent\): expected no value, got \[ '\/proc\//));

  // ---- root filesystem ----
  it(`${ROOTFS} fails when the runtime makes the root filesystem read-only anyway`, () =>
    expectCheckFails(ROOTFS, [securityContextWith((sc) => (sc.readonly_rootfs = true))], /ExecSync: options of \/ in \/proc\/1\/mountinfo \(readonly_rootfs=false\): expected to include "rw", got \[ 'ro'/));

  it(`${ROOTFS} fails when a write to the root filesystem does not stick`, () =>
    expectCheckFails(ROOTFS, [stdout('/crc-rootfs-write', () => '')], /ExecSync: stdout \(write then read \/crc-rootfs-write, readonly_rootfs=false\): expected "x\\n", got ""/));
});
