// Host-feature detection lives in one place (src/runner/host.ts) and reaches every test as
// t.run.hostFeatures; a run may override any feature (the LSM self-tests pretend AppArmor/SELinux).
import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { defineSuite } from '../src/framework/index.js';
import { requireHostFeature } from '../src/framework/security-profiles.js';
import { detectHostFeatures } from '../src/runner/host.js';
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
});
