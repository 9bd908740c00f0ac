import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult, TestResult } from '../src/report/model.js';
import { parseTags } from '../src/report/model.js';
import { runVerdict } from '../src/report/verdict.js';
import { BaselineError, applyBaseline, loadBaseline, parseBaseline, writeBaseline, type Baseline } from '../src/baseline/index.js';
import { repoRoot } from '../src/profiles/index.js';
import { RESTARTED } from '../src/runner/reconnect.js';

const IMG = 'image/ImageService should pull an image [Conformance]';
const RUN = 'runtime/RuntimeService should run a pod sandbox [Conformance]';
const EXEC = 'runtime/Container should exec sync [Conformance]';
const SKIP = 'runtime/RuntimeService should checkpoint [Feature:Checkpoint]';

function test(id: string, status: TestResult['status']): TestResult {
  const title = id.slice(id.indexOf('/') + 1);
  return { id, suite: id.split('/')[0]!, title, fullTitle: title, status, durationMs: 1, tags: parseTags(title) };
}

function makeRun(statuses: Record<string, TestResult['status']>, runtime = { name: 'containerd', version: 'v1.6.20' }): RunResult {
  const bySuite = new Map<string, TestResult[]>();
  for (const [id, st] of Object.entries(statuses)) {
    const t = test(id, st);
    bySuite.set(t.suite, [...(bySuite.get(t.suite) ?? []), t]);
  }
  return {
    tool: { name: 'cri-conformance', version: '0.1.0' },
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 10,
    endpoint: { runtime: 'unix:///run/containerd/containerd.sock', image: 'unix:///run/containerd/containerd.sock' },
    runtime: { ...runtime, apiVersion: 'v1' },
    negotiated: { runtime: 'v1', image: 'v1' },
    suites: [...bySuite].map(([name, tests]) => ({ name, title: name, durationMs: 1, tests })),
  };
}

/** The gate as the CLI sees it: the verdict of the run with the baseline applied in that mode. */
const gateFails = (run: RunResult, b: Baseline, strict: boolean) => runVerdict(applyBaseline(run, b, { strict }).run).result === 'failed';

const tmp = () => mkdtempSync(join(tmpdir(), 'baseline-'));
const baseline = (...entries: Baseline['entries']): Baseline => ({ entries });
const ids = (ts: TestResult[]) => ts.map((t) => t.id);
function caught(fn: () => unknown): BaselineError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BaselineError) return e;
    throw e;
  }
  throw new Error('expected a BaselineError');
}

