// Self-tests of the AppArmor and SELinux checks. This node has neither LSM, so every test here pretends the
// host feature is present (RunOneOptions.hostFeatures) and shows each check failing on a wrong answer: the lab
// runtime's real answer where it already is one (no label, an unlabelled mount table, a malformed level
// accepted), the proxy stripping the LSM fields from CreateContainer, or ExecSync answered by the proxy with a
// fake label or write result. The checks are therefore proven here only against fake answers.
import { expect } from 'chai';
import { expectCheckFails, runOne, Status, type Fault, type RunOneOptions } from '../support/selftest.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;
const present = { present: true, evidence: 'pretended by the self-test' };
const APPARMOR: RunOneOptions = { hostFeatures: { apparmor: present, loadAppArmorProfiles: async () => undefined, unloadAppArmorProfiles: async () => undefined } };
const SELINUX: RunOneOptions = { hostFeatures: { selinux: present } };

/** The lab refuses AppArmor profiles it cannot apply: the runtime under test "ignores" them instead. */
const stripAppArmor: Fault = {
  rpc: 'CreateContainer',
  mutateRequest: (req) => {
    const sc = req.config.linux.security_context;
    sc.apparmor = null;
    sc.apparmor_profile = '';
  },
};
const isCmd = (...cmd: string[]) => (req: Msg) => JSON.stringify(req.cmd) === JSON.stringify(cmd);
const answer = (stdout: string, exitCode = 0, stderr = '') => ({ stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), exit_code: exitCode });
/** ExecSync of `cat /proc/self/attr/current` answers these labels, one per call (the last one repeats). */
const labels = (...ls: string[]): Fault => {
  let n = 0;
  return { rpc: 'ExecSync', when: isCmd('cat', '/proc/self/attr/current'), respond: () => answer(`${ls[Math.min(n++, ls.length - 1)]!}\n`) };
};
const touchFails = (msg: string): Fault => ({ rpc: 'ExecSync', when: (req) => req.cmd?.[0] === 'touch', respond: () => answer('', 1, `touch: ${msg}\n`) });

const AD = 'lsm/AppArmor (deprecated apparmor_profile) ';
const AF = 'lsm/AppArmor (apparmor field) ';
const AB = 'lsm/AppArmor (apparmor field wins over apparmor_profile) ';
const REFUSED = [
  `${AD}runtime should refuse a container whose apparmor_profile is not loaded [Feature:AppArmorProfilePath]`,
  `${AF}runtime should refuse a container whose apparmor Localhost profile is not loaded [Conformance] [Feature:AppArmorField]`,
  `${AB}runtime should refuse a container when both fields name a profile that is not loaded [Conformance] [Feature:AppArmorField]`,
];
const DENY = [
  `${AD}runtime should enforce an apparmor_profile that denies writes [Feature:AppArmorProfilePath]`,
  `${AF}runtime should enforce an apparmor Localhost profile that denies writes [Conformance] [Feature:AppArmorField]`,
  `${AB}runtime should enforce the apparmor field's deny-write profile over an unloaded apparmor_profile [Strict] [Feature:AppArmorField]`,
];
const AUDIT = [
  `${AD}runtime should run a container under a permissive (audit-only) apparmor_profile [Feature:AppArmorProfilePath]`,
  `${AF}runtime should run a container under a permissive (audit-only) apparmor Localhost profile [Conformance] [Feature:AppArmorField]`,
  `${AB}runtime should run under the apparmor field's audit-only profile over an unloaded apparmor_profile [Strict] [Feature:AppArmorField]`,
];
const AA_UNCONFINED = `${AB}runtime should run a container unconfined when the apparmor field says Unconfined, whatever apparmor_profile says [Strict] [Feature:AppArmorField]`;
/** The deprecated string alone is judged for the kubelets that sent it alone (through 1.29); the structured field from 1.30. */
const forRelease = (id: string, o: RunOneOptions): RunOneOptions => (id.includes('[Feature:AppArmorProfilePath]') ? { ...o, kubernetes: '1.29' } : o);
const expectFails = (id: string, faults: Fault[], message: RegExp, o: RunOneOptions = {}) => expectCheckFails(id, faults, message, forRelease(id, o));
const runAs = (id: string, faults: Fault[], o: RunOneOptions = {}) => runOne(id, faults, forRelease(id, o));

