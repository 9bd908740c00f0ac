// "Not run (no image)": a test whose test image is not available is neither a pass nor an ordinary skip. It is
// counted on its own in the closing line, the terminal table, JUnit and summary.json, and fails the run unless
// --allow-missing-images. Judged against the in-process fake runtime (no root, no lab).
import { expect } from 'chai';
import { defineSuite } from '../src/framework/index.js';
import type { RunOptions } from '../src/runner/run.js';
import { entry, runAgainst } from './support/fake-run.js';
import type { RunResult } from '../src/report/model.js';
import { closingLine, runVerdict } from '../src/report/verdict.js';
import { runFromSummary, toSummaryJson, toSummaryMarkdown } from '../src/report/certification.js';
import { toJUnit } from '../src/report/junit.js';
import { summaryTable } from '../src/report/summary-table.js';
import { startMiniRuntime, type MiniRuntime } from './support/fake-cri.js';

const suite = defineSuite(({ describe, it }) =>
  describe('img', () => {
    it('needs busybox', async (t) => void t.image('busybox'));
    it('needs webserver', async (t) => void t.image('webserver'));
    it('needs nothing', async () => undefined);
  }),
);

const run = (fake: MiniRuntime, o: Partial<RunOptions> = {}): Promise<RunResult> => runAgainst(fake, [entry('s', suite)], o);

describe('not run (no image)', function () {
  this.timeout(20_000);
  let fake: MiniRuntime;
  before(async () => (fake = await startMiniRuntime()));
  after(async () => fake.close());

  it('counts tests without their image on their own and fails the run, saying how many and why', async () => {
    const r = await run(fake);
    const byTitle = Object.fromEntries(r.suites[0]!.tests.map((t) => [t.title, t]));
    expect(byTitle['needs busybox']).to.include({ status: 'notrun', notRunCause: 'no-image' });
    expect(byTitle['needs nothing']!.status).to.equal('passed');
    const v = runVerdict(r);
    expect(v.counts).to.include({ passed: 1, skipped: 0, notRun: 0, noImage: 2, failed: 0 });
    expect(v.result).to.equal('failed');
    expect(v.reasons.join('\n')).to.match(/^2 tests did not run: their test images are not available/);
    expect(closingLine(v)).to.match(/^conformance: 1 passed, 0 failed, 0 skipped, 0 not run, 2 not run \(no image\) — FAILED: 2 tests did not run/);
    const table = summaryTable(r, { color: false });
    expect(table).to.match(/Not run\s+No image/);
    expect(table).to.match(/^Total\s+1\s+0\s+0\s+0\s+2/m);
    const junit = toJUnit(r);
    expect(junit).to.include('<property name="tests.notRunNoImage" value="2"/>');
    expect(junit).to.include('message="not run (no image): test image &quot;busybox&quot;: no test images configured');
    const json = JSON.parse(toSummaryJson(r));
    expect(json.totals).to.include({ noImage: 2, notRun: 0 });
    expect(json.tests.filter((t: { notRunCause?: string }) => t.notRunCause === 'no-image')).to.have.length(2);
    expect(toSummaryMarkdown(r)).to.include('2 not run (no image)');
    // A summary read back judges the same.
    expect(closingLine(runVerdict(runFromSummary(json)))).to.equal(closingLine(v));
  });

  it('--allow-missing-images keeps the count and lets the run pass', async () => {
    const r = { ...(await run(fake)), allowMissingImages: true };
    const v = runVerdict(r);
    expect(v.result).to.equal('passed');
    expect(v.counts.noImage).to.equal(2);
    expect(closingLine(v)).to.equal('conformance: 1 passed, 0 failed, 0 skipped, 0 not run, 2 not run (no image) — PASSED');
    expect(runVerdict(runFromSummary(JSON.parse(toSummaryJson(r)))).result).to.equal('passed');
  });

  it('a fixture image missing from a partial --images map is "no image"; an unknown name is a failure', async () => {
    const partial = defineSuite(({ describe, it }) =>
      describe('img', () => {
        it('needs webserver', async (t) => void t.image('webserver'));
        it('needs a name nobody knows', async (t) => void t.image('no-such-fixture'));
      }),
    );
    const r = await run(fake, { images: { busybox: 'x/busybox:1' }, manifest: [entry('s', partial)] });
    const [web, unknown] = r.suites[0]!.tests;
    expect(web).to.include({ status: 'notrun', notRunCause: 'no-image' });
    expect(web!.message).to.match(/"webserver" is not in the images map/);
    expect(unknown!.status).to.equal('failed');
  });
});
