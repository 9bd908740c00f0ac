// The runner records what the summary's timeline draws: each test's start (ms after the run's start) and the
// --jobs slot it ran in. Fake runtime, no root.
import { expect } from 'chai';
import { defineSuite, sleep } from '../src/framework/index.js';
import { runAgainst } from './support/fake-run.js';
import type { SuiteEntry } from '../src/runner/manifest.js';
import { startMiniRuntime, type MiniRuntime } from './support/fake-cri.js';

describe('runner timeline fields (fake runtime, no root)', function () {
  this.timeout(20_000);
  let fake: MiniRuntime;
  beforeEach(async () => (fake = await startMiniRuntime()));
  afterEach(async () => fake.close());

  it('fills startOffsetMs and slot: tests side by side hold different slots, and no slot runs two tests at once', async () => {
    const starts: Record<string, number> = {};
    const suite = (name: string, ms: number) =>
      defineSuite(({ describe, it }) =>
        describe('d', () => {
          for (const t of ['a', 'b']) {
            it(t, async () => {
              starts[`${name}/${t}`] = Date.now();
              await sleep(ms);
            });
          }
        }),
      );
    const manifest: SuiteEntry[] = [
      { name: 'slow', title: 'slow', file: 'none-slow', needs: [], spec: suite('slow', 150) },
      { name: 'fast', title: 'fast', file: 'none-fast', needs: [], spec: suite('fast', 10) },
    ];
    const before = Date.now();
    const r = await runAgainst(fake, manifest, { jobs: 2 });
    const tests = r.suites.flatMap((s) => s.tests);
    expect(tests).to.have.length(4);
    const runStart = Date.parse(r.startedAt);
    expect(runStart).to.be.at.most(before + 5);
    for (const t of tests) {
      expect(t.startOffsetMs, t.id).to.be.a('number');
      // Recorded when the pool hands the test a slot, just before its body runs.
      expect(runStart + t.startOffsetMs!, t.id).to.be.closeTo(starts[`${t.suite}/${t.title}`] ?? NaN, 100);
      expect(t.slot, t.id).to.be.oneOf([0, 1]);
    }
    // The two slow tests start together (2 slots), so they hold different slots.
    const [a, b] = r.suites[0]!.tests;
    expect(a!.slot).to.not.equal(b!.slot);
    // Within one slot, a test starts only after the one before it ended.
    for (const slot of [0, 1]) {
      const lane = tests.filter((t) => t.slot === slot).sort((x, y) => x.startOffsetMs! - y.startOffsetMs!);
      for (let i = 1; i < lane.length; i++) expect(lane[i]!.startOffsetMs!, lane[i]!.id).to.be.at.least(lane[i - 1]!.startOffsetMs! + lane[i - 1]!.durationMs);
    }
  });
});
