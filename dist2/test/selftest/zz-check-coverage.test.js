// Runs after every self-test (mocha sorts files; zz- is last): each check in suites/ must have been seen
// failing, with its expected message, by at least one self-test of this process. Per check, not per test:
// a test with ten checks needs ten faults.
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../../src/version.js';
import { checkSites, siteAt, uncoveredSites } from '../support/check-sites.js';
import { failedSites } from '../support/selftest.js';
const DIST_SUITES = path.join(REPO_ROOT, 'dist', 'suites');
const show = (s) => `${s.file}:${s.start.line}  ${s.text}`;
describe('self-test coverage (per check)', () => {
    const sites = checkSites(DIST_SUITES);
    it('finds the checks of every suite file', () => {
        expect(sites.length, 'checks found in dist/suites').to.be.greaterThan(100);
        expect(new Set(sites.map((s) => s.file)).size, 'suite files with checks').to.be.greaterThan(5);
    });
    it('every check in suites/ was shown to fail by a self-test of this run', function () {
        if (failedSites.length === 0)
            this.skip(); // only this file ran: there is nothing to judge
        const missing = uncoveredSites(sites, failedSites);
        expect(missing.map(show), `${missing.length} of ${sites.length} checks have no self-test that makes them fail`).to.deep.equal([]);
    });
    it('self-check: a check whose only self-test is gone is reported', function () {
        if (failedSites.length === 0)
            this.skip();
        const seen = failedSites.filter((w) => siteAt(sites, w));
        expect(seen.length, 'recorded failures that fall on a known check').to.be.greaterThan(0);
        // Drop every failure recorded for one check: exactly that check must be named.
        const victim = siteAt(sites, seen[0]);
        const rest = seen.filter((w) => siteAt(sites, w) !== victim);
        expect(uncoveredSites(sites, rest)).to.include(victim);
        expect(uncoveredSites(sites, []).length, 'with no self-test, every check is named').to.equal(sites.length);
    });
});
//# sourceMappingURL=zz-check-coverage.test.js.map