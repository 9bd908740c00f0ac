// Known-failures baseline: a YAML list of test ids that are expected to fail, so a CI gate only trips on
// new failures.
//
//   # cri-conformance known failures
//   failures:
//     - id: "image/ImageService should ... [Conformance]"   # test id as printed by `cri-conformance list`
//       reason: "tracked in runtime issue #123"
//       runtime: containerd      # optional: runtime_name, exact or /regex/flags
//       version: "1.6.*"         # optional: glob on runtime_version (* any run, ? one char)
//       handler: crun            # optional: the run's runtime handler (--runtime-handler; "" is the default)
//
// Ids match exactly. As a convenience an id ending in `*` matches every test id starting with the text
// before it (only a trailing `*` is special). When several entries match a test, the exact id wins, then
// the longest prefix. An entry whose runtime/version does not match the run's runtime is ignored, and so
// is any runtime/version-restricted entry when the run has no runtime version information. A leading "v"
// is ignored on both sides of a version match ("1.7.*" matches "v1.7.2").
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import type { RunResult, TestResult } from '../report/model.js';
import { RESTARTED } from '../runner/reconnect.js';

export interface BaselineEntry {
  id: string;
  reason: string;
  /** runtime_name: exact, or a /regex/ */
  runtime?: string;
  /** Glob on runtime_version. */
  version?: string;
  /** The runtime handler the run's pods used (a deviation of one OCI runtime, not of the CRI runtime). */
  handler?: string;
  /** 1-based line of the entry in its file, when loaded from one. */
  line?: number;
}

export interface Baseline {
  file?: string;
  entries: BaselineEntry[];
}

export interface BaselineResult {
  /** A new run object carrying the baseline mode; TestResult.baseline set on listed tests (and cleared on the others). */
  run: RunResult;
  /** Listed and failed. */
  knownFailures: TestResult[];
  /** Listed and passed. */
  fixed: TestResult[];
  /** Failed and not listed. */
  unlisted: TestResult[];
  /** Ids of applicable entries that match no test in the run. */
  stale: string[];
}

export type BaselineErrorCode = 'BAD_BASELINE' | 'NO_BASELINE';

export class BaselineError extends Error {
  constructor(
    message: string,
    readonly code: BaselineErrorCode,
  ) {
    super(message);
    this.name = 'BaselineError';
  }
}

const ENTRY_KEYS = ['id', 'reason', 'runtime', 'version', 'handler'] as const;

/** Read and validate a baseline file. Errors are one line: `file:line: what is wrong`. */
export function loadBaseline(file: string): Baseline {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BaselineError(`cannot read baseline ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'NO_BASELINE');
  }
  return parseBaseline(text, file);
}

/** Parse baseline YAML text; `file` only names the source in error messages. */
export function parseBaseline(text: string, file = '<baseline>'): Baseline {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  const at = (node: Node | null | undefined): string => (node?.range ? `:${lc.linePos(node.range[0]).line}` : '');
  const fail = (where: string, what: string): never => {
    throw new BaselineError(`${file}${where}: ${what}`, 'BAD_BASELINE');
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    fail(pos ? `:${pos.line}:${pos.col}` : '', `invalid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return { file, entries: [] };
  if (!isMap(root)) return fail(at(root), 'expected a mapping with a "failures:" list at the top level');
  for (const pair of root.items) {
    const k = isScalar(pair.key) ? String(pair.key.value) : '?';
    if (k !== 'failures') fail(at(pair.key as Node), `unknown top-level key "${k}" (expected "failures")`);
  }
  const list = root.get('failures', true) as Node | undefined;
  if (list === undefined || (isScalar(list) && list.value === null)) return { file, entries: [] };
  if (!isSeq(list)) return fail(at(list), '"failures" must be a list of entries (- id: ... reason: ...)');

  const entries: BaselineEntry[] = [];
  const seen = new Map<string, number>();
  list.items.forEach((item, i) => {
    const node = item as Node;
    if (!isMap(node)) return fail(at(node), `failures[${i}] must be a mapping with id and reason`);
    const line = node.range ? lc.linePos(node.range[0]).line : undefined;
    const fields: Record<string, string> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      const where = at((pair.key as Node) ?? node);
      if (!(ENTRY_KEYS as readonly string[]).includes(key)) fail(where, `failures[${i}]: unknown field "${key}" (allowed: ${ENTRY_KEYS.join(', ')})`);
      const v = pair.value as Node | null;
      if (!isScalar(v) || v.value === null || typeof v.value === 'object') fail(where, `failures[${i}].${key} must be a string`);
      const s = String((v as { value: unknown }).value).trim();
      if (s === '' && key !== 'handler') fail(where, `failures[${i}].${key} must not be empty`);
      fields[key] = s;
    }
    const loc = line ? `:${line}` : '';
    if (!fields['id']) fail(loc, `failures[${i}].id is missing`);
    if (!fields['reason']) fail(loc, `failures[${i}].reason is missing (say why the test is expected to fail)`);
    if (fields['runtime']) {
      try {
        runtimeMatcher(fields['runtime']);
      } catch (e) {
        fail(loc, `failures[${i}].runtime: ${(e as Error).message}`);
      }
    }
    const entry: BaselineEntry = {
      id: fields['id']!,
      reason: fields['reason']!,
      ...(fields['runtime'] ? { runtime: fields['runtime'] } : {}),
      ...(fields['version'] ? { version: fields['version'] } : {}),
      ...(fields['handler'] !== undefined ? { handler: fields['handler'] } : {}),
      ...(line ? { line } : {}),
    };
    const key = JSON.stringify([entry.id, entry.runtime ?? '', entry.version ?? '', entry.handler ?? null]);
    const prev = seen.get(key);
    if (prev !== undefined) fail(loc, `failures[${i}] duplicates the entry for "${entry.id}" at line ${prev}`);
    seen.set(key, line ?? i);
    entries.push(entry);
  });
  return { file, entries };
}

