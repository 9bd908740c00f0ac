// Self-tests: each identity check fails with a useful message when the runtime runs the container as
// someone else (the request's security context rewritten, so the runtime really does) or answers wrong.
import { expectCheckFails, type Fault } from '../support/selftest.js';
import { execAnswer, securityContextWith } from '../support/faults.js';

const U = 'identity/Users and groups ';
const AS_USER = `${U}runtime should run the process as run_as_user, with the primary group and groups the image gives that user [Strict]`;
const AS_NAME = `${U}runtime should resolve run_as_username through the image's /etc/passwd [Conformance]`;
const AS_GROUP = `${U}runtime should run the process with run_as_group as its primary group [Conformance]`;
const GROUP_ONLY = `${U}runtime should reject run_as_group without run_as_user or run_as_username [Conformance]`;
const SUPP = `${U}runtime should add supplemental_groups to the groups of the container's processes [Conformance]`;
const SUPP_USER = `${U}runtime should add supplemental_groups to those of run_as_user and keep its primary group [Strict]`;
const P = 'identity/SupplementalGroupsPolicy ';
const MERGE = `${P}runtime should merge the groups of the image's /etc/group with supplemental_groups (Merge) and report them in ContainerStatus.user [Feature:SupplementalGroupsPolicy]`;
const STRICT = `${P}runtime should ignore the image's /etc/group under Strict and report the groups in ContainerStatus.user [Feature:SupplementalGroupsPolicy]`;
const I = 'identity/Image USER ';
const IMAGE_USER = `${I}runtime should run the image's USER when the config names no user [Conformance]`;
const IMAGE_UID = `${I}runtime should run the image's USER when the config names no user [Conformance]`;
const IMAGE_GID = `${I}runtime should give the image's USER the group it names, else its /etc/passwd group, else 0 [Strict]`;
const IMAGE_GROUPS = `${I}runtime should give the image's USER the groups the image's /etc/group gives it, and not root's [Conformance] [Strict]`;
const OVERRIDE = `${I}runtime should let run_as_user, including 0, and run_as_group override the image's USER [Conformance]`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

/** The kubelet sends the image id as ImageSpec.image and the pod spec's name as user_specified_image. */
const ofImage = (name: string) => (config: Msg) => `${config.image?.user_specified_image ?? ''} ${config.image?.image ?? ''}`.includes(`/cri-conformance/${name}:`);

const stdout = (needle: string, text: (was: string) => string): Fault => execAnswer(needle, (r) => void (r.stdout = Buffer.from(text(r.stdout.toString('utf8')))));
/** /proc/1/status with one line's value replaced. */
const statusLine = (key: string, value: string): Fault => stdout('/proc/1/status', (s) => s.replace(new RegExp(`^${key}:.*$`, 'm'), `${key}:\t${value}`));

/** Status claims SupplementalGroupsPolicy support (containerd 1.6.20 does not), so the gated tests run. */
const claimPolicy: Fault = { rpc: 'Status', mutate: (r) => void (r.features = { ...(r.features ?? {}), supplemental_groups_policy: true }) };
/** ContainerStatus reports this user (containerd 1.6.20 reports none). */
const reportUser = (linux: Msg): Fault => ({ rpc: 'ContainerStatus', mutate: (r) => void (r.status && (r.status.user = { linux })) });

