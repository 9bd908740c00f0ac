// The vendor report: summary.json (machine-readable, stable), summary.md and summary.html.

import { createHash } from 'node:crypto';
import type { BaselineMode, RunResult, SuiteResult, TestResult } from './model.js';
import {
  SUITE_SKIPPED_TITLE,
  cleanText,
  failureDetail,
  failureMessage,
  fixedMessage,
  flakyMessage,
  humanDuration,
  notRunMessage,
  oneLine,
  roundLines,
  skipReason,
  sortedKeys,
} from './common.js';
import { type Counts, baselineCounts, baselineUsed, failsRun, outcome, runVerdict, suiteCounts } from './verdict.js';
import { TIMELINE_CSS, matrixHtml, timelineSvg } from './timeline.js';
import { compatibilityMatrix } from '../profiles/index.js';

export const SUMMARY_SCHEMA = 'cri-conformance/summary/v1';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------------
// JSON

function countsJson(c: Counts): Record<string, number> {
  return {
    tests: c.tests,
    passed: c.passed,
    failed: c.failed,
    skipped: c.skipped,
    notRun: c.notRun,
    noImage: c.noImage,
    knownFailures: c.knownFailures,
    fixed: c.fixed,
    flaky: c.flaky,
    durationMs: c.durationMs,
  };
}

function testJson(s: SuiteResult, t: TestResult): Record<string, unknown> {
  const o: Record<string, unknown> = {
    id: cleanText(t.id),
    suite: cleanText(s.name),
    fullTitle: cleanText(t.fullTitle),
    status: t.status,
    outcome: outcome(t),
    durationMs: t.durationMs,
    tags: (t.tags ?? []).map((x) => cleanText(x)),
  };
  if (t.status === 'skipped') o['message'] = skipReason(t, s);
  else if (t.status === 'notrun') o['message'] = notRunMessage(t, s);
  if (t.notRunCause) o['notRunCause'] = t.notRunCause;
  else if (t.message !== undefined || t.status === 'failed') o['message'] = t.status === 'failed' ? failureMessage(t) : oneLine(t.message);
  if (t.detail !== undefined) o['detail'] = cleanText(t.detail).replace(/\s+$/, '');
  if (t.baseline) o['baseline'] = { state: t.baseline.state, reason: oneLine(t.baseline.reason) };
  if (t.startOffsetMs !== undefined) o['startOffsetMs'] = t.startOffsetMs;
  if (t.slot !== undefined) o['slot'] = t.slot;
  // --repeat: how many rounds gave each status; a flaky test also what each round got.
  if (t.rounds) o['rounds'] = t.rounds;
  if (t.flaky) o['flaky'] = t.flaky.map((r) => ({ round: r.round, status: r.status, ...(r.message !== undefined ? { message: oneLine(r.message) } : {}) }));
  return o;
}

/** Build the summary object with an explicit, stable key order (absent optional parts are null). */
function summaryObject(run: RunResult): Record<string, unknown> {
  const verdict = runVerdict(run);
  const images: Record<string, string> = {};
  for (const k of sortedKeys(run.images)) images[k] = cleanText(run.images![k]);
  const rpcs: Record<string, unknown> = {};
  for (const k of sortedKeys(run.rpcs)) {
    const r = run.rpcs![k]!;
    rpcs[k] = { calls: r.calls, unimplemented: r.unimplemented, errors: r.errors };
  }
  return {
    schema: SUMMARY_SCHEMA,
    result: verdict.result,
    reasons: verdict.reasons.map(oneLine),
    tool: { name: cleanText(run.tool?.name), version: cleanText(run.tool?.version) },
    profile: run.profile ?? null,
    runtimeHandler: run.runtimeHandler ?? null,
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    endpoint: { runtime: cleanText(run.endpoint?.runtime), image: cleanText(run.endpoint?.image) },
    runtime: run.runtime
      ? { name: cleanText(run.runtime.name), version: cleanText(run.runtime.version), apiVersion: cleanText(run.runtime.apiVersion) }
      : null,
    negotiated: {
      runtime: run.negotiated?.runtime ?? null,
      image: run.negotiated?.image ?? null,
      reason: run.negotiated?.reason !== undefined ? cleanText(run.negotiated.reason) : null,
      forced: run.negotiated?.forced ?? null,
    },
    host: run.host
      ? {
          kernel: cleanText(run.host.kernel),
          cgroupVersion: cleanText(run.host.cgroupVersion),
          hostname: run.host.hostname !== undefined ? cleanText(run.host.hostname) : null,
        }
      : null,
    baselineUsed: baselineUsed(run),
    baselineMode: verdict.mode,
    ...(run.allowMissingImages ? { allowMissingImages: true } : {}),
    ...(run.repeat ? { repeat: { rounds: run.repeat.rounds, asked: run.repeat.asked } } : {}),
    totals: countsJson(verdict.counts),
    leftovers: run.leftovers ? { ids: run.leftovers.ids.map((x) => cleanText(x)), command: cleanText(run.leftovers.command) } : null,
    suites: run.suites.map((s) => ({
      name: cleanText(s.name),
      title: cleanText(s.title),
      skippedReason: s.skippedReason !== undefined ? oneLine(s.skippedReason) : null,
      totals: countsJson(suiteCounts(s, verdict.mode)),
    })),
    tests: run.suites.flatMap((s) => s.tests.map((t) => testJson(s, t))),
    images,
    rpcs,
    ...(run.fieldCoverage ? { fieldCoverage: run.fieldCoverage } : {}),
  };
}

