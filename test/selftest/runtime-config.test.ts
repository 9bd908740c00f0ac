// Self-tests: RuntimeConfig checks fail when the reported driver is invalid or disagrees with reality.
// containerd 1.6 does not serve RuntimeConfig, so the proxy answers it (`respond`) to drive the cross-checks.
import { expect } from 'chai';
import { Status, expectCheckFails, runOne } from '../support/selftest.js';

const R = 'runtime-config/RuntimeConfig ';
const driver = (d: string | number) => ({ rpc: 'RuntimeConfig', respond: () => ({ linux: { cgroup_driver: d } }) });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;
const cgroupLines = (res: Msg): string[] => (res.stdout as Buffer).toString('utf8').trim().split('\n');

describe('self-test: runtime-config', function () {
  this.timeout(600_000);

  it('fails when the driver is not SYSTEMD or CGROUPFS', () =>
    expectCheckFails(`${R}runtime should report the cgroup driver as SYSTEMD or CGROUPFS [Feature:RuntimeConfig]`, [driver(7)], /RuntimeConfig: linux\.cgroup_driver: expected one of "SYSTEMD", "CGROUPFS", got 7/));

  it('fails when RuntimeConfig errors with something other than UNIMPLEMENTED (kubelet startup fails)', () =>
    expectCheckFails(
      `${R}runtime should report the cgroup driver as SYSTEMD or CGROUPFS [Feature:RuntimeConfig]`,
      [{ rpc: 'RuntimeConfig', error: { code: Status.INTERNAL, details: 'no config' } }],
      /RuntimeConfig failed: INTERNAL: no config/,
    ));

  it('skips with the kubelet fallback reason when RuntimeConfig is UNIMPLEMENTED', async () => {
    const r = await runOne(`${R}runtime should report the cgroup driver as SYSTEMD or CGROUPFS [Feature:RuntimeConfig]`, [
      { rpc: 'RuntimeConfig', error: { code: Status.UNIMPLEMENTED, details: 'off' } },
    ]);
    expect(r.status).to.equal('skipped');
    expect(r.message).to.match(/RuntimeConfig answered UNIMPLEMENTED/);
  });

  it('fails when the reported driver (systemd) disagrees with the container cgroup paths (cgroupfs)', () =>
    expectCheckFails(`${R}container cgroup paths should match the reported cgroup driver [Feature:RuntimeConfig]`, [driver('SYSTEMD')], /\/proc\/self\/cgroup path \(systemd driver\): expected a value matching/));

  const paths = `${R}container cgroup paths should match the reported cgroup driver [Feature:RuntimeConfig]`;
  /** The ExecSync answer of `cat /proc/self/cgroup`, rewritten. */
  const cgroupExec = (change: (res: Msg) => void) => ({ rpc: 'ExecSync', when: (req: Msg) => req.cmd?.[0] === 'cat', mutate: (res: Msg) => void change(res) });

  it('fails when cat /proc/self/cgroup exits non-zero in the container', () =>
    expectCheckFails(paths, [driver('CGROUPFS'), cgroupExec((res) => (res.exit_code = 1))],
      /ExecSync: exit_code \(cat \/proc\/self\/cgroup\): expected 0, got 1/));

  it('fails when the container has neither a memory nor a unified cgroup', () =>
    expectCheckFails(paths, [driver('CGROUPFS'), cgroupExec((res) => (res.stdout = Buffer.from(cgroupLines(res).filter((l) => !/memory|^0::/.test(l)).join('\n'))))],
      /ExecSync: \/proc\/self\/cgroup: expected a memory or unified cgroup line, got ".*pids:/));

  it('fails when the reported driver (cgroupfs) disagrees with the container cgroup paths (systemd)', () =>
    expectCheckFails(paths, [
      driver('CGROUPFS'),
      cgroupExec((res) => (res.stdout = Buffer.from(cgroupLines(res).map((l) => l.replace(/^(\d+:[^:]*:|0::).*$/, '$1/kubepods.slice/kubepods-besteffort.slice/cri-containerd-0123.scope')).join('\n')))),
    ], /ExecSync: \/proc\/self\/cgroup path \(cgroupfs driver\): expected a value matching .*, got "\/kubepods\.slice\/kubepods-besteffort\.slice\/cri-containerd-0123\.scope"/));

  // A container in its own cgroup namespace (cgroup v2) reads "0::/": the path is then read on the node.
  const ownNamespace = cgroupExec((res) => (res.stdout = Buffer.from('0::/\n')));
  it('reads the cgroup path on the node when the container has its own cgroup namespace ("0::/")', async () => {
    const r = await runOne(paths, [driver('CGROUPFS'), ownNamespace]);
    expect(r.status, r.message).to.equal('passed');
  });

  it('fails, in its own cgroup namespace too, when the reported driver (systemd) disagrees with the node\'s cgroup path', () =>
    expectCheckFails(paths, [driver('SYSTEMD'), ownNamespace], /ExecSync: \/proc\/self\/cgroup path \(systemd driver\): expected a value matching .*, got "\/(?![^"]*\.slice)[^"]*"/));

  it('fails, in its own cgroup namespace too, when the sandbox cgroup_parent is not honoured', () =>
    expectCheckFails(
      `${R}sandbox with a cgroup_parent in the reported driver format should place its containers under it [Feature:RuntimeConfig]`,
      [
        driver('CGROUPFS'), ownNamespace,
        { rpc: 'RunPodSandbox', mutateRequest: (req) => void (req.config.linux.cgroup_parent = '') },
        { rpc: 'CreateContainer', mutateRequest: (req) => void (req.sandbox_config.linux.cgroup_parent = '') },
      ],
      /ExecSync: \/proc\/self\/cgroup path: expected to include "\/crc-[0-9a-f]+\/", got "\/(?![^"]*crc-)[^"]*" \(sandbox linux\.cgroup_parent=\/crc-/,
    ));

  it('fails when the sandbox cgroup_parent is not honoured', () =>
    expectCheckFails(
      `${R}sandbox with a cgroup_parent in the reported driver format should place its containers under it [Feature:RuntimeConfig]`,
      // The kubelet passes the sandbox config again on CreateContainer; drop the parent in both.
      [
        driver('CGROUPFS'),
        { rpc: 'RunPodSandbox', mutateRequest: (req) => void (req.config.linux.cgroup_parent = '') },
        { rpc: 'CreateContainer', mutateRequest: (req) => void (req.sandbox_config.linux.cgroup_parent = '') },
      ],
      /ExecSync: \/proc\/self\/cgroup path: expected to include "\/crc-[0-9a-f]+\/"/,
    ));
});