describe('baseline: apply and gate', () => {
  it('a listed test that failed because the runtime restarted under it is not a known failure', () => {
    const run = makeRun({ [IMG]: 'failed' });
    run.suites[0]!.tests[0]!.message = RESTARTED;
    const r = applyBaseline(run, baseline({ id: IMG, reason: 'issue #1' }));
    expect(ids(r.unlisted)).to.deep.equal([IMG]);
    expect(r.knownFailures).to.deep.equal([]);
  });

  it('a listed failure is a known failure and the gate passes', () => {
    const run = makeRun({ [IMG]: 'failed', [RUN]: 'passed' });
    const b = baseline({ id: IMG, reason: 'issue #1' });
    const r = applyBaseline(run, b);
    expect(ids(r.knownFailures)).to.deep.equal([IMG]);
    expect(r.knownFailures[0]!.baseline).to.deep.equal({ state: 'known-failure', reason: 'issue #1' });
    expect(r.unlisted).to.deep.equal([]);
    expect(gateFails(run, b, false)).to.equal(false);
    expect(gateFails(run, b, true)).to.equal(false);
    expect(runVerdict(r.run).counts).to.include({ knownFailures: 1, failed: 0, passed: 1 });
  });

  it('an unlisted failure fails the gate', () => {
    const run = makeRun({ [IMG]: 'failed', [EXEC]: 'failed' });
    const b = baseline({ id: IMG, reason: 'x' });
    const r = applyBaseline(run, b);
    expect(ids(r.unlisted)).to.deep.equal([EXEC]);
    expect(gateFails(run, b, false)).to.equal(true);
    expect(runVerdict(r.run).reasons).to.deep.equal(['1 test failed outside the baseline']);
  });

  it('a listed test that passes is fixed: the gate passes unless strict', () => {
    const run = makeRun({ [IMG]: 'passed' });
    const b = baseline({ id: IMG, reason: 'x' });
    const r = applyBaseline(run, b);
    expect(ids(r.fixed)).to.deep.equal([IMG]);
    expect(r.fixed[0]!.baseline?.state).to.equal('fixed');
    expect(r.run.baseline).to.deep.equal({ mode: 'baseline' });
    expect(applyBaseline(run, b, { strict: true }).run.baseline).to.deep.equal({ mode: 'strict' });
    expect(gateFails(run, b, false)).to.equal(false);
    expect(gateFails(run, b, true)).to.equal(true);
  });

  it('a listed test that was skipped is neither fixed nor stale', () => {
    const r = applyBaseline(makeRun({ [SKIP]: 'skipped' }), baseline({ id: SKIP, reason: 'x' }));
    expect(r.fixed).to.deep.equal([]);
    expect(r.stale).to.deep.equal([]);
    expect(r.run.suites[0]!.tests[0]!.baseline).to.equal(undefined);
  });

  it('ids in the baseline that are not in the run are stale', () => {
    const run = makeRun({ [RUN]: 'passed' });
    const b = baseline({ id: 'runtime/gone', reason: 'x' });
    const r = applyBaseline(run, b);
    expect(r.stale).to.deep.equal(['runtime/gone']);
    expect(gateFails(run, b, true)).to.equal(false);
  });

  it('returns a new run and leaves the input untouched; stale baseline marks are cleared', () => {
    const run = makeRun({ [IMG]: 'failed', [RUN]: 'passed' });
    run.suites.find((s) => s.name === 'runtime')!.tests[0]!.baseline = { state: 'fixed', reason: 'old' };
    const before = JSON.stringify(run);
    const r = applyBaseline(run, baseline({ id: IMG, reason: 'x' }));
    expect(JSON.stringify(run)).to.equal(before);
    expect(r.run).to.not.equal(run);
    expect(r.run.suites.find((s) => s.name === 'runtime')!.tests[0]!.baseline).to.equal(undefined);
  });

  it('ids match exactly; a trailing * matches by prefix and the exact id wins', () => {
    const run = makeRun({ [IMG]: 'failed', [RUN]: 'failed', [EXEC]: 'failed' });
    const r = applyBaseline(
      run,
      baseline(
        { id: 'runtime/*', reason: 'all runtime' },
        { id: 'runtime/Container *', reason: 'containers' },
        { id: RUN, reason: 'exact' },
        { id: 'image/ImageService should pull', reason: 'not a prefix without *' },
      ),
    );
    const reasons = Object.fromEntries(r.knownFailures.map((t) => [t.id, t.baseline!.reason]));
    expect(reasons).to.deep.equal({ [RUN]: 'exact', [EXEC]: 'containers' });
    expect(ids(r.unlisted)).to.deep.equal([IMG]);
    expect(r.stale).to.deep.equal(['runtime/*', 'image/ImageService should pull']);
  });

  it('runtime filter: an entry for another runtime is ignored (and never stale)', () => {
    const run = makeRun({ [IMG]: 'failed' }, { name: 'cri-o', version: '1.30.1' });
    const r = applyBaseline(run, baseline({ id: IMG, reason: 'x', runtime: 'containerd' }));
    expect(ids(r.unlisted)).to.deep.equal([IMG]);
    expect(r.stale).to.deep.equal([]);
    const r2 = applyBaseline(run, baseline({ id: IMG, reason: 'x', runtime: '/^CRI-O$/i' }));
    expect(ids(r2.knownFailures)).to.deep.equal([IMG]);
  });

  it('version filter: a glob on runtime_version, ignoring a leading v', () => {
    const run = makeRun({ [IMG]: 'failed' }, { name: 'containerd', version: 'v1.6.20' });
    expect(ids(applyBaseline(run, baseline({ id: IMG, reason: 'x', runtime: 'containerd', version: '1.6.*' })).knownFailures)).to.deep.equal([IMG]);
    expect(ids(applyBaseline(run, baseline({ id: IMG, reason: 'x', version: 'v1.6.2?' })).knownFailures)).to.deep.equal([IMG]);
    expect(ids(applyBaseline(run, baseline({ id: IMG, reason: 'x', version: '1.7.*' })).unlisted)).to.deep.equal([IMG]);
    expect(ids(applyBaseline(run, baseline({ id: IMG, reason: 'x', version: '1.6' })).unlisted)).to.deep.equal([IMG]);
  });

  it('handler filter: an entry for one runtime handler applies only to runs whose pods used it ("" = default)', () => {
    const run = makeRun({ [IMG]: 'failed' }, { name: 'containerd', version: '1.6.20' });
    expect(ids(applyBaseline({ ...run, runtimeHandler: 'crun' }, baseline({ id: IMG, reason: 'x', handler: 'crun' })).knownFailures)).to.deep.equal([IMG]);
    expect(ids(applyBaseline({ ...run, runtimeHandler: '' }, baseline({ id: IMG, reason: 'x', handler: 'crun' })).unlisted)).to.deep.equal([IMG]);
    expect(ids(applyBaseline(run, baseline({ id: IMG, reason: 'x', handler: '' })).knownFailures)).to.deep.equal([IMG]);
    const file = join(mkdtempSync(join(tmpdir(), 'crc-bl-')), 'b.yaml');
    writeFileSync(file, `failures:\n  - id: "${IMG}"\n    reason: r\n    handler: crun\n`);
    expect(loadBaseline(file).entries[0]).to.include({ handler: 'crun' });
  });

  it('a runtime-restricted entry does not apply when the run has no runtime information', () => {
    const run = makeRun({ [IMG]: 'failed' });
    delete run.runtime;
    expect(ids(applyBaseline(run, baseline({ id: IMG, reason: 'x', runtime: 'containerd' })).unlisted)).to.deep.equal([IMG]);
    expect(ids(applyBaseline(run, baseline({ id: IMG, reason: 'x' })).knownFailures)).to.deep.equal([IMG]);
  });
});

