// One conformance run: negotiate, run the ordered suites, clean up what the run made, build the result.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import type Mocha from 'mocha';
import type { ResolvedEndpoints } from '../config.js';
import { RpcLedger, closeAllChannels, makeCri } from '../cri/client.js';
import { negotiate, type VersionMode } from '../cri/negotiate.js';
import { isCode } from '../cri/errors.js';
import { status as Status } from '@grpc/grpc-js';
import type { Timeouts } from '../cri/timeouts.js';
import { CleanupStack } from '../framework/cleanup.js';
import { SlotPods } from '../framework/slot-pods.js';
import { slotPodCalls } from '../framework/resources.js';
import type { RegistryAuth, RunScope } from '../framework/context.js';
import { parseTags, type RunResult, type SuiteResult, type TestResult } from '../report/model.js';
import { filterTests, allTests, loadSuite, loadTest, selectSuites, testId, type TestBinding } from './load.js';
import { runPool } from './pool.js';
import type { SuiteEntry } from './manifest.js';
import { runSuite } from './run-suite.js';
import { runLeftovers, sweepRun } from './sweep.js';
import { DEFAULT_RECONNECT_MS, watchRuntime } from './reconnect.js';
import { checkRuntimeHandler } from './handler.js';
import { policyFor } from './policy.js';
import { detectHostFeatures, hostFacts, type HostFeatures } from './host.js';
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
  /** How many suites may run at once once their needs are met (default 1: manifest order). */
  jobs?: number;
  /** Reuse a run id (e.g. from a parent process); random otherwise. */
  runId?: string;
  /** RunPodSandboxRequest.runtime_handler of every sandbox the run creates ('' or absent: the default). */
  runtimeHandler?: string;
  /** Handlers the user or the lab says the runtime has, for a runtime that does not advertise them. */
  knownHandlers?: string[];
  /** Host directory of each handler's container state (the lab knows them), to see from the host side which
   * handler runs a container. */
  handlerRoots?: Record<string, string>;
  /** The suites to choose from (default: the manifest); the runner's own tests pass declarations here. */
  manifest?: readonly SuiteEntry[];
  /** Whole-run budget: when it is spent the run stops as on SIGINT (in-flight tests fail, the rest are not run). */
  runTimeoutMs?: number;
  /** How long a runtime that stops answering mid-run is waited for and re-dialled (default 60 s; 0: stop at once). */
  reconnectTimeoutMs?: number;
  /** Consecutive deadline expiries of one RPC after which the run stops calling it (default 3; 0: never). */
  breakAfter?: number;
  /** How long the end of the run waits for test bodies that outlived their timeout (default 60 s). */
  straggleMs?: number;
  /** Replaces detected host features (self-tests pretend a kernel feature this node lacks). */
  hostFeatures?: Partial<HostFeatures>;
}

