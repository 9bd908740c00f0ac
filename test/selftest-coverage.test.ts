// Every conformance check must have a self-test that feeds it a wrong answer. This test fails for any
// `it` in suites/ whose title appears in no file under test/selftest/.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../src/version.js';
import { SUITES } from '../src/runner/manifest.js';
import { allTests, loadSuite, testId } from '../src/runner/load.js';

describe('self-test coverage', () => {
  it('every conformance test title is named by at least one self-test', async () => {
    const dir = path.join(REPO_ROOT, 'test', 'selftest');
    const sources = readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
    const missing: string[] = [];
    let total = 0;
    for (const entry of SUITES) {
      const loaded = await loadSuite(entry, { timeoutMs: 1000, bail: false });
      if (!loaded) continue;
      for (const t of allTests(loaded.mocha.suite)) {
        total++;
        if (!sources.includes(t.title)) missing.push(testId(entry.name, t));
      }
    }
    expect(total, 'conformance tests found').to.be.greaterThan(0);
    expect(missing, `conformance tests without a self-test:\n  ${missing.join('\n  ')}`).to.deep.equal([]);
  });

  it('every suite in the manifest has a suite file', async () => {
    const { suiteFile } = await import('../src/runner/load.js');
    const missing = SUITES.filter((s) => !suiteFile(s)).map((s) => s.file);
    expect(missing, 'suite files missing under suites/').to.deep.equal([]);
  });
});
