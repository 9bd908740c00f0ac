// Every conformance check, found in the compiled suite files: each call of check(), failWith() or one of the
// framework's expect-an-answer helpers. Self-test coverage holds these against the sites the runner saw
// failing (TestResult.site), so a check no self-test makes fail is named.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Callees that are checks: the assertion layer and the framework's "this call must succeed/fail" helpers. */
const CHECKS = new Set(['check', 'failWith', 'expectSuccess', 'expectRpcError', 'expectCode', 'expectNotFound']);

export interface CheckSite {
  /** `suites/NN-x.suite.js` */
  file: string;
  /** 1-based, as in stack frames; the whole expression, chained assertion included. */
  start: { line: number; col: number };
  end: { line: number; col: number };
  /** The first line of the source, for messages. */
  text: string;
}

export function checkSites(distSuitesDir: string): CheckSite[] {
  const out: CheckSite[] = [];
  for (const f of readdirSync(distSuitesDir).filter((x) => x.endsWith('.suite.js')).sort()) {
    const src = ts.createSourceFile(f, readFileSync(path.join(distSuitesDir, f), 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && CHECKS.has(n.expression.text)) {
        // check(...).equals(...): the chain up to the outermost call is one check.
        let top: ts.Node = n;
        while ((ts.isPropertyAccessExpression(top.parent) || ts.isCallExpression(top.parent)) && (top.parent as ts.CallExpression | ts.PropertyAccessExpression).expression === top) top = top.parent;
        // An awaited helper fails in an async frame that V8 places at the `await`.
        if (ts.isAwaitExpression(top.parent)) top = top.parent;
        const pos = (p: number) => {
          const lc = src.getLineAndCharacterOfPosition(p);
          return { line: lc.line + 1, col: lc.character + 1 };
        };
        out.push({ file: `suites/${f}`, start: pos(top.getStart(src)), end: pos(top.getEnd()), text: top.getText(src).split('\n')[0]!.slice(0, 140) });
      }
      ts.forEachChild(n, visit);
    };
    visit(src);
  }
  return out;
}

const before = (a: { line: number; col: number }, b: { line: number; col: number }) => a.line < b.line || (a.line === b.line && a.col <= b.col);

/** The innermost site holding a stack position `suites/x.js:line:col`. */
export function siteAt(sites: CheckSite[], where: string): CheckSite | undefined {
  const m = /^(suites\/[\w.-]+\.js):(\d+):(\d+)$/.exec(where);
  if (!m) return undefined;
  const p = { line: Number(m[2]), col: Number(m[3]) };
  const holding = sites.filter((s) => s.file === m[1] && before(s.start, p) && before(p, s.end));
  return holding.sort((a, b) => (before(a.start, b.start) ? 1 : -1))[0];
}

/** Sites no recorded failure falls in. */
export function uncoveredSites(sites: CheckSite[], failedAt: Iterable<string>): CheckSite[] {
  const hit = new Set<CheckSite>();
  for (const w of failedAt) {
    const s = siteAt(sites, w);
    if (s) hit.add(s);
  }
  return sites.filter((s) => !hit.has(s));
}