/** One line on the api.proto fields the run judged (`cri-conformance coverage` prints the whole map). */
export function fieldCoverageLine(run: RunResult): string | undefined {
  const f = run.fieldCoverage;
  if (!f) return undefined;
  return `Field coverage: this run judged ${f.judged} of the ${f.fields} runtime.v1 fields a request sends or a response reports, ` +
    `${f.kubelet.judged} of the ${f.kubelet.fields} the kubelet sends (the judged fields are in summary.json fieldCoverage; the map: cri-conformance coverage).`;
}

export function toSummaryJson(run: RunResult): string {
  return JSON.stringify(summaryObject(run), null, 2) + '\n';
}

/* eslint-disable @typescript-eslint/no-explicit-any -- parsed JSON, checked where it matters */
/**
 * The result model back from a parsed summary.json, for `cri-conformance matrix --from`: the summary lists
 * tests flat, the model under their suites. A test's bare title is not in the summary; its full title stands
 * in (the matrix reads tags only). Throws when the object is not a summary of this schema.
 */
export function runFromSummary(j: any): RunResult {
  if (j?.schema !== SUMMARY_SCHEMA || !Array.isArray(j.suites) || !Array.isArray(j.tests)) {
    throw new Error(`not a ${SUMMARY_SCHEMA} document`);
  }
  const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);
  const tests: TestResult[] = j.tests.map((t: any) => ({
    id: t.id,
    suite: t.suite,
    title: t.fullTitle,
    fullTitle: t.fullTitle,
    status: t.status,
    durationMs: t.durationMs,
    tags: t.tags ?? [],
    ...(t.message !== undefined ? { message: t.message } : {}),
    ...(t.detail !== undefined ? { detail: t.detail } : {}),
    ...(t.baseline ? { baseline: t.baseline } : {}),
    ...(t.notRunCause === 'no-image' ? { notRunCause: 'no-image' } : {}),
    ...(typeof t.startOffsetMs === 'number' ? { startOffsetMs: t.startOffsetMs } : {}),
    ...(typeof t.slot === 'number' ? { slot: t.slot } : {}),
    ...(t.rounds ? { rounds: t.rounds } : {}),
    ...(Array.isArray(t.flaky) ? { flaky: t.flaky } : {}),
  }));
  const n = j.negotiated ?? {};
  const run: RunResult = {
    tool: j.tool,
    startedAt: j.startedAt,
    durationMs: j.durationMs,
    endpoint: j.endpoint,
    negotiated: { runtime: n.runtime ?? null, image: n.image ?? null, ...(opt(n.reason) !== undefined ? { reason: n.reason } : {}), ...(opt(n.forced) ? { forced: n.forced } : {}) },
    suites: j.suites.map((s: any) => ({
      name: s.name,
      title: s.title,
      durationMs: s.totals?.durationMs ?? 0,
      tests: tests.filter((t) => t.suite === s.name),
      ...(opt(s.skippedReason) !== undefined ? { skippedReason: s.skippedReason } : {}),
    })),
  };
  if (opt(j.runtime)) run.runtime = j.runtime;
  if (opt(j.profile)) run.profile = j.profile;
  if (typeof j.runtimeHandler === 'string') run.runtimeHandler = j.runtimeHandler;
  if (opt(j.host)) run.host = { kernel: j.host.kernel, cgroupVersion: j.host.cgroupVersion, ...(opt(j.host.hostname) !== undefined ? { hostname: j.host.hostname } : {}) };
  if (j.images) run.images = j.images;
  if (j.rpcs) run.rpcs = j.rpcs;
  if (opt(j.leftovers)) run.leftovers = j.leftovers;
  if (j.baselineMode === 'baseline' || j.baselineMode === 'strict') run.baseline = { mode: j.baselineMode };
  if (j.allowMissingImages === true) run.allowMissingImages = true;
  if (j.repeat) run.repeat = j.repeat;
  if (j.fieldCoverage) run.fieldCoverage = j.fieldCoverage;
  return run;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