/** Why a run whose --run-timeout ran out stopped (RunResult.aborted): the CLI recognises its exit code by it. */
export const budgetSpent = (ms: number): string => `interrupted: run budget of ${Number((ms / 1000).toFixed(1))} s exhausted`;

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
    negotiated: {
      runtime: negotiation.runtime,
      image: negotiation.image,
      ...(negotiation.reason ? { reason: negotiation.reason } : {}),
      ...(negotiation.mode !== 'auto' ? { forced: negotiation.mode } : {}),
    },
    profile: o.kubernetes,
    runtimeHandler: o.runtimeHandler ?? '',
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

  const entries = selectSuites(o.suites, o.manifest);
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

  const cri = makeCri(o.endpoints.runtime, o.endpoints.image, { runtime: negotiation.runtime, image: negotiation.image }, o.timeouts, ledger, o.breakAfter ?? 3);
  if (o.runtimeHandler) {
    try {
      o.progress.info(await checkRuntimeHandler(cri, runId, o.runtimeHandler));
    } catch (e) {
      await sweepRun(cri, runId).catch(() => undefined);
      closeAllChannels();
      throw e;
    }
  }
  const workDir = path.join(os.tmpdir(), 'cri-conformance', runId);
  const scope: RunScope = {
    cri,
    runId,
    negotiation,
    policy,
    images: o.images,
    privateRegistry: o.privateRegistry,
    timeouts: o.timeouts,
    workDir,
    runtimeHandler: o.runtimeHandler ?? '',
    knownHandlers: o.knownHandlers ?? [],
    handlerRoots: o.handlerRoots ?? {},
    runCleanup: new CleanupStack(),
    preexistingImages: await existingImageRefs(cri),
    hostFeatures: { ...detectHostFeatures(), ...o.hostFeatures },
  };
  scope.slotPods = new SlotPods({ workDir, ...slotPodCalls(cri) });
  scope.runCleanup.push('the slot pods', () => scope.slotPods!.closeAll());
  const binding: TestBinding = { scope, contexts: new WeakMap(), skipReasons: new WeakMap(), bodies: new Set(), slots: new Map() };
  await pullShared(scope, o.progress);

  const activeRunners = new Set<Mocha.Runner>();
  // A runtime that dies mid-run is waited for and re-dialled (reconnect.ts); only if it does not come back
  // (or comes back with another CRI version) does the run stop, with that one reason.
  const watch = watchRuntime({
    cri,
    endpoints: o.endpoints,
    negotiation,
    timeouts: o.timeouts,
    reconnectMs: o.reconnectTimeoutMs ?? DEFAULT_RECONNECT_MS,
    info: (l) => o.progress.info(l),
    onLost: () => {
      for (const runner of activeRunners) runner.abort();
    },
  });
  let bailed = false;
  // SIGINT and a spent --run-timeout stop the run the same way; `stopped` says which.
  let stopped: string | undefined;
  // Why the run stops early, in one place: every test it keeps from running is "not run" with this reason.
  const stopReason = (): string | undefined => stopped?.replace(/^interrupted: /, '') ?? watch.lost ?? (bailed ? '--bail after a failure' : undefined);
  const stop = (why: string) => {
    if (stopped) return;
    stopped = why;
    for (const r of activeRunners) {
      r.abort();
      // A test in flight fails now with the reason, the way mocha fails a timed-out test; its cleanup still runs.
      const t = r.currentRunnable as (Mocha.Runnable & { type?: string; callback?: (e: Error) => void; timedOut?: boolean }) | undefined;
      if (t?.type === 'test' && t.callback && !t.timedOut && !t.state) {
        t.callback(new Error(stopReason()));
        t.timedOut = true;
      }
    }
  };
  const onAbort = () => stop('interrupted');
  if (o.signal.aborted) stopped = 'interrupted';
  o.signal.addEventListener('abort', onAbort);
  const budget = o.runTimeoutMs ? setTimeout(() => stop(budgetSpent(o.runTimeoutMs!)), Math.max(0, started + o.runTimeoutMs - Date.now())) : undefined;
  try {
    // Every selected test, grouped by suite in manifest order. Loading sets mocha's globals: never concurrent.
    const plan: Planned[] = [];
    for (const e of entries) {
      const l = await loadSuite(e, { timeoutMs: o.testTimeoutMs, bail: false }, binding);
      if (!l) continue;
      filterTests(l.mocha.suite, e.name, o.focus, o.skip);
      const tests = allTests(l.mocha.suite);
      if (tests.length) plan.push({ entry: e, tests, results: [], left: tests.length, startedAt: 0, endedAt: 0 });
    }
    const byName = new Map(plan.map((p) => [p.entry.name, p]));
    const done = new Map<string, SuiteResult>();
    // Reports and terminal lines come out in manifest order whatever order tests end in: a test is shown
    // once every test before it is.
    let shownSuite = 0;
    let shownTest = 0;
    const show = () => {
      for (; shownSuite < plan.length; shownSuite++, shownTest = 0) {
        const p = plan[shownSuite]!;
        for (; shownTest < p.tests.length; shownTest++) {
          const r = p.results[shownTest];
          if (!r) return;
          if (p.skippedReason) continue;
          if (shownTest === 0) o.progress.suiteStart(p.entry.name, p.tests.length);
          o.progress.testEnd(r);
        }
      }
    };
    const finish = (w: Work, r: TestResult) => {
      const p = w.suite;
      p.results[w.index] = r;
      if (--p.left === 0) {
        done.set(p.entry.name, {
          name: p.entry.name,
          title: p.entry.title,
          tests: p.results as TestResult[],
          durationMs: p.startedAt ? p.endedAt - p.startedAt : 0,
          ...(p.skippedReason ? { skippedReason: p.skippedReason } : {}),
        });
      }
      show();
    };
    const work: Work[] = plan.flatMap((p) => p.tests.map((test, index) => ({ suite: p, test, index, id: testId(p.entry.name, test), serial: parseTags(test.title).includes('Serial') })));
    await runPool(work, o.jobs ?? 1, {
      serial: (w) => w.serial,
      gate: (w) => {
        const p = w.suite;
        if (p.skippedReason) return 'drop';
        // A suite's tests start once the suites it needs have finished (with --jobs 1: manifest order).
        if (p.entry.needs.some((n) => byName.has(n) && !done.has(n))) return 'wait';
        const blocker = stopReason() ?? unmetNeed(p.entry.needs, done);
        if (!blocker) return 'go';
        if (!p.startedAt) p.skippedReason = blocker;
        return 'drop';
      },
      drop: (w, stuck) => finish(w, notRunTest(w.suite.entry.name, w.test, w.suite.skippedReason ?? stopReason() ?? (stuck ? 'a suite it needs never finished' : 'not run'))),
      run: async (w, slot) => {
        const p = w.suite;
        const t0 = Date.now();
        p.startedAt ||= t0;
        let r: TestResult;
        binding.slots!.set(w.id, slot);
        try {
          r = await runOneTest(w);
        } catch (e) {
          r = { ...notRunTest(p.entry.name, w.test, ''), status: 'failed', message: `the runner could not run this test: ${(e as Error).message}` };
        }
        binding.slots!.delete(w.id);
        p.endedAt = Math.max(p.endedAt, Date.now());
        if (o.bail && r.status === 'failed') bailed = true;
        finish(w, { ...r, startOffsetMs: t0 - started, slot });
      },
    });
    // One test in a mocha of its own: mocha runs an instance's tests one after another, the pool runs them side by side.
    async function runOneTest(w: Work): Promise<TestResult> {
      await watch.settled(); // no test starts while the runtime is being re-dialled
      const l = await loadTest(w.suite.entry, w.id, { timeoutMs: o.testTimeoutMs }, binding);
      const why = stopReason();
      if (!l || why) return notRunTest(w.suite.entry.name, w.test, why ?? 'the test is gone from its suite file');
      let runner: Mocha.Runner | undefined;
      try {
        const sr = await runSuite(l, {
          // The next test, and this one's cleanup, wait for a re-dial under way.
          afterEach: async (test) => {
            await watch.settled();
            return (test && (await binding.contexts.get(test)?.close((err) => watch.cleanupFailed(`cleanup of ${w.id}`, err), test.state === 'passed'))) || [];
          },
          afterEachTimeoutMs: o.testTimeoutMs + (o.reconnectTimeoutMs ?? DEFAULT_RECONNECT_MS),
          skipReasons: binding.skipReasons,
          onTestEnd: (r) => watch.testEnded(r),
          onStart: (r) => {
            runner = r;
            activeRunners.add(r);
          },
          stopReason,
        });
        return sr.tests[0] ?? notRunTest(w.suite.entry.name, w.test, stopReason() ?? 'not run');
      } finally {
        if (runner) activeRunners.delete(runner);
      }
    }
    // Report in manifest order, whatever order the tests finished in.
    for (const p of plan) result.suites.push(done.get(p.entry.name)!);
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    clearTimeout(budget);
    await watch.settled(); // the final cleanup and sweep go to the re-dialled runtime
    o.progress.done();
    if (stopped && stopped !== 'interrupted') o.progress.info(`${stopReason()}: stopping the run and cleaning up`);
    // Bodies that outlived their timeout may still create objects: wait for them (every RPC has a deadline),
    // then run-scoped cleanup (images, late registrations), then sweep by label for anything left.
    if (binding.bodies.size) {
      o.progress.info(`waiting for ${binding.bodies.size} timed-out test(s) to finish before cleanup`);
      await settled([...binding.bodies], o.straggleMs ?? 60_000);
    }
    const errors = await scope.runCleanup.drain();
    const swept = await sweepRun(cri, runId);
    errors.push(...swept.errors);
    if (swept.removed.length) o.progress.info(`cleanup: removed ${swept.removed.length} leftover object(s) of run ${runId}`);
    for (const e of errors) o.progress.info(`cleanup warning: ${e}`);
    const leftovers = await runLeftovers(cri, runId);
    if (leftovers.length) {
      result.leftovers = { ids: leftovers, command: `cri-conformance cleanup --run-id ${runId}` };
      o.progress.info(`${leftovers.length} object(s) of this run are still on the runtime: ${leftovers.join(', ')}; remove them with ${result.leftovers.command}`);
    } else if (watch.lost) {
      o.progress.info(`objects of this run may still be on the runtime (it could not be listed): once it answers, remove them with cri-conformance cleanup --run-id ${runId}`);
    }
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    if (watch.lost) result.aborted = watch.lost;
    else if (stopped) result.aborted = stopped;
    result.durationMs = Date.now() - started;
    result.rpcs = ledger.seen;
    closeAllChannels();
  }
  return result;
}

