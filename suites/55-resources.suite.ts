// Resource updates: the kubelet resizes running containers (CPU manager, in-place pod resize) with
// UpdateContainerResources. Checked where it matters: the cgroup files the container really runs under,
// read from inside the container (cgroup v1 or v2, detected there).
import { status as Status } from '@grpc/grpc-js';
import {
  defineSuite, testImage, check, failWith, skip, runSandbox, containerPod, runContainer, containerStatus, containerConfig,
  withShell, withMemoryLimit, withCpu, randomSuffix, type Sandbox, type TestContext, type Basis, cri, kubelet, opinion,
} from '../src/framework/index.js';
import { readCgroupLimits, cpuWeightsForShares, type CgroupLimits } from '../src/framework/stats.js';
import { isRpcError, UnimplementedError, type RpcError } from '../src/cri/errors.js';
import type { LinuxContainerResources } from '../src/gen/v1/runtime/v1/LinuxContainerResources.js';

const MiB = 1024 * 1024;

/** What every test container starts with: a Burstable-like pod's limits. */
const INITIAL = { memory: 256 * MiB, quota: 50_000, period: 100_000, shares: 512 };

// What each check rests on (src/framework/contract.ts); api.proto words are quoted from cri-api v0.36's comments.
const UPDATE = cri('RuntimeService.UpdateContainerResources', 'UpdateContainerResources updates ContainerConfig of the container synchronously. If runtime fails to transactionally update the requested resources, an error is returned.');
const CREATE_LIMITS = cri('LinuxContainerResources', 'LinuxContainerResources specifies Linux specific configuration for resources.');
const STATUS_RESOURCES = cri('ContainerStatus.resources', 'Resource limits configuration of the container.');
const STATUS_OPTIONAL = kubelet('kuberuntime_container.go toKubeContainerStatus', 'takes resources from ContainerStatus when the runtime reports them, and keeps the ones it asked for when it does not');
const STILL_RUNNING = cri('RuntimeService.UpdateContainerResources', 'If runtime fails to transactionally update the requested resources, an error is returned.');
const UPDATE_UNKNOWN = cri('RuntimeService.UpdateContainerResources', 'If runtime fails to transactionally update the requested resources, an error is returned.');
const POD_UPDATE = cri('RuntimeService.UpdatePodSandboxResources', 'UpdatePodSandboxResources synchronously updates the PodSandboxConfig with the pod-level resource configuration. This method is called _after_ the Kubelet reconfigures the pod-level cgroups.');

