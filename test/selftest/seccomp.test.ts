// Self-tests: each seccomp check fails when the runtime applies another filter than the one asked for. The
// fault proxy rewrites the seccomp fields of the requests (the lab then really runs the container that way),
// or, where only an answer can be wrong, answers ExecSync itself.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { expectCheckFails, runOne, Status, type Fault, type RunOneOptions } from '../support/selftest.js';

const S = 'seccomp/Seccomp ';
const UNCONFINED = `${S}runtime should run a container with seccomp Unconfined without a filter (Seccomp: 0) [Conformance]`;
const DEFAULT = `${S}runtime should confine a container with seccomp RuntimeDefault (Seccomp: 2) [Conformance]`;
const UNSHARE = `${S}runtime should block unshare without CAP_SYS_ADMIN under seccomp RuntimeDefault (EPERM or ENOSYS) [Strict]`;
const LOCALHOST = `${S}runtime should apply a Localhost seccomp profile: the syscalls it blocks fail with EPERM, the rest work [Conformance]`;
const NIL = `${S}runtime should run a container with no seccomp profile (nil) unconfined, as the CRI defines [Conformance]`;
const PRIVILEGED = `${S}runtime should ignore the seccomp profile of a privileged container: sethostname blocked by the profile works [Conformance]`;
const SYSADMIN = `${S}runtime should let a container with CAP_SYS_ADMIN and seccomp Unconfined set the hostname [Conformance]`;
const SYSADMIN_BLOCKED = `${S}runtime should block sethostname for a container with CAP_SYS_ADMIN under a Localhost profile that denies it [Conformance]`;
const POD = `${S}runtime should apply the pod-level seccomp profile RuntimeDefault to the sandbox's own process (Seccomp: 2)`;
const POD_UNCONFINED = `${S}runtime should run the sandbox's own process without a filter under a pod-level seccomp Unconfined (Seccomp: 0) [Strict]`;
const POD_LOCALHOST = `${S}runtime should apply a Localhost seccomp profile set on the sandbox as well as on the container to both [Strict]`;
const D = 'seccomp/Seccomp (deprecated seccomp_profile_path) ';
const PATH_DEFAULT = `${D}runtime should confine a container with seccomp_profile_path "runtime/default" (Seccomp: 2) [Strict] [Feature:SeccompProfilePath]`;
const PATH_UNCONFINED = `${D}runtime should run a container with seccomp_profile_path "unconfined" without a filter (Seccomp: 0) [Strict] [Feature:SeccompProfilePath]`;
const PATH_LOCALHOST = `${D}runtime should apply seccomp_profile_path "localhost/<path>": the syscalls the profile blocks fail with EPERM [Strict] [Feature:SeccompProfilePath]`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;
type Sc = Msg;
const V1ALPHA2: RunOneOptions = { criVersion: 'v1alpha2', kubernetes: '1.25' };
/** The last kubelet that sends seccomp_profile_path (fixtures/profiles.yaml, SeccompProfilePath). */
const K127: RunOneOptions = { kubernetes: '1.27' };
/** The stamp every failure carries: what the check rests on. */
const RESTS = String.raw` \[rests on [^\]]+\]`;

/** Rewrites the container security context of every CreateContainer before the runtime sees it. */
const container = (edit: (sc: Sc) => void, when?: (sc: Sc) => boolean): Fault => ({
  rpc: 'CreateContainer',
  ...(when ? { when: (req: Msg) => when(req.config?.linux?.security_context ?? {}) } : {}),
  mutateRequest: (req) => edit(req.config.linux.security_context),
});
const seccompIs = (type: string) => (sc: Sc) => sc.seccomp?.profile_type === type;
/** Answers ExecSync of this command itself, with this exit code and output. */
const execAnswer = (cmd0: string, exitCode: number, stderr = ''): Fault => ({
  rpc: 'ExecSync',
  when: (req) => req.cmd?.[0] === cmd0,
  respond: () => ({ stdout: Buffer.alloc(0), stderr: Buffer.from(stderr), exit_code: exitCode }),
});

