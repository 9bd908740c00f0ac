// RuntimeConfig: the cgroup driver the kubelet must use. Asserted against what containers really get.
import { readFileSync } from 'node:fs';
import {
  defineSuite, testImage, check, failWith, skip, runSandbox, runContainer, execSync, podSandboxConfig, eventually,
  containerConfig, withCgroupParent, withCommand, randomSuffix, removeCgroupDirsLater, cri, kubelet, type TestContext,
} from '../src/framework/index.js';
import { hostPidsRunning, uniqueSleep } from '../src/framework/host.js';

const DRIVER = cri('LinuxRuntimeConfiguration.cgroup_driver', 'Cgroup driver to use', 'true');
/** The kubelet takes the driver from RuntimeConfig and lays out every pod cgroup in that driver's form. */
const DRIVER_LAYOUT = kubelet('cmd/kubelet/app/server.go getCgroupDriverFromCRI(); cm/cgroup_manager_linux.go', 'uses the reported driver for the pod cgroups it names in cgroup_parent, assuming containers land under them in that form');
const PARENT = cri('LinuxPodSandboxConfig.cgroup_parent', 'Parent cgroup of the PodSandbox. The cgroupfs style syntax will be used, but the container runtime can convert it to systemd semantics if needed.', 'effect');
const EXEC = cri('RuntimeService.ExecSync', 'ExecSync runs a command in a container synchronously.');

type Driver = 'SYSTEMD' | 'CGROUPFS';

async function reportedDriver(t: TestContext): Promise<Driver> {
  const res = await t.cri.runtime.call('RuntimeConfig', {});
  const d = res.linux?.cgroup_driver as string | undefined;
  check('RuntimeConfig', 'linux.cgroup_driver', d, DRIVER).oneOf(['SYSTEMD', 'CGROUPFS']);
  return d as Driver;
}

/**
 * The cgroup path of a container's memory (v1) or unified (v2) hierarchy, from its /proc/self/cgroup. A container
 * in its own cgroup namespace (the runtimes' default on cgroup v2; the kubelet does not choose) reads "/" there,
 * so its path is then read from the node's /proc/<pid>/cgroup, and the test skips when the node is elsewhere.
 */
async function containerCgroup(t: TestContext, parent?: string): Promise<string> {
  const sb = await runSandbox(t, parent ? podSandboxConfig('cgroup', withCgroupParent(parent)) : undefined);
  const ref = await testImage(t);
  const argv = ['sleep', uniqueSleep()];
  const id = await runContainer(t, sb, containerConfig('cgroup', ref, withCommand(...argv)));
  const out = await execSync(t, id, ['cat', '/proc/self/cgroup']);
  check('ExecSync', 'exit_code (cat /proc/self/cgroup)', out.exitCode, EXEC).equals(0);
  const inside = cgroupPath(out.stdout);
  if (inside === undefined) failWith(`ExecSync: /proc/self/cgroup: expected a memory or unified cgroup line, got ${JSON.stringify(out.stdout)}`, DRIVER_LAYOUT);
  if (inside !== '/') return inside;
  const pids = await eventually(async () => {
    const p = hostPidsRunning(argv);
    if (!p.length) throw new Error('not yet');
    return p;
  }, { timeoutMs: 10_000, intervalMs: 100 }).catch(() =>
    skip(`the container has its own cgroup namespace (/proc/self/cgroup reads "/") and its process (${argv.join(' ')}) is not in this machine's /proc: the runtime runs elsewhere, so its cgroup path cannot be seen`));
  const onNode = cgroupPath(readFileSync(`/proc/${pids[0]}/cgroup`, 'utf8'));
  return onNode ?? skip(`the node's /proc/${pids[0]}/cgroup (container ${id.slice(0, 12)}) has no memory or unified line: this host's cgroups cannot show the container's path`);
}

/** The path of the memory (v1) or else the unified (v2) line of a /proc/<pid>/cgroup text. */
function cgroupPath(text: string): string | undefined {
  const lines = text.trim().split('\n');
  const line = lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l)) ?? lines.find((l) => l.startsWith('0::'));
  return line?.split(':').slice(2).join(':');
}

export default defineSuite(({ describe, it }) => {
  describe('RuntimeConfig', () => {
    it('runtime should report the cgroup driver as SYSTEMD or CGROUPFS [Feature:RuntimeConfig]', async (t) => {
      await reportedDriver(t);
    });

    it('container cgroup paths should match the reported cgroup driver [Feature:RuntimeConfig]', async (t) => {
      const driver = await reportedDriver(t);
      const path = await containerCgroup(t);
      // systemd places every container in a .scope under a .slice; cgroupfs uses plain directories.
      if (driver === 'SYSTEMD') check('ExecSync', '/proc/self/cgroup path (systemd driver)', path, DRIVER_LAYOUT).matches(/\.(slice|scope)/);
      else check('ExecSync', '/proc/self/cgroup path (cgroupfs driver)', path, DRIVER_LAYOUT).matches(/^\/(?!.*\.slice)/);
    });

    it('sandbox with a cgroup_parent in the reported driver format should place its containers under it [Feature:RuntimeConfig]', async (t) => {
      const driver = await reportedDriver(t);
      const name = `crc-${randomSuffix(8)}`;
      const parent = driver === 'SYSTEMD' ? `${name}.slice` : `/${name}`;
      if (driver === 'CGROUPFS') removeCgroupDirsLater(t, name);
      const path = await containerCgroup(t, parent);
      check('ExecSync', '/proc/self/cgroup path', path, PARENT).includes(driver === 'SYSTEMD' ? `${name}.slice` : `/${name}/`, `sandbox linux.cgroup_parent=${parent}`);
    });
  });
});
