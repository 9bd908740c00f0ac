// One conformance run: negotiate, run the ordered suites, clean up what the run made, build the result.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import type Mocha from 'mocha';
import type { ResolvedEndpoints } from '../config.js';
import { RpcLedger, closeAllChannels, makeCri } from '../cri/client.js';
import { negotiate, type VersionMode } from '../cri/negotiate.js';
import type { Timeouts } from '../cri/timeouts.js';
import { CleanupStack } from '../framework/cleanup.js';
import { setContext, type RegistryAuth, type RunContext } from '../framework/context.js';
import type { RunResult, SuiteResult, TestResult } from '../report/model.js';
import { filterTests, allTests, loadSuite, selectSuites, testId } from './load.js';
import { runSuite } from './run-suite.js';
import { sweepRun } from './sweep.js';
import { policyFor } from './policy.js';
import { hostFacts } from './host.js';
import type { Progress } from './progress.js';
import { TOOL } from '../version.js';

export interface RunOptions {
  endpoints: ResolvedEndpoints;
  criVersion: VersionMode;
  timeouts: Timeouts;
  testTimeoutMs: number;
  kubernetes: string;
  focus: RegExp[];
  skip: RegExp[];
  suites?: string[];
  bail: boolean;
  images: Record<string, string>;
  privateRegistry?: RegistryAuth;
  progress: Progress;
  /** Set by the SIGINT handler; checked between suites and tests. */
  signal: AbortSignal;
  /** Reuse a run id (e.g. from a parent process); random otherwise. */
  runId?: string;
}

export const NO_VERSION_REASON = 'no CRI version negotiated: a kubelet would not register this node';

