// Helpers for the stats and resources suites: sandboxes in their own pod cgroup (what the kubelet always
// asks for, and what sandbox-level stats are read from) and the cgroup limits a container really got,
// read from inside it.
import { status as Status } from '@grpc/grpc-js';
import type { SandboxOption } from './builders.js';
import { podSandboxConfig, randomSuffix, withCgroupParent } from './builders.js';
import { failWith, check } from './expect.js';
import { execSync, removeCgroupDirsLater, runSandbox, type Sandbox } from './resources.js';
import { RpcError } from '../cri/errors.js';
import type { TestContext } from './context.js';

export interface PodCgroupSandbox extends Sandbox {
  /** linux.cgroup_parent the sandbox was created with. */
  cgroupParent: string;
}

/**
 * Runs a sandbox with its own pod cgroup as linux.cgroup_parent, as the kubelet always does. The parent is
 * given in the cgroupfs form first ("/crc-x"); a runtime on the systemd driver rejects that, and gets the
 * systemd form ("crc-x.slice"). No RuntimeConfig call: that RPC is judged by its own suite.
 */
export async function runSandboxInPodCgroup(t: TestContext, prefix: string, ...opts: SandboxOption[]): Promise<PodCgroupSandbox> {
  const name = `crc-${randomSuffix(8)}`;
  removeCgroupDirsLater(t, name); // registered first: runs after the sandbox is gone (LIFO)
  const cgroupfs = `/${name}`;
  try {
    const sb = await runSandbox(t, podSandboxConfig(prefix, ...opts, withCgroupParent(cgroupfs)));
    return { ...sb, cgroupParent: cgroupfs };
  } catch (e) {
    if (!(e instanceof RpcError) || e.code === Status.UNIMPLEMENTED) throw e;
    const systemd = `${name}.slice`;
    try {
      const sb = await runSandbox(t, podSandboxConfig(prefix, ...opts, withCgroupParent(systemd)));
      return { ...sb, cgroupParent: systemd };
    } catch (e2) {
      failWith(`RunPodSandbox: config.linux.cgroup_parent: expected the runtime to accept a pod cgroup parent in the cgroupfs ` +
        `(${cgroupfs}) or systemd (${systemd}) form, got: ${(e as Error).message} / ${(e2 as Error).message}`);
    }
  }
}

export interface CgroupLimits {
  version: 1 | 2;
  /** Memory limit in bytes; null when unlimited. */
  memoryLimit: bigint | null;
  /** CFS quota in microseconds; -1 when unlimited. */
  cpuQuota: number;
  cpuPeriod: number;
  /** cgroup v1 cpu.shares. */
  cpuShares?: number;
  /** cgroup v2 cpu.weight. */
  cpuWeight?: number;
  /** The raw file contents, for failure messages. */
  raw: string;
}

// cgroup v2 when /sys/fs/cgroup is the unified hierarchy (cgroup.controllers at its root), else v1
// (hybrid hosts included: the container sees the v1 controllers under /sys/fs/cgroup/<controller>).
const READ_LIMITS = [
  'if [ -f /sys/fs/cgroup/cgroup.controllers ]; then',
  '  echo v2; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight;',
  'else',
  '  echo v1; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.shares;',
  'fi',
].join('\n');

/** v1 reports "no limit" as a huge page-aligned number (PAGE_COUNTER_MAX pages). */
const V1_UNLIMITED = 1n << 62n;

/** The memory and CPU limits of a running container, read from its own cgroup files. */
export async function readCgroupLimits(t: TestContext, containerId: string): Promise<CgroupLimits> {
  const out = await execSync(t, containerId, ['sh', '-c', READ_LIMITS]);
  const raw = out.stdout.trim();
  check('ExecSync', 'exit_code (reading the container\'s cgroup files)', out.exitCode).equals(0, `stdout=${JSON.stringify(raw)} stderr=${JSON.stringify(out.stderr.trim())}`);
  const lines = raw.split('\n').map((l) => l.trim());
  const num = (s: string | undefined, what: string): bigint => {
    if (!s || !/^-?\d+$/.test(s)) failWith(`ExecSync: ${what}: expected an integer, got ${JSON.stringify(s)} (cgroup files: ${JSON.stringify(raw)})`);
    return BigInt(s);
  };
  if (lines[0] === 'v2') {
    const [, mem, cpuMax, weight] = lines;
    const [quota, period] = (cpuMax ?? '').split(/\s+/);
    return {
      version: 2,
      memoryLimit: mem === 'max' ? null : num(mem, 'memory.max'),
      cpuQuota: quota === 'max' ? -1 : Number(num(quota, 'cpu.max (quota)')),
      cpuPeriod: Number(num(period, 'cpu.max (period)')),
      cpuWeight: Number(num(weight, 'cpu.weight')),
      raw,
    };
  }
  const [, mem, quota, period, shares] = lines;
  const m = num(mem, 'memory.limit_in_bytes');
  return {
    version: 1,
    memoryLimit: m >= V1_UNLIMITED ? null : m,
    cpuQuota: Number(num(quota, 'cpu.cfs_quota_us')),
    cpuPeriod: Number(num(period, 'cpu.cfs_period_us')),
    cpuShares: Number(num(shares, 'cpu.shares')),
    raw,
  };
}

/**
 * The cgroup v2 cpu.weight values an OCI runtime may derive from CRI cpu_shares: the linear mapping every
 * runtime used for years (runc < 1.3.2, crun < 1.23), and the quadratic one that maps 1024 shares to the
 * default weight 100 (opencontainers/runc#4785, adopted by crun). The suite's quotas are 50% of their
 * period, which the systemd driver (10 ms steps of CPUQuotaPerSecUSec) represents exactly.
 */
export function cpuWeightsForShares(shares: number): number[] {
  if (shares <= 0) return [];
  if (shares <= 2) return [1];
  if (shares >= 262144) return [10000];
  const linear = 1 + Math.floor(((shares - 2) * 9999) / 262142);
  const l = Math.log2(shares);
  const quadratic = Math.ceil(Math.pow(10, (l * l + 125 * l) / 612 - 7 / 34));
  return [...new Set([linear, quadratic])];
}

/**
 * The entries of `got` under the keys of `given`. A runtime may add labels of its own (CRI-O does): the
 * contract is that what was given comes back, not that nothing else does. Used for labels, never for
 * annotations, which api.proto requires to be identical.
 */
export function givenEntries(got: Record<string, string> | null | undefined, given: Record<string, string> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(given ?? {})) if (got && Object.hasOwn(got, k)) out[k] = got[k]!;
  return out;
}