// ---------------------------------------------------------------------------------------------
// Shared presentation helpers

function statusLabel(t: TestResult, mode: BaselineMode): string {
  switch (outcome(t)) {
    case 'passed':
      return 'passed';
    case 'failed':
      return 'FAILED';
    case 'skipped':
      return 'skipped';
    case 'notrun':
      return 'not run';
    case 'known-failure':
      return 'known failure';
    case 'fixed':
      return failsRun(t, mode) ? 'FAILED (fixed, strict baseline)' : 'passed (fixed)';
    case 'flaky':
      return 'FLAKY';
  }
}

/** CSS class of a test's status: a fixed test that fails the run is shown as a failure. */
function statusClass(t: TestResult, mode: BaselineMode): string {
  return failsRun(t, mode) ? 's-failed' : `s-${outcome(t)}`;
}

/** One-line note shown next to a test in the per-suite tables. */
function testNote(s: SuiteResult, t: TestResult, mode: BaselineMode): string {
  switch (outcome(t)) {
    case 'passed':
      return '';
    case 'failed':
      return failureMessage(t);
    case 'skipped':
      return skipReason(t, s);
    case 'notrun':
      return notRunMessage(t, s);
    case 'known-failure':
      return `baseline: ${oneLine(t.baseline?.reason) || 'no reason given'}`;
    case 'fixed':
      // The baseline reason is in the "Fixed" table; the note only says what to do.
      return mode === 'strict' ? 'fixed — remove from baseline; --strict-baseline fails the run' : 'fixed — remove from baseline';
    case 'flaky':
      return flakyMessage(t);
  }
}

/** "Result: FAILED — 1 test failed" and the counts, the same words in summary.md and summary.html. */
function resultCounts(c: Counts): string {
  const noImage = c.noImage ? [`${c.noImage} not run (no image)`] : [];
  const flaky = c.flaky ? [`${c.flaky} flaky`] : [];
  return [`${c.passed} passed`, `${c.failed} failed`, `${c.skipped} skipped`, `${c.notRun} not run`, ...noImage, ...flaky, ...baselineCounts(c)].join(', ') + ` of ${c.tests} tests`;
}

/** Tests that fail the run (failures outside the baseline, fixed tests under a strict baseline). */
function failingTests(run: RunResult, mode: BaselineMode): { s: SuiteResult; t: TestResult }[] {
  return run.suites.flatMap((s) => s.tests.filter((t) => failsRun(t, mode)).map((t) => ({ s, t })));
}

function failingMessage(t: TestResult, mode: BaselineMode): string {
  return outcome(t) === 'fixed' ? fixedMessage(t, mode) : failureMessage(t);
}

