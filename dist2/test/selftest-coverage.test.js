// Every conformance check must have a self-test that feeds it a wrong answer. This test fails for any
// `it` in suites/ that no file under test/selftest/ names.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../src/version.js';
import { SUITES } from '../src/runner/manifest.js';
import { allTests, loadSuite, suiteFile, testId } from '../src/runner/load.js';
/** Does this self-test source name the test? Literally (from its verb on), or through a template literal. */
export function namedBy(sources) {
    // Ids built from template literals (`${L}runtime should remove ${state} container…`) are matched as
    // patterns: each ${…} stands for any text, the pattern must cover the end of the id, and only templates
    // with real text count (>= 30 literal characters), so `${a} ${b}` covers nothing.
    const patterns = [...sources.matchAll(/`([^`]*\$\{[^`]*)`/g)]
        .filter((m) => m[1].replace(/\$\{[^}]*\}/g, '').length >= 30)
        .map((m) => new RegExp(`(^|/| )${m[1].split(/\$\{[^}]*\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
    return (id, title) => {
        // Shared prefixes ("image/PullImage runtime should") are common, so a title is looked for from its verb on.
        const tail = title.includes(' should ') ? title.slice(title.indexOf(' should ') + 8) : title;
        return sources.includes(tail) || patterns.some((p) => p.test(id));
    };
}
describe('self-test coverage', () => {
    it('every conformance test title is named by at least one self-test', async () => {
        const dir = path.join(REPO_ROOT, 'test', 'selftest');
        const sources = readdirSync(dir)
            .filter((f) => f.endsWith('.test.ts'))
            .map((f) => readFileSync(path.join(dir, f), 'utf8'))
            .join('\n');
        const named = namedBy(sources);
        const missing = [];
        let total = 0;
        for (const entry of SUITES) {
            const loaded = await loadSuite(entry, { timeoutMs: 1000, bail: false });
            if (!loaded)
                continue;
            for (const t of allTests(loaded.mocha.suite)) {
                total++;
                const id = testId(entry.name, t);
                if (!named(id, t.title))
                    missing.push(id);
            }
        }
        expect(total, 'conformance tests found').to.be.greaterThan(0);
        expect(missing, `conformance tests without a self-test:\n  ${missing.join('\n  ')}`).to.deep.equal([]);
    });
    it('self-check: a title no self-test names is reported, literal or templated', () => {
        const named = namedBy("const P = `${S}Pods runtime should remove ${state} sandboxes and report it gone`;\nit('runtime should run a pod [Conformance]')");
        expect(named('x/Pods runtime should run a pod [Conformance]', 'runtime should run a pod [Conformance]')).to.equal(true);
        expect(named('x/Pods runtime should remove ready sandboxes and report it gone', 'runtime should remove ready sandboxes and report it gone')).to.equal(true);
        expect(named('x/Pods runtime should stop a pod [Conformance]', 'runtime should stop a pod [Conformance]')).to.equal(false);
        expect(namedBy('`${a} ${b} ${c}`')('x/a b c', 'a b c')).to.equal(false);
    });
    it('every suite in the manifest has a suite file', () => {
        const missing = SUITES.filter((s) => !suiteFile(s)).map((s) => s.file);
        expect(missing, 'suite files missing under suites/').to.deep.equal([]);
    });
});
//# sourceMappingURL=selftest-coverage.test.js.map