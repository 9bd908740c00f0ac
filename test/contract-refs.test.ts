// Every check site in suites/ names what it rests on (src/framework/contract.ts): an api.proto place that
// exists in proto/runtime/v1, a kubelet behaviour, or an opinion, and an opinion only in a [Strict] or
// [Optional] test. Read from the TypeScript sources, so it needs no build.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import protobuf from 'protobufjs';
import { REPO_ROOT } from '../src/version.js';

/** Callee → the index of its basis argument. */
const BASIS_ARG: Record<string, number> = { check: 3, failWith: 1, expectSuccess: 3, expectRpcError: 4, expectCode: 4, expectNotFound: 3 };
const MAKERS = new Set(['cri', 'kubelet', 'opinion']);
const JUDGEMENTS = new Set(['effect', 'echo', 'honoured', 'true']);

interface Site { file: string; line: number; text: string; problem?: string }

const root = new protobuf.Root().loadSync(path.join(REPO_ROOT, 'proto', 'runtime', 'v1', 'api.proto'), { keepCase: true }).resolveAll();

/** `Message`, `Message.field.sub…` (through message-typed fields) or `Service.Rpc` of runtime.v1. */
export function protoPlaceExists(where: string): boolean {
  const [head, ...rest] = where.split('.');
  const t = root.lookup(`runtime.v1.${head}`);
  if (t instanceof protobuf.Service) return rest.length === 1 && !!t.methods[rest[0]!];
  if (t instanceof protobuf.Enum) return rest.length === 0 || (rest.length === 1 && rest[0]! in t.values);
  if (!(t instanceof protobuf.Type)) return false;
  let type: protobuf.Type = t;
  for (const [i, name] of rest.entries()) {
    const f = type.fields[name];
    if (!f) return false;
    if (i === rest.length - 1) return true;
    const next = f.resolvedType;
    if (!(next instanceof protobuf.Type)) return false;
    type = next;
  }
  return true;
}

const literal = (n: ts.Node | undefined): string | undefined =>
  n && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) ? n.text : n && ts.isTemplateExpression(n) ? n.getText() : undefined;

/** The title of the it() holding n, when it is written out. */
function testTitle(n: ts.Node): string | undefined {
  for (let p: ts.Node | undefined = n.parent; p; p = p.parent) {
    if (ts.isCallExpression(p) && ts.isIdentifier(p.expression) && p.expression.text === 'it') return literal(p.arguments[0]) ?? '';
  }
  return undefined;
}

const isMaker = (n: ts.Node | undefined): n is ts.CallExpression => !!n && ts.isCallExpression(n) && ts.isIdentifier(n.expression) && MAKERS.has(n.expression.text);

/** Const names of the file bound to a basis maker call, tables of them (`const T = { a: cri(…), … }`, or a const
 * choosing between two tables), and parameter names typed Basis. */
function namedBases(src: ts.SourceFile): { consts: Map<string, ts.CallExpression>; tables: Map<string, ts.CallExpression[]>; params: Set<string> } {
  const consts = new Map<string, ts.CallExpression>();
  const tables = new Map<string, ts.CallExpression[]>();
  const params = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && isMaker(n.initializer)) consts.set(n.name.text, n.initializer);
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isObjectLiteralExpression(n.initializer)) {
      const calls = n.initializer.properties.map((p) => (ts.isPropertyAssignment(p) ? p.initializer : undefined));
      if (calls.length && calls.every(isMaker)) tables.set(n.name.text, calls as ts.CallExpression[]);
    }
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && ts.isConditionalExpression(n.initializer)) {
      const [a, b] = [n.initializer.whenTrue, n.initializer.whenFalse];
      if (ts.isIdentifier(a) && ts.isIdentifier(b) && tables.has(a.text) && tables.has(b.text)) tables.set(n.name.text, [...tables.get(a.text)!, ...tables.get(b.text)!]);
    }
    if (ts.isParameter(n) && ts.isIdentifier(n.name) && n.type && /\bBasis\b/.test(n.type.getText(src))) params.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(src);
  return { consts, tables, params };
}