/** Resolves when every promise settled or the time is up, whichever comes first. */
async function settled(ps: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((r) => (timer = setTimeout(r, ms)));
  await Promise.race([Promise.allSettled(ps), limit]);
  clearTimeout(timer);
}

/** One selected suite of the run, as its tests end. */
interface Planned {
  entry: SuiteEntry;
  tests: Mocha.Test[];
  results: (TestResult | undefined)[];
  left: number;
  startedAt: number;
  endedAt: number;
  skippedReason?: string;
}

/** One test of the plan: the pool's unit of work. */
interface Work {
  suite: Planned;
  test: Mocha.Test;
  index: number;
  id: string;
  /** [Serial]: needs the node to itself (removes shared images, judges everything listed, ...). */
  serial: boolean;
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

function notRunTest(suite: string, t: Mocha.Test, reason: string): TestResult {
  return { ...skippedTest(suite, t, reason), status: 'notrun' };
}

/** Images many tests share are pulled once, before any test: a test that pulls and removes an image of its
 * own can then never take one from under a neighbour. A failed pull is left for the tests to report. */
const SHARED_IMAGES = ['busybox', 'webserver'];
async function pullShared(scope: RunScope, progress: Progress): Promise<void> {
  await Promise.all(
    SHARED_IMAGES.filter((n) => scope.images[n]).map(async (n) => {
      const ref = scope.images[n]!;
      if (scope.preexistingImages.has(ref)) return;
      try {
        await scope.cri.image.call('PullImage', { image: { image: ref } });
        // A test may have removed it already (an image test removing by a tag it shares): gone is fine.
        scope.runCleanup.push(`image ${ref}`, () =>
          scope.cri.image.call('RemoveImage', { image: { image: ref } }).then(
            () => undefined,
            (e: unknown) => {
              if (!isCode(e, Status.NOT_FOUND)) throw e;
            },
          ),
        );
      } catch (e) {
        progress.info(`could not pull the shared test image ${ref} up front: ${(e as Error).message}`);
      }
    }),
  );
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
