// --repeat (src/runner/repeat.ts): rounds folded into one result, flaky tests named with each round's message
// in every report, exit class "only flaky" decided by the verdict; rounds against the in-process fake runtime
// get fresh pods. No root, no lab.
import { expect } from 'chai';
import { create } from 'xmlbuilder2';
import { parse as parseYaml } from 'yaml';
import { containerPod, defineSuite } from '../src/framework/index.js';
import { MAX_MESSAGES_PER_TEST, RepeatFold, flakyTests, runRounds } from '../src/runner/repeat.js';
import type { RunResult, TestResult, TestStatus } from '../src/report/model.js';
import { closingLine, outcome, runVerdict } from '../src/report/verdict.js';
import { applyBaseline } from '../src/baseline/index.js';
import { toJUnit } from '../src/report/junit.js';
import { toTap } from '../src/report/tap.js';
import { runFromSummary, toSummaryHtml, toSummaryJson, toSummaryMarkdown } from '../src/report/certification.js';
import { summaryTable } from '../src/report/summary-table.js';
import { compareRuns } from '../src/report/compare.js';
import { startMiniRuntime, type MiniRuntime } from './support/fake-cri.js';
import { entry, runAgainst, silent } from './support/fake-run.js';

const A = 'runtime/RuntimeService a [Conformance]';
const B = 'runtime/RuntimeService b [Conformance]';

/** One round's result: each test id with its status (and message). */
function round(tests: Record<string, TestStatus | [TestStatus, string]>, o: Partial<RunResult> = {}): RunResult {
  return {
    tool: { name: 'cri-conformance', version: '0.0.0' },
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 10,
    endpoint: { runtime: 'unix:///x.sock', image: 'unix:///x.sock' },
    negotiated: { runtime: 'v1', image: 'v1' },
    profile: '1.36',
    rpcs: { 'RuntimeService/Version': { calls: 2, unimplemented: 0, errors: 0 } },
    suites: [
      {
        name: 'runtime',
        title: 'RuntimeService',
        durationMs: 5,
        tests: Object.entries(tests).map(([id, v]): TestResult => {
          const [status, message] = Array.isArray(v) ? v : [v, v === 'passed' ? undefined : `${v} here`];
          const title = id.slice('runtime/RuntimeService '.length);
          return { id, suite: 'runtime', title, fullTitle: `RuntimeService ${title}`, status, durationMs: 1, tags: ['Conformance'], ...(message ? { message } : {}) };
        }),
      },
    ],
    ...o,
  };
}

function fold(...rounds: RunResult[]): RunResult {
  const f = new RepeatFold(rounds.length);
  for (const r of rounds) f.add(r);
  return f.result();
}

const test = (r: RunResult, id: string): TestResult => r.suites.flatMap((s) => s.tests).find((t) => t.id === id)!;

