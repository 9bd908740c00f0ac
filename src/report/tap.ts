// TAP version 14 reporter: flat test points (the most widely consumed shape), YAML diagnostics.

import { stringify } from 'yaml';
import type { BaselineMode, RunResult, SuiteResult, TestResult } from './model.js';
import { closingLine, failsRun, outcome, runVerdict } from './verdict.js';
import {
  SUITE_SKIPPED_TITLE,
  cleanText,
  failureDetail,
  failureMessage,
  fixedMessage,
  flakyMessage,
  notRunMessage,
  oneLine,
  roundLines,
  skipReason,
} from './common.js';

/** TAP 14: `#` and `\` in a description must be escaped; a description is one line. */
function tapDescription(text: string): string {
  return oneLine(text).replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}

function yamlBlock(diag: Record<string, unknown>): string[] {
  const body = stringify(diag, { blockQuote: 'literal', lineWidth: 0, minContentWidth: 0 }).replace(/\n$/, '');
  return ['  ---', ...body.split('\n').map((l) => `  ${l}`), '  ...'];
}

interface Point {
  ok: boolean;
  description: string;
  directive?: string;
  diag: Record<string, unknown>;
}

function point(s: SuiteResult, t: TestResult, mode: BaselineMode): Point {
  const diag: Record<string, unknown> = {};
  const description = t.id || `${s.name}/${t.fullTitle}`;
  const detail = cleanText(t.detail).replace(/\s+$/, '');
  switch (outcome(t)) {
    case 'passed':
      break;
    case 'fixed':
      diag['message'] = fixedMessage(t, mode);
      diag['baseline'] = { state: 'fixed', reason: oneLine(t.baseline?.reason) };
      break;
    case 'failed':
      diag['message'] = failureMessage(t);
      diag['detail'] = failureDetail(t);
      break;
    case 'skipped':
      diag['message'] = skipReason(t, s);
      break;
    case 'notrun':
      diag['message'] = notRunMessage(t, s);
      break;
    case 'known-failure':
      if (t.message || t.detail) diag['message'] = failureMessage(t);
      if (detail) diag['detail'] = detail;
      diag['baseline'] = { state: 'known-failure', reason: oneLine(t.baseline?.reason) };
      break;
    case 'flaky':
      diag['message'] = flakyMessage(t);
      diag['rounds'] = roundLines(t);
      break;
  }
  diag['duration_ms'] = Number.isFinite(t.durationMs) ? t.durationMs : 0;
  diag['suite'] = oneLine(s.name);
  if (t.tags?.length) diag['tags'] = t.tags.map((x) => oneLine(x));

  const o = outcome(t);
  if (o === 'skipped') return { ok: true, description, directive: `SKIP ${oneLine(skipReason(t, s))}`, diag };
  if (o === 'notrun') return { ok: true, description, directive: `SKIP ${notRunMessage(t, s)}`, diag };
  if (o === 'known-failure') {
    const reason = oneLine(t.baseline?.reason) || 'no reason given';
    // A TODO test point keeps its real result: a known failure that still fails is `not ok`.
    return { ok: t.status !== 'failed', description, directive: `TODO known failure: ${oneLine(reason)}`, diag };
  }
  return { ok: o !== 'flaky' && !failsRun(t, mode), description, diag };
}

export function toTap(run: RunResult): string {
  const verdict = runVerdict(run);
  const groups: { suite: SuiteResult; points: Point[] }[] = run.suites.map((s) => {
    const points = s.tests.map((t) => point(s, t, verdict.mode));
    if (s.tests.length === 0 && s.skippedReason !== undefined) {
      const reason = oneLine(s.skippedReason) || 'skipped';
      points.push({
        ok: true,
        description: `${s.name}/${SUITE_SKIPPED_TITLE}`,
        directive: `SKIP ${reason}`,
        diag: { message: reason, duration_ms: 0, suite: oneLine(s.name) },
      });
    }
    return { suite: s, points };
  });
  const n = groups.reduce((a, g) => a + g.points.length, 0);

  const lines: string[] = ['TAP version 14', `1..${n}`];
  let i = 0;
  for (const g of groups) {
    const skipped = g.suite.skippedReason !== undefined ? ` (skipped: ${oneLine(g.suite.skippedReason)})` : '';
    lines.push(`# suite: ${oneLine(g.suite.name)}${skipped}`);
    for (const p of g.points) {
      i++;
      const directive = p.directive ? ` # ${p.directive}` : '';
      lines.push(`${p.ok ? 'ok' : 'not ok'} ${i} - ${tapDescription(p.description)}${directive}`);
      lines.push(...yamlBlock(p.diag));
    }
  }
  // A run that could not pass whatever its points say (nothing negotiated, stopped early) bails out, so a
  // TAP consumer reaches the gate's answer; the verdict line closes the stream for humans.
  if (verdict.blocker) lines.push(`Bail out! ${oneLine(verdict.blocker)}`);
  lines.push(`# ${oneLine(closingLine(verdict))}`);
  return lines.join('\n') + '\n';
}