describe('self-test: identity', function () {
  this.timeout(600_000);

  it(`${IMAGE_UID} fails when ImageStatus reports another uid than the one the container runs as`, () =>
    expectCheckFails(IMAGE_UID, [{ rpc: 'ImageStatus', mutate: (r) => void (r.image?.uid && (r.image.uid.value = '4242')) }],
      /ImageStatus: image\.uid \(image user-uid\): expected "1002", got "4242" \(the uid its container runs as\)/));

  it(`${IMAGE_UID} fails when ImageStatus reports another user name than the one the container runs as`, () =>
    expectCheckFails(IMAGE_UID, [{ rpc: 'ImageStatus', mutate: (r) => void (r.image?.username && (r.image.username = 'someone')) }],
      /ImageStatus: image\.username \(image user-name\): expected "cruser", got "someone" \(the user its container runs as\)/));

  // ---- run_as_user ----
  it(`${AS_USER} fails when the runtime ignores run_as_user`, () =>
    expectCheckFails(AS_USER, [securityContextWith((sc) => delete sc.run_as_user)], /ExecSync: Uid of pid 1 \(\/proc\/1\/status, run_as_user=1001\): expected \[ '1001', '1001', '1001', '1001' \], got \[ '0', '0', '0', '0' \]/));

  it(`${AS_USER} fails when the process runs with another primary group`, () =>
    expectCheckFails(AS_USER, [securityContextWith((sc) => (sc.run_as_group = { value: '2002' }))], /ExecSync: Gid of pid 1 \(\/proc\/1\/status, run_as_user=1001.*\): expected \[ '1001', '1001', '1001', '1001' \], got \[ '2002'/));

  it(`${AS_USER} fails when the groups of the image's /etc/group are missing`, () =>
    expectCheckFails(AS_USER, [statusLine('Groups', '1001 ')], /ExecSync: Groups of pid 1 \(\/proc\/1\/status, run_as_user=1001.*\): expected to include "1005", got \[ '1001' \]/));

  it(`${AS_USER} fails when an exec runs with other groups than the container's process`, () =>
    expectCheckFails(AS_USER, [stdout('id -G', () => '1001\n')], /ExecSync: id -G \(exec, run_as_user=1001\): expected exactly \["1001", "1005"\] in any order, got \[ '1001' \]/));

  // ---- run_as_username ----
  it(`${AS_NAME} fails when the container is put in the pod's PID namespace (namespace_options.pid POD): pid 1 is the sandbox's`, () =>
    expectCheckFails(AS_NAME, [securityContextWith((sc) => void (sc.namespace_options.pid = 'POD'))],
      /ExecSync: argv\[0\] of pid 1 \(\/proc\/1\/cmdline, namespace_options\.pid CONTAINER\): expected one of .*, got "[^"]*pause[^"]*"/));

  it(`${AS_NAME} fails when the runtime ignores run_as_username`, () =>
    expectCheckFails(AS_NAME, [securityContextWith((sc) => delete sc.run_as_username)], /ExecSync: Uid of pid 1 \(\/proc\/1\/status, run_as_username=cruser.*\): expected \[ '1001'.*got \[ '0'/));

  it(`${AS_NAME} fails when the user's group from /etc/passwd is not applied`, () =>
    expectCheckFails(AS_NAME, [statusLine('Gid', '0\t0\t0\t0')], /ExecSync: Gid of pid 1 \(\/proc\/1\/status, run_as_username=cruser, gid 1001 in \/etc\/passwd\): expected \[ '1001'.*got \[ '0'/));

  it(`${AS_NAME} fails when id -un names another user`, () =>
    expectCheckFails(AS_NAME, [stdout('id -un', () => 'root\n')], /ExecSync: id -un \(exec, run_as_username=cruser\): expected "cruser", got "root"/));

  // ---- run_as_group ----
  it(`${AS_GROUP} fails when the runtime ignores run_as_group`, () =>
    expectCheckFails(AS_GROUP, [securityContextWith((sc) => delete sc.run_as_group)], /ExecSync: Gid of pid 1 \(\/proc\/1\/status, run_as_user=1001 run_as_group=2002\): expected \[ '2002'.*got \[ '1001'/));

  it(`${AS_GROUP} fails when the process runs as another user`, () =>
    expectCheckFails(AS_GROUP, [securityContextWith((sc) => (sc.run_as_user = { value: '1002' }))], /ExecSync: Uid of pid 1 \(\/proc\/1\/status, run_as_user=1001 run_as_group=2002\): expected \[ '1001'.*got \[ '1002'/));

  it(`${AS_GROUP} fails when id -g in an exec answers another group`, () =>
    expectCheckFails(AS_GROUP, [stdout('id -g', () => '1001\n')], /ExecSync: id -g \(exec, run_as_group=2002\): expected "2002", got "1001"/));

  it(`${GROUP_ONLY} fails when the runtime accepts run_as_group without a user`, () =>
    expectCheckFails(GROUP_ONLY, [securityContextWith((sc) => (sc.run_as_user = { value: '1001' }))], /CreateContainer \(run_as_group=2002 without a user\): expected an error \(a group without a user is invalid.*\), got success/));

  // ---- supplemental_groups ----
  it(`${SUPP} fails when the runtime ignores supplemental_groups`, () =>
    expectCheckFails(SUPP, [securityContextWith((sc) => delete sc.supplemental_groups)], /ExecSync: Groups of pid 1 \(\/proc\/1\/status, supplemental_groups=\[1234,5678\]\): expected to include "1234", got \[ '0' \]|got \[\]/));

  it(`${SUPP} fails when an exec does not get the supplemental groups`, () =>
    expectCheckFails(SUPP, [stdout('id -G', () => '0\n')], /ExecSync: id -G \(exec, supplemental_groups=\[1234,5678\]\): expected to include "1234", got \[ '0' \]/));

  it(`${SUPP_USER} fails when the runtime ignores supplemental_groups for a non-root user`, () =>
    expectCheckFails(SUPP_USER, [securityContextWith((sc) => delete sc.supplemental_groups)], /ExecSync: Groups of pid 1 \(\/proc\/1\/status, run_as_user=1001 supplemental_groups=\[1234\]\): expected exactly \["1001", "1005", "1234"\] in any order, got \[ '1001', '1005' \]/));

  it(`${SUPP_USER} fails when a supplemental group replaces the primary group`, () =>
    expectCheckFails(SUPP_USER, [statusLine('Gid', '1234\t1234\t1234\t1234')], /ExecSync: Gid of pid 1 \(\/proc\/1\/status, run_as_user=1001 supplemental_groups=\[1234\]\): expected \[ '1001'.*got \[ '1234'/));

  // ---- SupplementalGroupsPolicy (claimed: containerd 1.6.20 does not advertise it) ----
  const merged = { uid: '1001', gid: '1001', supplemental_groups: ['1001', '1005', '1234'] };
  const strict = { uid: '1001', gid: '1001', supplemental_groups: ['1001', '1234'] };

  it(`${MERGE} fails when the runtime ignores supplemental_groups under Merge`, () =>
    expectCheckFails(MERGE, [claimPolicy, securityContextWith((sc) => delete sc.supplemental_groups)], /ExecSync: Groups of pid 1 \(\/proc\/1\/status, policy Merge\): expected exactly \["1001", "1005", "1234"\] in any order, got \[ '1001', '1005' \]/));

  it(`${MERGE} fails when ContainerStatus has no user (a runtime claiming the feature must report it)`, () =>
    expectCheckFails(MERGE, [claimPolicy], /ContainerStatus: status\.user\.linux\.uid \(policy Merge\): expected "1001", got undefined/));

  it(`${MERGE} fails when ContainerStatus.user reports another gid`, () =>
    expectCheckFails(MERGE, [claimPolicy, reportUser({ ...merged, gid: '0' })], /ContainerStatus: status\.user\.linux\.gid \(policy Merge\): expected "1001", got "0"/));

  it(`${MERGE} fails when ContainerStatus.user reports other groups than the process has`, () =>
    expectCheckFails(MERGE, [claimPolicy, reportUser({ ...merged, supplemental_groups: ['1001', '1234'] })], /ContainerStatus: status\.user\.linux\.supplemental_groups \(policy Merge\): expected exactly \["1001", "1005", "1234"\] in any order, got \[ '1001', '1234' \]/));

  it(`${MERGE} fails when an exec'd process lacks the image's group`, () =>
    expectCheckFails(MERGE, [claimPolicy, reportUser(merged), stdout('id -G', () => '1001 1234\n')],
      /ExecSync: id -G \(exec, policy Merge\): expected exactly \["1001", "1005", "1234"\] in any order, got \[ '1001', '1234' \] \(an exec runs with the groups Merge gives the container\)/));

  it(`${STRICT} fails when the runtime accepts Strict and still adds the image's groups (containerd 1.6.20 claimed)`, () =>
    expectCheckFails(STRICT, [claimPolicy], /ExecSync: Groups of pid 1 \(\/proc\/1\/status, policy Strict\): expected exactly \["1001", "1234"\] in any order, got \[ '1001', '1005', '1234' \]/));

  it(`${STRICT} fails when ContainerStatus.user reports another uid`, () =>
    expectCheckFails(STRICT, [claimPolicy, statusLine('Groups', '1001 1234 '), reportUser({ ...strict, uid: '0' })], /ContainerStatus: status\.user\.linux\.uid \(policy Strict\): expected "1001", got "0"/));

  it(`${STRICT} fails when ContainerStatus.user reports another gid`, () =>
    expectCheckFails(STRICT, [claimPolicy, statusLine('Groups', '1001 1234 '), reportUser({ ...strict, gid: '1234' })], /ContainerStatus: status\.user\.linux\.gid \(policy Strict\): expected "1001", got "1234"/));

  it(`${STRICT} fails when ContainerStatus.user reports the merged groups`, () =>
    expectCheckFails(STRICT, [claimPolicy, statusLine('Groups', '1001 1234 '), reportUser(merged)], /ContainerStatus: status\.user\.linux\.supplemental_groups \(policy Strict\): expected exactly \["1001", "1234"\] in any order, got \[ '1001', '1005', '1234' \]/));

  it(`${STRICT} fails when an exec'd process still gets the image's groups (pid 1 and ContainerStatus faked right)`, () =>
    expectCheckFails(STRICT, [claimPolicy, statusLine('Groups', '1001 1234 '), reportUser(strict)],
      /ExecSync: id -G \(exec, policy Strict\): expected exactly \["1001", "1234"\] in any order, got \[ '1001', '1005', '1234' \] \(an exec runs with the groups Strict gives the container, not crgroup 1005\)/));

  // ---- image USER ----
  it(`${IMAGE_USER} fails when the runtime runs every image as root`, () =>
    expectCheckFails(IMAGE_USER, [securityContextWith((sc) => (sc.run_as_user = { value: '0' }))], /ExecSync: Uid of pid 1 \(\/proc\/1\/status, image user-uid, no run_as_user\): expected \[ '1002'.*got \[ '0'/));

  it(`${IMAGE_GID} fails when the image's group is not applied`, () =>
    expectCheckFails(IMAGE_GID, [securityContextWith((sc) => Object.assign(sc, { run_as_user: { value: '1003' }, run_as_group: { value: '7' } }), ofImage('user-uid-gid'))],
      /ExecSync: Gid of pid 1 \(\/proc\/1\/status, image user-uid-gid, no run_as_group\): expected \[ '1004'.*got \[ '7'/));

  it(`${IMAGE_GROUPS} fails when the image's /etc/group membership is missing`, () =>
    expectCheckFails(IMAGE_GROUPS, [statusLine('Groups', '1001 ')], /ExecSync: Groups of pid 1 \(\/proc\/1\/status, image USER cruser\): expected to include "1005", got \[ '1001' \]/));

  it(`${IMAGE_GROUPS} fails when the image's USER also gets root's group`, () =>
    expectCheckFails(IMAGE_GROUPS, [statusLine('Groups', '0 1001 1005 ')], /ExecSync: Groups of pid 1 \(\/proc\/1\/status, image USER cruser\): expected not to include "0", got \[ '0', '1001', '1005' \]/));

  it(`${OVERRIDE} fails when run_as_user does not override the image's USER`, () =>
    expectCheckFails(OVERRIDE, [securityContextWith((sc) => (sc.run_as_user = { value: '1003' }), ofImage('user-uid-gid'))], /ExecSync: Uid of pid 1 \(\/proc\/1\/status, image USER 1003:1004, run_as_user=1001\): expected \[ '1001'.*got \[ '1003'/));

  it(`${OVERRIDE} fails when run_as_group does not override the image's group`, () =>
    expectCheckFails(OVERRIDE, [securityContextWith((sc) => (sc.run_as_group = { value: '1004' }), ofImage('user-uid-gid'))], /ExecSync: Gid of pid 1 \(\/proc\/1\/status, image USER 1003:1004, run_as_group=2002\): expected \[ '2002'.*got \[ '1004'/));

  it(`${OVERRIDE} fails when run_as_user 0 is treated as unset`, () =>
    expectCheckFails(OVERRIDE, [securityContextWith((sc) => delete sc.run_as_user, ofImage('nonroot'))], /ExecSync: Uid of pid 1 \(\/proc\/1\/status, image USER 1001, run_as_user=0\): expected \[ '0'.*got \[ '1001'/));

  // ---- over runtime.v1alpha2 (the fields exist there too) ----
  it(`${AS_GROUP} fails over v1alpha2 when the runtime ignores run_as_group`, () =>
    expectCheckFails(AS_GROUP, [securityContextWith((sc) => delete sc.run_as_group)], /ExecSync: Gid of pid 1 .*expected \[ '2002'.*got \[ '1001'/, { criVersion: 'v1alpha2', kubernetes: '1.25' }));
});
