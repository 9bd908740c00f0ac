// Self-tests: each mounts check fails when the runtime mounts with another propagation than asked (the request
// rewritten, the echo kept right, so only the truth can tell), echoes mounts wrong, or does not relabel.
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { expectCheckFails, runOne, type Fault } from '../support/selftest.js';
import { execAnswer } from '../support/faults.js';

const P = 'mounts/Mount propagation ';
const PRIVATE = `${P}runtime should let no mount event cross a PROPAGATION_PRIVATE mount, either way [Conformance]`;
const SLAVE = `${P}runtime should carry host mounts into a PROPAGATION_HOST_TO_CONTAINER mount and none back [Conformance]`;
const SHARED = `${P}runtime should carry mounts both ways through a PROPAGATION_BIDIRECTIONAL mount of a privileged container [Conformance]`;
const S = 'mounts/ContainerStatus.mounts ';
const ECHO = `${S}runtime should report each mount in ContainerStatus.mounts as configured, and mount it so [Conformance]`;
const RELABEL = `${S}runtime should relabel a selinux_relabel mount with the container's SELinux level [Conformance]`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

const atTarget = (m: Msg) => m.container_path === '/mnt/prop';

/** The runtime mounts with `propagation` whatever was asked, and echoes what was asked. */
const mountsAs = (propagation: string): Fault[] => {
  const asked = new Map<string, string>();
  return [
    { rpc: 'CreateContainer', mutateRequest: (req) => req.config.mounts?.filter(atTarget).forEach((m: Msg) => {
      asked.set(req.config.metadata.name, m.propagation);
      m.propagation = propagation;
    }) },
    { rpc: 'ContainerStatus', mutate: (r) => r.status?.mounts?.filter(atTarget).forEach((m: Msg) => {
      m.propagation = asked.get(r.status.metadata?.name) ?? m.propagation;
    }) },
  ];
};

/** ContainerStatus answers with the mounts edited. */
const statusMounts = (edit: (mounts: Msg[]) => Msg[] | void): Fault => ({
  rpc: 'ContainerStatus',
  mutate: (r) => void (r.status && (r.status.mounts = edit(r.status.mounts ?? []) ?? r.status.mounts)),
});


