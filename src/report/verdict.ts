// The run's verdict, decided here and nowhere else. The exit code, the CLI's closing line, the terminal
// summary, JUnit, TAP and the certification summary all read runVerdict(), so none of them can disagree
// with the gate. Pure: a function of the result model (which carries the baseline mode) only.
import type { BaselineMode, RunResult, SuiteResult, TestResult } from './model.js';
import { oneLine } from './common.js';

/** How a test counts once the baseline has been applied. */
export type Outcome = 'passed' | 'failed' | 'skipped' | 'notrun' | 'known-failure' | 'fixed' | 'flaky';

export function outcome(t: TestResult): Outcome {
  // --repeat: a status that changed between rounds, a listed known failure that sometimes passes included.
  if (t.flaky) return 'flaky';
  if (t.baseline?.state === 'known-failure') return 'known-failure';
  if (t.baseline?.state === 'fixed' && t.status === 'passed') return 'fixed';
  return t.status;
}

function baselineMode(run: RunResult): BaselineMode {
  return run.baseline?.mode ?? 'none';
}

/** Does this test fail the run? A failure outside the baseline; with a strict baseline, also a fixed test. */
export function failsRun(t: TestResult, mode: BaselineMode): boolean {
  const o = outcome(t);
  return o === 'failed' || (o === 'fixed' && mode === 'strict');
}

/**
 * Every count is exclusive except `fixed`: tests = passed + failed + skipped + notRun + noImage + knownFailures + flaky.
 * A new outcome gets its own count here; the exhaustive switch in countTests makes the compiler point at it.
 */
export interface Counts {
  tests: number;
  /** Passed, including fixed tests that do not fail the run. */
  passed: number;
  /** Tests that fail the run: failures outside the baseline, and fixed tests under a strict baseline. */
  failed: number;
  skipped: number;
  /** Tests the runner never ran (interrupted, runtime lost, --bail, a needed suite failed): not skips. */
  notRun: number;
  /** Tests not run because a test image they need is not available ("not run (no image)"): not in notRun. */
  noImage: number;
  /** Baseline-listed tests that failed: counted here only. */
  knownFailures: number;
  /** Baseline-listed tests that passed: also in `passed`, or in `failed` under a strict baseline. */
  fixed: number;
  /** --repeat: tests whose status changed between rounds (counted here only). */
  flaky: number;
  durationMs: number;
}

export function countTests(tests: readonly TestResult[], mode: BaselineMode): Omit<Counts, 'durationMs'> {
  const c = { tests: 0, passed: 0, failed: 0, skipped: 0, notRun: 0, noImage: 0, knownFailures: 0, fixed: 0, flaky: 0 };
  for (const t of tests) {
    c.tests++;
    const o = outcome(t);
    switch (o) {
      case 'passed':
        c.passed++;
        break;
      case 'fixed':
        c.fixed++;
        if (failsRun(t, mode)) c.failed++;
        else c.passed++;
        break;
      case 'failed':
        c.failed++;
        break;
      case 'skipped':
        c.skipped++;
        break;
      case 'notrun':
        if (t.notRunCause === 'no-image') c.noImage++;
        else c.notRun++;
        break;
      case 'known-failure':
        c.knownFailures++;
        break;
      case 'flaky':
        c.flaky++;
        break;
      default: {
        const unhandled: never = o;
        throw new Error(`uncounted outcome ${String(unhandled)}`);
      }
    }
  }
  return c;
}

export function suiteCounts(s: SuiteResult, mode: BaselineMode): Counts {
  return { ...countTests(s.tests, mode), durationMs: s.durationMs };
}

export interface RunVerdict {
  result: 'passed' | 'failed';
  mode: BaselineMode;
  counts: Counts;
  /** Why the run did not pass, one line each; empty exactly when it passed. */
  reasons: string[];
  /** Why the run could not pass whatever its tests say: nothing negotiated, or it stopped early. */
  blocker?: string;
  /** Objects of the run the runtime still lists after the final sweep (they fail the run). */
  leftovers: number;
  /** --repeat: the run failed only because tests were flaky (the CLI's exit 9); anything else failing wins. */
  onlyFlaky: boolean;
}