describe('self-test: seccomp', function () {
  this.timeout(600_000);
  // A profile of our own the lab's containerd can read: a filter is installed, but it blocks only chmod.
  let dir = '';
  let chmodOnly = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'crc-seccomp-selftest-'));
    chmodOnly = path.join(dir, 'block-chmod.json');
    writeFileSync(chmodOnly, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod', 'fchmodat'], action: 'SCMP_ACT_ERRNO' }] }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const MODE = (want: string, got: string) => new RegExp(`Seccomp: of the container process and of an exec in it, under .*: expected \\[ '${want}', '${want}' \\], got \\[ '${got}', '${got}' \\]`);
  const BLOCKED = /ExecSync \((unshare -U true|mkdir \/tmp\/crc-blocked|hostname crc-sysadmin)\): expected the syscall to fail with EPERM "Operation not permitted" \(.*blocks it\), got exit code 0/;
  /** A command that fails, but not because a filter refused it. */
  const failsOtherwise = (cmd0: string) => execAnswer(cmd0, 1, `${cmd0}: Invalid argument\n`);
  /** The fault applies only to the n-th request it would match. */
  const nth = (n: number, f: Fault): Fault => {
    let seen = 0;
    return { ...f, when: (req: Msg) => (f.when ? f.when(req) : true) && ++seen === n };
  };

  it(`${UNCONFINED} fails when the runtime applies its default profile instead`, () =>
    expectCheckFails(UNCONFINED, [container((sc) => void (sc.seccomp = { profile_type: 'RuntimeDefault', localhost_ref: '' }))],
      /ExecSync \(cat \/proc\/1\/status \/proc\/self\/status\): Seccomp: of the container process and of an exec in it, under security_context\.seccomp Unconfined: expected \[ '0', '0' \], got \[ '2', '2' \] \(no seccomp filter may be installed\)/));

  it(`${DEFAULT} fails when the runtime drops the profile`, () =>
    expectCheckFails(DEFAULT, [container((sc) => void (sc.seccomp = null), seccompIs('RuntimeDefault'))], MODE('2', '0')));

  it(`${UNSHARE} fails when the runtime installs a filter that lets unshare through`, () =>
    expectCheckFails(UNSHARE, [container((sc) => void (sc.seccomp = { profile_type: 'Localhost', localhost_ref: chmodOnly }), seccompIs('RuntimeDefault'))],
      new RegExp(String.raw`ExecSync \(unshare -U true\): expected the syscall to fail with EPERM "Operation not permitted" or ENOSYS "Function not implemented" \(security_context\.seccomp RuntimeDefault blocks it\), got exit code 0, output ""` + String.raw` \[rests on our opinion, not the contract: "the CRI leaves RuntimeDefault's contents`)));

  it(`${UNSHARE} fails when unshare fails for another reason than a filter (no errno EPERM or ENOSYS)`, () =>
    // The first unshare is the unconfined control, which must go through; the second is the judged one.
    expectCheckFails(UNSHARE, [nth(2, failsOtherwise('unshare'))],
      /ExecSync \(unshare -U true\): expected the syscall to fail with EPERM .* or ENOSYS .* got exit code 1, output "unshare: Invalid argument"/));

  it(`${DEFAULT} fails when the runtime drops the profile of a container whose pod has RuntimeDefault too`, () =>
    expectCheckFails(DEFAULT, [container((sc) => void (sc.seccomp = { profile_type: 'Unconfined', localhost_ref: '' }), seccompIs('RuntimeDefault'))],
      new RegExp(String.raw`under security_context\.seccomp RuntimeDefault: expected \[ '2', '2' \], got \[ '0', '0' \] \(a seccomp filter must be installed\)` + RESTS)));

  it(`${LOCALHOST} fails when the runtime runs the container unconfined`, () =>
    expectCheckFails(LOCALHOST, [container((sc) => void (sc.seccomp = { profile_type: 'Unconfined', localhost_ref: '' }))], MODE('2', '0')));

  it(`${LOCALHOST} fails when the runtime applies its default profile instead of the given one`, () =>
    expectCheckFails(LOCALHOST, [container((sc) => void (sc.seccomp = { profile_type: 'RuntimeDefault', localhost_ref: '' }))],
      /ExecSync \(mkdir \/tmp\/crc-blocked\): expected the syscall to fail with EPERM "Operation not permitted" \(security_context\.seccomp Localhost \/.*block-mkdir\.json blocks it\), got exit code 0/));

  it(`${LOCALHOST} fails when a syscall the profile allows fails`, () =>
    expectCheckFails(LOCALHOST, [execAnswer('touch', 1, "touch: /tmp/crc-allowed: Operation not permitted\n")],
      /ExecSync \(touch \/tmp\/crc-allowed\): exit_code: expected 0, got 1 \(security_context\.seccomp Localhost .* allows it; output "touch: \/tmp\/crc-allowed: Operation not permitted"\)/));

  it(`${NIL} fails when the runtime applies a filter to a container that asked for none`, () =>
    expectCheckFails(NIL, [container((sc) => void (sc.seccomp = { profile_type: 'RuntimeDefault', localhost_ref: '' }))],
      /Seccomp: of the container process and of an exec in it, under no security_context\.seccomp and no seccomp_profile_path: expected \[ '0', '0' \], got \[ '2', '2' \]/));

  it(`${PRIVILEGED} fails when the runtime applies the profile to the privileged container`, () =>
    expectCheckFails(PRIVILEGED, [container((sc) => void (sc.privileged = false))],
      /ExecSync \(hostname crc-privileged\): exit_code: expected 0, got 1 \(privileged: true with security_context\.seccomp Localhost .*block-sethostname\.json allows it; output "hostname: sethostname: Operation not permitted"\)/));

  it(`${PRIVILEGED} fails when the privileged container still runs under a filter`, () =>
    // Unprivileged, with CAP_SYS_ADMIN and the default profile: sethostname works, but a filter is installed.
    expectCheckFails(PRIVILEGED, [container((sc) => {
      sc.privileged = false;
      sc.capabilities = { add_capabilities: ['SYS_ADMIN'], drop_capabilities: [], add_ambient_capabilities: [] };
      sc.seccomp = { profile_type: 'RuntimeDefault', localhost_ref: '' };
    })], /under privileged: true \(which overrides any seccomp profile\): expected \[ '0', '0' \], got \[ '2', '2' \]/));

  it(`${SYSADMIN} fails when the runtime drops the added capability`, () =>
    expectCheckFails(SYSADMIN, [container((sc) => void (sc.capabilities = null))],
      /ExecSync \(hostname crc-sysadmin\): exit_code: expected 0, got 1 \(capabilities\.add_capabilities \[SYS_ADMIN\] with seccomp Unconfined allows it/));

  it(`${SYSADMIN_BLOCKED} fails when the runtime ignores the Localhost profile`, () =>
    expectCheckFails(SYSADMIN_BLOCKED, [container((sc) => void (sc.seccomp = null))], BLOCKED));

  it(`${POD} fails when the runtime leaves the sandbox unconfined`, () =>
    expectCheckFails(POD, [{ rpc: 'RunPodSandbox', mutateRequest: (req) => void (req.config.linux.security_context.seccomp = null) }],
      /ExecSync \(cat \/proc\/1\/status \/proc\/self\/status\): Seccomp: of the sandbox process \(PID 1\) under LinuxSandboxSecurityContext\.seccomp RuntimeDefault: expected "2", got "0"/));

  const sandboxSeccomp = (profile: Msg): Fault => ({ rpc: 'RunPodSandbox', mutateRequest: (req) => void (req.config.linux.security_context.seccomp = profile) });

  it(`${POD} skips, naming why, when PID 1 is the container's own process (a sandbox without a process)`, async () => {
    const r = await runOne(POD, [{ rpc: 'ExecSync', when: (req) => (req.cmd ?? []).join(' ') === 'cat /proc/1/cmdline', respond: () => ({ stdout: Buffer.from('sleep\u00003600\u0000'), stderr: Buffer.alloc(0), exit_code: 0 }) }]);
    expect(r.status, r.message).to.equal('skipped');
    expect(r.message).to.match(/PID 1 of the pod-wide PID namespace is the container's own "sleep", not a sandbox process/);
  });

  // This node's bounding set decides whether a start it forbids is a host limit (skip) or the runtime's error (fail).
  const bnd = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
  const lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  const lacks = (cap: number) => (bnd & (1n << BigInt(cap))) === 0n;
  const incomplete = [...Array(lastCap + 1).keys()].some(lacks);

  it(`${POD} skips naming the host limit, or fails on a node with CAP_SYS_RESOURCE, when the sandbox cannot lower its oom_score_adj`, async () => {
    const r = await runOne(POD, [{ rpc: 'RunPodSandbox', error: { code: Status.UNKNOWN, details: 'container create failed: nsexec[1]: failed to update /proc/self/oom_score_adj: Permission denied' } }]);
    if (lacks(24)) {
      expect(r.status, r.message).to.equal('skipped');
      expect(r.message).to.match(/^host limit: the node's capability bounding set lacks SYS_RESOURCE \(CapBnd [0-9a-f]{16} in \/proc\/self\/status, cap_last_cap \d+/);
    } else {
      expect(r.status, r.message).to.equal('failed');
    }
  });

  it(`${PRIVILEGED} skips naming the host limit on an incomplete bounding set, or fails on a complete one, when runc cannot apply every capability`, async () => {
    const r = await runOne(PRIVILEGED, [{ rpc: 'CreateContainer', error: { code: Status.UNKNOWN, details: 'runc create failed: unable to start container process: unable to apply caps: operation not permitted' } }]);
    if (incomplete) {
      expect(r.status, r.message).to.equal('skipped');
      expect(r.message).to.match(/^host limit: the node's capability bounding set lacks [A-Z_]+(, [A-Z_]+)* \(CapBnd/);
    } else {
      expect(r.status, r.message).to.equal('failed');
    }
  });

  it(`${PRIVILEGED} fails, whatever the node, when the start fails for another reason`, async () => {
    const r = await runOne(PRIVILEGED, [{ rpc: 'CreateContainer', error: { code: Status.UNKNOWN, details: 'something else broke' } }]);
    expect(r.status, r.message).to.equal('failed');
  });

  it(`${POD_UNCONFINED} fails when the runtime applies its default profile to the sandbox`, () =>
    expectCheckFails(POD_UNCONFINED, [sandboxSeccomp({ profile_type: 'RuntimeDefault', localhost_ref: '' })],
      new RegExp(String.raw`Seccomp: of the sandbox process \(PID 1\) under LinuxSandboxSecurityContext\.seccomp Unconfined: expected "0", got "2"` + RESTS)));

  it(`${POD_LOCALHOST} fails when the runtime leaves the sandbox unconfined`, () =>
    expectCheckFails(POD_LOCALHOST, [sandboxSeccomp({ profile_type: 'Unconfined', localhost_ref: '' })],
      /Seccomp: of the sandbox process \(PID 1\) under LinuxSandboxSecurityContext\.seccomp Localhost \/\S+block-mkdir\.json: expected "2", got "0"/));

  it(`${POD_LOCALHOST} fails when the container's profile is dropped (the sandbox keeps it)`, () =>
    expectCheckFails(POD_LOCALHOST, [container((sc) => void (sc.seccomp = { profile_type: 'Unconfined', localhost_ref: '' }), seccompIs('Localhost'))],
      /ExecSync \(mkdir \/tmp\/crc-blocked\): expected the syscall to fail with EPERM "Operation not permitted" \(security_context\.seccomp Localhost \S+ \(the sandbox has it too\) blocks it\), got exit code 0/));

  it(`${PATH_DEFAULT} is not judged for kubelet 1.28, which no longer sends seccomp_profile_path`, async () => {
    const r = await runOne(PATH_DEFAULT, [], { kubernetes: '1.28' });
    expect(r.status, r.message).to.equal('skipped');
    expect(r.message).to.match(/Feature:SeccompProfilePath is not part of kubelet 1\.28/);
  });

  it(`${PATH_DEFAULT} fails over v1alpha2 when the runtime ignores the string field`, () =>
    expectCheckFails(PATH_DEFAULT, [container((sc) => void (sc.seccomp_profile_path = ''))],
      /under security_context\.seccomp_profile_path "runtime\/default": expected \[ '2', '2' \], got \[ '0', '0' \]/, V1ALPHA2));

  it(`${PATH_UNCONFINED} fails over v1alpha2 when the runtime applies its default profile`, () =>
    expectCheckFails(PATH_UNCONFINED, [container((sc) => void (sc.seccomp_profile_path = 'runtime/default'))],
      /under security_context\.seccomp_profile_path "unconfined": expected \[ '0', '0' \], got \[ '2', '2' \]/, V1ALPHA2));

  it(`${PATH_LOCALHOST} fails over v1alpha2 when the runtime ignores the string field`, () =>
    expectCheckFails(PATH_LOCALHOST, [container((sc) => void (sc.seccomp_profile_path = ''))], MODE('2', '0'), V1ALPHA2));

  it(`${PATH_LOCALHOST} fails over v1 (kubelet 1.27) when the runtime applies its default profile instead of the file`, () =>
    expectCheckFails(PATH_LOCALHOST, [container((sc) => void (sc.seccomp_profile_path = 'runtime/default'))],
      /ExecSync \(mkdir \/tmp\/crc-blocked\): expected the syscall to fail with EPERM "Operation not permitted" \(security_context\.seccomp_profile_path "localhost\/\/.*block-mkdir\.json" blocks it\), got exit code 0/, K127));

  it(`${LOCALHOST} fails when the blocked syscall fails for another reason than the filter`, () =>
    expectCheckFails(LOCALHOST, [failsOtherwise('mkdir')],
      /ExecSync \(mkdir \/tmp\/crc-blocked\): expected the syscall to fail with EPERM "Operation not permitted" \(.*\), got exit code 1, output "mkdir: Invalid argument"/));
});
