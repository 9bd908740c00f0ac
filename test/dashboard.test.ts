// Dashboard-friendly output: junit_<name>.xml for Kubernetes test dashboards, the summary's timeline and
// Kubernetes-release strip. Regenerate the golden with: UPDATE_GOLDEN=1 npx mocha --no-config dist/test/dashboard.test.js

import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { create } from 'xmlbuilder2';
import { dashboardJUnitFile, toJUnit } from '../src/report/junit.js';
import { runFromSummary, toSummaryHtml, toSummaryJson } from '../src/report/certification.js';
import { MATRIX_COLOURS, TIMELINE_COLOURS, TIMELINE_LANE, matrixHtml, timelineSvg } from '../src/report/timeline.js';
import { compatibilityMatrix } from '../src/profiles/index.js';
import { writeReports } from '../src/report/write.js';
import { loadFixture, repoRoot, timedFixture } from './support/report-fixtures.js';

const ROOT = repoRoot();

function golden(name: string, actual: string): void {
  const file = path.join(ROOT, 'test', 'golden', name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  expect(actual, `output differs from test/golden/${name} (UPDATE_GOLDEN=1 rewrites it)`).to.equal(readFileSync(file, 'utf8'));
}

interface El {
  name: string;
  attrs: Record<string, string>;
  kids: El[];
}
function parse(xml: string): El {
  const walk = (n: { nodeType: number; nodeName: string; childNodes: ArrayLike<unknown>; attributes?: ArrayLike<{ name: string; value: string }> }): El => ({
    name: n.nodeName,
    attrs: Object.fromEntries(Array.from(n.attributes ?? []).map((a) => [a.name, a.value])),
    kids: Array.from(n.childNodes as ArrayLike<typeof n>).filter((c) => c.nodeType === 1).map(walk),
  });
  return walk(create(xml).root().node as never);
}
const props = (suite: El): Record<string, string> =>
  Object.fromEntries(suite.kids.find((k) => k.name === 'properties')!.kids.map((p) => [p.attrs['name']!, p.attrs['value']!]));

describe('dashboard output', () => {
  describe('junit_<name>.xml', () => {
    const run = loadFixture();
    const xml = toJUnit(run, { dashboard: true });

    it('matches the golden file', () => golden('junit_cri-conformance.xml', xml));

    it('carries runtime name+version, handler and Kubernetes release on every testsuite', () => {
      const suites = parse(xml).kids.filter((k) => k.name === 'testsuite');
      expect(suites).to.have.length(run.suites.length);
      for (const s of suites) {
        const p = props(s);
        expect(p['kubernetes.release']).to.equal('1.36');
        expect(p['runtime']).to.equal('containerd v2.1.0');
        expect(p['runtime.name']).to.equal('containerd');
        expect(p['runtime.version']).to.equal('v2.1.0');
        expect(p['runtime.handler']).to.equal('crun');
      }
    });

    it('names each testcase by its unique test id (TestGrid keys rows on the name alone)', () => {
      const names = parse(xml)
        .kids.flatMap((s) => s.kids)
        .filter((k) => k.name === 'testcase')
        .map((k) => k.attrs['name']!);
      const ids = run.suites.flatMap((s) => s.tests.map((t) => t.id));
      for (const id of ids) expect(names).to.include(id);
      const real = names.filter((n) => ids.includes(n));
      expect(new Set(real).size).to.equal(real.length);
    });

    it('the plain junit.xml is unchanged by the option', () => {
      expect(toJUnit(run)).to.equal(toJUnit(run, {}));
      expect(toJUnit(run)).to.not.include('kubernetes.release');
    });

    it('file names keep to junit_[A-Za-z0-9.-]+.xml', () => {
      expect(dashboardJUnitFile('cri-conformance')).to.equal('junit_cri-conformance.xml');
      expect(dashboardJUnitFile('node_a/containerd 1.7')).to.equal('junit_node-a-containerd-1.7.xml');
      expect(dashboardJUnitFile('___')).to.equal('junit_cri-conformance.xml');
      expect(dashboardJUnitFile('01')).to.match(/^junit_[A-Za-z0-9.-]+\.xml$/);
    });

    it('writeReports puts junit_<name>.xml at the top of the report dir instead of junit.xml', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'cri-dashboard-'));
      try {
        const w = await writeReports(run, dir, { junit: true, junitDashboard: 'node-1', summary: true });
        const files = await readdir(dir);
        expect(files).to.include('junit_node-1.xml');
        // Spyglass reads every junit*.xml: two files would count each test twice.
        expect(files.filter((f) => /^junit.*\.xml$/.test(f))).to.deep.equal(['junit_node-1.xml']);
        expect(w.files[0]).to.equal(path.join(dir, 'junit_node-1.xml'));
        expect(readFileSync(w.files[0]!, 'utf8')).to.equal(xml);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('timeline', () => {
    it('draws one lane per slot and one bar per started test, placed by start and duration', () => {
      const run = timedFixture();
      const svg = timelineSvg(run);
      expect(svg.match(/class="lane"/g)).to.have.length(2);
      const bars = [...svg.matchAll(/<rect class="bar s-([\w-]+)" x="([\d.]+)" y="(\d+)" width="([\d.]+)"/g)];
      const started = run.suites.flatMap((s) => s.tests).filter((t) => t.startOffsetMs !== undefined);
      expect(bars).to.have.length(started.length);
      const total = Math.max(run.durationMs, ...started.map((t) => t.startOffsetMs! + t.durationMs));
      started.forEach((t, i) => {
        const [, , x, y] = bars[i]!;
        expect(Number(x)).to.be.closeTo(60 + (t.startOffsetMs! / total) * 940, 0.11);
        expect(Number(y)).to.equal(t.slot! * 22 + 4);
      });
      expect(svg).to.include('1 test not drawn (never started)');
    });

    it('says so when the run recorded no timings (an older summary.json)', () => {
      expect(timelineSvg(loadFixture())).to.match(/^<p class="muted">No test timings in this run \(\d+ tests without a start time\)\.<\/p>$/);
    });

    it('escapes test ids in the tooltips', () => {
      const run = timedFixture();
      run.suites[0]!.tests[0]!.id = 'x/<script>"&';
      expect(timelineSvg(run)).to.include('x/&lt;script&gt;&quot;&amp;').and.not.include('<script>');
    });

    it('start offsets and slots survive summary.json', () => {
      const run = timedFixture();
      const back = runFromSummary(JSON.parse(toSummaryJson(run)));
      expect(back.suites.flatMap((s) => s.tests.map((t) => [t.startOffsetMs, t.slot]))).to.deep.equal(
        run.suites.flatMap((s) => s.tests.map((t) => [t.startOffsetMs, t.slot])),
      );
      expect(timelineSvg(back)).to.equal(timelineSvg(run));
    });

    it('bars, lanes and matrix cells use colours of their own (the screenshot test finds them by colour)', () => {
      const html = toSummaryHtml(timedFixture());
      const style = html.slice(html.indexOf('<style>'), html.indexOf('</style>'));
      const own = [...new Set(Object.values(TIMELINE_COLOURS)), TIMELINE_LANE, ...Object.values(MATRIX_COLOURS)];
      expect(new Set(own).size).to.equal(own.length);
      for (const c of own) expect(style, `${c} in the page's stylesheet`).to.not.include(c);
      expect(html).to.include(TIMELINE_COLOURS.failed).and.include(TIMELINE_LANE).and.include(MATRIX_COLOURS.notCompatible);
    });
  });

  describe('release matrix in the summary', () => {
    it('one cell per profiled release, coloured by verdict, reasons grouped', () => {
      const run = loadFixture();
      const v = compatibilityMatrix(run);
      const html = matrixHtml(v);
      expect(html.match(/class="m-cell/g)).to.have.length(v.length);
      expect(html.match(/m-bad/g)).to.have.length(v.filter((x) => !x.compatible).length);
      expect(toSummaryHtml(run)).to.include(html);
      const ok = matrixHtml(v.map((x) => ({ kubelet: x.kubelet, compatible: true, reasons: [] })));
      expect(ok.match(/m-ok/g)).to.have.length(v.length);
      expect(ok.match(/<li>/g)).to.have.length(1);
    });
  });
});