describe('baseline: file format', () => {
  it('loads the example baseline in fixtures/baselines', () => {
    const b = loadBaseline(join(repoRoot(), 'fixtures', 'baselines', 'example.yaml'));
    expect(b.entries.length).to.be.greaterThan(0);
    expect(b.entries[0]).to.include({ runtime: 'containerd', version: '1.6.*' });
    expect(b.entries[0]!.line).to.be.a('number');
  });

  it('an empty file or an empty list is an empty baseline', () => {
    expect(parseBaseline('').entries).to.deep.equal([]);
    expect(parseBaseline('# nothing yet\n').entries).to.deep.equal([]);
    expect(parseBaseline('failures: []\n').entries).to.deep.equal([]);
    expect(parseBaseline('failures:\n').entries).to.deep.equal([]);
  });

  it('invalid YAML: BaselineError BAD_BASELINE with file, line and column on one line', () => {
    const e = caught(() => parseBaseline('failures:\n  - id: "a"\n    reason: [oops\n', 'known.yaml'));
    expect(e.code).to.equal('BAD_BASELINE');
    expect(e.name).to.equal('BaselineError');
    expect(e.message).to.match(/^known\.yaml:\d+:\d+: invalid YAML: /);
    expect(e.message).to.not.contain('\n');
  });

  it('a missing reason names the entry and its line', () => {
    const e = caught(() => parseBaseline('failures:\n  - id: a\n    reason: ok\n  - id: b\n', 'known.yaml'));
    expect(e.message).to.equal('known.yaml:4: failures[1].reason is missing (say why the test is expected to fail)');
  });

  it('a misspelt field is reported with the allowed fields', () => {
    const e = caught(() => parseBaseline('failures:\n  - id: a\n    reson: typo\n', 'known.yaml'));
    expect(e.message).to.equal('known.yaml:3: failures[0]: unknown field "reson" (allowed: id, reason, runtime, version, handler)');
  });

  it('a wrong top-level shape is reported', () => {
    expect(caught(() => parseBaseline('failure:\n  - id: a\n', 'k.yaml')).message).to.equal('k.yaml:1: unknown top-level key "failure" (expected "failures")');
    expect(caught(() => parseBaseline('failures: 3\n', 'k.yaml')).message).to.match(/^k\.yaml:1: "failures" must be a list/);
    expect(caught(() => parseBaseline('- id: a\n', 'k.yaml')).message).to.match(/^k\.yaml:1: expected a mapping with a "failures:" list/);
    expect(caught(() => parseBaseline('failures:\n  - just text\n', 'k.yaml')).message).to.equal('k.yaml:2: failures[0] must be a mapping with id and reason');
  });

  it('a non-string field, a bad regex and duplicates are reported', () => {
    expect(caught(() => parseBaseline('failures:\n  - id: [a]\n    reason: x\n', 'k.yaml')).message).to.equal('k.yaml:2: failures[0].id must be a string');
    expect(caught(() => parseBaseline('failures:\n  - id: a\n    reason: x\n    runtime: "/[/"\n', 'k.yaml')).message).to.match(/^k\.yaml:2: failures\[0\]\.runtime: invalid regular expression \/\[\//);
    expect(caught(() => parseBaseline('failures:\n  - id: a\n    reason: x\n  - id: a\n    reason: y\n', 'k.yaml')).message).to.equal('k.yaml:4: failures[1] duplicates the entry for "a" at line 2');
  });

  it('a missing file is BaselineError NO_BASELINE', () => {
    const e = caught(() => loadBaseline(join(tmp(), 'nope.yaml')));
    expect(e.code).to.equal('NO_BASELINE');
    expect(e.message).to.contain('nope.yaml').and.contain('no such file');
  });

  it('writeBaseline then loadBaseline round-trips the current failures, sorted, with TODO reasons', () => {
    const dir = tmp();
    const file = join(dir, 'sub', 'known.yaml');
    const odd = 'runtime/Container handles "quotes", colons: and # hashes [Conformance]';
    const run = makeRun({ [RUN]: 'failed', [IMG]: 'failed', [EXEC]: 'passed', [odd]: 'failed', [SKIP]: 'skipped' });
    writeBaseline(run, file);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).to.equal('# cri-conformance known failures');
    const b = loadBaseline(file);
    expect(b.entries.map((e) => e.id)).to.deep.equal([IMG, odd, RUN].sort());
    expect(b.entries.every((e) => e.reason === 'TODO: reason' && e.runtime === undefined)).to.equal(true);
    const r = applyBaseline(run, b);
    expect(gateFails(run, b, true)).to.equal(false);
    expect(r.knownFailures).to.have.length(3);
  });

  it('writeBaseline with runtime restricts entries to the runtime and keeps existing reasons', () => {
    const file = join(tmp(), 'known.yaml');
    const first = applyBaseline(makeRun({ [IMG]: 'failed', [RUN]: 'failed' }), baseline({ id: IMG, reason: 'issue #9' }));
    writeBaseline(first.run, file, { runtime: true });
    const b = loadBaseline(file);
    expect(b.entries.map((e) => [e.id, e.reason, e.runtime])).to.deep.equal([
      [IMG, 'issue #9', 'containerd'],
      [RUN, 'TODO: reason', 'containerd'],
    ]);
  });

  it('writeBaseline with no failures writes an empty list that loads', () => {
    const file = join(tmp(), 'known.yaml');
    writeBaseline(makeRun({ [RUN]: 'passed' }), file);
    expect(loadBaseline(file).entries).to.deep.equal([]);
  });

  it('loadBaseline reads a hand-written file with comments', () => {
    const file = join(tmp(), 'known.yaml');
    writeFileSync(file, `# cri-conformance known failures\nfailures:\n  - id: "${IMG}"    # the pull test\n    reason: "tracked in runtime issue #123"\n    runtime: containerd\n    version: "1.6.*"\n`);
    expect(loadBaseline(file).entries).to.deep.equal([{ id: IMG, reason: 'tracked in runtime issue #123', runtime: 'containerd', version: '1.6.*', line: 3 }]);
  });
});

describe('runtime baselines', () => {
  it('every entry of fixtures/baselines/<runtime>.yaml names a test that exists (a retitled test leaves no stale entry)', async () => {
    const { readdirSync } = await import('node:fs');
    const { SUITES } = await import('../src/runner/manifest.js');
    const { allTests, loadSuite, testId } = await import('../src/runner/load.js');
    const ids = new Set<string>();
    for (const entry of SUITES) {
      const loaded = await loadSuite(entry, { timeoutMs: 1000, bail: false });
      if (loaded) for (const t of allTests(loaded.mocha.suite)) ids.add(testId(entry.name, t));
    }
    const dir = join(repoRoot(), 'fixtures', 'baselines');
    const stale: string[] = [];
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml') && x !== 'example.yaml')) {
      for (const e of loadBaseline(join(dir, f)).entries) if (!e.id.endsWith('*') && !ids.has(e.id)) stale.push(`${f}: ${e.id}`);
    }
    expect(ids.size, 'test ids found').to.be.greaterThan(200);
    expect(stale, 'baseline entries naming no test').to.deep.equal([]);
  });
});