const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

export function runVerdict(run: RunResult): RunVerdict {
  const mode = baselineMode(run);
  const counts: Counts = { ...countTests(run.suites.flatMap((s) => s.tests), mode), durationMs: run.durationMs };
  const blocker =
    !run.negotiated.runtime || !run.negotiated.image
      ? `no CRI version negotiated${run.negotiated.reason ? `: ${run.negotiated.reason}` : ''}`
      : run.aborted
        ? `stopped early: ${run.aborted}`
        : undefined;
  const reasons: string[] = blocker ? [blocker] : [];
  const fixedFailing = mode === 'strict' ? counts.fixed : 0;
  const unlisted = counts.failed - fixedFailing;
  if (unlisted > 0) reasons.push(`${plural(unlisted, 'test')} failed${mode === 'none' ? '' : ' outside the baseline'}`);
  if (fixedFailing > 0) {
    reasons.push(`${plural(fixedFailing, 'baseline-listed test')} now ${fixedFailing === 1 ? 'passes' : 'pass'} (--strict-baseline: remove ${fixedFailing === 1 ? 'it' : 'them'} from the baseline)`);
  }
  if (counts.noImage > 0 && !run.allowMissingImages) {
    reasons.push(`${plural(counts.noImage, 'test')} did not run: ${counts.noImage === 1 ? 'its test image is' : 'their test images are'} not available (serve or mirror them, see \`cri-conformance images\`; --allow-missing-images to accept)`);
  }
  // A run that leaves objects behind is not clean whatever its tests say: the next run (or the node) inherits them.
  const leftovers = run.leftovers?.ids.length ?? 0;
  if (leftovers > 0) reasons.push(`${plural(leftovers, 'object')} of the run left on the runtime (remove with: ${run.leftovers!.command})`);
  const onlyFlaky = counts.flaky > 0 && reasons.length === 0;
  if (counts.flaky > 0) {
    const rounds = run.repeat ? ` ${run.repeat.rounds}` : '';
    reasons.push(`${plural(counts.flaky, 'test')} flaky: ${counts.flaky === 1 ? 'its' : 'their'} outcome changed between the${rounds} rounds`);
  }
  return { result: reasons.length === 0 ? 'passed' : 'failed', mode, counts, reasons, ...(blocker ? { blocker } : {}), leftovers, onlyFlaky };
}

/** Whether the reports show a baseline at all: one was applied, or tests carry its marks. */
export function baselineUsed(run: RunResult): boolean {
  return run.baseline !== undefined || run.suites.some((s) => s.tests.some((t) => t.baseline !== undefined));
}

/** "1 known failure, 1 fixed": the baseline counts, for verdict lines. */
export function baselineCounts(c: Counts): string[] {
  return [c.knownFailures ? plural(c.knownFailures, 'known failure') : '', c.fixed ? `${c.fixed} fixed` : ''].filter(Boolean);
}

/**
 * The CLI's last line for CI logs (TAP ends with it too): counts first, in a stable order a log parser
 * can match, then the verdict with its reasons.
 */
export function closingLine(v: RunVerdict): string {
  const c = v.counts;
  const leftovers = v.leftovers ? [plural(v.leftovers, 'leftover')] : [];
  const noImage = c.noImage ? [`${c.noImage} not run (no image)`] : [];
  const flaky = c.flaky ? [`${c.flaky} flaky`] : [];
  const counts = [`${c.passed} passed`, `${c.failed} failed`, `${c.skipped} skipped`, `${c.notRun} not run`, ...noImage, ...flaky, ...baselineCounts(c), ...leftovers].join(', ');
  return `conformance: ${counts} — ${v.result === 'passed' ? 'PASSED' : `FAILED: ${v.reasons.map(oneLine).join('; ')}`}`;
}
