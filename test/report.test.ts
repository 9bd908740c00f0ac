// Reporters: golden files generated from test/fixtures/run-result.json, plus structural checks.
// Regenerate goldens with: UPDATE_GOLDEN=1 npx mocha --import=tsx test/report.test.ts

import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { create } from 'xmlbuilder2';
import { parse as parseYaml } from 'yaml';
import type { RunResult } from '../src/report/model.js';
import { closingLine, runVerdict } from '../src/report/verdict.js';
import { applyBaseline } from '../src/baseline/index.js';
import { toJUnit } from '../src/report/junit.js';
import { toTap } from '../src/report/tap.js';
import { summaryTable } from '../src/report/summary-table.js';
import { runFromSummary, sha256Hex, toSummaryHtml, toSummaryJson, toSummaryMarkdown } from '../src/report/certification.js';
import { compatibilityMatrix } from '../src/profiles/index.js';
import { writeReports } from '../src/report/write.js';
import { cleanText, oneLine } from '../src/report/common.js';

/** Repo root: walk up from this file (test/ or dist/test/) to the directory holding package.json. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

const ROOT = repoRoot();
const GOLDEN_DIR = path.join(ROOT, 'test', 'golden');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

function loadFixture(name = 'run-result.json'): RunResult {
  return JSON.parse(readFileSync(path.join(ROOT, 'test', 'fixtures', name), 'utf8')) as RunResult;
}

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`golden ${name} missing; run with UPDATE_GOLDEN=1 to create it`);
  const expected = readFileSync(file, 'utf8');
  expect(actual, `output differs from test/golden/${name} (UPDATE_GOLDEN=1 rewrites it)`).to.equal(expected);
}

// Characters XML 1.0 cannot hold, plus the escape that starts ANSI sequences.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// Minimal structural view of the DOM nodes xmlbuilder2's parser returns.
interface XNode {
  nodeType: number;
  nodeName: string;
  childNodes: ArrayLike<XNode>;
  textContent: string | null;
  getAttribute(name: string): string | null;
}

function parseXml(xml: string): XNode {
  return create(xml).root().node as unknown as XNode;
}
function kids(n: XNode, name?: string): XNode[] {
  return Array.from(n.childNodes).filter((c) => c.nodeType === 1 && (name === undefined || c.nodeName === name));
}
function attr(n: XNode, name: string): string {
  const v = n.getAttribute(name);
  if (v === null) throw new Error(`<${n.nodeName}> has no ${name} attribute`);
  return v;
}

describe('report', () => {
  const run = loadFixture();

  describe('golden files', () => {
    it('junit.xml', () => golden('junit.xml', toJUnit(run)));
    it('results.tap', () => golden('results.tap', toTap(run)));
    it('summary-table.txt', () => golden('summary-table.txt', summaryTable(run, { color: false })));
    it('summary.json', () => golden('summary.json', toSummaryJson(run)));
    it('summary.md', () => golden('summary.md', toSummaryMarkdown(run)));
    it('summary.html', () => golden('summary.html', toSummaryHtml(run)));
  });

  it('reporters are pure: same input, same output; input not mutated', () => {
    const before = JSON.stringify(run);
    const a = [toJUnit(run), toTap(run), summaryTable(run, { color: true }), toSummaryJson(run), toSummaryMarkdown(run), toSummaryHtml(run)];
    const b = [toJUnit(run), toTap(run), summaryTable(run, { color: true }), toSummaryJson(run), toSummaryMarkdown(run), toSummaryHtml(run)];
    expect(a).to.deep.equal(b);
    expect(JSON.stringify(run)).to.equal(before);
  });

  describe('junit', () => {
    const xml = toJUnit(run);
    const root = parseXml(xml);
    const suites = kids(root, 'testsuite');

    it('holds only XML 1.0 characters and no ANSI escapes', () => {
      expect(INVALID_XML.test(xml)).to.equal(false);
      expect(xml).not.to.include('\u001b');
      expect(xml).not.to.include('[31m');
      expect(xml).not.to.include(']]>'); // escaped as ]]&gt; in text
    });

    it('has one testsuites root and one testsuite per suite, counts consistent', () => {
      expect(root.nodeName).to.equal('testsuites');
      expect(suites.map((s) => attr(s, 'name'))).to.deep.equal(run.suites.map((s) => s.name));
      let tests = 0;
      let failures = 0;
      let skipped = 0;
      for (const s of suites) {
        const cases = kids(s, 'testcase');
        const f = cases.filter((c) => kids(c, 'failure').length > 0).length;
        const sk = cases.filter((c) => kids(c, 'skipped').length > 0).length;
        expect(Number(attr(s, 'tests')), attr(s, 'name')).to.equal(cases.length);
        expect(Number(attr(s, 'failures')), attr(s, 'name')).to.equal(f);
        expect(Number(attr(s, 'skipped')), attr(s, 'name')).to.equal(sk);
        expect(attr(s, 'errors')).to.equal('0');
        expect(attr(s, 'hostname')).to.equal('ci-node-1');
        expect(attr(s, 'timestamp')).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
        expect(attr(s, 'time')).to.match(/^\d+\.\d{3}$/);
        tests += cases.length;
        failures += f;
        skipped += sk;
      }
      expect(Number(attr(root, 'tests'))).to.equal(tests);
      expect(Number(attr(root, 'failures'))).to.equal(failures);
      expect(Number(attr(root, 'skipped'))).to.equal(skipped);
      expect(attr(root, 'errors')).to.equal('0');
      expect(attr(root, 'time')).to.equal('98.765');
      expect(attr(root, 'timestamp')).to.equal('2026-03-01T12:00:00');
      // Suites start after the ones before them.
      expect(attr(suites[1]!, 'timestamp')).to.equal('2026-03-01T12:01:01');
      // Known failures are skipped, not failures; an empty skipped suite adds one case.
      expect(failures).to.equal(1);
      expect(tests).to.equal(runVerdict(run).counts.tests + 1);
    });

    it('carries run properties on every testsuite, including the v1alpha2 negotiation', () => {
      for (const s of suites) {
        const props = Object.fromEntries(kids(kids(s, 'properties')[0]!, 'property').map((p) => [attr(p, 'name'), attr(p, 'value')]));
        expect(props).to.include({
          'endpoint.runtime': 'unix:///run/containerd/containerd.sock',
          'endpoint.image': 'unix:///run/containerd/containerd.sock',
          'runtime.name': 'containerd',
          'runtime.version': 'v2.1.0',
          'runtime.apiVersion': 'v1',
          'negotiated.runtime': 'v1',
          'negotiated.image': 'v1alpha2',
          'tool.name': 'cri-conformance',
          'tool.version': '0.1.0',
          profile: '1.36',
          'host.kernel': '6.8.0-45-generic',
          'host.cgroupVersion': 'v2',
        });
      }
    });

    it('writes classname from the describe path and time in seconds', () => {
      const cases = suites.flatMap((s) => kids(s, 'testcase'));
      const byName = (n: string): XNode => {
        const c = cases.find((x) => attr(x, 'name') === n);
        if (!c) throw new Error('no testcase ' + n);
        return c;
      };
      const sandbox = byName('should run a pod sandbox [Conformance]');
      expect(attr(sandbox, 'classname')).to.equal('cri-conformance.runtime.RuntimeService PodSandbox');
      expect(attr(sandbox, 'time')).to.equal('1.520');
      expect(attr(byName('should report image filesystem usage'), 'classname')).to.equal('cri-conformance.image');
      expect(attr(byName('should resolve "busybox" <short names> & tags'), 'classname')).to.equal('cri-conformance.image.ImageService');
    });

    it('reports a failure with a one-line message and the full detail as body', () => {
      const c = kids(suites[0]!, 'testcase').find((x) => attr(x, 'name').startsWith('should report container status'))!;
      const f = kids(c, 'failure')[0]!;
      const message = attr(f, 'message');
      expect(message).not.to.match(/[\r\n]/);
      expect(message).to.equal('expected CONTAINER_EXITED to equal "CONTAINER_RUNNING" <state> & more second line of message');
      expect(attr(f, 'type')).to.equal('AssertionError');
      const body = f.textContent ?? '';
      expect(body).to.include('<state>CONTAINER_RUNNING</state> & "exitCode": 0');
      expect(body).to.include(']]> end-of-cdata');
      expect(body).to.include('- CONTAINER_RUNNING\n+ CONTAINER_EXITED');
      expect(body).to.include('control char here: (stripped)');
      expect(body.split('\n').length).to.be.greaterThan(5);
      // No failure message attribute anywhere spans lines in the raw XML either.
      for (const m of xml.matchAll(/<failure message="([^"]*)"/g)) expect(m[1]).not.to.match(/[\r\n]/);
    });

    it('reports skips, baseline known failures, fixed tests and skipped suites', () => {
      const runtimeCases = kids(suites[0]!, 'testcase');
      const skip = (c: XNode): string | undefined => kids(c, 'skipped')[0]?.getAttribute('message') ?? undefined;
      const named = (cs: XNode[], prefix: string): XNode => cs.find((x) => attr(x, 'name').startsWith(prefix))!;
      expect(skip(named(runtimeCases, 'should apply a seccomp profile'))).to.equal('runtime does not advertise seccomp support');
      expect(skip(named(runtimeCases, 'should resize a tty'))).to.equal(
        'known failure (baseline): containerd#12345: tty resize is racy — timed out after 10s waiting for resize event',
      );
      const fixed = named(runtimeCases, 'should stop a container gracefully');
      expect(kids(fixed, 'skipped')).to.have.length(0);
      expect(kids(fixed, 'failure')).to.have.length(0);
      expect(kids(fixed, 'system-out')[0]?.textContent).to.include('fixed — remove from baseline');

      const streaming = kids(suites[2]!, 'testcase');
      expect(streaming).to.have.length(2);
      expect(skip(streaming[0]!)).to.equal('requires RuntimeService v1 streaming server; not reachable');
      // A test the runner never ran is a JUnit skip whose message says so; the suite's property counts it.
      expect(skip(streaming[1]!)).to.equal('not run: --bail after a failure');
      const notRun = kids(kids(suites[2]!, 'properties')[0]!, 'property').find((p) => attr(p, 'name') === 'tests.notRun');
      expect(notRun && attr(notRun, 'value')).to.equal('1');

      const windows = kids(suites[3]!, 'testcase');
      expect(windows.map((c) => attr(c, 'name'))).to.deep.equal(['(suite skipped)']);
      expect(skip(windows[0]!)).to.equal('host is not Windows');
    });

    it('survives hostile strings everywhere', () => {
      const nasty = 'a"b\'c<d>&e]]>f\u0001g\u001b[1;31mh\u001b[0m\u0007i\uD800j\uDC00k\uFFFEl\uFFFFm\u007Fn\r\no\tp😀';
      const hostile: RunResult = {
        tool: { name: nasty, version: nasty },
        startedAt: 'not a date' + nasty,
        durationMs: Number.NaN,
        endpoint: { runtime: nasty, image: nasty },
        runtime: { name: nasty, version: nasty, apiVersion: nasty },
        negotiated: { runtime: null, image: null, reason: nasty },
        profile: nasty,
        host: { kernel: nasty, cgroupVersion: nasty, hostname: nasty },
        images: { [nasty]: nasty },
        rpcs: { [nasty]: { calls: 1, unimplemented: 0, errors: 0 } },
        suites: [
          {
            name: nasty,
            title: nasty,
            durationMs: -5,
            skippedReason: nasty,
            tests: [
              { id: nasty, suite: nasty, title: nasty, fullTitle: nasty, status: 'failed', durationMs: 1, message: nasty, detail: nasty, tags: [nasty] },
              { id: nasty, suite: nasty, title: nasty, fullTitle: `x ${nasty}`, status: 'skipped', durationMs: 1, tags: [] },
            ],
          },
          { name: nasty, title: nasty, durationMs: 0, skippedReason: nasty, tests: [] },
        ],
      };
      const out = toJUnit(hostile);
      expect(INVALID_XML.test(out)).to.equal(false);
      expect(out).not.to.include('\u001b');
      const r = parseXml(out);
      const ss = kids(r, 'testsuite');
      expect(ss).to.have.length(2);
      const failure = kids(kids(ss[0]!, 'testcase')[0]!, 'failure')[0]!;
      expect(attr(failure, 'message')).to.equal('a"b\'c<d>&e]]>fghijklmn o p😀');
      expect(failure.textContent).to.equal('a"b\'c<d>&e]]>fghijklmn\no\tp😀');
      expect(attr(kids(ss[0]!, 'testcase')[0]!, 'time')).to.equal('0.001');
      expect(attr(ss[0]!, 'time')).to.equal('0.000');
      expect(attr(r, 'time')).to.equal('0.000');

      for (const text of [toTap(hostile), summaryTable(hostile, { color: false }), toSummaryMarkdown(hostile), toSummaryHtml(hostile)]) {
        expect(INVALID_XML.test(text)).to.equal(false);
        expect(text).not.to.include('\u001b');
      }
      expect(toSummaryHtml(hostile)).not.to.include('<d>');
      // Fenced code blocks are literal in Markdown; everything outside them must be escaped.
      const outsideFences = toSummaryMarkdown(hostile).replace(/^(`{3,})text\n[\s\S]*?\n\1$/gm, '');
      expect(outsideFences).not.to.include('<d>');
      expect(toSummaryMarkdown(hostile)).to.include('```text\na"b\'c<d>&e]]>');
      expect(() => JSON.parse(toSummaryJson(hostile))).not.to.throw();
    });

    it('handles an empty run', () => {
      const empty: RunResult = {
        tool: { name: 'cri-conformance', version: '0.1.0' },
        startedAt: '2026-03-01T12:00:00',
        durationMs: 0,
        endpoint: { runtime: 'unix:///x.sock', image: 'unix:///x.sock' },
        negotiated: { runtime: null, image: null, reason: 'connection refused' },
        suites: [],
      };
      const r = parseXml(toJUnit(empty));
      expect(attr(r, 'tests')).to.equal('0');
      expect(attr(r, 'timestamp')).to.equal('2026-03-01T12:00:00');
      // Nothing negotiated: no test points, but the run did not pass and TAP says so.
      expect(toTap(empty)).to.equal(
        'TAP version 14\n1..0\nBail out! no CRI version negotiated: connection refused\n' +
          '# conformance: 0 passed, 0 failed, 0 skipped, 0 not run — FAILED: no CRI version negotiated: connection refused\n',
      );
      expect(summaryTable(empty, { color: false })).to.include('Total');
      expect(toSummaryHtml(empty)).to.include('</html>');
    });
  });

  describe('tap', () => {
    const tap = toTap(run);
    const lines = tap.split('\n');
    const points = lines.filter((l) => /^(not )?ok \d+/.test(l));

    it('declares version 14 and a plan matching the test points', () => {
      expect(lines[0]).to.equal('TAP version 14');
      const plan = /^1\.\.(\d+)$/.exec(lines[1]!);
      expect(plan).to.not.equal(null);
      expect(points).to.have.length(Number(plan![1]));
      points.forEach((p, i) => expect(p).to.match(new RegExp(`^(not )?ok ${i + 1} - `)));
      expect(points).to.have.length(runVerdict(run).counts.tests + 1);
    });

    it('uses SKIP and TODO directives and escapes #', () => {
      expect(points).to.include('ok 3 - runtime/RuntimeService Container should apply a seccomp profile [Feature:Seccomp] [Optional] # SKIP runtime does not advertise seccomp support');
      expect(points).to.include('not ok 4 - runtime/RuntimeService Exec should resize a tty [Conformance] # TODO known failure: containerd#12345: tty resize is racy');
      expect(points).to.include('not ok 2 - runtime/RuntimeService Container should report container status [Conformance]');
      expect(points.some((p) => p.includes('(sha256\\#abc)'))).to.equal(true);
      expect(points.filter((p) => p.startsWith('not ok') && !p.includes('# TODO'))).to.have.length(1);
      expect(lines.filter((l) => l.startsWith('# suite: ')).map((l) => l.slice(9).split(' ')[0])).to.deep.equal(run.suites.map((s) => s.name));
    });

    it('attaches a parseable YAML diagnostic block to every test point', () => {
      let blocks = 0;
      for (let i = 0; i < lines.length; i++) {
        if (lines[i] !== '  ---') continue;
        expect(lines[i - 1]).to.match(/^(not )?ok \d+/);
        const end = lines.indexOf('  ...', i);
        expect(end).to.be.greaterThan(i);
        const body = lines.slice(i + 1, end);
        for (const l of body) expect(l.startsWith('  ')).to.equal(true);
        const diag = parseYaml(body.map((l) => l.slice(2)).join('\n')) as Record<string, unknown>;
        expect(diag).to.have.property('duration_ms');
        expect(diag).to.have.property('suite');
        if (/^not ok 2 /.test(lines[i - 1]!)) {
          expect(diag['message']).to.equal('expected CONTAINER_EXITED to equal "CONTAINER_RUNNING" <state> & more second line of message');
          expect(diag['detail']).to.include(']]> end-of-cdata\n- CONTAINER_RUNNING');
          expect(diag['duration_ms']).to.equal(30012);
        }
        blocks++;
        i = end;
      }
      expect(blocks).to.equal(points.length);
    });
  });

  describe('summary table', () => {
    it('colours only when asked, and the colours are the only difference', () => {
      const plain = summaryTable(run, { color: false });
      const color = summaryTable(run, { color: true });
      expect(plain).not.to.include('\u001b');
      expect(color).to.include('\u001b[31m');
      expect(stripVTControlCharacters(color)).to.equal(plain);
    });

    it('aligns rows and lists failures, known failures and fixed tests', () => {
      const plain = summaryTable(run, { color: false });
      const rows = plain.split('\n').slice(0, 8);
      const widths = new Set(rows.filter((r) => !r.startsWith('─')).map((r) => r.length));
      expect(widths.size, rows.join('\n')).to.equal(1);
      expect(plain).to.include('✗ runtime/RuntimeService Container should report container status [Conformance]');
      expect(plain).to.include('Known failures (baseline, 1):');
      expect(plain).to.include('Fixed — remove from baseline (1):');
    });
  });

  describe('certification', () => {
    it('sha256Hex', () => {
      expect(sha256Hex('abc')).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      expect(sha256Hex('é')).to.equal(sha256Hex(Buffer.from('é', 'utf8').toString('utf8')));
    });

    it('summary.json has a stable key order and every test', () => {
      const j = JSON.parse(toSummaryJson(run)) as Record<string, unknown>;
      expect(Object.keys(j)).to.deep.equal([
        'schema', 'result', 'reasons', 'tool', 'profile', 'runtimeHandler', 'startedAt', 'durationMs', 'endpoint', 'runtime', 'negotiated', 'host',
        'baselineUsed', 'baselineMode', 'totals', 'leftovers', 'suites', 'tests', 'images', 'rpcs',
      ]);
      expect(j['result']).to.equal('failed');
      expect(j['reasons']).to.deep.equal(['1 test failed outside the baseline']);
      expect(j['baselineMode']).to.equal('baseline');
      expect(j['negotiated']).to.deep.equal({ runtime: 'v1', image: 'v1alpha2', reason: 'ImageService v1 returned UNIMPLEMENTED; fell back to v1alpha2', forced: null });
      const tests = j['tests'] as { id: string; status: string; durationMs: number; message?: string }[];
      expect(tests.map((t) => t.id)).to.deep.equal(run.suites.flatMap((s) => s.tests.map((t) => t.id)));
      expect(Object.keys(j['images'] as object)).to.deep.equal(['busybox', 'pause']);
      expect(j['totals']).to.deep.equal({ tests: 10, passed: 4, failed: 1, skipped: 3, notRun: 1, noImage: 0, knownFailures: 1, fixed: 1, flaky: 0, durationMs: 98765 });
    });

    it('runFromSummary reads a summary.json back into the model: same summary, same verdict, same matrix', () => {
      const back = runFromSummary(JSON.parse(toSummaryJson(run)));
      expect(toSummaryJson(back)).to.equal(toSummaryJson(run));
      expect(runVerdict(back)).to.deep.equal(runVerdict(run));
      expect(compatibilityMatrix(back)).to.deep.equal(compatibilityMatrix(run));
      expect(() => runFromSummary({ schema: 'other' })).to.throw(/not a cri-conformance\/summary\/v1 document/);
    });

    it('summary.html is self-contained and escaped', () => {
      const html = toSummaryHtml(run);
      expect(html).not.to.match(/<script|<link|\ssrc=|href="(?!#)/i);
      expect(html).not.to.include('<state>');
      expect(html).to.include('&lt;state&gt;CONTAINER_RUNNING&lt;/state&gt; &amp; &quot;exitCode&quot;');
      expect(html).to.include('<details');
      expect(html).not.to.include('\u001b');
    });

    it('summary.md escapes HTML and markdown in user text', () => {
      const mdText = toSummaryMarkdown(run);
      expect(mdText).not.to.include('<short names>');
      expect(mdText).to.include('&lt;short names&gt;');
      expect(mdText).to.include('\\[Conformance\\]');
    });
  });

  // Every output reads runVerdict(): for each baseline mode they must all give the same result.
  describe('one verdict in every output', () => {
    const PASS = 'runtime/RuntimeService should run [Conformance]';
    const FAIL = 'runtime/RuntimeService should stop [Conformance]';
    const mk = (statuses: Record<string, 'passed' | 'failed'>): RunResult => ({
      tool: { name: 'cri-conformance', version: '0.1.0' },
      startedAt: '2026-03-01T12:00:00.000Z',
      durationMs: 5,
      endpoint: { runtime: 'unix:///x.sock', image: 'unix:///x.sock' },
      negotiated: { runtime: 'v1', image: 'v1' },
      profile: '1.36',
      suites: [
        {
          name: 'runtime',
          title: 'RuntimeService',
          durationMs: 5,
          tests: Object.entries(statuses).map(([id, status]) => {
            const title = id.slice('runtime/RuntimeService '.length);
            return { id, suite: 'runtime', title, fullTitle: `RuntimeService ${title}`, status, durationMs: 1, tags: ['Conformance'] };
          }),
        },
      ],
    });
    const listed = (ids: string[]) => ({ entries: ids.map((id) => ({ id, reason: 'tracked' })) });
    const cases: { mode: string; run: RunResult; result: 'passed' | 'failed'; counts: Record<string, number>; reason?: RegExp }[] = [
      { mode: 'no baseline', run: mk({ [PASS]: 'passed' }), result: 'passed', counts: { passed: 1, failed: 0 } },
      { mode: 'no baseline, a failure', run: mk({ [PASS]: 'passed', [FAIL]: 'failed' }), result: 'failed', counts: { failed: 1 }, reason: /^1 test failed$/ },
      { mode: 'baseline with a known failure', run: applyBaseline(mk({ [PASS]: 'passed', [FAIL]: 'failed' }), listed([FAIL])).run, result: 'passed', counts: { failed: 0, knownFailures: 1 } },
      { mode: 'baseline with a fixed test', run: applyBaseline(mk({ [PASS]: 'passed' }), listed([PASS])).run, result: 'passed', counts: { passed: 1, failed: 0, fixed: 1 } },
      {
        mode: 'strict baseline with a fixed test',
        run: applyBaseline(mk({ [PASS]: 'passed' }), listed([PASS]), { strict: true }).run,
        result: 'failed',
        counts: { passed: 0, failed: 1, fixed: 1 },
        reason: /^1 baseline-listed test now passes \(--strict-baseline/,
      },
      {
        mode: 'baseline with an unlisted failure',
        run: applyBaseline(mk({ [PASS]: 'failed', [FAIL]: 'failed' }), listed([PASS])).run,
        result: 'failed',
        counts: { failed: 1, knownFailures: 1 },
        reason: /^1 test failed outside the baseline$/,
      },
      { mode: 'nothing negotiated', run: { ...mk({}), negotiated: { runtime: null, image: null, reason: 'refused' } }, result: 'failed', counts: { tests: 0 }, reason: /^no CRI version negotiated: refused$/ },
    ];
    for (const c of cases) {
      it(`${c.mode}: ${c.result} everywhere`, () => {
        const v = runVerdict(c.run);
        expect(v.result).to.equal(c.result);
        expect(v.counts).to.include(c.counts);
        expect(v.reasons.length === 0).to.equal(c.result === 'passed');
        if (c.reason) expect(v.reasons[0]).to.match(c.reason);
        const word = c.result === 'passed' ? 'PASSED' : 'FAILED';

        const j = JSON.parse(toSummaryJson(c.run)) as { result: string; reasons: string[]; totals: Record<string, number> };
        expect(j.result).to.equal(c.result);
        expect(j.reasons).to.deep.equal(v.reasons);
        expect(j.totals).to.deep.equal({ ...v.counts });

        expect(closingLine(v)).to.match(c.result === 'passed' ? / — PASSED$/ : / — FAILED: /);
        const tap = toTap(c.run).trim().split('\n');
        expect(tap.at(-1)).to.equal(`# ${closingLine(v)}`);
        // A TAP consumer fails the run on a real "not ok" (TODO points do not count) or a bail-out.
        const tapFails = tap.some((l) => /^not ok /.test(l) && !l.includes('# TODO')) || tap.some((l) => l.startsWith('Bail out!'));
        expect(tapFails).to.equal(c.result === 'failed');

        const xml = parseXml(toJUnit(c.run));
        const props = kids(xml, 'testsuite').flatMap((s) => kids(kids(s, 'properties')[0]!, 'property'));
        for (const p of props.filter((x) => attr(x, 'name') === 'result')) expect(attr(p, 'value')).to.equal(c.result);
        if (!v.blocker) expect(Number(attr(xml, 'failures')) > 0).to.equal(c.result === 'failed');

        expect(toSummaryMarkdown(c.run)).to.include(`**Result: ${word}**`);
        expect(toSummaryHtml(c.run)).to.include(`<span class="verdict ${c.result}">${word}</span>`);
        expect(summaryTable(c.run, { color: false }).trim().split('\n').at(-1)).to.match(new RegExp(`^${word}: `));
      });
    }

    it('a strict baseline shows the fixed test as the failure it is', () => {
      const run = applyBaseline(mk({ [PASS]: 'passed' }), listed([PASS]), { strict: true }).run;
      const failure = kids(kids(kids(parseXml(toJUnit(run)), 'testsuite')[0]!, 'testcase')[0]!, 'failure')[0]!;
      expect(attr(failure, 'message')).to.equal('fixed — remove from baseline (was: tracked); --strict-baseline fails the run');
      expect(toTap(run)).to.include(`not ok 1 - ${PASS}\n`);
      expect(summaryTable(run, { color: false })).to.include('Failures (1):');
      expect(toSummaryMarkdown(run)).to.include('| FAILED (fixed, strict baseline) |');
    });
  });

  describe('writeReports', () => {
    let dir = '';
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'cri-report-'));
    });
    after(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('writes every format atomically into a new directory and hashes summary.json', async () => {
      const out = path.join(dir, 'nested', 'reports');
      const res = await writeReports(run, out, { junit: true, tap: true, summary: true });
      expect(res.files.map((f) => path.basename(f))).to.deep.equal(['junit.xml', 'results.tap', 'summary.json', 'summary.md', 'summary.html']);
      expect((await readdir(out)).sort()).to.deep.equal(['junit.xml', 'results.tap', 'summary.html', 'summary.json', 'summary.md']);
      const json = await readFile(path.join(out, 'summary.json'), 'utf8');
      expect(res.summarySha256).to.equal(sha256Hex(json));
      expect(json).to.equal(toSummaryJson(run));
      expect(await readFile(path.join(out, 'junit.xml'), 'utf8')).to.equal(toJUnit(run));
    });

    it('writes only the requested formats and overwrites existing files', async () => {
      const out = path.join(dir, 'partial');
      await writeReports(run, out, { junit: true, tap: true });
      const res = await writeReports(run, out, { tap: true });
      expect(res.files.map((f) => path.basename(f))).to.deep.equal(['results.tap']);
      expect(res.summarySha256).to.equal(undefined);
      expect((await readdir(out)).sort()).to.deep.equal(['junit.xml', 'results.tap']);
      expect(await writeReports(run, path.join(dir, 'none'), {})).to.deep.equal({ files: [] });
    });
  });

  describe('text helpers', () => {
    it('cleanText strips ANSI, controls and lone surrogates but keeps pairs, tabs and newlines', () => {
      expect(cleanText('\u001b[32mok\u001b[0m\t\u0000x\uD83D\uDE00\uD83D\n\uFFFF')).to.equal('ok\tx\uD83D\uDE00\n');
      expect(oneLine('  a\n\n b\t c ')).to.equal('a b c');
    });
  });
});