function failingDetail(t: TestResult, mode: BaselineMode): string {
  return outcome(t) === 'fixed' ? fixedMessage(t, mode) : failureDetail(t);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

interface MetaRow {
  label: string;
  value: string;
}

function metaRows(run: RunResult): MetaRow[] {
  const neg = (v: string | null | undefined): string => v ?? 'none';
  const rows: (MetaRow | undefined)[] = [
    { label: 'Tool', value: `${oneLine(run.tool?.name)} ${oneLine(run.tool?.version)}`.trim() },
    run.profile ? { label: 'Profile', value: `Kubernetes ${oneLine(run.profile)}` } : undefined,
    run.runtimeHandler !== undefined ? { label: 'Runtime handler', value: run.runtimeHandler ? oneLine(run.runtimeHandler) : '(default)' } : undefined,
    { label: 'Started', value: oneLine(run.startedAt) },
    { label: 'Duration', value: humanDuration(run.durationMs) },
    run.repeat ? { label: 'Rounds (--repeat)', value: run.repeat.rounds === run.repeat.asked ? String(run.repeat.rounds) : `${run.repeat.rounds} of ${run.repeat.asked} (stopped early)` } : undefined,
    { label: 'Runtime endpoint', value: oneLine(run.endpoint?.runtime) },
    { label: 'Image endpoint', value: oneLine(run.endpoint?.image) },
    run.runtime
      ? {
          label: 'Runtime',
          value: `${oneLine(run.runtime.name)} ${oneLine(run.runtime.version)} (CRI ${oneLine(run.runtime.apiVersion)})`,
        }
      : undefined,
    {
      label: 'Negotiated CRI API',
      value:
        `runtime ${neg(run.negotiated?.runtime)}, image ${neg(run.negotiated?.image)}` +
        (run.negotiated?.reason ? ` — ${oneLine(run.negotiated.reason)}` : ''),
    },
    run.host
      ? {
          label: 'Host',
          value:
            (run.host.hostname ? `${oneLine(run.host.hostname)}, ` : '') +
            `kernel ${oneLine(run.host.kernel)}, cgroup ${oneLine(run.host.cgroupVersion)}`,
        }
      : undefined,
  ];
  return rows.filter((r): r is MetaRow => r !== undefined);
}

function testsBy(run: RunResult, o: ReturnType<typeof outcome>): { s: SuiteResult; t: TestResult }[] {
  return run.suites.flatMap((s) => s.tests.filter((t) => outcome(t) === o).map((t) => ({ s, t })));
}

// ---------------------------------------------------------------------------------------------
// Markdown

/** Escape text for Markdown (inline, tables): markdown punctuation, HTML, and newlines. */
function md(text: string | undefined | null): string {
  return oneLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    // Block markers only matter at the start of a line: headings, lists, setext underlines.
    .replace(/^([-+=#])/, '\\$1')
    .replace(/^(\d+)([.)])/, '$1\\$2');
}

/** A fenced code block whose fence is longer than any backtick run inside. */
function mdFence(text: string): string[] {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [fence + 'text', ...text.split('\n'), fence];
}

function mdTable(header: string[], rows: string[][], alignRight: boolean[]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${alignRight.map((r) => (r ? ' ---: ' : ' --- ')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

export function toSummaryMarkdown(run: RunResult): string {
  const verdict = runVerdict(run);
  const { counts: c, mode } = verdict;
  const out: string[] = [];
  out.push('# CRI conformance summary', '');
  out.push(`**Result: ${verdict.result === 'passed' ? 'PASSED' : 'FAILED'}** — ${resultCounts(c)} in ${humanDuration(run.durationMs)}`, '');
  if (verdict.reasons.length) out.push(...verdict.reasons.map((r) => `- ${md(r)}`), '');
  out.push(...mdTable(['Property', 'Value'], metaRows(run).map((r) => [md(r.label), md(r.value)]), [false, false]), '');

  out.push('## Totals', '');
  // "Not run (no image)" gets its own column whenever a test of the run went without its image.
  const nums = (x: Counts): number[] => [x.tests, x.passed, x.failed, x.skipped, x.notRun, ...(c.noImage ? [x.noImage] : []), ...(c.flaky ? [x.flaky] : []), x.knownFailures, x.fixed];
  out.push(
    ...mdTable(
      ['Suite', 'Tests', 'Passed', 'Failed', 'Skipped', 'Not run', ...(c.noImage ? ['Not run (no image)'] : []), ...(c.flaky ? ['Flaky'] : []), 'Known failures', 'Fixed', 'Time'],
      [
        ...run.suites.map((s) => {
          const sc = suiteCounts(s, mode);
          const name = md(s.name) + (s.skippedReason !== undefined ? ` (skipped: ${md(s.skippedReason)})` : '');
          return [name, ...nums(sc).map(String), humanDuration(sc.durationMs)];
        }),
        ['**Total**', ...nums(c).map((n) => `**${n}**`), `**${humanDuration(c.durationMs)}**`],
      ],
      [false, true, true, true, true, true, true, true, true, ...(c.noImage ? [true] : []), ...(c.flaky ? [true] : [])],
    ),
    '',
  );

  const fieldLine = fieldCoverageLine(run);
  if (fieldLine) out.push(md(fieldLine), '');

  const failures = failingTests(run, mode);
  if (failures.length > 0) {
    out.push('## Failures', '');
    for (const { t } of failures) {
      out.push(`### ${md(t.id)}`, '', md(failingMessage(t, mode)), '', ...mdFence(failingDetail(t, mode)), '');
    }
  }
  const flaky = testsBy(run, 'flaky');
  if (flaky.length > 0) {
    out.push(`## Flaky (outcome changed between rounds)`, '');
    for (const { t } of flaky) out.push(`### ${md(t.id)}`, '', md(flakyMessage(t)), '', ...roundLines(t).map((l) => `- ${md(l)}`), '');
  }
  if (baselineUsed(run)) {
    const known = testsBy(run, 'known-failure');
    if (known.length > 0) {
      out.push('## Known failures (baseline)', '');
      out.push(...mdTable(['Test', 'Reason', 'Message'], known.map(({ t }) => [md(t.id), md(t.baseline?.reason), md(t.status === 'failed' ? failureMessage(t) : t.message)]), [false, false, false]), '');
    }
    const fixed = testsBy(run, 'fixed');
    if (fixed.length > 0) {
      out.push('## Fixed — remove from baseline', '');
      out.push(...mdTable(['Test', 'Baseline reason'], fixed.map(({ t }) => [md(t.id), md(t.baseline?.reason)]), [false, false]), '');
    }
  }

  out.push('## Tests', '');
  for (const s of run.suites) {
    out.push(`### ${md(s.name)}${s.title && s.title !== s.name ? ` — ${md(s.title)}` : ''}`, '');
    if (s.skippedReason !== undefined) out.push(`Suite skipped: ${md(s.skippedReason) || 'skipped'}`, '');
    if (s.tests.length === 0) {
      out.push(s.skippedReason !== undefined ? `_${md(SUITE_SKIPPED_TITLE)}_` : '_No tests._', '');
      continue;
    }
    out.push(...mdTable(['Test', 'Status', 'Time', 'Note'], s.tests.map((t) => [md(t.fullTitle || t.title), statusLabel(t, mode), humanDuration(t.durationMs), md(testNote(s, t, mode))]), [false, false, true, false]), '');
  }

  const imgKeys = sortedKeys(run.images);
  if (imgKeys.length > 0) {
    out.push('## Images', '');
    out.push(...mdTable(['Name', 'Reference'], imgKeys.map((k) => [md(k), md(run.images![k])]), [false, false]), '');
  }
  const rpcKeys = sortedKeys(run.rpcs);
  if (rpcKeys.length > 0) {
    out.push('## RPCs observed', '');
    out.push(
      ...mdTable(['RPC', 'Calls', 'Unimplemented', 'Errors'], rpcKeys.map((k) => {
        const r = run.rpcs![k]!;
        return [md(k), String(r.calls), String(r.unimplemented), String(r.errors)];
      }), [false, true, true, true]),
      '',
    );
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

// ---------------------------------------------------------------------------------------------
// HTML

function h(text: string | number | undefined | null): string {
  return cleanText(text === undefined || text === null ? '' : String(text))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const CSS = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --skip: #9a6700; --known: #0969da; --muted: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; }
h1 { margin-bottom: .25rem; }
h2 { border-bottom: 1px solid var(--line); padding-bottom: .25rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .3rem .6rem; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 600; }
.verdict { display: inline-block; padding: .3rem .8rem; border-radius: .3rem; color: #fff; font-weight: 700; }
.verdict.passed { background: var(--ok); } .verdict.failed { background: var(--bad); }
.s-passed, .s-fixed { color: var(--ok); } .s-failed { color: var(--bad); font-weight: 600; }
.s-skipped, .s-notrun { color: var(--skip); } .s-known-failure { color: var(--known); } .s-flaky { color: var(--bad); font-style: italic; }
.muted { color: var(--muted); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
pre { white-space: pre-wrap; word-break: break-word; background: rgba(127,127,127,.1); padding: .6rem; border-radius: .3rem; }
details { margin: .5rem 0; } summary { cursor: pointer; }
`.trim();

function htmlTable(header: { text: string; num?: boolean }[], rows: { cells: string[]; cls?: string }[]): string {
  const th = header.map((c) => `<th${c.num ? ' class="n"' : ''}>${h(c.text)}</th>`).join('');
  const body = rows
    .map((r) => `<tr${r.cls ? ` class="${h(r.cls)}"` : ''}>${r.cells.map((c, i) => `<td${header[i]?.num ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

export function toSummaryHtml(run: RunResult): string {
  const v = runVerdict(run);
  const { counts: c, mode } = v;
  const passed = v.result === 'passed';
  const verdict = v.result;
  const title = `CRI conformance — ${oneLine(run.runtime?.name) || oneLine(run.endpoint?.runtime) || 'runtime'} — ${passed ? 'PASSED' : 'FAILED'}`;
  const parts: string[] = [];
  parts.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${h(title)}</title>`,
    `<style>\n${CSS}\n${TIMELINE_CSS}\n</style>`,
    '</head>',
    '<body>',
    '<h1>CRI conformance summary</h1>',
    `<p><span class="verdict ${verdict}">${passed ? 'PASSED' : 'FAILED'}</span> ` +
      `<span class="s-passed">${c.passed} passed</span>, <span class="s-failed">${c.failed} failed</span>, ` +
      `<span class="s-skipped">${c.skipped} skipped</span>, <span class="s-notrun">${c.notRun} not run</span>` +
      (c.noImage ? `, <span class="s-notrun">${c.noImage} not run (no image)</span>` : '') +
      (c.flaky ? `, <span class="s-flaky">${c.flaky} flaky</span>` : '') +
      (c.knownFailures ? `, <span class="s-known-failure">${plural(c.knownFailures, 'known failure')}</span>` : '') +
      (c.fixed ? `, <span class="s-fixed">${c.fixed} fixed</span>` : '') +
      ` of ${c.tests} tests in ${h(humanDuration(run.durationMs))}</p>`,
  );
  if (v.reasons.length) parts.push(`<ul class="reasons">\n${v.reasons.map((r) => `<li class="s-failed">${h(oneLine(r))}</li>`).join('\n')}\n</ul>`);

  parts.push(htmlTable([{ text: 'Property' }, { text: 'Value' }], metaRows(run).map((r) => ({ cells: [h(r.label), h(r.value)] }))));

  parts.push('<h2 id="releases">Kubernetes releases</h2>', matrixHtml(compatibilityMatrix(run)));
  parts.push('<h2 id="timeline">Timeline</h2>', timelineSvg(run));

  parts.push('<h2>Totals</h2>');
  const numHead = ['Tests', 'Passed', 'Failed', 'Skipped', 'Not run', ...(c.flaky ? ['Flaky'] : []), 'Known failures', 'Fixed', 'Time'].map((text) => ({ text, num: true }));
  const countCells = (x: Counts): string[] => [...[x.tests, x.passed, x.failed, x.skipped, x.notRun, ...(c.flaky ? [x.flaky] : []), x.knownFailures, x.fixed].map((n) => h(n)), h(humanDuration(x.durationMs))];
  parts.push(
    htmlTable([{ text: 'Suite' }, ...numHead], [
      ...run.suites.map((s, i) => ({
        cells: [
          `<a href="#suite-${i + 1}">${h(s.name)}</a>` +
            (s.skippedReason !== undefined ? ` <span class="s-skipped">(skipped: ${h(oneLine(s.skippedReason))})</span>` : ''),
          ...countCells(suiteCounts(s, mode)),
        ],
      })),
      { cells: ['Total', ...countCells(c)], cls: 'total' },
    ]),
  );

  const fieldLineHtml = fieldCoverageLine(run);
  if (fieldLineHtml) parts.push(`<p class="field-coverage">${h(fieldLineHtml)}</p>`);

  const failures = failingTests(run, mode);
  if (failures.length > 0) {
    parts.push('<h2>Failures</h2>');
    for (const { t } of failures) {
      parts.push(
        `<details open><summary><strong class="s-failed">✗ ${h(t.id)}</strong> — ${h(failingMessage(t, mode))}</summary>\n<pre>${h(failingDetail(t, mode))}</pre>\n</details>`,
      );
    }
  }
  const flaky = testsBy(run, 'flaky');
  if (flaky.length > 0) {
    parts.push('<h2>Flaky (outcome changed between rounds)</h2>');
    for (const { t } of flaky) {
      parts.push(`<details open><summary><strong class="s-flaky">≈ ${h(t.id)}</strong> — ${h(flakyMessage(t))}</summary>\n<pre>${h(roundLines(t).join('\n'))}</pre>\n</details>`);
    }
  }
  if (baselineUsed(run)) {
    const known = testsBy(run, 'known-failure');
    if (known.length > 0) {
      parts.push('<h2>Known failures (baseline)</h2>');
      for (const { t } of known) {
        const detail = cleanText(t.detail).replace(/\s+$/, '');
        const msg = t.status === 'failed' ? failureMessage(t) : oneLine(t.message);
        parts.push(
          `<details><summary><strong class="s-known-failure">~ ${h(t.id)}</strong> — ${h(oneLine(t.baseline?.reason) || 'no reason given')}</summary>\n` +
            (msg ? `<p>${h(msg)}</p>\n` : '') +
            (detail ? `<pre>${h(detail)}</pre>\n` : '') +
            '</details>',
        );
      }
    }
    const fixed = testsBy(run, 'fixed');
    if (fixed.length > 0) {
      parts.push('<h2>Fixed — remove from baseline</h2>');
      parts.push(htmlTable([{ text: 'Test' }, { text: 'Baseline reason' }], fixed.map(({ t }) => ({ cells: [h(t.id), h(oneLine(t.baseline?.reason))] }))));
    }
  }

  parts.push('<h2>Tests</h2>');
  for (const [i, s] of run.suites.entries()) {
    const sc = suiteCounts(s, mode);
    parts.push(
      `<h3 id="suite-${i + 1}">${h(s.name)}${s.title && s.title !== s.name ? ` <span class="muted">— ${h(s.title)}</span>` : ''}</h3>`,
      `<p class="muted">${sc.passed} passed, ${sc.failed} failed, ${sc.skipped} skipped, ${sc.notRun} not run` +
        (sc.noImage ? `, ${sc.noImage} not run (no image)` : '') +
        (sc.flaky ? `, ${sc.flaky} flaky` : '') +
        (sc.knownFailures ? `, ${plural(sc.knownFailures, 'known failure')}` : '') +
        ` in ${h(humanDuration(sc.durationMs))}` +
        (s.skippedReason !== undefined ? ` — suite skipped: ${h(oneLine(s.skippedReason) || 'skipped')}` : '') +
        '</p>',
    );
    if (s.tests.length === 0) {
      parts.push(`<p class="muted">${h(s.skippedReason !== undefined ? SUITE_SKIPPED_TITLE : 'No tests.')}</p>`);
      continue;
    }
    parts.push(
      htmlTable(
        [{ text: 'Test' }, { text: 'Status' }, { text: 'Time', num: true }, { text: 'Note' }],
        s.tests.map((t) => ({
          cells: [h(t.fullTitle || t.title), `<span class="${statusClass(t, mode)}">${h(statusLabel(t, mode))}</span>`, h(humanDuration(t.durationMs)), h(testNote(s, t, mode))],
        })),
      ),
    );
  }

  const imgKeys = sortedKeys(run.images);
  if (imgKeys.length > 0) {
    parts.push('<h2>Images</h2>');
    parts.push(htmlTable([{ text: 'Name' }, { text: 'Reference' }], imgKeys.map((k) => ({ cells: [h(k), `<code>${h(run.images![k])}</code>`] }))));
  }
  const rpcKeys = sortedKeys(run.rpcs);
  if (rpcKeys.length > 0) {
    parts.push('<h2>RPCs observed</h2>');
    parts.push(
      htmlTable(
        [{ text: 'RPC' }, { text: 'Calls', num: true }, { text: 'Unimplemented', num: true }, { text: 'Errors', num: true }],
        rpcKeys.map((k) => {
          const r = run.rpcs![k]!;
          return { cells: [`<code>${h(k)}</code>`, h(r.calls), h(r.unimplemented), h(r.errors)] };
        }),
      ),
    );
  }
  parts.push(`<p class="muted">Generated by ${h(run.tool?.name)} ${h(run.tool?.version)} from the run started ${h(run.startedAt)}.</p>`);
  parts.push('</body>', '</html>');
  return parts.join('\n') + '\n';
}
