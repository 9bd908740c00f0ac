// Host-feature detection lives in one place (src/runner/host.ts) and reaches every test as
// t.run.hostFeatures; a run may override any feature (the LSM self-tests pretend AppArmor/SELinux).
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { defineSuite } from '../src/framework/index.js';
import { requireHostFeature } from '../src/framework/security-profiles.js';
import { detectHostFeatures, hostLimitsFrom } from '../src/runner/host.js';
import { entry, runAgainst } from './support/fake-run.js';
import { startMiniRuntime } from './support/fake-cri.js';

describe('host features', function () {
  this.timeout(20_000);

  it('detects AppArmor, SELinux and seccomp from the kernel interfaces, with the evidence', () => {
    const h = detectHostFeatures();
    const aa = existsSync('/sys/module/apparmor/parameters/enabled') && readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').startsWith('Y');
    expect(h.apparmor.present).to.equal(aa);
    expect(h.apparmor.evidence).to.match(/\/sys\/module\/apparmor\/parameters\/enabled/);
    // Without selinuxfs there is no SELinux; with it, the process label decides (not judged here).
    if (!/\sselinuxfs\s/.test(readFileSync('/proc/self/mounts', 'utf8'))) expect(h.selinux.present).to.equal(false);
    expect(h.selinux.evidence).to.match(/selinuxfs/);
    expect(h.seccomp.present).to.equal(/^Seccomp:/m.test(readFileSync('/proc/self/status', 'utf8')) && existsSync('/proc/sys/kernel/seccomp/actions_avail'));
  });

  it('reaches tests as t.run.hostFeatures; RunOptions.hostFeatures overrides it; requireHostFeature skips naming the evidence', async () => {
    const fake = await startMiniRuntime();
    try {
      const seen: boolean[] = [];
      const spec = defineSuite(({ describe, it }) =>
        describe('lsm', () =>
          it('needs AppArmor', async (t) => {
            seen.push(t.run.hostFeatures.apparmor.present);
            requireHostFeature(t, 'apparmor');
          }),
        ),
      );
      const go = (hostFeatures?: object) =>
        runAgainst(fake, [entry('x', spec)], hostFeatures ? { hostFeatures } : {});
      const absent = await go({ apparmor: { present: false, evidence: 'pretended absent' } });
      expect(absent.suites[0]!.tests[0]).to.include({ status: 'skipped', message: 'AppArmor is not enabled on this node (pretended absent)' });
      const present = await go({ apparmor: { present: true, evidence: 'pretended present' } });
      expect(present.suites[0]!.tests[0]!.status).to.equal('passed');
      expect(seen).to.deep.equal([false, true]);
    } finally {
      await fake.close();
    }
  });

  it('knows the host limits: an incomplete capability bounding set (named), SELinux enforcing, swap on', () => {
    const lacking = hostLimitsFrom({ status: 'Name:\tx\nCapBnd:\t000001fffeffffff\n', capLastCap: '40\n', swaps: 'Filename\tType\n/dev/zram0 partition\n', selinuxEnforce: '1' });
    expect(lacking.boundingSet).to.deep.equal({ limited: true, missing: ['SYS_RESOURCE'], evidence: 'CapBnd 000001fffeffffff in /proc/self/status, cap_last_cap 40: lacks SYS_RESOURCE' });
    expect(lacking.selinuxEnforcing.limited).to.equal(true);
    expect(lacking.swap).to.deep.equal({ limited: true, evidence: '/proc/swaps lists /dev/zram0' });
    // A kernel that knows fewer capabilities than its mask holds bits for is complete; permissive SELinux and no swap are no limits.
    const full = hostLimitsFrom({ status: 'CapBnd:\t000001ffffffffff\n', capLastCap: '37', swaps: 'Filename\tType\n', selinuxEnforce: '0' });
    expect([full.boundingSet.limited, full.boundingSet.missing, full.selinuxEnforcing.limited, full.swap.limited]).to.deep.equal([false, [], false, false]);
    expect(hostLimitsFrom({}).boundingSet.limited).to.equal(false);
    // This node, as detected: every capability 0..cap_last_cap missing from CapBnd is named.
    const here = detectHostFeatures().limits.boundingSet;
    const bnd = BigInt(`0x${/^CapBnd:\s*(\w+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
    const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
    expect(here.missing.length).to.equal(Array.from({ length: last + 1 }, (_, i) => i).filter((i) => !(bnd & (1n << BigInt(i)))).length);
  });
});