const fixLevel: Fault = { rpc: 'CreateContainer', mutateRequest: (req) => void (req.config.linux.security_context.selinux_options.level = 's0:c4,c5') };
const SE = (pod: string) => `lsm/SELinux (${pod} pod) `;
const TWO_PODS = 'lsm/SELinux (two unprivileged pods) runtime should give containers of two pods different process labels [Strict]';

describe('self-test: lsm (AppArmor)', function () {
  this.timeout(600_000);

  it(`${DENY[1]!} skips, naming the missing host feature, on this node without AppArmor`, async () => {
    const r = await runAs(DENY[1]!, []);
    expect(r.status, r.message).to.equal('skipped');
    expect(r.message).to.match(/^AppArmor is not enabled on this node \(\/sys\/module\/apparmor\/parameters\/enabled (absent|reads "N")\)$/);
  });

  it(`${AUDIT[1]!} skips, naming the missing tool, where AppArmor is on but its profiles cannot be loaded`, async () => {
    const r = await runAs(AUDIT[1]!, [], { hostFeatures: { apparmor: present, loadAppArmorProfiles: async () => { throw new Error('apparmor_parser -r failed on the test profiles: spawn apparmor_parser ENOENT'); } } });
    expect(r.status, r.message).to.equal('skipped');
    expect(r.message).to.equal('cannot load the AppArmor test profiles on this node: apparmor_parser -r failed on the test profiles: spawn apparmor_parser ENOENT');
  });

  it(`${DENY[0]!} is not judged for kubelet 1.30, which sends the structured field beside it`, async () => {
    const r = await runOne(DENY[0]!, [], { ...APPARMOR, kubernetes: '1.30' });
    expect(r.status, r.message).to.equal('skipped');
    expect(r.message).to.match(/Feature:AppArmorProfilePath is not part of kubelet 1\.30/);
  });

  it(`${DENY[1]!} is not judged for kubelet 1.29, which sends only apparmor_profile`, async () => {
    const r = await runOne(DENY[1]!, [], { ...APPARMOR, kubernetes: '1.29' });
    expect(r.status, r.message).to.equal('skipped');
    expect(r.message).to.match(/Feature:AppArmorField is not part of kubelet 1\.29/);
  });

  for (const id of REFUSED) {
    it(`${id} fails when the runtime ignores the unloaded profile and creates the container`, () =>
      expectFails(id, [stripAppArmor], /^CreateContainer and StartContainer \(.*crc-apparmor-not-loaded.*\): expected an error \(profile crc-apparmor-not-loaded is not loaded on the node\), got success \[rests on api\.proto [^\]]+\]$/, APPARMOR));
  }
  for (const id of REFUSED) {
    it(`${id} passes when the runtime refuses the unloaded profile at StartContainer instead`, async () => {
      const r = await runAs(id, [stripAppArmor, { rpc: 'StartContainer', error: { code: Status.UNKNOWN, details: 'apparmor profile crc-apparmor-not-loaded not found' } }], APPARMOR);
      expect(r.status, r.message).to.equal('passed');
    });
  }

  for (const id of DENY) {
    it(`${id} fails when the runtime leaves the container unconfined and writes work`, () =>
      expectFails(id, [stripAppArmor, labels('crc-apparmor-deny-write (enforce)')],
        /^ExecSync \(touch \/tmp\/crc-apparmor\): expected the write to be denied \(.*: profile crc-apparmor-deny-write denies writes\), got success \[rests on [^\]]+\]$/, APPARMOR));
  }
  it(`${DENY[0]!} fails when the process runs under another profile`, () =>
    expectFails(DENY[0]!, [stripAppArmor, labels('unconfined')],
      /^ExecSync \(cat \/proc\/self\/attr\/current\): AppArmor profile of a process in the container under apparmor_profile "localhost\/crc-apparmor-deny-write": expected "crc-apparmor-deny-write \(enforce\)", got "unconfined" \[rests on [^\]]+\]$/, APPARMOR));
  it(`${DENY[1]!} fails when the process has no readable label`, () =>
    expectFails(DENY[1]!, [stripAppArmor, { rpc: 'ExecSync', when: isCmd('cat', '/proc/self/attr/current'), respond: () => answer('', 1, 'cat: read error: Invalid argument\n') }],
      /^ExecSync \(cat \/proc\/self\/attr\/current\): expected the process's LSM label, got exit code 1: "cat: read error: Invalid argument" \[rests on [^\]]+\]$/, APPARMOR));

  for (const id of AUDIT) {
    it(`${id} fails when writes are denied under the audit-only profile`, () =>
      expectFails(id, [stripAppArmor, labels('crc-apparmor-audit-write (enforce)'), touchFails('/tmp/crc-apparmor: Permission denied')],
        /^ExecSync \(touch \/tmp\/crc-apparmor\): exit_code: expected 0, got 1 \(.*: profile crc-apparmor-audit-write allows writes; output "touch: \/tmp\/crc-apparmor: Permission denied"\) \[rests on [^\]]+\]$/, APPARMOR));
  }

  it(`${AA_UNCONFINED} fails when the deprecated field's profile is applied`, () =>
    expectFails(AA_UNCONFINED, [stripAppArmor, labels('crc-apparmor-deny-write (enforce)')],
      /AppArmor profile of a process in the container under apparmor Unconfined \(apparmor_profile "localhost\/crc-apparmor-deny-write"\): expected "unconfined", got "crc-apparmor-deny-write \(enforce\)"/, APPARMOR));
  it(`${AA_UNCONFINED} fails when the unconfined container cannot write`, () =>
    expectFails(AA_UNCONFINED, [stripAppArmor, labels('unconfined'), touchFails('/tmp/crc-apparmor: Permission denied')],
      /touch \/tmp\/crc-apparmor\): exit_code: expected 0, got 1 \(apparmor Unconfined .*: profile unconfined allows writes/, APPARMOR));
});

