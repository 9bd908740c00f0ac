// JUnit XML reporter (the de-facto schema read by Jenkins, GitLab, GitHub test-reporter actions).

import { XmlElement, xmlDocument } from './xml.js';
import type { BaselineMode, RunResult, SuiteResult, TestResult } from './model.js';
import { countTests, outcome, runVerdict, type RunVerdict } from './verdict.js';
import {
  SUITE_SKIPPED_TITLE,
  cleanText,
  describePath,
  failureDetail,
  failureMessage,
  fixedMessage,
  flakyMessage,
  knownFailureMessage,
  notRunMessage,
  oneLine,
  roundLines,
  seconds,
  skipReason,
} from './common.js';


/**
 * JUnit timestamps follow the XSD's xs:dateTime without zone ("2026-01-02T03:04:05"), in UTC.
 * `offsetMs` shifts the run start (suites get start + the durations of the suites before them).
 * An unparseable start is passed through cleaned, rather than inventing a time.
 */
function junitTimestamp(startedAt: string, offsetMs: number): string {
  // A zoneless ISO date-time would be read as local time; the model's times are UTC.
  const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(startedAt) ? `${startedAt}Z` : startedAt;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return oneLine(startedAt);
  return new Date(t + Math.max(0, offsetMs || 0)).toISOString().slice(0, 19);
}

/** Attribute value: one line, XML-safe. */
function att(v: string | number | undefined | null): string {
  return typeof v === 'number' ? String(v) : oneLine(v);
}

function runProperties(run: RunResult, v: RunVerdict): [string, string][] {
  const p: [string, string | undefined][] = [
    // The gate's verdict, so a CI page shows the same result as the exit code.
    ['result', v.result],
    ['result.reasons', v.reasons.join('; ')],
    ['baseline.mode', v.mode],
    ['tool.name', run.tool?.name],
    ['tool.version', run.tool?.version],
    ['run.startedAt', run.startedAt],
    ['repeat.rounds', run.repeat ? String(run.repeat.rounds) : undefined],
    ['profile', run.profile],
    ['runtime.handler', run.runtimeHandler === undefined ? undefined : run.runtimeHandler || '(default)'],
    ['endpoint.runtime', run.endpoint?.runtime],
    ['endpoint.image', run.endpoint?.image],
    ['runtime.name', run.runtime?.name],
    ['runtime.version', run.runtime?.version],
    ['runtime.apiVersion', run.runtime?.apiVersion],
    ['negotiated.runtime', run.negotiated?.runtime ?? 'none'],
    ['negotiated.image', run.negotiated?.image ?? 'none'],
    ['negotiated.reason', run.negotiated?.reason],
    ['host.kernel', run.host?.kernel],
    ['host.cgroupVersion', run.host?.cgroupVersion],
    ['host.hostname', run.host?.hostname],
  ];
  return p.filter((e): e is [string, string] => typeof e[1] === 'string' && oneLine(e[1]) !== '');
}

function addTestcase(parent: XmlElement, suite: SuiteResult, t: TestResult, mode: BaselineMode, dashboard: boolean): void {
  const path = oneLine(describePath(t));
  const classname = path ? `cri-conformance.${oneLine(suite.name)}.${path}` : `cri-conformance.${oneLine(suite.name)}`;
  const tc = parent.ele('testcase', {
    // Dashboards (TestGrid) key rows on the name alone: there it is the unique test id.
    name: att(dashboard ? t.id || t.fullTitle || t.title : t.title || t.fullTitle || t.id),
    classname,
    time: seconds(t.durationMs),
  });
  switch (outcome(t)) {
    case 'passed':
      break;
    case 'fixed':
      // Under a strict baseline a fixed test fails the run: a <failure>, so JUnit counts agree with the gate.
      if (mode === 'strict') tc.ele('failure', { message: fixedMessage(t, mode), type: 'StrictBaseline' }).txt(fixedMessage(t, mode));
      else tc.ele('system-out').txt(fixedMessage(t, mode));
      break;
    case 'failed':
      tc.ele('failure', { message: failureMessage(t), type: 'AssertionError' }).txt(failureDetail(t));
      break;
    case 'skipped':
      tc.ele('skipped', { message: skipReason(t, suite) });
      break;
    case 'notrun':
      // JUnit has no "not run": a skip whose message says so, and the suite's `tests.notRun` property counts them.
      tc.ele('skipped', { message: notRunMessage(t, suite) });
      break;
    case 'known-failure': {
      tc.ele('skipped', { message: knownFailureMessage(t) });
      const detail = cleanText(t.detail).replace(/\s+$/, '');
      if (detail) tc.ele('system-out').txt(detail);
      break;
    }
    case 'flaky':
      // --repeat: the `flaky` property names each round's status; a <failure> (the run did not pass) holds each
      // round's message, so JUnit's failure count agrees with the gate.
      tc.ele('properties').ele('property', { name: 'flaky', value: (t.flaky ?? []).map((r) => `${r.round}:${r.status}`).join(' ') });
      tc.ele('failure', { message: flakyMessage(t), type: 'Flaky' }).txt(roundLines(t).join('\n'));
      break;
  }
}