export async function runConformance(o: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const runId = o.runId ?? `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex')}`;
  const ledger = new RpcLedger();
  const { policy } = policyFor(o.kubernetes);
  const negotiation = await negotiate(o.endpoints.runtime, o.endpoints.image, o.criVersion, o.timeouts, ledger);
  const result: RunResult = {
    tool: TOOL,
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    endpoint: { runtime: o.endpoints.runtime.uri, image: o.endpoints.image.uri },
    negotiated: { runtime: negotiation.runtime, image: negotiation.image, ...(negotiation.reason ? { reason: negotiation.reason } : {}) },
    profile: o.kubernetes,
    host: hostFacts(),
    images: o.images,
    suites: [],
  };
  if (negotiation.version) {
    const v = negotiation.version;
    result.runtime = { name: v.runtime_name, version: v.runtime_version, apiVersion: v.runtime_api_version };
  }
  o.progress.info(
    `runtime ${result.runtime ? `${result.runtime.name} ${result.runtime.version}` : '(unknown)'} at ${o.endpoints.runtime.uri}: ` +
      `RuntimeService ${negotiation.runtime ?? 'none'}, ImageService ${negotiation.image ?? 'none'}`,
  );

  const entries = selectSuites(o.suites);
  if (!negotiation.runtime || !negotiation.image) {
    for (const e of entries) {
      const loaded = await loadSuite(e, { timeoutMs: o.testTimeoutMs, bail: false });
      const tests: TestResult[] = loaded ? allTests(loaded.mocha.suite).map((t) => skippedTest(e.name, t, `${NO_VERSION_REASON} (${negotiation.reason})`)) : [];
      result.suites.push({ name: e.name, title: e.title, tests, durationMs: 0, skippedReason: `${NO_VERSION_REASON} (${negotiation.reason})` });
    }
    result.durationMs = Date.now() - started;
    result.rpcs = ledger.seen;
    closeAllChannels();
    return result;
  }

  const cri = makeCri(o.endpoints.runtime, o.endpoints.image, { runtime: negotiation.runtime, image: negotiation.image }, o.timeouts, ledger);
  const workDir = path.join(os.tmpdir(), 'cri-conformance', runId);
  const context: RunContext = {
    cri,
    runId,
    negotiation,
    policy,
    images: o.images,
    privateRegistry: o.privateRegistry,
    timeouts: o.timeouts,
    workDir,
    testCleanup: new CleanupStack(),
    runCleanup: new CleanupStack(),
    preexistingImages: await existingImageRefs(cri),
  };
  setContext(context);

  let activeRunner: Mocha.Runner | undefined;
  // A runtime that dies mid-run would fail every later test with the same transport error: after an
  // UNAVAILABLE failure, ask Version once; no answer ends the run with one reason instead.
  let lost: string | undefined;
  let probe: Promise<void> | undefined;
  const checkAlive = (r: TestResult) => {
    if (lost || r.status !== 'failed' || !/UNAVAILABLE|DEADLINE_EXCEEDED/.test(r.message ?? '')) return;
    probe = cri.runtime.call('Version', { version: '0.1.0' }, { timeoutMs: o.timeouts.connectMs }).then(
      () => undefined,
      (e: Error) => {
        lost = `the runtime stopped answering during "${r.id}" (${e.message.split('. ')[0]})`;
        o.progress.info(`${lost}: stopping the run`);
        activeRunner?.abort();
      },
    );
  };
  const onAbort = () => activeRunner?.abort();
  o.signal.addEventListener('abort', onAbort);
  try {
    const byName = new Map<string, SuiteResult>();
    for (const e of entries) {
      const loaded = await loadSuite(e, { timeoutMs: o.testTimeoutMs, bail: o.bail });
      if (!loaded) continue;
      filterTests(loaded.mocha.suite, e.name, o.focus, o.skip);
      const tests = allTests(loaded.mocha.suite);
      if (tests.length === 0) continue;
      const blocker = o.signal.aborted ? 'interrupted' : lost ? `not run: ${lost}` : unmetNeed(e.needs, byName);
      if (blocker) {
        const sr: SuiteResult = { name: e.name, title: e.title, tests: tests.map((t) => skippedTest(e.name, t, blocker)), durationMs: 0, skippedReason: blocker };
        result.suites.push(sr);
        byName.set(e.name, sr);
        continue;
      }
      o.progress.suiteStart(e.name, tests.length);
      const sr = await runSuite(loaded, {
        afterEach: async () => {
          const failed = await context.testCleanup.drain();
          await probe;
          return failed;
        },
        onTestEnd: (r) => {
          o.progress.testEnd(r);
          checkAlive(r);
        },
        onStart: (r) => (activeRunner = r),
      });
      activeRunner = undefined;
      result.suites.push(sr);
      byName.set(e.name, sr);
      if (o.bail && sr.tests.some((t) => t.status === 'failed')) break;
    }
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    o.progress.done();
    // Drain whatever is left (an interrupted test), then run-scoped images, then sweep by label.
    const errors = [...(await context.testCleanup.drain()), ...(await context.runCleanup.drain())];
    const swept = await sweepRun(cri, runId);
    errors.push(...swept.errors);
    if (swept.removed.length) o.progress.info(`cleanup: removed ${swept.removed.length} leftover object(s) of run ${runId}`);
    for (const e of errors) o.progress.info(`cleanup warning: ${e}`);
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    setContext(undefined);
    if (lost) result.aborted = lost;
    else if (o.signal.aborted) result.aborted = 'interrupted';
    result.durationMs = Date.now() - started;
    result.rpcs = ledger.seen;
    closeAllChannels();
  }
  return result;
}

function unmetNeed(needs: string[], done: Map<string, SuiteResult>): string | undefined {
  for (const n of needs) {
    const s = done.get(n);
    if (!s) continue; // not selected in this run: nothing to judge by
    if (s.skippedReason) return `needs suite "${n}", which was skipped`;
    const failed = s.tests.filter((t) => t.status === 'failed').length;
    if (failed) return `needs suite "${n}", which had ${failed} failure(s)`;
  }
  return undefined;
}

function skippedTest(suite: string, t: Mocha.Test, reason: string): TestResult {
  return { id: testId(suite, t), suite, title: t.title, fullTitle: t.fullTitle(), status: 'skipped', durationMs: 0, message: reason, tags: [] };
}

async function existingImageRefs(cri: ReturnType<typeof makeCri>): Promise<Set<string>> {
  const res = await cri.image.call('ListImages', {});
  const refs = new Set<string>();
  for (const i of res.images) {
    refs.add(i.id);
    for (const t of i.repo_tags) refs.add(t);
    for (const d of i.repo_digests) refs.add(d);
  }
  return refs;
}
