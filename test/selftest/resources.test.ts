// Self-tests: each resource-update check fails when the runtime ignores an update (answers success
// without applying it), applies only part of it, accepts what the kernel cannot apply, or misreports it.
import { expect } from 'chai';
import { Status, expectCheckFails, runOne, type Fault } from '../support/selftest.js';

const U = 'resources/UpdateContainerResources ';
const MEM = `${U}runtime should apply a new memory limit to the running container's cgroup [Conformance]`;
const CPU = `${U}runtime should apply a new CPU quota, period and shares to the running container's cgroup [Conformance]`;
const STATUS = `${U}runtime should report the updated limits in ContainerStatus resources [Optional]`;
const INVALID = `${U}runtime should reject an invalid CPU period and keep the previous limits [Conformance]`;
const UNKNOWN = `${U}runtime should fail UpdateContainerResources for an unknown container [Conformance]`;
const UNKNOWN_CODE = `${U}runtime should fail UpdateContainerResources for an unknown container with NOT_FOUND [Strict]`;
const L = 'resources/LinuxContainerResources ';
const PROC = `${L}runtime should apply oom_score_adj, cpuset_cpus and cpuset_mems to the container's process [Conformance]`;
const HUGE = `${L}runtime should apply hugepage_limits to the container's hugetlb cgroup [Conformance]`;
const SWAP = `${L}runtime should apply memory_swap_limit_in_bytes to the container's cgroup [Conformance]`;
const UNIFIED = `${L}runtime should apply unified cgroup v2 resources in an update [Conformance]`;
const POD = 'resources/UpdatePodSandboxResources runtime should accept new pod-level resources for a running sandbox [Feature:UpdatePodSandboxResources]';
const POD_UNKNOWN = 'resources/UpdatePodSandboxResources runtime should fail UpdatePodSandboxResources for an unknown sandbox [Feature:UpdatePodSandboxResources] [Strict]';

/** Answers success without telling the runtime: the update is silently ignored. */
const ignored: Fault = { rpc: 'UpdateContainerResources', respond: () => ({}) };

/** The ExecSync answers of readCgroupLimits as a cgroup v2 node shows the same limits (the lab node is v1):
 * memory.max, cpu.max and cpu.weight derived from the v1 files, shares to weight by runc's linear mapping.
 * A no-op where the container already sees cgroup v2. */
const asCgroupV2: Fault = {
  rpc: 'ExecSync',
  when: (req) => req.cmd?.[0] === 'sh' && String(req.cmd[2] ?? '').includes('cgroup.controllers'),
  mutate: (r) => {
    const [v, mem, quota, period, shares] = r.stdout.toString('utf8').trim().split('\n').map((l: string) => l.trim());
    if (v !== 'v1') return;
    const weight = 1 + Math.floor(((Number(shares) - 2) * 9999) / 262142);
    const max = BigInt(mem) >= 1n << 62n ? 'max' : mem;
    r.stdout = Buffer.from(`v2\n${max}\n${quota === '-1' ? 'max' : quota} ${period}\n${weight}\n`);
  },
};

