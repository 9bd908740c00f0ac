// End-of-run terminal summary: per-suite table, totals, failures, baseline notes. Dependency-free.

import type { RunResult, SuiteResult, TestResult } from './model.js';
import { cleanText, failureMessage, fixedMessage, flakyMessage, humanDuration, oneLine, roundLines } from './common.js';
import { type Counts, baselineCounts, baselineUsed, failsRun, outcome, runVerdict, suiteCounts } from './verdict.js';

const ANSI = {
  reset: '\u001b[0m',
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
} as const;
type Style = Exclude<keyof typeof ANSI, 'reset'>;

/** Display width: code points, ignoring combining marks (good enough for suite names and ids). */
function width(s: string): number {
  let n = 0;
  for (const ch of s) if (!/\p{M}/u.test(ch)) n++;
  return n;
}

function pad(s: string, w: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'left' ? s + fill : fill + s;
}

interface Cell {
  text: string;
  style?: Style[];
}

export function summaryTable(run: RunResult, opts: { color: boolean }): string {
  const paint = (text: string, ...styles: (Style | undefined)[]): string => {
    const codes = styles.filter((x): x is Style => x !== undefined).map((x) => ANSI[x]);
    return opts.color && codes.length > 0 && text !== '' ? codes.join('') + text + ANSI.reset : text;
  };
  const withBaseline = baselineUsed(run);
  const verdict = runVerdict(run);
  const mode = verdict.mode;

  const withNoImage = verdict.counts.noImage > 0;
  const withFlaky = verdict.counts.flaky > 0;
  const header = ['Suite', 'Passed', 'Failed', 'Skipped', 'Not run', ...(withNoImage ? ['No image'] : []), ...(withFlaky ? ['Flaky'] : []), ...(withBaseline ? ['Known'] : []), 'Time'];
  const align: ('left' | 'right')[] = header.map((_, i) => (i === 0 ? 'left' : 'right'));
  const row = (name: string, c: Counts, bold: boolean): Cell[] => {
    const b: Style | undefined = bold ? 'bold' : undefined;
    return [
      { text: name, style: b ? [b] : [] },
      { text: String(c.passed), style: c.passed > 0 ? ['green', ...(b ? [b] : [])] : [] },
      { text: String(c.failed), style: c.failed > 0 ? ['red', 'bold'] : [] },
      { text: String(c.skipped), style: c.skipped > 0 ? ['yellow'] : [] },
      { text: String(c.notRun), style: c.notRun > 0 ? ['yellow', 'bold'] : [] },
      ...(withNoImage ? [{ text: String(c.noImage), style: c.noImage > 0 ? (['yellow', 'bold'] as Style[]) : [] }] : []),
      ...(withFlaky ? [{ text: String(c.flaky), style: c.flaky > 0 ? (['red', 'bold'] as Style[]) : [] }] : []),
      ...(withBaseline ? [{ text: String(c.knownFailures), style: c.knownFailures > 0 ? (['cyan'] as Style[]) : [] }] : []),
      { text: humanDuration(c.durationMs), style: ['dim'] },
    ];
  };

  const body: Cell[][] = run.suites.map((s) => {
    const name = oneLine(s.name) + (s.skippedReason !== undefined ? ' (skipped)' : '');
    return row(name, suiteCounts(s, mode), false);
  });
  const total = row('Total', verdict.counts, true);
  const headCells: Cell[] = header.map((h) => ({ text: h, style: ['bold'] }));

  const widths = header.map((_, i) => Math.max(...[headCells, ...body, total].map((r) => width(r[i]!.text))));
  const render = (cells: Cell[]): string =>
    cells
      .map((c, i) => paint(pad(c.text, widths[i]!, align[i]!), ...(c.style ?? [])))
      .join('  ')
      .replace(/\s+$/, '');
  const rule = paint(widths.map((w) => '─'.repeat(w)).join('──'), 'dim');

  const out: string[] = [render(headCells), rule, ...body.map(render), rule, render(total)];

  const all: { s: SuiteResult; t: TestResult }[] = run.suites.flatMap((s) => s.tests.map((t) => ({ s, t })));
  const indent = (text: string, by: string): string[] =>
    cleanText(text)
      .replace(/\s+$/, '')
      .split('\n')
      .map((l) => (by + l).replace(/\s+$/, ''));

  const skippedSuites = run.suites.filter((s) => s.skippedReason !== undefined);
  if (skippedSuites.length > 0) {
    out.push('', paint('Skipped suites:', 'bold', 'yellow'));
    for (const s of skippedSuites) out.push(`  ${paint('-', 'yellow')} ${oneLine(s.name)}: ${oneLine(s.skippedReason) || 'skipped'}`);
  }

  const failures = all.filter(({ t }) => failsRun(t, mode));
  if (failures.length > 0) {
    out.push('', paint(`Failures (${failures.length}):`, 'bold', 'red'));
    for (const { t } of failures) {
      out.push(`  ${paint('✗', 'red')} ${oneLine(t.id)}`);
      out.push(...indent(outcome(t) === 'fixed' ? fixedMessage(t, mode) : failureMessage(t), '      '));
    }
  }

  const flaky = all.filter(({ t }) => outcome(t) === 'flaky');
  if (flaky.length > 0) {
    const rounds = run.repeat ? ` over ${run.repeat.rounds} rounds` : '';
    out.push('', paint(`Flaky (${flaky.length}, outcome changed${rounds}):`, 'bold', 'red'));
    for (const { t } of flaky) {
      out.push(`  ${paint('≈', 'red')} ${oneLine(t.id)}`);
      out.push(`      ${flakyMessage(t)}`);
      for (const l of roundLines(t)) out.push(...indent(l, '        '));
    }
  }

  if (withBaseline) {
    const known = all.filter(({ t }) => outcome(t) === 'known-failure');
    if (known.length > 0) {
      out.push('', paint(`Known failures (baseline, ${known.length}):`, 'bold', 'cyan'));
      for (const { t } of known) {
        out.push(`  ${paint('~', 'cyan')} ${oneLine(t.id)}`);
        out.push(`      baseline: ${oneLine(t.baseline?.reason) || 'no reason given'}`);
        if (t.status === 'failed') out.push(...indent(failureMessage(t), '      ').map((l) => paint(l, 'dim')));
      }
    }
    const fixed = all.filter(({ t }) => outcome(t) === 'fixed');
    if (fixed.length > 0) {
      out.push('', paint(`Fixed — remove from baseline (${fixed.length}):`, 'bold', 'green'));
      for (const { t } of fixed) {
        out.push(`  ${paint('✓', 'green')} ${oneLine(t.id)}`);
        const reason = oneLine(t.baseline?.reason);
        if (reason) out.push(`      was: ${reason}`);
      }
    }
  }

  const c = verdict.counts;
  const line =
    verdict.result === 'passed'
      ? paint(`PASSED: ${c.passed} passed, ${c.skipped} skipped${c.notRun ? `, ${c.notRun} not run` : ''}${c.noImage ? `, ${c.noImage} not run (no image)` : ''} of ${c.tests} tests`, 'bold', 'green')
      : paint(`FAILED: ${verdict.reasons.map(oneLine).join('; ')}`, 'bold', 'red');
  const extras = baselineCounts(c);
  const rounds = run.repeat ? ` (${run.repeat.rounds} round${run.repeat.rounds === 1 ? '' : 's'})` : '';
  out.push('', line + (extras.length ? ` (${extras.join(', ')})` : '') + ` in ${humanDuration(run.durationMs)}${rounds}`);
  return out.join('\n') + '\n';
}