describe('self-test: lsm (SELinux)', function () {
  this.timeout(600_000);
  const CT = 'system_u:system_r:container_t';

  it(`${SE('unprivileged')}runtime should label the container's mounts with role object_r and type container_file_t [Strict] skips, naming the missing host feature, on this node without SELinux`, async () => {
    const r = await runAs(`${SE('unprivileged')}runtime should label the container's mounts with role object_r and type container_file_t [Strict]`, []);
    expect(r.status, r.message).to.equal('skipped');
    expect(r.message).to.match(/^SELinux is not enabled on this node \(.*selinuxfs.*\)$/);
  });

  for (const privileged of [false, true]) {
    const pod = privileged ? 'privileged' : 'unprivileged';
    const P = SE(pod);
    const LEVEL = `${P}runtime should run a container with just the SELinux level set, able to write`;
    const FULL = `${P}runtime should run a container with SELinux user, role, type and level set, able to write`;
    const MALFORMED = `${P}runtime should refuse a container with a malformed SELinux level (s0,c4,c5)${privileged ? ' [Strict]' : ''}`;
    const MOUNT_TYPE = `${P}runtime should label the container's mounts with role object_r and type container_file_t [Strict]`;
    const MOUNT_MCS = `${P}runtime should label the container's mounts with level s0 and two or more MCS categories [Strict]`;
    const PROC_TYPE = `${P}runtime should run the container's processes with role system_r and type ${privileged ? 'spc_t' : 'container_t'} [Strict]`;
    const PROC_MCS = `${P}runtime should run the container's processes at level s0 with ${privileged ? 'all or no categories' : 'two or more MCS categories'} [Strict]`;
    const SAME = `${P}runtime should give two containers of one pod the same process label [Strict]`;

    if (!privileged) {
      it(`${LEVEL} fails when the process has no SELinux label (the lab's real answer)`, () =>
        expectFails(LEVEL, [], /^ExecSync \(cat \/proc\/self\/attr\/current\): expected the process's LSM label, got exit code 1: ".*" \[rests on [^\]]+\]$/, SELINUX));
      it(`${LEVEL} fails when the process runs at another level`, () =>
        expectFails(LEVEL, [labels(`${CT}:s0:c1,c2`)], /SELinux level of a process in the container under selinux_options \{level: "s0"\}: expected "s0", got "s0:c1,c2"/, SELINUX));
      it(`${FULL} fails when the process runs with other categories`, () =>
        expectFails(FULL, [labels(`${CT}:s0:c1,c2`)], /SELinux label of a process in the container under selinux_options .*: expected a value matching .*, got "system_u:system_r:container_t:s0:c1,c2"/, SELINUX));
    } else {
      it(`${LEVEL} fails when the container cannot write its filesystem`, () =>
        expectFails(LEVEL, [touchFails('crc-selinux: Permission denied')], /^ExecSync \(touch crc-selinux\): exit_code: expected 0, got 1 \(a container under selinux_options \{level: "s0"\}, privileged must be able to write its own filesystem; output "touch: crc-selinux: Permission denied"\) \[rests on [^\]]+\]$/, SELINUX));
      it(`${FULL} fails when the container cannot write its filesystem`, () =>
        expectFails(FULL, [touchFails('crc-selinux: Permission denied')], /^ExecSync \(touch crc-selinux\): exit_code: expected 0, got 1 \(a container under selinux_options .*, privileged must be able/, SELINUX));
    }
    // The lab's containerd validates the level even without SELinux: the proxy hands it a well-formed one.
    it(`${MALFORMED} fails when the runtime accepts the malformed level`, () =>
      expectFails(MALFORMED, [fixLevel], /^CreateContainer and StartContainer \(selinux_options\.level "s0,c4,c5"\): expected an error \(the level is malformed: categories follow a colon\), got success \[rests on (api\.proto LinuxContainerSecurityContext\.selinux_options|our opinion, not the contract): [^\]]+\]$/, SELINUX));
    it(`${MOUNT_TYPE} fails when the mounts carry no SELinux context (the lab's real answer)`, () =>
      expectFails(MOUNT_TYPE, [], /^ExecSync \(cat \/proc\/1\/mountinfo\): context= of the container's mounts.*: expected to include ":object_r:container_file_t:", got /, SELINUX));
    it(`${MOUNT_MCS} fails when the mounts carry no MCS categories (the lab's real answer)`, () =>
      expectFails(MOUNT_MCS, [], /^ExecSync \(cat \/proc\/1\/mountinfo\): context= of the container's mounts.*: expected a value matching .*, got /, SELINUX));
    if (privileged) {
      it(`${MOUNT_MCS} fails when the mount table cannot be read`, () =>
        expectFails(MOUNT_MCS, [{ rpc: 'ExecSync', when: isCmd('cat', '/proc/1/mountinfo'), respond: () => answer('', 1, 'cat: can\'t open \'/proc/1/mountinfo\': Permission denied\n') }],
          /^ExecSync \(cat \/proc\/1\/mountinfo\): expected the container's mount table, got exit code 1: "cat: can't open '\/proc\/1\/mountinfo': Permission denied" \[rests on [^\]]+\]$/, SELINUX));
    }
    it(`${PROC_TYPE} fails when the process runs with another type`, () =>
      expectFails(PROC_TYPE, [labels('system_u:system_r:unconfined_t:s0:c1,c2')], /SELinux label of a process in the container.*: expected to include ":system_r:(spc_t|container_t):", got "system_u:system_r:unconfined_t:s0:c1,c2"/, SELINUX));
    it(`${PROC_MCS} fails when the process runs with the wrong categories`, () =>
      expectFails(PROC_MCS, [labels(privileged ? 'system_u:system_r:spc_t:s0:c1,c2' : `${CT}:s0`)], /SELinux level of a process in the container.*: expected a value matching .*, got "system_u:system_r:(spc_t:s0:c1,c2|container_t:s0)"/, SELINUX));
    it(`${SAME} fails when the two containers of the pod get different labels`, () =>
      expectFails(SAME, [labels(`${CT}:s0:c1,c2`, `${CT}:s0:c3,c4`)], /SELinux label of the second container of the pod.*: expected "system_u:system_r:container_t:s0:c1,c2", got "system_u:system_r:container_t:s0:c3,c4" \(containers of one pod share its label\)/, SELINUX));
  }

  it(`${TWO_PODS} fails when both pods get the same label`, () =>
    expectFails(TWO_PODS, [labels(`${CT}:s0:c1,c2`)], /SELinux label of a container in another pod: expected anything but "system_u:system_r:container_t:s0:c1,c2", got "system_u:system_r:container_t:s0:c1,c2" \(each pod gets its own MCS categories\)/, SELINUX));
  it(`${TWO_PODS} fails when the other pod's container has no MCS categories`, () =>
    expectFails(TWO_PODS, [labels(`${CT}:s0:c1,c2`, `${CT}:s0`)], /SELinux level of a container in another pod: expected a value matching .*, got "system_u:system_r:container_t:s0"/, SELINUX));
});