export default defineSuite(({ describe, it }) => {
  describe('UpdateContainerResources', () => {
    it('runtime should apply a new memory limit to the running container\'s cgroup [Conformance]', async (t) => {
      const { id } = await limitedContainer(t, 'mem');
      await expectCgroup(t, id, 'CreateContainer', INITIAL);
      const next = { ...INITIAL, memory: 192 * MiB };
      await update(t, id, next);
      await expectCgroup(t, id, 'UpdateContainerResources', next);
    });

    it('runtime should apply a new CPU quota, period and shares to the running container\'s cgroup [Conformance]', async (t) => {
      const { id } = await limitedContainer(t, 'cpu');
      await expectCgroup(t, id, 'CreateContainer', INITIAL);
      const next = { ...INITIAL, quota: 30_000, period: 60_000, shares: 256 };
      await update(t, id, next);
      await expectCgroup(t, id, 'UpdateContainerResources', next);
    });

    it('runtime should report the updated limits in ContainerStatus resources [Optional]', async (t) => {
      const { id } = await limitedContainer(t, 'status');
      const next = { memory: 160 * MiB, quota: 40_000, period: 80_000, shares: 384 };
      await update(t, id, next);
      const res = (await containerStatus(t, id)).resources;
      if (!res?.linux) skip('the runtime leaves ContainerStatus.resources empty (optional; the kubelet then trusts the resources it asked for)');
      checkStatusResources(res.linux, next, 'after UpdateContainerResources', STATUS_RESOURCES);
    });

    it('runtime should reject an invalid CPU period and keep the previous limits [Conformance]', async (t) => {
      // The kernel's CFS period range is 1 ms .. 1 s in both cgroup versions: 1 us cannot be applied.
      const { id } = await limitedContainer(t, 'invalid');
      const before = await readCgroupLimits(t, id);
      try {
        await update(t, id, { ...INITIAL, period: 1 });
        failWith('UpdateContainerResources: expected an error for linux.cpu_period=1 (below the 1000 us minimum), got success', UPDATE);
      } catch (e) {
        if (!isRpcError(e)) throw e;
        check('UpdateContainerResources', 'error code (linux.cpu_period=1)', Status[e.code], UPDATE).notEquals('UNIMPLEMENTED', e.details);
      }
      const s = await containerStatus(t, id);
      check('ContainerStatus', 'status.state (after a rejected update)', s.state, STILL_RUNNING).equals('CONTAINER_RUNNING');
      const after = await readCgroupLimits(t, id);
      check('UpdateContainerResources', 'cgroup limits after a rejected update (read in the container)', after.raw, UPDATE).equals(before.raw);
      // Reported resources are judged when reported: ContainerStatus.resources is optional to the kubelet
      // (kuberuntime_container.go keeps the resources it asked for when the runtime reports none).
      if (s.resources?.linux) checkStatusResources(s.resources.linux, INITIAL, 'after a rejected update', STATUS_OPTIONAL);
    });

    // api.proto asks for an error, not which; the kubelet does not read the code. NOT_FOUND, what critest and
    // both major runtimes answer, is judged apart as [Strict].
    it('runtime should fail UpdateContainerResources for an unknown container [Conformance]', async (t) => {
      await updateUnknown(t);
    });

    it('runtime should fail UpdateContainerResources for an unknown container with NOT_FOUND [Strict]', async (t) => {
      const e = await updateUnknown(t);
      check('UpdateContainerResources', 'error code (unknown container)', Status[e.code], opinion('a missing container is NOT_FOUND, as every other RPC that names one answers')).equals('NOT_FOUND', e.details);
    });
  });

  describe('UpdatePodSandboxResources', () => {
    it('runtime should accept new pod-level resources for a running sandbox [Feature:UpdatePodSandboxResources]', async (t) => {
      // The kubelet resizes the pod cgroup itself and then tells the runtime (for NRI plugins and its
      // own records); the runtime must accept that for its sandbox and must not for one it does not know.
      const { sb, id } = await limitedContainer(t, 'podres', true); // its pod's resources change
      const rt = t.cri.runtime;
      const resources = toLinux({ ...INITIAL, memory: 320 * MiB, quota: 80_000 });
      await rt.call('UpdatePodSandboxResources', { pod_sandbox_id: sb.id, resources, overhead: toLinux({ memory: 0, quota: 0, period: 0, shares: 0 }) });
      const s = await containerStatus(t, id);
      check('ContainerStatus', 'status.state (after UpdatePodSandboxResources)', s.state, POD_UPDATE).equals('CONTAINER_RUNNING');
    });

    // The RPC is best effort and the kubelet ignores its failure; refusing a sandbox the runtime does not have is
    // our opinion of a sound implementation, not the contract's.
    it('runtime should fail UpdatePodSandboxResources for an unknown sandbox [Feature:UpdatePodSandboxResources] [Strict]', async (t) => {
      const rt = t.cri.runtime;
      const resources = toLinux({ ...INITIAL, memory: 320 * MiB, quota: 80_000 });
      const unknown = randomSuffix(12).padEnd(64, '0');
      const why = opinion('an update for a sandbox the runtime does not have cannot have been applied, so it is refused');
      try {
        await rt.call('UpdatePodSandboxResources', { pod_sandbox_id: unknown, resources });
      } catch (e) {
        // UNIMPLEMENTED stays with the test binding, which skips or fails it per release.
        if (!isRpcError(e) || e instanceof UnimplementedError) throw e;
        return;
      }
      failWith(`UpdatePodSandboxResources: expected an error for the unknown sandbox ${unknown}, got success`, why);
    });
  });
});

// ---- helpers used only by this file ----

interface Limits {
  memory: number;
  quota: number;
  period: number;
  shares: number;
}

