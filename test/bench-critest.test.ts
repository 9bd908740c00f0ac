// `npm run bench -- --vs-critest`: what each side's output says it ran, the baseline a lab runtime gets,
// and the table (per side: wall, node CPU, harness CPU, peak RSS, ran/passed, node CPU per test; medians;
// ratios ours/critest).
import { expect } from 'chai';
import path from 'node:path';
import { ginkgoCounts, medianFigures, summaryCounts, summaryLines, tableHeader, tableRow, type SideFigures } from '../src/tools/bench-critest-table.js';
import { baselineFor, benchTarget } from '../src/tools/bench-target.js';
import { REPO_ROOT } from '../src/version.js';

const side = (wall: number, nodeCpu: number, ran?: number, passed?: number): SideFigures => ({ wall, nodeCpu, cpu: 1, rssMiB: 40, ran, passed, note: '' });

describe('bench --vs-critest: counts', () => {
  it('reads critest v1.36.0 closing lines (colours and all), and none from a run that never got there', () => {
    const out = '\u001b[1mRan 106 of 122 Specs in 104.826 seconds\u001b[0m\n\u001b[38;5;9mFAIL!\u001b[0m -- \u001b[38;5;10m105 Passed\u001b[0m | 1 Failed | 0 Pending | 16 Skipped\n';
    expect(ginkgoCounts(out)).to.deep.equal({ ran: 106, passed: 105, failed: 1, skipped: 16 });
    expect(ginkgoCounts('Ran 80 of 86 Specs in 59 seconds\nSUCCESS! -- 79 Passed | 0 Failed | 1 Flaked | 0 Pending | 6 Skipped')).to.deep.equal({ ran: 80, passed: 79, failed: 0, skipped: 6 });
    expect(ginkgoCounts('Failed to run tests in parallel: exec: "ginkgo": executable file not found in $PATH')).to.equal(undefined);
  });

  it('counts our tests that ran: skipped, not run and image-less ones left out, known failures in', () => {
    const j = JSON.stringify({ totals: { tests: 263, passed: 222, failed: 0, skipped: 35, notRun: 0, noImage: 2, knownFailures: 4, fixed: 0, flaky: 0, durationMs: 1 } });
    expect(summaryCounts(j)).to.deep.equal({ ran: 226, passed: 222, failed: 4, known: 4, skipped: 37 });
  });
});

describe('bench --vs-critest: the lab and its baseline', () => {
  const files = ['containerd-1.6.20.yaml', 'containerd-1.7.24.yaml', 'containerd-1.7.3.yaml', 'containerd-2.1.9.yaml', 'cri-o-1.36.3.yaml', 'example.yaml'];
  it('takes the runtime\'s own file, the highest patch of several', () => {
    expect(baselineFor('containerd-2.1', files)).to.equal('containerd-2.1.9.yaml');
    expect(baselineFor('containerd-1.7', files)).to.equal('containerd-1.7.24.yaml');
    expect(baselineFor('containerd-1.6', files)).to.equal('containerd-1.6.20.yaml');
    expect(baselineFor('containerd-3.0', files)).to.equal(undefined);
  });
  it('passes --runtime and --lab-dir on; --baseline wins; an unknown runtime is refused', () => {
    const dir = path.join(REPO_ROOT, 'fixtures', 'baselines');
    const t = benchTarget(['--runs', '0', '--runtime', 'containerd-2.1', '--lab-dir', '/var/lib/x', '--vs-critest'], dir);
    expect(t.labArgs).to.deep.equal(['--runtime', 'containerd-2.1', '--lab-dir', '/var/lib/x']);
    expect(t.baseline).to.match(/fixtures\/baselines\/containerd-2\.1\.\d+\.yaml$/);
    expect(benchTarget([], dir).labArgs).to.deep.equal(['--runtime', 'containerd-1.6']);
    expect(benchTarget(['--baseline', 'mine.yaml'], dir).baseline).to.equal('mine.yaml');
    expect(() => benchTarget(['--runtime', 'cri-o'], dir)).to.throw(/containerd-2\.1/);
  });
});

describe('bench --vs-critest: the table', () => {
  it('has a column per figure, node CPU per test from what ran, and "-" where the output said nothing', () => {
    const head = tableHeader();
    for (const c of ['wall s', 'node CPU s', 'harness CPU s', 'peak RSS MiB', 'ran', 'passed', 'node CPU s/test']) expect(head).to.contain(c);
    const row = tableRow('pair 1 critest', side(104.8, 120, 106, 105), 'exit 1');
    expect(row).to.match(/^pair 1 critest\s+104\.8\s+120\.0\s+1\.0\s+40\s+106\s+105\s+1\.13  exit 1$/);
    expect(tableRow('pair 1 critest', side(3, 2))).to.match(/\s-\s+-\s+-$/);
  });

  it('medians over pairs, and the median of per-pair ratios for wall and node CPU per test', () => {
    const ours = [side(90, 170, 226, 222), side(100, 180, 226, 221), side(80, 160, 226, 222)];
    const critest = [side(60, 100, 100, 99), side(50, 100, 100, 99), side(40, 100, 100, 99)];
    expect(medianFigures(ours)).to.include({ wall: 90, nodeCpu: 170, ran: 226, passed: 222 });
    const lines = summaryLines(ours, critest, 2);
    expect(lines[0]).to.match(/^median ours\s+90\.0\s+170\.0/);
    expect(lines[1]).to.match(/^median critest\s+50\.0\s+100\.0/);
    // wall ratios 1.50, 2.00, 2.00; node CPU per test (170/226)/(1.00) = 0.75, 0.80, 0.71
    expect(lines[2]).to.contain('wall 2.00 [1.50, 2.00, 2.00]');
    expect(lines[2]).to.contain('node CPU per test 0.75 [0.75, 0.80, 0.71]');
    expect(lines[3]).to.contain('ours 85.0 s');
  });

  it('leaves a pair without counts out of the per-test ratio', () => {
    const lines = summaryLines([side(90, 170, 226, 222), side(90, 170, 226, 222)], [side(60, 100, 100, 99), side(5, 3)], 2);
    expect(lines[2]).to.contain('node CPU per test 0.75 [0.75]');
  });
});