function runtimeMatcher(spec: string): (name: string) => boolean {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(spec);
  if (!m) return (name) => name === spec;
  let re: RegExp;
  try {
    re = new RegExp(m[1]!, m[2]);
  } catch (e) {
    throw new Error(`invalid regular expression ${spec}: ${(e as Error).message}`);
  }
  return (name) => re.test(name);
}

function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

const stripV = (s: string) => s.replace(/^v(?=\d)/, '');

/** Does the entry's runtime/version filter accept the run's runtime? */
export function entryApplies(e: BaselineEntry, runtime: RunResult['runtime'], handler?: string): boolean {
  if (e.handler !== undefined && e.handler !== (handler ?? '')) return false;
  if (e.runtime !== undefined) {
    if (!runtime) return false;
    if (!runtimeMatcher(e.runtime)(runtime.name)) return false;
  }
  if (e.version !== undefined) {
    if (!runtime) return false;
    if (!globToRegExp(stripV(e.version)).test(stripV(runtime.version))) return false;
  }
  return true;
}

const isPrefix = (e: BaselineEntry) => e.id.endsWith('*');

/** The entry for a test id among applicable entries: exact id first, then the longest prefix. */
function findEntry(id: string, exact: Map<string, BaselineEntry>, prefixes: BaselineEntry[]): BaselineEntry | undefined {
  const hit = exact.get(id);
  if (hit) return hit;
  let best: BaselineEntry | undefined;
  for (const e of prefixes) {
    const p = e.id.slice(0, -1);
    if (id.startsWith(p) && (!best || p.length > best.id.length - 1)) best = e;
  }
  return best;
}

/**
 * Mark the run's tests against the baseline. Whether the run then passes is runVerdict()'s call (src/report/
 * verdict.ts), from the marks and the mode recorded here: with `strict`, a listed test that passes fails it.
 */
export function applyBaseline(run: RunResult, b: Baseline, opts: { strict?: boolean } = {}): BaselineResult {
  const applicable = b.entries.filter((e) => entryApplies(e, run.runtime, run.runtimeHandler));
  const exact = new Map<string, BaselineEntry>();
  for (const e of applicable) if (!isPrefix(e) && !exact.has(e.id)) exact.set(e.id, e);
  const prefixes = applicable.filter(isPrefix);
  const used = new Set<BaselineEntry>();
  const out: BaselineResult = { run: run, knownFailures: [], fixed: [], unlisted: [], stale: [] };

  const suites = run.suites.map((s) => ({
    ...s,
    tests: s.tests.map((t) => {
      const { baseline: _previous, ...rest } = t;
      const e = findEntry(t.id, exact, prefixes);
      if (e) used.add(e);
      let next: TestResult = rest;
      // A listed test that failed because the runtime restarted under it did not show the listed deviation.
      if (e && t.status === 'failed' && t.message !== RESTARTED) {
        next = { ...rest, baseline: { state: 'known-failure', reason: e.reason } };
        out.knownFailures.push(next);
      } else if (e && t.status === 'passed') {
        next = { ...rest, baseline: { state: 'fixed', reason: e.reason } };
        out.fixed.push(next);
      } else if (t.status === 'failed') {
        out.unlisted.push(next);
      }
      return next;
    }),
  }));
  out.run = { ...run, baseline: { mode: opts.strict ? 'strict' : 'baseline' }, suites };
  out.stale = [...new Set(applicable.filter((e) => !used.has(e)).map((e) => e.id))];
  return out;
}

/**
 * Write the run's current failures as a starting baseline: sorted by id, each with reason "TODO: reason"
 * (or its reason from a baseline already applied to the run). With `runtime`, entries are restricted to
 * the run's runtime_name.
 */
export function writeBaseline(run: RunResult, file: string, opts: { runtime?: boolean } = {}): Baseline {
  const failed = run.suites.flatMap((s) => s.tests).filter((t) => t.status === 'failed');
  const byId = new Map<string, TestResult>();
  for (const t of failed) if (!byId.has(t.id)) byId.set(t.id, t);
  const ids = [...byId.keys()].sort();
  const runtimeName = opts.runtime ? run.runtime?.name : undefined;
  const entries: BaselineEntry[] = ids.map((id) => ({
    id,
    reason: byId.get(id)!.baseline?.reason ?? 'TODO: reason',
    ...(runtimeName ? { runtime: runtimeName } : {}),
  }));

  const q = (s: string) => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
  const rt = run.runtime ? `${run.runtime.name} ${run.runtime.version}` : 'an unknown runtime';
  const lines = [
    '# cri-conformance known failures',
    `# Written by ${run.tool.name} ${run.tool.version} from the run of ${run.startedAt} against ${rt}.`,
    '# Replace every "TODO: reason" with why the test is expected to fail (an issue link is best).',
    '# Fields: id (exact test id from `cri-conformance list`, or a prefix ending in *), reason,',
    '# runtime (optional: runtime_name, exact or /regex/), version (optional: glob on runtime_version),',
    '# handler (optional: the runtime handler of the run, "" for the default).',
  ];
  if (entries.length === 0) lines.push('failures: []');
  else {
    lines.push('failures:');
    for (const e of entries) {
      lines.push(`  - id: ${q(e.id)}`, `    reason: ${q(e.reason)}`);
      if (e.runtime) lines.push(`    runtime: ${q(e.runtime)}`);
    }
  }
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, lines.join('\n') + '\n');
  return { file, entries };
}
