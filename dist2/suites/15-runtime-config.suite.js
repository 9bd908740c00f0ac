// RuntimeConfig: the cgroup driver the kubelet must use. Asserted against what containers really get.
import { defineSuite, testImage, check, failWith, runSandbox, runContainer, execSync, podSandboxConfig, containerConfig, withCgroupParent, withShell, randomSuffix, removeCgroupDirsLater, } from '../src/framework/index.js';
async function reportedDriver(t) {
    const res = await t.cri.runtime.call('RuntimeConfig', {});
    const d = res.linux?.cgroup_driver;
    check('RuntimeConfig', 'linux.cgroup_driver', d).oneOf(['SYSTEMD', 'CGROUPFS']);
    return d;
}
/** The cgroup path of a container's memory (v1) or unified (v2) hierarchy, from /proc/self/cgroup. */
async function containerCgroup(t, parent) {
    const sb = await runSandbox(t, parent ? podSandboxConfig('cgroup', withCgroupParent(parent)) : undefined);
    const ref = await testImage(t);
    const id = await runContainer(t, sb, containerConfig('cgroup', ref, withShell('sleep 3600')));
    const out = await execSync(t, id, ['cat', '/proc/self/cgroup']);
    check('ExecSync', 'exit_code (cat /proc/self/cgroup)', out.exitCode).equals(0);
    const lines = out.stdout.trim().split('\n');
    const line = lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l)) ?? lines.find((l) => l.startsWith('0::'));
    if (!line)
        failWith(`ExecSync: /proc/self/cgroup: expected a memory or unified cgroup line, got ${JSON.stringify(out.stdout)}`);
    return line.split(':').slice(2).join(':');
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
            if (driver === 'SYSTEMD')
                check('ExecSync', '/proc/self/cgroup path (systemd driver)', path).matches(/\.(slice|scope)/);
            else
                check('ExecSync', '/proc/self/cgroup path (cgroupfs driver)', path).matches(/^\/(?!.*\.slice)/);
        });
        it('sandbox with a cgroup_parent in the reported driver format should place its containers under it [Feature:RuntimeConfig]', async (t) => {
            const driver = await reportedDriver(t);
            const name = `crc-${randomSuffix(8)}`;
            const parent = driver === 'SYSTEMD' ? `${name}.slice` : `/${name}`;
            if (driver === 'CGROUPFS')
                removeCgroupDirsLater(t, name);
            const path = await containerCgroup(t, parent);
            check('ExecSync', '/proc/self/cgroup path', path).includes(driver === 'SYSTEMD' ? `${name}.slice` : `/${name}/`, `sandbox linux.cgroup_parent=${parent}`);
        });
    });
});
//# sourceMappingURL=15-runtime-config.suite.js.map