export interface JUnitOptions {
  /** The file a Kubernetes test dashboard collects (`junit_<name>.xml`): each testcase is named by its full
   * test id (TestGrid keys rows on the name alone) and the testsuite properties add `kubernetes.release` and
   * `runtime` ("name version") beside `runtime.handler`, so one grid can hold several runtimes and releases. */
  dashboard?: boolean;
}

/** Properties a dashboard groups runs by; `profile` and `runtime.name/version` hold the same facts apart. */
function dashboardProperties(run: RunResult): [string, string][] {
  const p: [string, string][] = [];
  if (run.profile) p.push(['kubernetes.release', run.profile]);
  const rt = `${oneLine(run.runtime?.name)} ${oneLine(run.runtime?.version)}`.trim();
  if (rt) p.push(['runtime', rt]);
  return p;
}

/** `junit_<name>.xml`: the name is kept to letters, digits, dots and dashes, since TestGrid reads an
 * underscore after `junit_` as the start of a shard suffix. */
export function dashboardJUnitFile(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return `junit_${clean || 'cri-conformance'}.xml`;
}

export function toJUnit(run: RunResult, opts: JUnitOptions = {}): string {
  // Belt and braces: we clean every string ourselves, the writer drops anything left invalid.
  const verdict = runVerdict(run);
  const dashboard = Boolean(opts.dashboard);
  const props = dashboard ? [...dashboardProperties(run), ...runProperties(run, verdict)] : runProperties(run, verdict);

  // Counts as JUnit sees them: known failures are skipped; an empty skipped suite is one skipped case.
  const perSuite = run.suites.map((s) => {
    const c = countTests(s.tests, verdict.mode);
    const placeholder = s.tests.length === 0 && s.skippedReason !== undefined;
    return {
      tests: c.tests + (placeholder ? 1 : 0),
      failures: c.failed + c.flaky,
      skipped: c.skipped + c.notRun + c.noImage + c.knownFailures + (placeholder ? 1 : 0),
      notRun: c.notRun,
      noImage: c.noImage,
      placeholder,
    };
  });
  const sum = (k: 'tests' | 'failures' | 'skipped'): number => perSuite.reduce((a, c) => a + c[k], 0);

  const root = new XmlElement('testsuites', {
    name: att(run.tool?.name || 'cri-conformance'),
    tests: sum('tests'),
    failures: sum('failures'),
    errors: 0,
    skipped: sum('skipped'),
    time: seconds(run.durationMs),
    timestamp: junitTimestamp(run.startedAt, 0),
  });

  let offsetMs = 0;
  run.suites.forEach((s, i) => {
    const c = perSuite[i]!;
    const attrs: Record<string, string | number> = {
      name: att(s.name),
      tests: c.tests,
      failures: c.failures,
      errors: 0,
      skipped: c.skipped,
      time: seconds(s.durationMs),
      timestamp: junitTimestamp(run.startedAt, offsetMs),
    };
    if (run.host?.hostname) attrs['hostname'] = att(run.host.hostname);
    offsetMs += Number.isFinite(s.durationMs) && s.durationMs > 0 ? s.durationMs : 0;

    const suiteEl = root.ele('testsuite', attrs);
    const propsEl = suiteEl.ele('properties');
    const suiteProps: [string, string][] = [...props, ['suite.title', s.title], ['tests.notRun', String(c.notRun)], ...(c.noImage ? [['tests.notRunNoImage', String(c.noImage)] as [string, string]] : [])];
    if (s.skippedReason !== undefined) suiteProps.push(['suite.skippedReason', s.skippedReason]);
    for (const [name, value] of suiteProps) {
      if (oneLine(value) === '') continue;
      propsEl.ele('property', { name, value: att(value) });
    }

    for (const t of s.tests) addTestcase(suiteEl, s, t, verdict.mode, dashboard);
    if (c.placeholder) {
      suiteEl
        .ele('testcase', { name: SUITE_SKIPPED_TITLE, classname: `cri-conformance.${att(s.name)}`, time: seconds(0) })
        .ele('skipped', { message: oneLine(s.skippedReason) || 'skipped' });
    }
  });

  return xmlDocument(root) + '\n';
}