function judgeMaker(call: ts.CallExpression, title: string | undefined): string | undefined {
  const kind = (call.expression as ts.Identifier).text;
  const [a, b] = call.arguments;
  if (kind === 'opinion') {
    if (!literal(a)) return 'opinion() without its words';
    if (title !== undefined && (!/\[(Strict|Optional)\]/.test(title) || title.includes('[Conformance]'))) {
      return `an opinion in a test that is [Conformance] or neither [Strict] nor [Optional]: "${title.slice(0, 90)}"`;
    }
    return undefined;
  }
  const where = literal(a);
  if (!where || !literal(b)) return `${kind}() needs a place and its words as string literals`;
  if (kind === 'cri' && !protoPlaceExists(where)) return `cri('${where}'): no such message, field or RPC in proto/runtime/v1/api.proto`;
  const judges = literal(call.arguments[2]);
  if (kind === 'cri' && call.arguments[2] && call.arguments[2].kind !== ts.SyntaxKind.UndefinedKeyword && !JUDGEMENTS.has(judges ?? '')) return `cri('${where}'): the third argument must be one of ${[...JUDGEMENTS].join(', ')}`;
  const also = call.arguments[3];
  if (kind === 'cri' && also) {
    if (!ts.isArrayLiteralExpression(also) || also.elements.some((e) => !literal(e))) return `cri('${where}'): the fourth argument must be an array of string literals`;
    const bad = also.elements.map((e) => literal(e)!).filter((p) => !protoPlaceExists(p) || !p.includes('.'));
    if (bad.length) return `cri('${where}'): no such field in proto/runtime/v1/api.proto: ${bad.join(', ')}`;
  }
  return undefined;
}

export function contractSites(suitesDir: string): Site[] {
  const out: Site[] = [];
  for (const f of readdirSync(suitesDir).filter((x) => x.endsWith('.suite.ts')).sort()) {
    const src = ts.createSourceFile(f, readFileSync(path.join(suitesDir, f), 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const { consts, tables, params } = namedBases(src);
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text in BASIS_ARG) {
        const arg = n.arguments[BASIS_ARG[n.expression.text]!];
        const site: Site = { file: `suites/${f}`, line: src.getLineAndCharacterOfPosition(n.getStart(src)).line + 1, text: n.getText(src).split('\n')[0]!.slice(0, 120) };
        const title = testTitle(n);
        if (!arg || arg.kind === ts.SyntaxKind.UndefinedKeyword) site.problem = 'no basis (cri/kubelet/opinion) given';
        else if (ts.isCallExpression(arg) && ts.isIdentifier(arg.expression) && MAKERS.has(arg.expression.text)) site.problem = judgeMaker(arg, title);
        else if (ts.isIdentifier(arg) && consts.has(arg.text)) site.problem = judgeMaker(consts.get(arg.text)!, title);
        else if (ts.isIdentifier(arg) && params.has(arg.text)) site.problem = undefined; // judged where the caller names it
        else if (ts.isPropertyAccessExpression(arg) && ts.isIdentifier(arg.expression) && tables.has(arg.expression.text)) {
          site.problem = tables.get(arg.expression.text)!.map((c) => judgeMaker(c, title)).find((p) => p !== undefined);
        }
        else site.problem = `the basis must be a cri()/kubelet()/opinion() call or a const of one in this file, got ${arg.getText(src).slice(0, 60)}`;
        out.push(site);
      }
      ts.forEachChild(n, visit);
    };
    visit(src);
  }
  return out;
}

describe('contract references at every check site', () => {
  const sites = contractSites(path.join(REPO_ROOT, 'suites'));

  it('finds the check sites of the suites', () => {
    expect(sites.length).to.be.greaterThan(400);
  });

  it('every check names the api.proto comment, kubelet behaviour or [Strict]/[Optional] opinion it rests on', () => {
    const bad = sites.filter((s) => s.problem);
    expect(bad.length, `${bad.length} of ${sites.length} check sites:\n  ${bad.slice(0, 40).map((s) => `${s.file}:${s.line} ${s.problem}  — ${s.text}`).join('\n  ')}`).to.equal(0);
  });

  it('self-check: knows api.proto places and judges opinions by the test title', () => {
    expect(protoPlaceExists('ContainerStatus.log_path')).to.equal(true);
    expect(protoPlaceExists('ContainerConfig.linux.security_context.run_as_user')).to.equal(true);
    expect(protoPlaceExists('RuntimeService.ReopenContainerLog')).to.equal(true);
    expect(protoPlaceExists('ContainerStatus.no_such_field')).to.equal(false);
    expect(protoPlaceExists('NoSuchMessage')).to.equal(false);
    const src = `it('x [Conformance]', () => { check('A', 'b', 1, opinion('mine')); });\nit('y [Strict]', () => { failWith('m', opinion('mine')); });\nit('z', () => { check('A', 'b', 1); });`;
    const dir = path.join(REPO_ROOT, 'reports', 'contract-refs-selfcheck');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'x.suite.ts'), src);
    try {
      const got = contractSites(dir).map((s) => s.problem ?? 'ok');
      expect(got[0]).to.match(/\[Conformance\] or neither \[Strict\] nor \[Optional\]/);
      expect(got[1]).to.equal('ok');
      expect(got[2]).to.match(/no basis/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