describe('self-test: mounts', function () {
  this.timeout(600_000);

  // ---- propagation: the truth from both sides ----
  it(`${PRIVATE} fails when the runtime mounts it HOST_TO_CONTAINER (and echoes PRIVATE)`, () =>
    expectCheckFails(PRIVATE, mountsAs('PROPAGATION_HOST_TO_CONTAINER'),
      /ExecSync: \/proc\/self\/mountinfo has \/mnt\/prop\/host-mnt \(a tmpfs the host mounted after start\): expected false, got true \(PROPAGATION_PRIVATE must not carry it;/));

  it(`${PRIVATE} fails when the runtime mounts it BIDIRECTIONAL and only the container side is looked at`, () =>
    expectCheckFails(PRIVATE, [...mountsAs('PROPAGATION_BIDIRECTIONAL'), execAnswer('/proc/self/mountinfo', (r) => {
      r.stdout = Buffer.from(r.stdout.toString().split('\n').filter((l: string) => !l.includes('/mnt/prop/host-mnt')).join('\n'));
    }), execAnswer('/mnt/prop/host-mnt/marker', (r) => {
      r.exit_code = 1;
      r.stdout = Buffer.from('');
    })], /host: \/proc\/self\/mountinfo has \/\S+\/ctr-mnt \(the container's tmpfs\): expected false, got true \(PROPAGATION_PRIVATE must not carry it;/));

  it(`${PRIVATE} fails when the container cannot mount (privileged ignored)`, () =>
    expectCheckFails(PRIVATE, [{ rpc: 'CreateContainer', mutateRequest: (req) => void (req.config.linux.security_context.privileged = false) }],
      /ExecSync: exit_code \(mount -t tmpfs on \/mnt\/prop\/ctr-mnt in the privileged container\): expected 0, got \d+ \(stderr: .*\)/));

  it(`${SLAVE} fails when the runtime mounts it PRIVATE (and echoes HOST_TO_CONTAINER)`, () =>
    expectCheckFails(SLAVE, mountsAs('PROPAGATION_PRIVATE'),
      /ExecSync: \/proc\/self\/mountinfo has \/mnt\/prop\/host-mnt .*: expected true, got false \(PROPAGATION_HOST_TO_CONTAINER carries it; \/mnt\/prop in the container: no peers: private\)/));

  it(`${SLAVE} fails when the container sees the mount point but not the host's file on it`, () =>
    expectCheckFails(SLAVE, [execAnswer('/mnt/prop/host-mnt/marker', (r) => (r.stdout = Buffer.from('stale\n')))],
      /ExecSync: cat \/mnt\/prop\/host-mnt\/marker \(written on the host's tmpfs\): expected "from-host\\n", got "stale\\n"/));

  it(`${SLAVE} fails when the runtime mounts it BIDIRECTIONAL (and echoes HOST_TO_CONTAINER)`, () =>
    expectCheckFails(SLAVE, mountsAs('PROPAGATION_BIDIRECTIONAL'),
      /host: \/proc\/self\/mountinfo has \/\S+\/ctr-mnt \(the container's tmpfs\): expected false, got true \(PROPAGATION_HOST_TO_CONTAINER must not carry it;/));

  it(`${SHARED} fails when the runtime mounts it HOST_TO_CONTAINER (and echoes BIDIRECTIONAL)`, () =>
    expectCheckFails(SHARED, mountsAs('PROPAGATION_HOST_TO_CONTAINER'),
      /host: \/proc\/self\/mountinfo has \/\S+\/ctr-mnt \(the container's tmpfs\): expected true, got false \(PROPAGATION_BIDIRECTIONAL carries it;/));

  it(`${SHARED} fails when the runtime mounts it PRIVATE (and echoes BIDIRECTIONAL)`, () =>
    expectCheckFails(SHARED, mountsAs('PROPAGATION_PRIVATE'),
      /ExecSync: \/proc\/self\/mountinfo has \/mnt\/prop\/host-mnt .*: expected true, got false/));

  it(`${SHARED} fails when what the container wrote is not what the host reads`, () =>
    expectCheckFails(SHARED, [{
      rpc: 'ExecSync',
      when: (req) => (req.cmd ?? []).join(' ').includes('echo from-container'),
      mutateRequest: (req) => void (req.cmd = req.cmd.map((a: string) => a.replace('echo from-container', 'echo other'))),
    }], /host: \/\S+\/ctr-mnt\/marker \(written on the container's tmpfs\): expected "from-container\\n", got "other\\n"/));

  it(`${SHARED} fails when ContainerStatus does not list the mount`, () =>
    expectCheckFails(SHARED, [statusMounts(() => [])], /ContainerStatus: status\.mounts: expected a mount at \/mnt\/prop, got \[\]/));

  it(`${SHARED} fails when ContainerStatus echoes another propagation`, () =>
    expectCheckFails(SHARED, [statusMounts((ms) => ms.forEach((m) => (m.propagation = 'PROPAGATION_PRIVATE')))],
      /ContainerStatus: status\.mounts\[\/mnt\/prop\]\.propagation: expected "PROPAGATION_BIDIRECTIONAL", got "PROPAGATION_PRIVATE" \(as in ContainerConfig\.mounts\)/));

  // ---- ContainerStatus.mounts ----
  it(`${ECHO} fails when ContainerStatus leaves a mount out`, () =>
    expectCheckFails(ECHO, [statusMounts((ms) => ms.slice(1))],
      /ContainerStatus: status\.mounts\[\]\.container_path: expected to include "\/mnt\/echo-r[ow]", got \[ '\/mnt\/echo-r[ow]' \] \(as in ContainerConfig\.mounts\) \[rests on api\.proto ContainerStatus\.mounts/));

  it(`${ECHO} fails when ContainerStatus echoes readonly wrong`, () =>
    expectCheckFails(ECHO, [statusMounts((ms) => ms.forEach((m) => (m.readonly = !m.readonly)))],
      /ContainerStatus: status\.mounts\[\/mnt\/echo-r[ow]\]\.readonly: expected (true|false), got (false|true)/));

  it(`${ECHO} fails when ContainerStatus echoes another host_path`, () =>
    expectCheckFails(ECHO, [statusMounts((ms) => ms.forEach((m) => (m.host_path = '/elsewhere')))],
      /ContainerStatus: status\.mounts\[\/mnt\/echo-ro\]\.host_path: expected "\/\S+", got "\/elsewhere"/));

  it(`${ECHO} fails when ContainerStatus claims an SELinux relabel nobody asked for`, () =>
    expectCheckFails(ECHO, [statusMounts((ms) => ms.forEach((m) => (m.selinux_relabel = true)))],
      /ContainerStatus: status\.mounts\[\/mnt\/echo-ro\]\.selinux_relabel: expected false, got true/));

  it(`${ECHO} fails when a mount is mounted at another container_path (and echoed where it was asked)`, () =>
    expectCheckFails(ECHO, [
      { rpc: 'CreateContainer', mutateRequest: (req) => req.config.mounts?.forEach((m: Msg) => m.container_path === '/mnt/echo-rw' && (m.container_path = '/mnt/moved')) },
      statusMounts((ms) => ms.forEach((m) => m.container_path === '/mnt/moved' && (m.container_path = '/mnt/echo-rw'))),
    ], /ExecSync: mount points in \/proc\/self\/mountinfo: expected to include "\/mnt\/echo-rw", got .* \[rests on api\.proto Mount\.container_path/));

  /** The runtime mounts every mount read-write or read-only whatever was asked, and echoes what was asked. */
  const mountedAs = (readonly: (path: string) => boolean): Fault[] => [
    { rpc: 'CreateContainer', mutateRequest: (req) => req.config.mounts?.forEach((m: Msg) => (m.readonly = readonly(m.container_path))) },
    statusMounts((ms) => ms.forEach((m) => (m.readonly = m.container_path === '/mnt/echo-ro'))),
  ];

  it(`${ECHO} fails when the readonly mount is mounted read-write (and echoed readonly): the write works`, () =>
    expectCheckFails(ECHO, mountedAs(() => false),
      /ExecSync \(touch \/mnt\/echo-ro\/crc-write\): expected the write to fail \(readonly=true\), got success \(mount options rw\S*, super options \S+\) \[rests on api\.proto Mount\.readonly/));

  it(`${ECHO} fails when a write into the readonly mount fails but the mount is read-write at both levels`, () =>
    expectCheckFails(ECHO, [...mountedAs(() => false), execAnswer('touch /mnt/echo-ro/crc-write', (r) => {
      r.exit_code = 1;
      r.stderr = Buffer.from("touch: /mnt/echo-ro/crc-write: Permission denied\n");
    })], /ExecSync: \/proc\/self\/mountinfo ro flag of \/mnt\/echo-ro \(readonly=true\): mount or super options: expected to include "ro", got \[ 'rw'.*\(the write failed with "touch: \/mnt\/echo-ro\/crc-write: Permission denied", but not because the mount is read-only/));

  it(`${ECHO} passes when the readonly mount is read-only at the superblock only (mountinfo: mount rw, super ro)`, async () => {
    const superOnly = execAnswer('/proc/self/mountinfo', (r) => {
      r.stdout = Buffer.from(r.stdout.toString().split('\n').map((l: string) => {
        const f = l.split(' ');
        if (f[4] !== '/mnt/echo-ro') return l;
        const dash = f.indexOf('-');
        f[5] = f[5]!.replace(/^ro\b/, 'rw');
        f[dash + 3] = f[dash + 3]!.replace(/^rw\b/, 'ro');
        return f.join(' ');
      }).join('\n'));
    });
    const r = await runOne(ECHO, [superOnly]);
    expect(r.status, r.message).to.equal('passed');
  });

  it(`${ECHO} fails when the read-write mount is mounted read-only (and echoed read-write)`, () =>
    expectCheckFails(ECHO, mountedAs(() => true),
      /ExecSync \(touch \/mnt\/echo-rw\/crc-write\): exit_code: expected 0, got 1 \(readonly=false: the mount must take writes; output ".*Read-only file system"; mount options ro/));

  it(`${ECHO} fails when the container cannot read its mountinfo`, () =>
    expectCheckFails(ECHO, [execAnswer('/proc/self/mountinfo', (r) => (r.exit_code = 1))],
      /ExecSync: exit_code \(cat \/proc\/self\/mountinfo\): expected 0, got 1/));

  // ---- SELinux relabel, with SELinux pretended present (this host has none) ----
  describe('with SELinux pretended present', () => {
    const LABEL = 'system_u:system_r:container_t:s0:c117,c893';
    /** SELinux pretended present on this host (it has none), so the check is judged against fake answers. */
    const SELINUX = { hostFeatures: { selinux: { present: true, evidence: 'pretended by the self-test' } } };
    const procLabel = execAnswer('/proc/self/attr/current', (r) => {
      r.exit_code = 0;
      r.stdout = Buffer.from(LABEL);
    });
    /** A runtime that does relabel: the host path gets the container's level, as SELinux would store it. */
    const relabels: Fault = {
      rpc: 'CreateContainer',
      mutateRequest: (req) => req.config.mounts?.forEach((m: Msg) =>
        execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "security.selinux", sys.argv[2].encode() + b"\\0")', m.host_path, 'system_u:object_r:container_file_t:s0:c117,c893'])),
    };

    it(`${RELABEL} fails when the container process has no SELinux label`, () =>
      expectCheckFails(RELABEL, [], /ExecSync: cat \/proc\/self\/attr\/current \(SELinux label of the container process\): expected a value matching .*, got ""/, SELINUX));

    it(`${RELABEL} fails when the runtime does not relabel the host path`, () =>
      expectCheckFails(RELABEL, [procLabel], /host: \/\S+ security\.selinux level \(mounted with selinux_relabel=true\): expected "s0:c117,c893", got ""/, SELINUX));

    it(`${RELABEL} fails when the container cannot write to the relabelled mount`, () =>
      expectCheckFails(RELABEL, [procLabel, relabels, execAnswer('touch /mnt/label/written', (r) => (r.exit_code = 1))],
        /ExecSync: exit_code \(touch \/mnt\/label\/written in the relabelled mount\): expected 0, got 1/, SELINUX));

    it(`${RELABEL} fails when ContainerStatus does not echo selinux_relabel`, () =>
      expectCheckFails(RELABEL, [statusMounts((ms) => ms.forEach((m) => (m.selinux_relabel = false)))],
        /ContainerStatus: status\.mounts\[\/mnt\/label\]\.selinux_relabel: expected true, got false/, SELINUX));
  });
});

describe('self-test: mount requests on an SELinux-enforcing node', function () {
  this.timeout(300_000);
  it(`${PRIVATE} relabels every host path it mounts when the node enforces SELinux, as critest does`, async () => {
    const { detectHostLimits } = await import('../../src/runner/host.js');
    const sent: Msg[] = [];
    const limits = { ...detectHostLimits(), selinuxEnforcing: { limited: true, evidence: '/sys/fs/selinux/enforce reads "1" (pretended)' } };
    const r = await runOne(PRIVATE, [{ rpc: 'CreateContainer', mutateRequest: (req: Msg) => void sent.push(req) }], { hostFeatures: { limits } });
    expect(r.status, r.message).to.equal('passed');
    const hostMounts = sent.flatMap((req) => (req.config.mounts ?? []).filter((m: Msg) => m.host_path));
    expect(hostMounts.length, 'host path mounts sent').to.be.greaterThan(0);
    expect(hostMounts.map((m: Msg) => m.selinux_relabel)).to.deep.equal(hostMounts.map(() => true));
  });
});
