// Every check in suites/ must have been seen failing, with its expected message, by at least one self-test.
// Per check, not per test: a test with ten checks needs ten faults. Run by `npm run test:self` after all
// self-test workers finished, with $CRI_SELFTEST_SITES naming the file they appended failing sites to;
// without it (a unit-test run) the judgement is skipped, and says so.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../src/version.js';
import { checkSites, siteAt, uncoveredSites, type CheckSite } from './support/check-sites.js';

const DIST_SUITES = path.join(REPO_ROOT, 'dist', 'suites');
const show = (s: CheckSite) => `${s.file}:${s.start.line}  ${s.text}`;

function recorded(): string[] | undefined {
  const file = process.env['CRI_SELFTEST_SITES'];
  if (!file) return undefined;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { site: string }).site);
}

// CRI_COVERAGE_SUITES=40-container,20-image judges only those suite files (after running their self-tests alone).
const only = process.env['CRI_COVERAGE_SUITES']?.split(',').map((x) => `suites/${x.trim()}.suite.js`);

describe('self-test coverage (per check)', () => {
  const sites = checkSites(DIST_SUITES).filter((s) => !only || only.includes(s.file));

  it('finds the checks of every suite file', function () {
    if (only) this.skip(); // a partial judgement (CRI_COVERAGE_SUITES)
    expect(sites.length, 'checks found in dist/suites').to.be.greaterThan(100);
    expect(new Set(sites.map((s) => s.file)).size, 'suite files with checks').to.be.greaterThan(5);
  });

  it('every check in suites/ was shown to fail by a self-test', function () {
    const seen = recorded();
    if (!seen) this.skip(); // not run by `npm run test:self`: no self-test results to judge
    const missing = uncoveredSites(sites, seen);
    if (missing.length) {
      // The whole list for whoever writes the missing self-tests.
      mkdirSync(path.join(REPO_ROOT, 'reports'), { recursive: true });
      writeFileSync(path.join(REPO_ROOT, 'reports', 'uncovered-checks.txt'), missing.map(show).join('\n') + '\n');
    }
    expect(missing.length, `${missing.length} of ${sites.length} checks have no self-test that makes them fail ` +
      `(all in reports/uncovered-checks.txt):\n  ${missing.slice(0, 30).map(show).join('\n  ')}`).to.equal(0);
  });

  it('self-check: a check whose only self-tests are gone is named', function () {
    const seen = recorded();
    if (!seen) this.skip();
    const hits = seen.filter((w) => siteAt(sites, w));
    expect(hits.length, 'recorded failures that fall on a known check').to.be.greaterThan(0);
    // Drop every failure recorded for one check: exactly that check must be named.
    const victim = siteAt(sites, hits[0]!)!;
    const rest = hits.filter((w) => siteAt(sites, w) !== victim);
    expect(uncoveredSites(sites, rest)).to.include(victim);
    expect(uncoveredSites(sites, []).length, 'with no self-test, every check is named').to.equal(sites.length);
  });
});
