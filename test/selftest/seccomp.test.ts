// Self-tests: each seccomp check fails when the runtime applies another filter than the one asked for. The
// fault proxy rewrites the seccomp fields of the requests (the lab then really runs the container that way),
// or, where only an answer can be wrong, answers ExecSync itself.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expectCheckFails, type Fault, type RunOneOptions } from '../support/selftest.js';

const S = 'seccomp/Seccomp ';
const UNCONFINED = `${S}runtime should run a container with seccomp Unconfined without a filter (Seccomp: 0) [Conformance]`;
const DEFAULT = `${S}runtime should confine a container with seccomp RuntimeDefault (Seccomp: 2) and block unshare without CAP_SYS_ADMIN [Conformance]`;
const LOCALHOST = `${S}runtime should apply a Localhost seccomp profile: the syscalls it blocks fail with EPERM, the rest work [Conformance]`;
const NIL = `${S}runtime should run a container with no seccomp profile (nil) unconfined, as the CRI defines [Conformance]`;
const PRIVILEGED = `${S}runtime should ignore the seccomp profile of a privileged container: sethostname blocked by the profile works [Conformance]`;
const SYSADMIN = `${S}runtime should let a container with CAP_SYS_ADMIN and seccomp Unconfined set the hostname [Conformance]`;
const SYSADMIN_BLOCKED = `${S}runtime should block sethostname for a container with CAP_SYS_ADMIN under a Localhost profile that denies it [Conformance]`;
const POD = `${S}runtime should apply the pod-level seccomp profile to the sandbox's own process (RuntimeDefault: 2, Unconfined: 0)`;
const D = 'seccomp/Seccomp (deprecated seccomp_profile_path) ';
const PATH_DEFAULT = `${D}runtime should confine a container with seccomp_profile_path "runtime/default" (Seccomp: 2)`;
const PATH_UNCONFINED = `${D}runtime should run a container with seccomp_profile_path "unconfined" without a filter (Seccomp: 0)`;
const PATH_LOCALHOST = `${D}runtime should apply seccomp_profile_path "localhost/<path>": the syscalls the profile blocks fail with EPERM`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;
type Sc = Msg;
const V1ALPHA2: RunOneOptions = { criVersion: 'v1alpha2', kubernetes: '1.25' };

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

  it(`${UNCONFINED} fails when the runtime applies its default profile instead`, () =>
    expectCheckFails(UNCONFINED, [container((sc) => void (sc.seccomp = { profile_type: 'RuntimeDefault', localhost_ref: '' }))],
      /ExecSync \(cat \/proc\/1\/status \/proc\/self\/status\): Seccomp: of the container process and of an exec in it, under security_context\.seccomp Unconfined: expected \[ '0', '0' \], got \[ '2', '2' \] \(no seccomp filter may be installed\)/));

  it(`${DEFAULT} fails when the runtime drops the profile`, () =>
    expectCheckFails(DEFAULT, [container((sc) => void (sc.seccomp = null), seccompIs('RuntimeDefault'))], MODE('2', '0')));

  it(`${DEFAULT} fails when the runtime installs a filter that lets unshare through`, () =>
    expectCheckFails(DEFAULT, [container((sc) => void (sc.seccomp = { profile_type: 'Localhost', localhost_ref: chmodOnly }), seccompIs('RuntimeDefault'))],
      /ExecSync \(unshare -U true\): expected the syscall to fail with EPERM "Operation not permitted" \(security_context\.seccomp RuntimeDefault blocks it\), got exit code 0/));

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

  it(`${PATH_DEFAULT} fails over v1alpha2 when the runtime ignores the string field`, () =>
    expectCheckFails(PATH_DEFAULT, [container((sc) => void (sc.seccomp_profile_path = ''))],
      /under security_context\.seccomp_profile_path "runtime\/default": expected \[ '2', '2' \], got \[ '0', '0' \]/, V1ALPHA2));

  it(`${PATH_UNCONFINED} fails over v1alpha2 when the runtime applies its default profile`, () =>
    expectCheckFails(PATH_UNCONFINED, [container((sc) => void (sc.seccomp_profile_path = 'runtime/default'))],
      /under security_context\.seccomp_profile_path "unconfined": expected \[ '0', '0' \], got \[ '2', '2' \]/, V1ALPHA2));

  it(`${PATH_LOCALHOST} fails over v1alpha2 when the runtime ignores the string field`, () =>
    expectCheckFails(PATH_LOCALHOST, [container((sc) => void (sc.seccomp_profile_path = ''))], MODE('2', '0'), V1ALPHA2));

  it(`${PATH_LOCALHOST} fails over v1 when the runtime applies its default profile instead of the file`, () =>
    expectCheckFails(PATH_LOCALHOST, [container((sc) => void (sc.seccomp_profile_path = 'runtime/default'))],
      /ExecSync \(mkdir \/tmp\/crc-blocked\): expected the syscall to fail with EPERM "Operation not permitted" \(security_context\.seccomp_profile_path "localhost\/\/.*block-mkdir\.json" blocks it\), got exit code 0/));
});
