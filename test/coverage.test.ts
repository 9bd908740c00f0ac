// The CRI field map (issue 27): src/coverage/claims.gen.ts is what src/tools/gen-coverage.mjs reads from suites/;
// every field the kubelet sends (fixtures/kubelet-fields.yaml) is judged by a check, has a reason, or is listed
// open there; the generator finds fields through bases, consts, helpers and check() paths; a run judges only the
// fields its passed or failed tests reach.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import YAML from 'yaml';
import { REPO_ROOT } from '../src/version.js';
import { buildFieldMap, idMatcher, loadKubeletFields, protoFields, runFieldCoverage, KUBELET_FIELDS_FILE } from '../src/coverage/map.js';
import { renderCoverage } from '../src/coverage/render.js';
import { NOT_JUDGED } from '../src/coverage/reasons.js';
import type { FieldClaim } from '../src/coverage/types.js';
import type { RunResult } from '../src/report/model.js';
import { runFromSummary, toSummaryHtml, toSummaryJson, toSummaryMarkdown } from '../src/report/certification.js';

const GEN = path.join(REPO_ROOT, 'src', 'tools', 'gen-coverage.mjs');
const COMMITTED = path.join(REPO_ROOT, 'src', 'coverage', 'claims.gen.ts');

function generate(out: string, suites?: string): string {
  execFileSync(process.execPath, [GEN, '--out', out, ...(suites ? ['--suites', suites] : [])], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(out, 'utf8');
}

/** The claims of a generated file (its array literal is one JSON object per line). */
const parseClaims = (text: string): FieldClaim[] => text.split('\n').filter((l) => l.startsWith('  {')).map((l) => JSON.parse(l.trim().replace(/,$/, '')) as FieldClaim);

/** Fields the fixture lists as open: the kubelet sends them, no check judges them yet (issue 27 item 4). */
const listedOpen = (): Set<string> => new Set((YAML.parse(readFileSync(KUBELET_FIELDS_FILE, 'utf8')) as { open?: string[] }).open ?? []);

describe('CRI field map (coverage)', function () {
  this.timeout(120_000);
  let tmp = '';
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cri-coverage-'));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('src/coverage/claims.gen.ts is what src/tools/gen-coverage.mjs reads from suites/ now', () => {
    const fresh = generate(path.join(tmp, 'claims.gen.ts'));
    expect(fresh === readFileSync(COMMITTED, 'utf8'), 'src/coverage/claims.gen.ts is stale: run `node src/tools/gen-coverage.mjs` and commit it').to.equal(true);
  });

  it('covers every field of the requests and responses of both services, Windows ones with a reason', () => {
    const fields = protoFields();
    expect(fields.length).to.be.greaterThan(400);
    const names = fields.map((f) => f.field);
    for (const f of ['ContainerConfig.tty', 'LinuxContainerResources.cpu_quota', 'ContainerStatus.exit_code', 'PodSandboxFilter.label_selector', 'AuthConfig.registry_token', 'CpuUsage.usage_core_nano_seconds']) {
      expect(names, f).to.include(f);
    }
    const map = buildFieldMap();
    for (const f of map.fields.filter((x) => x.message.startsWith('Windows') || x.field === 'ContainerConfig.windows')) {
      if (!f.judges.length) expect(f.reason, f.field).to.equal('Windows only');
    }
  });

  it('names only fields of proto/runtime/v1 in the kubelet list and the reasons', () => {
    const fields = new Set(protoFields().map((f) => f.field));
    const messages = new Set(protoFields().map((f) => f.message));
    const kubelet = loadKubeletFields();
    expect(kubelet.length).to.be.greaterThan(100);
    const dup = kubelet.map((k) => k.field).filter((f, i, a) => a.indexOf(f) !== i);
    expect(dup, 'listed twice in fixtures/kubelet-fields.yaml').to.deep.equal([]);
    expect(kubelet.filter((k) => !fields.has(k.field)).map((k) => k.field), 'fixtures/kubelet-fields.yaml: no such request field').to.deep.equal([]);
    expect(kubelet.filter((k) => !/\.go\b/.test(k.source)).map((k) => k.field), 'each needs its kubelet source file and function').to.deep.equal([]);
    expect(Object.keys(NOT_JUDGED).filter((k) => !fields.has(k) && !messages.has(k)), 'src/coverage/reasons.ts: no such field or message').to.deep.equal([]);
    expect([...listedOpen()].filter((f) => !kubelet.some((k) => k.field === f)), 'open: lists only fields the kubelet sends').to.deep.equal([]);
  });

  it('every field the kubelet sends is judged by a check or has a reason (or is listed open in the fixture)', () => {
    const map = buildFieldMap();
    const open = listedOpen();
    const sent = map.fields.filter((f) => f.kubelet);
    const unaccounted = sent.filter((f) => !f.judges.length && !f.reason && !open.has(f.field)).map((f) => `${f.field} (set by ${f.kubelet})`);
    expect(unaccounted, `the kubelet sends these and no check judges them: add a check (cri('Message.field', words, kind) at its site), a reason in src/coverage/reasons.ts, or (for now) list it under open: in fixtures/kubelet-fields.yaml`).to.deep.equal([]);
    const nowJudged = sent.filter((f) => open.has(f.field) && (f.judges.length || f.reason)).map((f) => f.field);
    expect(nowJudged, 'fixtures/kubelet-fields.yaml open: lists fields that are now judged or reasoned: remove them (`node src/tools/gen-coverage.mjs --prune-open` drops the judged ones)').to.deep.equal([]);
  });

  it('judges at least as many kubelet-sent fields with a declared kind as the fixture records (a ratchet)', () => {
    const floor = (YAML.parse(readFileSync(KUBELET_FIELDS_FILE, 'utf8')) as { judgedWithKindAtLeast?: number }).judgedWithKindAtLeast ?? 0;
    const map = buildFieldMap();
    const lost = map.fields.filter((f) => f.kubelet && !f.judges.some((k) => k !== 'stated')).map((f) => f.field);
    expect(map.kubelet.judgedDeclared, `fixtures/kubelet-fields.yaml judgedWithKindAtLeast: ${floor}; not judged with a kind now: ${lost.join(', ')}`).to.be.at.least(floor);
  });

  it('self-check: the generator finds fields through bases, consts, helpers and check() paths, with their kind and tests', () => {
    const dir = path.join(tmp, 'suites');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, '99-demo.suite.ts'), [
      `const TTY = cri('ContainerConfig.tty', 'words', 'effect');`,
      `const LOG = cri('ContainerStatus.log_path', 'words');`,
      `const TABLE = { A: cri('MountPropagation.PROPAGATION_PRIVATE', 'w', 'effect'), B: cri('NamespaceMode.NODE', 'w', 'effect') };`,
      `async function helper(t) { check('ContainerStatus', 'status.log_path (x)', 1, LOG); }`,
      `async function outer(t) { await helper(t); }`,
      `export default defineSuite(({ describe, it }) => {`,
      `  describe('Demo', () => {`,
      `    it('one [Conformance]', async (t) => { failWith('m', TTY); });`,
      `    for (const p of ps) it(\`two over \${p.label} [Conformance]\`, async (t) => { await outer(t); check('ListContainers', 'containers[].labels', 1, cri('ContainerFilter.label_selector', 'w', 'honoured')); });`,
      `    it('three', async (t) => { check('node', 'whatever', 1, cri('RuntimeService.StopContainer', 'w')); failWith('m', TABLE[k]); });`,
      `  });`,
      `});`,
    ].join('\n'));
    const claims = parseClaims(generate(path.join(tmp, 'demo.gen.ts'), dir));
    const got = claims.map((c) => `${c.field} ${c.judges} ${c.via} ${c.tests.join('|')}`).sort();
    expect(got).to.deep.equal([
      'Container.labels stated check demo/Demo two over ${p.label} [Conformance]',
      'ContainerConfig.tty effect basis demo/Demo one [Conformance]',
      'ContainerFilter.label_selector honoured basis demo/Demo two over ${p.label} [Conformance]',
      'ContainerStatus.log_path stated basis demo/Demo two over ${p.label} [Conformance]',
      'ContainerStatus.log_path stated check demo/Demo two over ${p.label} [Conformance]',
      'Mount.propagation effect basis demo/Demo three', // the one field of MountPropagation; NamespaceMode has several
      'StopContainerRequest.container_id stated basis demo/Demo three',
    ]);
    expect(idMatcher('demo/Demo two over ${p.label} [Conformance]')('demo/Demo two over WebSocket [Conformance]')).to.equal(true);
    expect(idMatcher('demo/Demo two over ${p.label} [Conformance]')('demo/Demo two over x [Strict]')).to.equal(false);
    expect(idMatcher('demo/Demo one [Conformance]')('demo/Demo one [Conformance]')).to.equal(true);
  });

  it('self-check: a path judges every field along it, and a fourth argument names further fields the check judges', () => {
    const dir = path.join(tmp, 'suites-paths');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, '98-paths.suite.ts'), [
      `export default defineSuite(({ describe, it }) => {`,
      `  it('one', async (t) => { failWith('m', cri('UpdateContainerResourcesRequest.linux.cpu_quota', 'w', 'effect')); });`,
      `  it('two', async (t) => { failWith('m', cri('ContainerConfig.envs', 'w', 'effect', ['KeyValue.key', 'KeyValue.value'])); });`,
      `});`,
    ].join('\n'));
    const got = parseClaims(generate(path.join(tmp, 'paths.gen.ts'), dir)).map((c) => `${c.field} ${c.judges} ${c.place}`).sort();
    expect(got).to.deep.equal([
      'ContainerConfig.envs effect ContainerConfig.envs',
      'KeyValue.key effect KeyValue.key',
      'KeyValue.value effect KeyValue.value',
      'LinuxContainerResources.cpu_quota effect UpdateContainerResourcesRequest.linux.cpu_quota',
      'UpdateContainerResourcesRequest.linux effect UpdateContainerResourcesRequest.linux.cpu_quota',
    ]);
  });

  it('a message-typed field takes the kinds of its message only when it alone holds that message', () => {
    const claim = (field: string, judges: FieldClaim['judges']): FieldClaim => ({ field, place: field, judges, via: 'basis', site: 'suites/x.suite.ts:1', tests: ['demo/A one'] });
    const map = buildFieldMap({ claims: [claim('DNSConfig.servers', 'effect'), claim('LinuxContainerResources.cpu_quota', 'effect')] });
    const at = (f: string) => map.fields.find((x) => x.field === f)!;
    expect(at('PodSandboxConfig.dns_config').judges).to.deep.equal(['effect']); // DNSConfig has one holder
    expect(at('PodSandboxConfig.dns_config').through).to.deep.equal(['DNSConfig.servers']);
    expect(at('PodSandboxConfig.dns_config').claims).to.deep.equal([]);
    expect(at('RunPodSandboxRequest.config').judges, 'PodSandboxConfig has three holders').to.deep.equal([]);
    for (const f of ['LinuxContainerConfig.resources', 'UpdateContainerResourcesRequest.linux', 'LinuxPodSandboxConfig.overhead']) {
      expect(at(f).judges, `${f}: LinuxContainerResources has several holders`).to.deep.equal([]);
    }
    expect(renderCoverage(map, 'text')).to.match(/^  dns_config \[kubelet\]: effect  \(through DNSConfig\.\{servers\}\)$/m);
  });

  it('a run judges the fields of its passed and failed tests, not of skipped ones', () => {
    const claims: FieldClaim[] = [
      { field: 'ContainerConfig.tty', place: 'ContainerConfig.tty', judges: 'effect', via: 'basis', site: 'suites/x.suite.ts:1', tests: ['demo/A one'] },
      { field: 'ContainerStatus.log_path', place: 'ContainerStatus.log_path', judges: 'stated', via: 'basis', site: 'suites/x.suite.ts:2', tests: ['demo/A two ${x}'] },
      { field: 'ContainerStatus.exit_code', place: 'ContainerStatus.exit_code', judges: 'true', via: 'basis', site: 'suites/x.suite.ts:3', tests: ['demo/A three'] },
    ];
    const test = (id: string, status: 'passed' | 'failed' | 'skipped') => ({ id, suite: 'demo', title: id, fullTitle: id, status, durationMs: 1, tags: [] });
    const run = { suites: [{ name: 'demo', title: 'demo', durationMs: 1, tests: [test('demo/A one', 'passed'), test('demo/A two over ws', 'failed'), test('demo/A three', 'skipped')] }] } as unknown as RunResult;
    const cov = runFieldCoverage(run, claims);
    // CreateContainerRequest.config alone holds ContainerConfig: judged through ContainerConfig.tty.
    expect(cov.judgedFields).to.deep.equal(['ContainerConfig.tty', 'CreateContainerRequest.config', 'ContainerStatus.log_path']);
    expect(cov.judged).to.equal(3);
    expect(cov.kubelet.judged).to.equal(2); // the kubelet sends the first two; ContainerStatus is reported
  });

  it("a run's summary (json, md, html) says how many fields it judged, and summary.json keeps them", () => {
    const run = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'run-result.json'), 'utf8')) as RunResult;
    expect(toSummaryMarkdown(run), 'no line when the run did not compute it').not.to.include('Field coverage');
    run.fieldCoverage = { fields: 463, judged: 2, kubelet: { fields: 180, judged: 1 }, judgedFields: ['ContainerConfig.tty', 'ContainerStatus.log_path'] };
    const line = 'Field coverage: this run judged 2 of the 463 runtime.v1 fields a request sends or a response reports, 1 of the 180 the kubelet sends';
    expect(toSummaryMarkdown(run)).to.include(line);
    expect(toSummaryHtml(run)).to.include(line);
    const json = JSON.parse(toSummaryJson(run)) as { fieldCoverage: unknown };
    expect(json.fieldCoverage).to.deep.equal(run.fieldCoverage);
    expect(runFromSummary(json).fieldCoverage).to.deep.equal(run.fieldCoverage);
  });

  it('prints totals per message and per judgement as text, markdown and JSON', () => {
    const map = buildFieldMap();
    const text = renderCoverage(map, 'text');
    expect(text).to.match(/^fields: \d+; judged \d+/m);
    expect(text).to.match(/^ContainerConfig\s+\d+/m);
    expect(text).to.match(/^  tty \[kubelet\]: /m);
    const md = renderCoverage(map, 'markdown', { totalsOnly: true });
    expect(md).to.include('| message | fields | judged | declared | reasoned | open | effect | echo | honoured | true | stated |');
    const json = JSON.parse(renderCoverage(map, 'json')) as { totals: { fields: number }; fields: unknown[] };
    expect(json.totals.fields).to.equal(json.fields.length);
    const cli = execFileSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'src', 'cli.js'), 'coverage', '--totals', '--format', 'json'], { encoding: 'utf8' });
    expect((JSON.parse(cli) as { totals: { fields: number } }).totals.fields).to.equal(map.totals.fields);
  });
});
