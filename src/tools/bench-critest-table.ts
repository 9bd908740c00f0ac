// The figures of one side of `npm run bench -- --vs-critest` (our main job or critest), what each side's
// output says it ran, and the table that sets them side by side. Pure: tested in test/bench-critest.test.ts.

export interface SideFigures {
  /** Wall seconds (GNU time). */
  wall: number;
  /** user+system seconds of the harness and the children it waited for (GNU time). */
  cpu: number;
  /** Peak RSS of the largest process of the harness, MiB (GNU time). */
  rssMiB: number;
  /** Busy CPU seconds of the whole machine meanwhile (/proc/stat): the harness plus what it made the runtime,
   * its shims, runc, the CNI plugins and the kernel do. */
  nodeCpu: number;
  /** Tests (ours) or specs (critest) that ran, skipped ones not counted; undefined when the output said not. */
  ran?: number;
  passed?: number;
  note: string;
}

export interface RunCounts {
  ran: number;
  passed: number;
  /** Failed, baseline-listed ones included. */
  failed: number;
  /** Of `failed`, those the baseline lists (ours only). */
  known?: number;
  skipped: number;
}

/** ginkgo's closing lines: "Ran 106 of 122 Specs in 104.8 seconds" and
 * "FAIL! -- 105 Passed | 1 Failed | 0 Pending | 16 Skipped" (colours stripped; "| N Flaked" may appear). */
export function ginkgoCounts(output: string): RunCounts | undefined {
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  const ran = /Ran (\d+) of \d+ Specs/.exec(plain);
  const c = /(\d+) Passed \| (\d+) Failed(?: \| \d+ Flaked)? \| \d+ Pending \| (\d+) Skipped/.exec(plain);
  if (!ran || !c) return undefined;
  return { ran: Number(ran[1]), passed: Number(c[1]), failed: Number(c[2]), skipped: Number(c[3]) };
}

/** Our summary.json totals (src/report/verdict.ts Counts): a test ran unless it was skipped, not run or lacked
 * its image; known failures ran (and failed) like any other. */
export function summaryCounts(summaryJson: string): RunCounts {
  const t = (JSON.parse(summaryJson) as { totals: Record<string, number | undefined> }).totals;
  const n = (k: string) => t[k] ?? 0;
  const skipped = n('skipped') + n('notRun') + n('noImage');
  return { ran: n('tests') - skipped, passed: n('passed'), failed: n('failed') + n('knownFailures'), known: n('knownFailures'), skipped };
}

export const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Node CPU seconds per test that ran (per spec for critest). */
export const nodeCpuPerTest = (f: SideFigures): number | undefined => (f.ran ? f.nodeCpu / f.ran : undefined);

const COLS = ['wall s', 'node CPU s', 'harness CPU s', 'peak RSS MiB', 'ran', 'passed', 'node CPU s/test'];
const WIDTHS = [9, 12, 15, 14, 6, 8, 17];
const LABEL = 18;
const cell = (v: number | undefined, digits: number, i: number) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(digits)).padStart(WIDTHS[i]!);

export function tableHeader(): string {
  return `${''.padEnd(LABEL)}${COLS.map((c, i) => c.padStart(WIDTHS[i]!)).join('')}`;
}

export function tableRow(label: string, f: SideFigures, note = ''): string {
  const cells = [cell(f.wall, 1, 0), cell(f.nodeCpu, 1, 1), cell(f.cpu, 1, 2), cell(f.rssMiB, 0, 3), cell(f.ran, 0, 4), cell(f.passed, 0, 5), cell(nodeCpuPerTest(f), 2, 6)];
  return `${label.padEnd(LABEL)}${cells.join('')}${note ? `  ${note}` : ''}`;
}

/** Each figure's median over the pairs (ran/passed too: a side's counts may differ between runs). */
export function medianFigures(fs: SideFigures[]): SideFigures {
  const m = (k: 'wall' | 'cpu' | 'rssMiB' | 'nodeCpu' | 'ran' | 'passed') => {
    const v = fs.map((f) => f[k]).filter((x): x is number => x !== undefined);
    return v.length ? median(v) : undefined;
  };
  return { wall: m('wall')!, cpu: m('cpu')!, rssMiB: m('rssMiB')!, nodeCpu: m('nodeCpu')!, ran: m('ran'), passed: m('passed'), note: '' };
}

/** The medians of both sides, then the median of the per-pair ratios ours/critest for wall time and node CPU
 * per test, and the wall-time floor node CPU implies on `cpus` CPUs. */
export function summaryLines(ours: SideFigures[], critest: SideFigures[], cpus: number): string[] {
  const pairs = Math.min(ours.length, critest.length);
  const A = medianFigures(ours.slice(0, pairs));
  const B = medianFigures(critest.slice(0, pairs));
  const ratios = (f: (x: SideFigures) => number | undefined) =>
    ours.slice(0, pairs).flatMap((a, i) => {
      const x = f(a);
      const y = f(critest[i]!);
      return x !== undefined && y !== undefined && y > 0 ? [x / y] : [];
    });
  const ratioText = (name: string, r: number[]) => `${name} ${r.length ? median(r).toFixed(2) : '-'} [${r.map((x) => x.toFixed(2)).join(', ')}]`;
  const floor = (m: SideFigures) => m.nodeCpu / cpus;
  const busy = (fs: SideFigures[]) => median(fs.slice(0, pairs).map((f) => (f.nodeCpu / (f.wall * cpus)) * 100));
  return [
    tableRow(`median ours`, A),
    tableRow(`median critest`, B),
    `ours/critest, median of the ${pairs} per-pair ratio(s): ${ratioText('wall', ratios((f) => f.wall))}, ${ratioText('node CPU per test', ratios(nodeCpuPerTest))}`,
    // A run cannot end sooner than the CPU work it causes spread over every CPU.
    `node CPU / ${cpus} CPUs = the wall time each side could at best reach here: ours ${floor(A).toFixed(1)} s (CPUs ${busy(ours).toFixed(0)}% busy), critest ${floor(B).toFixed(1)} s (${busy(critest).toFixed(0)}% busy)`,
  ];
}