const toLinux = (l: Limits): LinuxContainerResources => ({
  memory_limit_in_bytes: String(l.memory),
  cpu_quota: String(l.quota),
  cpu_period: String(l.period),
  cpu_shares: String(l.shares),
});

/** Like the kubelet: the whole set of limits on every update, not only the one that changes. */
async function update(t: TestContext, id: string, l: Limits): Promise<void> {
  await t.cri.runtime.call('UpdateContainerResources', { container_id: id, linux: toLinux(l) });
}

/** UpdateContainerResources for an id the runtime never had must fail; returns the error. */
async function updateUnknown(t: TestContext): Promise<RpcError> {
  const unknown = randomSuffix(12).padEnd(64, '0');
  try {
    await update(t, unknown, INITIAL);
    failWith(`UpdateContainerResources: expected an error for the unknown container ${unknown}, got success`, UPDATE_UNKNOWN);
  } catch (e) {
    // UNIMPLEMENTED stays with the test binding, which skips or fails it per release.
    if (!isRpcError(e) || e instanceof UnimplementedError) throw e;
    return e;
  }
}

async function limitedContainer(t: TestContext, prefix: string, ownPod = false): Promise<{ sb: Sandbox; id: string }> {
  const ref = await testImage(t);
  const sb = ownPod ? await runSandbox(t) : await containerPod(t);
  const id = await runContainer(t, sb, containerConfig(prefix, ref, withShell('exec sleep 3600'),
    withMemoryLimit(INITIAL.memory), withCpu(INITIAL.quota, INITIAL.period, INITIAL.shares)));
  return { sb, id };
}

/** The container's cgroup files hold exactly these limits (cgroup v1 or v2 layout, as the container sees it). */
async function expectCgroup(t: TestContext, id: string, rpc: string, want: Limits): Promise<CgroupLimits> {
  const got = await readCgroupLimits(t, id);
  // UpdateContainerResources is synchronous: the cgroup holds the new limits when it returns, no poll.
  const basis: Basis = rpc === 'UpdateContainerResources' ? UPDATE : CREATE_LIMITS;
  const why = `requested via ${rpc}; cgroup v${got.version} files read in the container: ${JSON.stringify(got.raw)}`;
  const f = got.version === 1
    ? { mem: 'memory/memory.limit_in_bytes', quota: 'cpu/cpu.cfs_quota_us', period: 'cpu/cpu.cfs_period_us' }
    : { mem: 'memory.max', quota: 'cpu.max (quota)', period: 'cpu.max (period)' };
  check(rpc, `linux.resources.memory_limit_in_bytes -> cgroup ${f.mem}`, got.memoryLimit?.toString() ?? 'unlimited', basis).equals(String(want.memory), why);
  check(rpc, `linux.resources.cpu_quota -> cgroup ${f.quota}`, got.cpuQuota, basis).equals(want.quota, why);
  check(rpc, `linux.resources.cpu_period -> cgroup ${f.period}`, got.cpuPeriod, basis).equals(want.period, why);
  if (got.version === 1) check(rpc, 'linux.resources.cpu_shares -> cgroup cpu/cpu.shares', got.cpuShares, basis).equals(want.shares, why);
  else check(rpc, `linux.resources.cpu_shares=${want.shares} -> cgroup cpu.weight`, got.cpuWeight, basis).oneOf(cpuWeightsForShares(want.shares), `${why}; linear or quadratic shares-to-weight mapping`);
  return got;
}

function checkStatusResources(linux: { memory_limit_in_bytes: string; cpu_quota: string; cpu_period: string; cpu_shares: string }, want: Limits, when: string, basis: Basis): void {
  check('ContainerStatus', `status.resources.linux.memory_limit_in_bytes (${when})`, linux.memory_limit_in_bytes, basis).equals(String(want.memory));
  check('ContainerStatus', `status.resources.linux.cpu_quota (${when})`, linux.cpu_quota, basis).equals(String(want.quota));
  check('ContainerStatus', `status.resources.linux.cpu_period (${when})`, linux.cpu_period, basis).equals(String(want.period));
  check('ContainerStatus', `status.resources.linux.cpu_shares (${when})`, linux.cpu_shares, basis).equals(String(want.shares));
}
