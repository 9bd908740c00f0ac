// Known-failures baseline: a YAML list of test ids that are expected to fail, so a CI gate only trips on
// new failures.
//
//   # cri-conformance known failures
//   failures:
//     - id: "image/ImageService should ... [Conformance]"   # test id as printed by `cri-conformance list`
//       reason: "tracked in runtime issue #123"
//       runtime: containerd      # optional: runtime_name, exact or /regex/flags
//       version: "1.6.*"         # optional: glob on runtime_version (* any run, ? one char)
//
// Ids match exactly. As a convenience an id ending in `*` matches every test id starting with the text
// before it (only a trailing `*` is special). When several entries match a test, the exact id wins, then
// the longest prefix. An entry whose runtime/version does not match the run's runtime is ignored, and so
// is any runtime/version-restricted entry when the run has no runtime version information. A leading "v"
// is ignored on both sides of a version match ("1.7.*" matches "v1.7.2").
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
export class BaselineError extends Error {
    code;
    constructor(message, code) {
        super(message);
        this.code = code;
        this.name = 'BaselineError';
    }
}
const ENTRY_KEYS = ['id', 'reason', 'runtime', 'version'];
/** Read and validate a baseline file. Errors are one line: `file:line: what is wrong`. */
export function loadBaseline(file) {
    const path = resolve(file);
    let text;
    try {
        text = readFileSync(path, 'utf8');
    }
    catch (e) {
        const code = e.code;
        throw new BaselineError(`cannot read baseline ${file}: ${code === 'ENOENT' ? 'no such file' : e.message}`, 'NO_BASELINE');
    }
    return parseBaseline(text, file);
}
/** Parse baseline YAML text; `file` only names the source in error messages. */
export function parseBaseline(text, file = '<baseline>') {
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
    const at = (node) => (node?.range ? `:${lc.linePos(node.range[0]).line}` : '');
    const fail = (where, what) => {
        throw new BaselineError(`${file}${where}: ${what}`, 'BAD_BASELINE');
    };
    if (doc.errors.length) {
        const e = doc.errors[0];
        const pos = e.linePos?.[0];
        fail(pos ? `:${pos.line}:${pos.col}` : '', `invalid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
    }
    const root = doc.contents;
    if (root === null || (isScalar(root) && (root.value === null || root.value === '')))
        return { file, entries: [] };
    if (!isMap(root))
        return fail(at(root), 'expected a mapping with a "failures:" list at the top level');
    for (const pair of root.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : '?';
        if (k !== 'failures')
            fail(at(pair.key), `unknown top-level key "${k}" (expected "failures")`);
    }
    const list = root.get('failures', true);
    if (list === undefined || (isScalar(list) && list.value === null))
        return { file, entries: [] };
    if (!isSeq(list))
        return fail(at(list), '"failures" must be a list of entries (- id: ... reason: ...)');
    const entries = [];
    const seen = new Map();
    list.items.forEach((item, i) => {
        const node = item;
        if (!isMap(node))
            return fail(at(node), `failures[${i}] must be a mapping with id and reason`);
        const line = node.range ? lc.linePos(node.range[0]).line : undefined;
        const fields = {};
        for (const pair of node.items) {
            const key = isScalar(pair.key) ? String(pair.key.value) : '?';
            const where = at(pair.key ?? node);
            if (!ENTRY_KEYS.includes(key))
                fail(where, `failures[${i}]: unknown field "${key}" (allowed: ${ENTRY_KEYS.join(', ')})`);
            const v = pair.value;
            if (!isScalar(v) || v.value === null || typeof v.value === 'object')
                fail(where, `failures[${i}].${key} must be a string`);
            const s = String(v.value).trim();
            if (s === '')
                fail(where, `failures[${i}].${key} must not be empty`);
            fields[key] = s;
        }
        const loc = line ? `:${line}` : '';
        if (!fields['id'])
            fail(loc, `failures[${i}].id is missing`);
        if (!fields['reason'])
            fail(loc, `failures[${i}].reason is missing (say why the test is expected to fail)`);
        if (fields['runtime']) {
            try {
                runtimeMatcher(fields['runtime']);
            }
            catch (e) {
                fail(loc, `failures[${i}].runtime: ${e.message}`);
            }
        }
        const entry = {
            id: fields['id'],
            reason: fields['reason'],
            ...(fields['runtime'] ? { runtime: fields['runtime'] } : {}),
            ...(fields['version'] ? { version: fields['version'] } : {}),
            ...(line ? { line } : {}),
        };
        const key = JSON.stringify([entry.id, entry.runtime ?? '', entry.version ?? '']);
        const prev = seen.get(key);
        if (prev !== undefined)
            fail(loc, `failures[${i}] duplicates the entry for "${entry.id}" at line ${prev}`);
        seen.set(key, line ?? i);
        entries.push(entry);
    });
    return { file, entries };
}
function runtimeMatcher(spec) {
    const m = /^\/(.*)\/([a-z]*)$/s.exec(spec);
    if (!m)
        return (name) => name === spec;
    let re;
    try {
        re = new RegExp(m[1], m[2]);
    }
    catch (e) {
        throw new Error(`invalid regular expression ${spec}: ${e.message}`);
    }
    return (name) => re.test(name);
}
function globToRegExp(glob) {
    const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
    return new RegExp(`^${body}$`);
}
const stripV = (s) => s.replace(/^v(?=\d)/, '');
/** Does the entry's runtime/version filter accept the run's runtime? */
export function entryApplies(e, runtime) {
    if (e.runtime !== undefined) {
        if (!runtime)
            return false;
        if (!runtimeMatcher(e.runtime)(runtime.name))
            return false;
    }
    if (e.version !== undefined) {
        if (!runtime)
            return false;
        if (!globToRegExp(stripV(e.version)).test(stripV(runtime.version)))
            return false;
    }
    return true;
}
const isPrefix = (e) => e.id.endsWith('*');
/** The entry for a test id among applicable entries: exact id first, then the longest prefix. */
function findEntry(id, exact, prefixes) {
    const hit = exact.get(id);
    if (hit)
        return hit;
    let best;
    for (const e of prefixes) {
        const p = e.id.slice(0, -1);
        if (id.startsWith(p) && (!best || p.length > best.id.length - 1))
            best = e;
    }
    return best;
}
export function applyBaseline(run, b) {
    const applicable = b.entries.filter((e) => entryApplies(e, run.runtime));
    const exact = new Map();
    for (const e of applicable)
        if (!isPrefix(e) && !exact.has(e.id))
            exact.set(e.id, e);
    const prefixes = applicable.filter(isPrefix);
    const used = new Set();
    const out = { run: run, knownFailures: [], fixed: [], unlisted: [], stale: [] };
    const suites = run.suites.map((s) => ({
        ...s,
        tests: s.tests.map((t) => {
            const { baseline: _previous, ...rest } = t;
            const e = findEntry(t.id, exact, prefixes);
            if (e)
                used.add(e);
            let next = rest;
            if (e && t.status === 'failed') {
                next = { ...rest, baseline: { state: 'known-failure', reason: e.reason } };
                out.knownFailures.push(next);
            }
            else if (e && t.status === 'passed') {
                next = { ...rest, baseline: { state: 'fixed', reason: e.reason } };
                out.fixed.push(next);
            }
            else if (t.status === 'failed') {
                out.unlisted.push(next);
            }
            return next;
        }),
    }));
    out.run = { ...run, suites };
    out.stale = [...new Set(applicable.filter((e) => !used.has(e)).map((e) => e.id))];
    return out;
}
/** Should CI fail? Any failure not in the baseline; with strict, also any listed test that now passes. */
export function gateFailed(result, opts) {
    return result.unlisted.length > 0 || (opts.strict && result.fixed.length > 0);
}
/**
 * Write the run's current failures as a starting baseline: sorted by id, each with reason "TODO: reason"
 * (or its reason from a baseline already applied to the run). With `runtime`, entries are restricted to
 * the run's runtime_name.
 */
export function writeBaseline(run, file, opts = {}) {
    const failed = run.suites.flatMap((s) => s.tests).filter((t) => t.status === 'failed');
    const byId = new Map();
    for (const t of failed)
        if (!byId.has(t.id))
            byId.set(t.id, t);
    const ids = [...byId.keys()].sort();
    const runtimeName = opts.runtime ? run.runtime?.name : undefined;
    const entries = ids.map((id) => ({
        id,
        reason: byId.get(id).baseline?.reason ?? 'TODO: reason',
        ...(runtimeName ? { runtime: runtimeName } : {}),
    }));
    const q = (s) => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
    const rt = run.runtime ? `${run.runtime.name} ${run.runtime.version}` : 'an unknown runtime';
    const lines = [
        '# cri-conformance known failures',
        `# Written by ${run.tool.name} ${run.tool.version} from the run of ${run.startedAt} against ${rt}.`,
        '# Replace every "TODO: reason" with why the test is expected to fail (an issue link is best).',
        '# Fields: id (exact test id from `cri-conformance list`, or a prefix ending in *), reason,',
        '# runtime (optional: runtime_name, exact or /regex/), version (optional: glob on runtime_version).',
    ];
    if (entries.length === 0)
        lines.push('failures: []');
    else {
        lines.push('failures:');
        for (const e of entries) {
            lines.push(`  - id: ${q(e.id)}`, `    reason: ${q(e.reason)}`);
            if (e.runtime)
                lines.push(`    runtime: ${q(e.runtime)}`);
        }
    }
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, lines.join('\n') + '\n');
    return { file, entries };
}
//# sourceMappingURL=index.js.map