// Helpers shared by the reporters. Everything here is pure: no clock, no I/O.

import { stripVTControlCharacters } from 'node:util';
import type { BaselineMode, SuiteResult, TestResult } from './model.js';

/**
 * Characters XML 1.0 cannot hold (C0 controls except \t \n \r, U+FFFE, U+FFFF), plus DEL and C1
 * controls, which XML allows but which are never meaningful in a report and confuse terminals.
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]/g;
/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Strip ANSI/VT escape sequences, control characters (keeping \t \n \r) and lone surrogates.
 * The result is safe for XML 1.0, YAML, terminals and HTML (after escaping).
 */
export function cleanText(text: string | undefined | null): string {
  if (text == null) return '';
  return stripVTControlCharacters(String(text))
    .replace(CONTROL_CHARS, '')
    .replace(LONE_SURROGATES, '')
    .replace(/\r\n?/g, '\n');
}

/** cleanText, then collapse every whitespace run (including newlines) to one space. */
export function oneLine(text: string | undefined | null): string {
  return cleanText(text).replace(/\s+/g, ' ').trim();
}

/** One-line skip reason of a test, falling back to the suite's skip reason. */
export function skipReason(t: TestResult, s: SuiteResult): string {
  return oneLine(t.message) || oneLine(s.skippedReason) || 'skipped';
}

/** `not run: <why>`, the words every report uses for a test the runner never ran. */
export function notRunMessage(t: TestResult, s: SuiteResult): string {
  // A summary.json read back already carries the words; never say them twice.
  const why = (oneLine(t.message) || oneLine(s.skippedReason) || 'the run stopped before it').replace(/^not run( \(no image\))?: /, '');
  return `${t.notRunCause === 'no-image' ? 'not run (no image)' : 'not run'}: ${why}`;
}

/** One-line failure message: the message, else the first non-empty line of the detail. */
export function failureMessage(t: TestResult): string {
  const m = oneLine(t.message);
  if (m) return m;
  const first = cleanText(t.detail)
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return first ?? 'failed';
}

/** Full failure detail, falling back to the message. No trailing newline. */
export function failureDetail(t: TestResult): string {
  const d = cleanText(t.detail).replace(/\s+$/, '');
  return d || failureMessage(t);
}

/** `known failure (baseline): <reason> — <original message>` */
export function knownFailureMessage(t: TestResult): string {
  const reason = oneLine(t.baseline?.reason) || 'no reason given';
  const original = t.status === 'failed' ? failureMessage(t) : oneLine(t.message);
  return original ? `known failure (baseline): ${reason} — ${original}` : `known failure (baseline): ${reason}`;
}

/** A baseline-listed test that passed; under a strict baseline that fails the run, and the message says so. */
export function fixedMessage(t: TestResult, mode: BaselineMode): string {
  const reason = oneLine(t.baseline?.reason);
  const text = reason ? `fixed — remove from baseline (was: ${reason})` : 'fixed — remove from baseline';
  return mode === 'strict' ? `${text}; --strict-baseline fails the run` : text;
}

/** Describe path of a test: fullTitle minus the trailing title. */
export function describePath(t: TestResult): string {
  const full = t.fullTitle ?? '';
  const title = t.title ?? '';
  if (title && full.endsWith(title)) return full.slice(0, full.length - title.length).trim();
  return '';
}

/** Milliseconds as seconds with 3 decimals ("1.234"). Negative/NaN become "0.000". */
export function seconds(ms: number): string {
  const v = Number.isFinite(ms) && ms > 0 ? ms : 0;
  return (v / 1000).toFixed(3);
}

/** Human duration: "850ms", "12.35s", "3m 04s", "1h 02m 03s". */
export function humanDuration(ms: number): string {
  const v = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (v < 1000) return `${Math.round(v)}ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(2)}s`;
  const total = Math.round(v / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s)}s` : `${m}m ${pad(s)}s`;
}

/** Keys of a record in a stable (code point) order. */
export function sortedKeys(rec: Record<string, unknown> | undefined): string[] {
  return Object.keys(rec ?? {}).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Name of the placeholder test reported for a skipped suite that has no tests. */
export const SUITE_SKIPPED_TITLE = '(suite skipped)';

const STATUS_WORDS = { passed: 'passed', failed: 'failed', skipped: 'skipped', notrun: 'not run' } as const;

/** `flaky: 2 passed, 1 failed`: what a --repeat test's rounds gave, counted. */
export function flakyMessage(t: TestResult): string {
  const r = t.rounds ?? {};
  const parts = (Object.keys(STATUS_WORDS) as (keyof typeof STATUS_WORDS)[]).filter((k) => r[k]).map((k) => `${r[k]} ${STATUS_WORDS[k]}`);
  return `flaky: ${parts.join(', ')}`;
}

/** One line per round of a flaky test: `round 2: failed — <its message>`. */
export function roundLines(t: TestResult): string[] {
  return (t.flaky ?? []).map((o) => `round ${o.round}: ${STATUS_WORDS[o.status]}${o.message ? ` — ${oneLine(o.message)}` : ''}`);
}