describe('self-test: resources', function () {
  this.timeout(600_000);

  /** The runtime drops these LinuxContainerResources fields from CreateContainer. */
  const dropAtCreate = (...fields: string[]): Fault => ({ rpc: 'CreateContainer', mutateRequest: (req) => fields.forEach((f) => delete req.config.linux.resources[f]) });
  /** The in-container reads of a script that contains `marker` answer `stdout` instead. */
  const readsAs = (marker: string, stdout: string): Fault => ({
    rpc: 'ExecSync', when: (req) => req.cmd?.[0] === 'sh' && String(req.cmd[2] ?? '').includes(marker),
    mutate: (r) => void Object.assign(r, { stdout: Buffer.from(stdout), stderr: Buffer.alloc(0), exit_code: 0 }),
  });

  it(`${PROC} fails when the runtime drops oom_score_adj`, () =>
    expectCheckFails(PROC, [dropAtCreate('oom_score_adj')], /ExecSync: oom_score_adj of pid 1 \(\/proc\/1\/oom_score_adj, oom_score_adj=1000\): expected "1000", got "-?\d+"/));

  it(`${PROC} fails when the runtime drops cpuset_cpus (the machine's other CPUs stay allowed)`, () =>
    expectCheckFails(PROC, [dropAtCreate('cpuset_cpus')],
      /ExecSync: Cpus_allowed_list of pid 1 \(\/proc\/1\/status, cpuset_cpus="0"\): expected "0", got "0-\d+"/));

  it(`${PROC} fails when the memory nodes are left as the node's (two NUMA nodes shown)`, () =>
    expectCheckFails(PROC, [readsAs('_allowed_list', '1000\n0\n0-1\n')],
      /ExecSync: Mems_allowed_list of pid 1 \(\/proc\/1\/status, cpuset_mems="0"\): expected "0", got "0-1"/));

  it(`${HUGE} fails when the hugetlb limit is not applied (a node with hugetlb shown: the limits left unlimited)`, () =>
    expectCheckFails(HUGE, [dropAtCreate('hugepage_limits'), readsAs('hugetlb', '9223372036854771712\n9223372036854771712\n')],
      /ExecSync: hugetlb\.\w+ limit of the container's cgroup \(hugepage_limits \w+=\d+\): expected "\d+", got "9223372036854771712"/));

  it(`${SWAP} fails when the runtime drops memory_swap_limit_in_bytes`, () =>
    expectCheckFails(SWAP, [dropAtCreate('memory_swap_limit_in_bytes'), readsAs('memsw', 'v1\n9223372036854771712\n')],
      /ExecSync: memory\/memory\.memsw\.limit_in_bytes of the container's cgroup \(memory_swap_limit_in_bytes=335544320\): expected "335544320", got "9223372036854771712"/));

  it(`${SWAP} fails on cgroup v2 when memory.swap.max holds memory plus swap (not the swap alone)`, () =>
    expectCheckFails(SWAP, [readsAs('memsw', 'v2\n335544320\n')],
      /ExecSync: memory\.swap\.max of the container's cgroup \(memory_swap_limit_in_bytes=335544320, memory 268435456\): expected "67108864", got "335544320"/));

  it(`${UNIFIED} fails on cgroup v2 when the update is silently ignored (proxy-served update, cgroup v2 shown)`, () =>
    expectCheckFails(UNIFIED, [ignored, readsAs('cgroup.controllers', 'v2\n'), readsAs('memory.high', 'max\n')],
      /ExecSync: memory\.high of the container's cgroup \(unified \{"memory\.high": "201326592"\}\): expected "201326592", got "max"/));

  it(`${MEM} fails when the update is silently ignored`, () =>
    expectCheckFails(MEM, [ignored],
      /UpdateContainerResources: linux\.resources\.memory_limit_in_bytes -> cgroup (memory\/memory\.limit_in_bytes|memory\.max): expected "201326592", got "268435456"/));

  it(`${MEM} fails when the runtime drops the memory limit from the update`, () =>
    expectCheckFails(MEM, [{ rpc: 'UpdateContainerResources', mutateRequest: (req) => void (req.linux.memory_limit_in_bytes = '0') }],
      /UpdateContainerResources: linux\.resources\.memory_limit_in_bytes -> cgroup .*: expected "201326592", got "268435456"/));

  it(`${MEM} fails when the limit is not applied at creation either`, () =>
    expectCheckFails(MEM, [{ rpc: 'CreateContainer', mutateRequest: (req) => void (req.config.linux.resources.memory_limit_in_bytes = '0') }],
      /CreateContainer: linux\.resources\.memory_limit_in_bytes -> cgroup .*: expected "268435456", got "unlimited"/));

  it(`${CPU} fails when the update is silently ignored`, () =>
    expectCheckFails(CPU, [ignored], /UpdateContainerResources: linux\.resources\.cpu_quota -> cgroup (cpu\/cpu\.cfs_quota_us|cpu\.max \(quota\)): expected 30000, got 50000/));

  it(`${CPU} fails when only the quota and period are applied`, () =>
    expectCheckFails(CPU, [{ rpc: 'UpdateContainerResources', mutateRequest: (req) => void (req.linux.cpu_shares = '0') }],
      /UpdateContainerResources: linux\.resources\.cpu_shares(=256)? -> cgroup (cpu\/cpu\.shares|cpu\.weight): expected (256|one of .*), got (512|\d+)/));

  it(`${CPU} fails when the period is not applied`, () =>
    expectCheckFails(CPU, [{ rpc: 'UpdateContainerResources', mutateRequest: (req) => void (req.linux.cpu_period = '0') }],
      /UpdateContainerResources: linux\.resources\.cpu_period -> cgroup .*: expected 60000, got 100000/));

  it(`${CPU} fails on cgroup v2 when the shares are not applied (cpu.weight keeps the old value)`, () =>
    expectCheckFails(CPU, [asCgroupV2, { rpc: 'UpdateContainerResources', mutateRequest: (req) => void (req.linux.cpu_shares = '0') }],
      /UpdateContainerResources: linux\.resources\.cpu_shares=256 -> cgroup cpu\.weight: expected one of 10, 35, got 20 \(requested via UpdateContainerResources; cgroup v2 files read in the container: .*; linear or quadratic shares-to-weight mapping\)/));

  it(`${STATUS} fails when ContainerStatus reports the old memory limit`, () =>
    expectCheckFails(STATUS, [{ rpc: 'ContainerStatus', mutate: (res) => void (res.status.resources.linux.memory_limit_in_bytes = '268435456') }],
      /ContainerStatus: status\.resources\.linux\.memory_limit_in_bytes \(after UpdateContainerResources\): expected "167772160", got "268435456"/));

  it(`${STATUS} fails when ContainerStatus reports the old CPU quota`, () =>
    expectCheckFails(STATUS, [{ rpc: 'ContainerStatus', mutate: (res) => void (res.status.resources.linux.cpu_quota = '50000') }],
      /ContainerStatus: status\.resources\.linux\.cpu_quota \(after UpdateContainerResources\): expected "40000", got "50000"/));

  it(`${STATUS} fails when ContainerStatus reports another CPU period than the cgroup holds`, () =>
    expectCheckFails(STATUS, [{ rpc: 'ContainerStatus', mutate: (res) => void (res.status.resources.linux.cpu_period = '50000') }],
      /ContainerStatus: status\.resources\.linux\.cpu_period \(after UpdateContainerResources\): expected "\d+", got "50000"/));

  it(`${STATUS} fails on cgroup v2 when the reported shares do not map to the cgroup's cpu.weight`, () =>
    expectCheckFails(STATUS, [asCgroupV2, { rpc: 'ContainerStatus', mutate: (res) => void (res.status.resources.linux.cpu_shares = '262144') }],
      /ContainerStatus: status\.resources\.linux\.cpu_shares \(after UpdateContainerResources\): expected one of .*, got \d+/));

  it(`${STATUS} fails when ContainerStatus reports the old CPU shares`, () =>
    expectCheckFails(STATUS, [{ rpc: 'ContainerStatus', mutate: (res) => void (res.status.resources.linux.cpu_shares = '512') }],
      /ContainerStatus: status\.resources\.linux\.cpu_shares \(after UpdateContainerResources\): expected "384", got "512"/));

  it(`${INVALID} fails when an invalid period is accepted`, () =>
    expectCheckFails(INVALID, [ignored], /UpdateContainerResources: expected an error for linux\.cpu_period=1 \(below the 1000 us minimum\), got success/));

  it(`${INVALID} fails when the invalid period is answered UNIMPLEMENTED`, () =>
    expectCheckFails(INVALID, [{ rpc: 'UpdateContainerResources', error: { code: Status.UNIMPLEMENTED, details: 'cpu_period 1 is not supported' } }],
      /UpdateContainerResources: error code \(linux\.cpu_period=1\): expected anything but "UNIMPLEMENTED", got "UNIMPLEMENTED" \(cpu_period 1 is not supported\)/));

  it(`${INVALID} fails when the container is no longer running after the rejected update`, () =>
    expectCheckFails(INVALID, [{ rpc: 'ContainerStatus', mutate: (res) => void (res.status.state = 'CONTAINER_EXITED') }],
      /ContainerStatus: status\.state \(after a rejected update\): expected "CONTAINER_RUNNING", got "CONTAINER_EXITED"/));

  it(`${INVALID} fails when a rejected update was applied anyway`, () =>
    expectCheckFails(INVALID, [{
      rpc: 'UpdateContainerResources',
      // The runtime applies a (different) period and then reports an error.
      mutateRequest: (req) => void (req.linux.cpu_period = '200000'),
      mutate: () => {
        throw new Error('applied, then failed');
      },
    }], /UpdateContainerResources: cgroup limits after a rejected update \(read in the container\): expected ".*100000.*", got ".*200000.*"/s));

  it(`${INVALID} fails when the rejected update is reported in ContainerStatus`, () =>
    expectCheckFails(INVALID, [{ rpc: 'ContainerStatus', mutate: (res) => void (res.status.resources && (res.status.resources.linux.cpu_period = '1')) }],
      /ContainerStatus: status\.resources\.linux\.cpu_period \(after a rejected update\): expected "100000", got "1"/));

  it(`${UNKNOWN} fails when an unknown container is updated successfully`, () =>
    expectCheckFails(UNKNOWN, [ignored], /UpdateContainerResources: expected an error for the unknown container [0-9a-f]+, got success/));

  it(`${UNKNOWN} passes with any error, not only NOT_FOUND (api.proto: "an error is returned")`, async () => {
    const r = await runOne(UNKNOWN, [{ rpc: 'UpdateContainerResources', error: { code: Status.UNKNOWN, details: 'no such container' } }]);
    expect(r.status, r.message).to.equal('passed');
  });

  it(`${UNKNOWN_CODE} fails when an unknown container is updated successfully`, () =>
    expectCheckFails(UNKNOWN_CODE, [ignored], /UpdateContainerResources: expected an error for the unknown container [0-9a-f]+, got success/));

  it(`${UNKNOWN_CODE} fails when the error code is not NOT_FOUND`, () =>
    expectCheckFails(UNKNOWN_CODE, [{ rpc: 'UpdateContainerResources', error: { code: Status.UNKNOWN, details: 'nope' } }],
      /UpdateContainerResources: error code \(unknown container\): expected "NOT_FOUND", got "UNKNOWN" \(nope\)/));

  it(`${POD_UNKNOWN} fails when an unknown sandbox is accepted (proxy-served)`, () =>
    expectCheckFails(POD_UNKNOWN, [{ rpc: 'UpdatePodSandboxResources', respond: () => ({}) }],
      /UpdatePodSandboxResources: expected an error for the unknown sandbox [0-9a-f]+, got success/));

  it(`${POD_UNKNOWN} passes when the unknown sandbox is refused (proxy-served)`, async () => {
    const r = await runOne(POD_UNKNOWN, [{ rpc: 'UpdatePodSandboxResources', error: { code: Status.NOT_FOUND, details: 'no such sandbox' } }]);
    expect(r.status, r.message).to.equal('passed');
  });

  it(`${POD} fails when the container is no longer running after UpdatePodSandboxResources (proxy-served)`, () =>
    expectCheckFails(POD, [
      { rpc: 'UpdatePodSandboxResources', respond: () => ({}) },
      { rpc: 'ContainerStatus', mutate: (res) => void (res.status.state = 'CONTAINER_EXITED') },
    ], /ContainerStatus: status\.state \(after UpdatePodSandboxResources\): expected "CONTAINER_RUNNING", got "CONTAINER_EXITED"/));

});