describe('--repeat', () => {
  describe('folding rounds', () => {
    it('a test failing every round is a failure, not flaky, even when its message changes', () => {
      const r = fold(round({ [A]: 'passed', [B]: ['failed', 'took 1 s'] }), round({ [A]: 'passed', [B]: ['failed', 'took 2 s'] }), round({ [A]: 'passed', [B]: ['failed', 'took 1 s'] }));
      expect(flakyTests(r)).to.deep.equal([]);
      expect(test(r, B)).to.include({ status: 'failed', message: 'took 1 s' });
      expect(test(r, B).rounds).to.deep.equal({ failed: 3 });
      expect(test(r, A).rounds).to.deep.equal({ passed: 3 });
      const v = runVerdict(r);
      expect(v).to.include({ result: 'failed', onlyFlaky: false });
      expect(v.reasons).to.deep.equal(['1 test failed']);
      expect(r.repeat).to.deep.equal({ rounds: 3, asked: 3 });
    });

    it('a test whose status changes is flaky: each round with its message, shown as its last failure', () => {
      const r = fold(round({ [A]: 'passed', [B]: 'passed' }), round({ [A]: ['failed', 'expected "v1", got "v0"'], [B]: 'passed' }), round({ [A]: 'passed', [B]: 'passed' }));
      const a = test(r, A);
      expect(outcome(a)).to.equal('flaky');
      expect(a.flaky).to.deep.equal([
        { round: 1, status: 'passed' },
        { round: 2, status: 'failed', message: 'expected "v1", got "v0"' },
        { round: 3, status: 'passed' },
      ]);
      expect(a).to.include({ status: 'failed', message: 'expected "v1", got "v0"' });
      expect(a.rounds).to.deep.equal({ passed: 2, failed: 1 });
      const v = runVerdict(r);
      expect(v).to.include({ result: 'failed', onlyFlaky: true });
      expect(v.counts).to.include({ flaky: 1, passed: 1, failed: 0, tests: 2 });
      expect(v.reasons).to.deep.equal(['1 test flaky: its outcome changed between the 3 rounds']);
      expect(closingLine(v)).to.equal('conformance: 1 passed, 0 failed, 0 skipped, 0 not run, 1 flaky — FAILED: 1 test flaky: its outcome changed between the 3 rounds');
      expect(r.rpcs!['RuntimeService/Version']!.calls, 'RPC counts summed over the rounds').to.equal(6);
    });

    it('a flaky test beside a test failing every round: the failure wins the exit class', () => {
      const r = fold(round({ [A]: 'passed', [B]: 'failed' }), round({ [A]: 'failed', [B]: 'failed' }));
      const v = runVerdict(r);
      expect(v.onlyFlaky).to.equal(false);
      expect(v.reasons).to.deep.equal(['1 test failed', '1 test flaky: its outcome changed between the 2 rounds']);
    });

    it('a known failure (baseline) that sometimes passes is flaky too; one failing every round stays known', () => {
      const b = { entries: [{ id: A, reason: 'tracked' }, { id: B, reason: 'tracked' }] };
      const r = applyBaseline(fold(round({ [A]: 'failed', [B]: 'failed' }), round({ [A]: 'passed', [B]: 'failed' })), b).run;
      expect(outcome(test(r, A))).to.equal('flaky');
      expect(outcome(test(r, B))).to.equal('known-failure');
      const v = runVerdict(r);
      expect(v).to.include({ onlyFlaky: true });
      expect(v.counts).to.include({ flaky: 1, knownFailures: 1 });
    });

    it('a skip that sometimes passes is flaky', () => {
      const r = fold(round({ [A]: ['skipped', 'no such feature'] }), round({ [A]: 'passed' }));
      expect(test(r, A).flaky).to.deep.equal([
        { round: 1, status: 'skipped', message: 'no such feature' },
        { round: 2, status: 'passed' },
      ]);
    });

    it('a round that stopped early: the tests it never ran are no observation', () => {
      const r = fold(round({ [A]: 'passed', [B]: 'passed' }), round({ [A]: 'passed', [B]: ['notrun', 'interrupted'] }, { aborted: 'interrupted' }));
      expect(flakyTests(r)).to.deep.equal([]);
      expect(test(r, B)).to.include({ status: 'passed' });
      expect(test(r, B).rounds).to.deep.equal({ passed: 1 });
      expect(runVerdict(r).blocker).to.equal('stopped early: interrupted');
    });

    it('a test not run in one round (a suite it needs failed) is not flaky: it was not judged; it shows its last verdict', () => {
      const r = fold(round({ [A]: 'passed', [B]: 'passed' }), round({ [A]: 'passed', [B]: ['notrun', 'needs suite "x", which had 1 failure(s)'] }));
      expect(flakyTests(r)).to.deep.equal([]);
      expect(test(r, B)).to.include({ status: 'passed' });
      expect(test(r, B).rounds).to.deep.equal({ passed: 1, notrun: 1 });
      // ... but "not run (no image)" is a verdict (it fails the run): a change to or from it is flaky.
      const noImage: TestResult = { ...test(round({ [B]: ['notrun', 'no image'] }), B), notRunCause: 'no-image' };
      const img = round({ [B]: 'passed' });
      img.suites[0]!.tests = [noImage];
      expect(flakyTests(fold(round({ [B]: 'passed' }), img)).map((t) => t.id)).to.deep.equal([B]);
    });

    it('memory stays bounded: 500 rounds with a new message each keep at most a few distinct messages', () => {
      const f = new RepeatFold(500);
      for (let i = 0; i < 500; i++) f.add(round({ [A]: i % 2 ? 'passed' : ['failed', `attempt ${i}: ${'x'.repeat(5000)}`] }));
      const a = test(f.result(), A);
      const kept = new Set(a.flaky!.map((o) => o.message).filter((m) => m && !m.startsWith('(message not kept')));
      expect(kept.size).to.equal(MAX_MESSAGES_PER_TEST);
      for (const m of kept) expect(m!.length).to.be.at.most(2000);
      expect(a.flaky!.length).to.equal(500);
      expect(a.flaky![498]!.message).to.match(/^\(message not kept: more than 8 distinct messages\)$/);
    });

    it('leftovers of every round, each with its own cleanup command', () => {
      const r = fold(
        round({ [A]: 'passed' }, { leftovers: { ids: ['pod sandbox p1'], command: 'cri-conformance cleanup --run-id r1' } }),
        round({ [A]: 'passed' }, { leftovers: { ids: ['pod sandbox p2'], command: 'cri-conformance cleanup --run-id r2' } }),
      );
      expect(r.leftovers).to.deep.equal({ ids: ['pod sandbox p1', 'pod sandbox p2'], command: 'cri-conformance cleanup --run-id r1 && cri-conformance cleanup --run-id r2' });
    });
  });

  describe('reports of a flaky run', () => {
    const r = fold(round({ [A]: 'passed', [B]: 'passed' }), round({ [A]: ['failed', 'got "v0"'], [B]: 'passed' }));

    it('JUnit: a `flaky` property on the testcase and a Flaky failure with each round', () => {
      const root = create(toJUnit(r)).root().node as unknown as Element;
      const kids = (n: Element, name: string) => Array.from(n.children).filter((c) => c.nodeName === name);
      expect(root.getAttribute('failures')).to.equal('1');
      const suite = kids(root, 'testsuite')[0]!;
      const tc = kids(suite, 'testcase').find((c) => c.getAttribute('name') === 'a [Conformance]')!;
      const props = kids(kids(tc, 'properties')[0]!, 'property').map((p) => [p.getAttribute('name'), p.getAttribute('value')]);
      expect(props).to.deep.equal([['flaky', '1:passed 2:failed']]);
      const failure = kids(tc, 'failure')[0]!;
      expect(failure.getAttribute('type')).to.equal('Flaky');
      expect(failure.getAttribute('message')).to.equal('flaky: 1 passed, 1 failed');
      expect(failure.textContent).to.equal('round 1: passed\nround 2: failed — got "v0"');
      const runProps = kids(kids(suite, 'properties')[0]!, 'property');
      expect(runProps.find((p) => p.getAttribute('name') === 'repeat.rounds')!.getAttribute('value')).to.equal('2');
    });

    it('summary.json: the outcome, the rounds and each round, read back by runFromSummary', () => {
      const j = JSON.parse(toSummaryJson(r));
      const a = j.tests.find((t: { id: string }) => t.id === A);
      expect(a).to.deep.include({ status: 'failed', outcome: 'flaky', rounds: { passed: 1, failed: 1 } });
      expect(a.flaky).to.deep.equal([{ round: 1, status: 'passed' }, { round: 2, status: 'failed', message: 'got "v0"' }]);
      expect(j.repeat).to.deep.equal({ rounds: 2, asked: 2 });
      expect(j.totals.flaky).to.equal(1);
      expect(runVerdict(runFromSummary(j)).counts.flaky).to.equal(1);
    });

    it('terminal, TAP, Markdown and HTML name the test with each round', () => {
      const table = summaryTable(r, { color: false });
      expect(table).to.include(`Flaky (1, outcome changed over 2 rounds):\n  ≈ ${A}\n      flaky: 1 passed, 1 failed\n        round 1: passed\n        round 2: failed — got "v0"`);
      expect(table.trim().split('\n').at(-1)).to.match(/^FAILED: 1 test flaky: .* \(2 rounds\)$/);
      const tap = toTap(r);
      expect(tap).to.include(`not ok 1 - ${A}\n`);
      const diag = parseYaml(tap.split(`not ok 1 - ${A}\n`)[1]!.split('  ...')[0]!.replace(/^ {2}---\n/, '').replace(/^ {2}/gm, ''));
      expect(diag.rounds).to.deep.equal(['round 1: passed', 'round 2: failed — got "v0"']);
      expect(toSummaryMarkdown(r)).to.include('## Flaky (outcome changed between rounds)').and.include('| FLAKY |');
      expect(toSummaryHtml(r)).to.include('<h2>Flaky (outcome changed between rounds)</h2>');
    });

    it('compareRuns names a test a --repeat run found flaky, and a test whose outcome differs', () => {
      const j = JSON.parse(toSummaryJson(r));
      expect(compareRuns(j, j).differences.map((d) => [d.kind, d.id])).to.deep.equal([['flaky', A]]);
      const one = JSON.parse(toSummaryJson(round({ [A]: 'passed', [B]: 'passed' })));
      const two = JSON.parse(toSummaryJson(round({ [A]: ['failed', 'got "v0"'], [B]: 'passed' })));
      const c = compareRuns(one, two);
      expect(c.differences).to.deep.equal([{ id: A, kind: 'differs', lines: ['A: passed', 'B: failed — got "v0"'] }]);
      expect(compareRuns(one, one).differences).to.deep.equal([]);
      expect(compareRuns(one, { tests: one.tests.slice(1) }).differences.map((d) => d.kind)).to.deep.equal(['absent']);
    });
  });

  describe('rounds against the fake runtime', function () {
    this.timeout(20_000);
    let fake: MiniRuntime;
    beforeEach(async () => (fake = await startMiniRuntime()));
    afterEach(async () => fake.close());

    it('fresh pods every round: no slot pod outlives its round, and each round has its own run id', async () => {
      const pods: string[][] = [];
      const runIds = new Set<string>();
      let live = 0;
      const spec = defineSuite(({ describe, it }) =>
        describe('p', () => {
          for (const n of ['one', 'two'])
            it(n, async (t) => {
              const sb = await containerPod(t);
              pods.at(-1)!.push(sb.id);
              runIds.add(t.run.runId);
              live = fake.sandboxes.size;
            });
        }),
      );
      const r = await runRounds(
        3,
        async () => {
          pods.push([]);
          expect(fake.sandboxes.size, 'no pod is left from the round before').to.equal(0);
          return runAgainst(fake, [entry('p', spec)], { jobs: 1 });
        },
        { progress: silent, signal: new AbortController().signal },
      );
      expect(live).to.equal(1);
      expect(pods.map((p) => p.length)).to.deep.equal([2, 2, 2]);
      // One slot pod per round, shared by the round's two tests, never by the next round.
      for (const p of pods) expect(new Set(p).size).to.equal(1);
      expect(new Set(pods.map((p) => p[0])).size).to.equal(3);
      expect(fake.sandboxes.size).to.equal(0);
      expect(runIds.size).to.equal(3);
      expect(r.repeat).to.deep.equal({ rounds: 3, asked: 3 });
      expect(flakyTests(r)).to.deep.equal([]);
    });

    it('a test that fails on alternate rounds is flaky with both messages; the others are not', async () => {
      let n = 0;
      const spec = defineSuite(({ describe, it }) =>
        describe('f', () => {
          it('steady', async () => undefined);
          it('flips', async () => {
            if (++n % 2 === 0) throw new Error(`the runtime said no on call ${n}`);
          });
        }),
      );
      const r = await runRounds(3, () => runAgainst(fake, [entry('f', spec)]), { progress: silent, signal: new AbortController().signal });
      expect(flakyTests(r).map((t) => t.id)).to.deep.equal(['f/f flips']);
      expect(test(r, 'f/f flips').flaky!.map((o) => `${o.round} ${o.status} ${o.message ?? ''}`.trim())).to.deep.equal(['1 passed', '2 failed the runtime said no on call 2', '3 passed']);
      expect(runVerdict(r).onlyFlaky).to.equal(true);
    });

    it('an interrupted round ends the repeat', async () => {
      const ac = new AbortController();
      let rounds = 0;
      const r = await runRounds(
        5,
        async () => {
          if (++rounds === 2) ac.abort();
          return runAgainst(fake, [entry('s', defineSuite(({ describe, it }) => describe('s', () => it('t', async () => undefined))))], { signal: ac.signal });
        },
        { progress: silent, signal: ac.signal },
      );
      expect(rounds).to.equal(2);
      expect(r.repeat).to.deep.equal({ rounds: 2, asked: 5 });
      expect(r.aborted).to.equal('interrupted');
    });
  });
});
