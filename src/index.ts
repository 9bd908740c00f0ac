// The programmatic API, what `import { run } from 'cri-conformance'` gives: one conformance run with the CLI's
// defaults and validation, returning the result model; the report writers and the verdict the CLI uses on it.
import { availableParallelism } from 'node:os';
import { parseEndpoint, resolveEndpoints, type Endpoint, type ResolvedEndpoints } from './config.js';
import { makeTimeouts } from './cri/timeouts.js';
import { negotiate, type VersionMode } from './cri/negotiate.js';
import { CliError, UsageError } from './errors.js';
import { applyBaseline, loadBaseline, type Baseline } from './baseline/index.js';
import { labUp } from './lab/index.js';
import { checkSuiteNames, regexes } from './cli/args.js';
import { makeProgress, type Progress } from './runner/progress.js';
import { MANIFEST, readImagesFile } from './runner/images.js';
import { budgetSpent, runConformance, type RunOptions } from './runner/run.js';
import { runRounds } from './runner/repeat.js';
import { defaultJobs } from './runner/pool.js';
import { DEFAULT_MINOR, KNOWN_MINORS } from './profiles/index.js';
import { serveImagesForRun } from './images/serve.js';
import { preflight } from './doctor/command.js';
import type { RunResult } from './report/model.js';

export { runConformance, NO_VERSION_REASON, type RunOptions } from './runner/run.js';
export type { RunResult, SuiteResult, TestResult, TestStatus, RoundOutcome, BaselineMode, ApiVersion, RpcObservation } from './report/model.js';
export { parseTags } from './report/model.js';
export { toJUnit, dashboardJUnitFile, type JUnitOptions } from './report/junit.js';
export { toTap } from './report/tap.js';
export { toSummaryJson, toSummaryMarkdown, toSummaryHtml, runFromSummary, SUMMARY_SCHEMA } from './report/certification.js';
export { summaryTable } from './report/summary-table.js';
export { writeReports, writeFileAtomic, REPORT_FILES, type ReportFormats, type WrittenReports } from './report/write.js';
export { runVerdict, closingLine, outcome, failsRun, countTests, suiteCounts, type RunVerdict, type Counts, type Outcome } from './report/verdict.js';
export { compareRuns, comparedTests, type Comparison, type RunDifference, type ComparedTest } from './report/compare.js';
export { RepeatFold, runRounds, flakyTests } from './runner/repeat.js';
export { applyBaseline, loadBaseline, parseBaseline, writeBaseline, type Baseline, type BaselineEntry, type BaselineResult } from './baseline/index.js';
export { compatibilityMatrix, formatMatrix, KNOWN_MINORS, DEFAULT_MINOR } from './profiles/index.js';
export { EXIT, CliError, UsageError, ConnectError, HandlerError, NoVersionError, describeError } from './errors.js';
export { TOOL } from './version.js';
export type { Progress } from './runner/progress.js';
export type { VersionMode } from './cri/negotiate.js';

/** What `run` takes: the CLI's `run` flags, as values. Every field is optional. */
export interface RunConfig {
  /** Bring up (or reuse) the local containerd lab and run against it, like `--lab` (root, Debian/Ubuntu). */
  lab?: boolean;
  /** `--lab-dir` */
  labDir?: string;
  /** `--runtime` with `--lab`: containerd-1.6 (default), containerd-1.7 or containerd-2.1. */
  labRuntime?: string;
  /** `--runtime-endpoint`; otherwise CONTAINER_RUNTIME_ENDPOINT, crictl.yaml, then the usual sockets. */
  runtimeEndpoint?: string;
  /** `--image-endpoint` (default: the runtime endpoint). */
  imageEndpoint?: string;
  /** `--config`: a crictl.yaml to read instead of /etc/crictl.yaml. */
  config?: string;
  /** `--cri-version` (default auto). */
  criVersion?: VersionMode;
  /** `--kubernetes 1.NN` (default the newest known release). */
  kubernetes?: string;
  /** `--suite` names (default every suite). */
  suites?: string[];
  /** `--focus` / `--skip`: regular expressions (strings or RegExp) over test ids. */
  focus?: (string | RegExp)[];
  skip?: (string | RegExp)[];
  /** `--jobs` (default two per CPU, 2 to 8). */
  jobs?: number;
  /** `--bail` */
  bail?: boolean;
  /** `--repeat N`: run the selection N times (fresh pods, a new run id each round) and fold the rounds into one
   * result; a test whose status changed between rounds carries `flaky` (default 1). */
  repeat?: number;
  /** `--timeout` in seconds (default crictl.yaml's timeout, else 20). */
  timeoutSeconds?: number;
  /** `--test-timeout` in seconds (default 180). */
  testTimeoutSeconds?: number;
  /** `--reconnect-timeout` in seconds (default 60; 0: a runtime that stops answering ends the run). */
  reconnectTimeoutSeconds?: number;
  /** `--run-timeout` in seconds: the whole run's budget (default none). */
  runTimeoutSeconds?: number;
  /** `--runtime-handler` (default CRI_CONFORMANCE_RUNTIME_HANDLER, else the runtime's default). */
  runtimeHandler?: string;
  /** `--images`: a map of logical image name to reference, or the path of such a JSON file. */
  images?: Record<string, string> | string;
  /** `--registry-prefix` */
  registryPrefix?: string;
  /** `--serve-port`: when the run serves its own images, the public registry's port (the private one: +1). */
  servePort?: number;
  /** `--no-doctor` is `doctor: false`: no preflight lines before the run (default: run them, except on the lab). */
  doctor?: boolean;
  /** `--allow-missing-images` */
  allowMissingImages?: boolean;
  /** `--baseline`: a file path or a loaded baseline; applied to the result before it is returned. */
  baseline?: string | Baseline;
  /** `--strict-baseline` */
  strictBaseline?: boolean;
  /** Where progress lines go (default: nothing, or stderr when `verbose`). */
  progress?: Progress;
  verbose?: boolean;
  /** Abort the run (between tests and suites); what it created is cleaned up. */
  signal?: AbortSignal;
}

const SILENT: Progress = { info() {}, suiteStart() {}, testEnd() {}, done() {} };

/** Suites whose tests use no test image: a run of only these serves none. */
const IMAGE_FREE_SUITES = ['version', 'runtime-status'];

/**
 * One conformance run, as `cri-conformance run` does it (the CLI calls this), without writing reports: the
 * result model, with the baseline applied when one is given. With no image source given it serves the
 * fixture images on loopback for the run's length, and runs the doctor's preflight first. Judge the result
 * with `runVerdict`, write it with `writeReports`. Throws the CLI's errors (`UsageError`, `ConnectError`,
 * `HandlerError`, lab errors); `describeError` maps any of them to the CLI's one line and exit code.
 */
export async function run(config: RunConfig = {}): Promise<RunResult> {
  // Everything the caller gave is checked before touching the machine or the network.
  const focus = regexes(config.focus ?? [], '--focus');
  const skip = regexes(config.skip ?? [], '--skip');
  const suites = checkSuiteNames(config.suites ?? []);
  const kubernetes = config.kubernetes ?? DEFAULT_MINOR;
  if (!KNOWN_MINORS.includes(kubernetes)) throw new UsageError(`unknown Kubernetes release "${kubernetes}": known releases are ${KNOWN_MINORS.join(', ')}`);
  const baseline = typeof config.baseline === 'string' ? loadBaseline(config.baseline) : config.baseline;
  const progress = config.progress ?? (config.verbose ? makeProgress(process.stderr) : SILENT);
  const repeat = config.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError(`--repeat ${repeat}: give a whole number of rounds, 1 or more`);
  if (repeat > 1 && config.bail) throw new UsageError('--bail stops at the first failure, --repeat needs every round to run every test: use one of them');
  const criVersion = config.criVersion ?? 'auto';

  let endpoints: ResolvedEndpoints;
  let images: Record<string, string> = {};
  let privateRegistry;
  let knownHandlers = (process.env['CRI_CONFORMANCE_RUNTIME_HANDLERS'] ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  let handlerRoots: Record<string, string> | undefined;
  if (config.lab) {
    const info = await labUp({ dir: config.labDir, runtime: config.labRuntime, log: (l) => progress.info(`lab: ${l}`) });
    endpoints = { runtime: parseEndpoint(info.runtimeEndpoint, 'lab'), image: parseEndpoint(info.imageEndpoint, 'lab'), notes: [] };
    images = info.images;
    privateRegistry = info.authRegistry;
    knownHandlers = info.runtimeHandlers;
    handlerRoots = info.handlerRoots;
    // The nri suite reads its socket from the environment (as a user on their own node sets it): a lab runtime
    // that serves NRI does so on the lab's private socket.
    if (info.nriSocket && !process.env['CRI_CONFORMANCE_NRI_SOCKET']) process.env['CRI_CONFORMANCE_NRI_SOCKET'] = info.nriSocket;
  } else {
    endpoints = resolveEndpoints({
      runtimeFlag: config.runtimeEndpoint,
      imageFlag: config.imageEndpoint,
      configFlag: config.config,
      timeoutFlag: config.timeoutSeconds,
      env: process.env,
    });
    for (const n of endpoints.notes) progress.info(n);
  }
  if (typeof config.images === 'string') images = readImagesFile(config.images);
  else if (config.images) images = { ...config.images };
  else if (config.registryPrefix) images = readImagesFile(MANIFEST, config.registryPrefix);
  else if (!config.lab && process.env['CRI_CONFORMANCE_IMAGES']) images = readImagesFile(process.env['CRI_CONFORMANCE_IMAGES']);
  const timeoutSeconds = config.timeoutSeconds ?? endpoints.timeoutSeconds ?? 20;

  // No image source: the run serves the fixture images itself on loopback registries. Serve and preflight only
  // a runtime that negotiates (a connect error ends the run here, with the line it would end with below).
  const needsImages = !suites || suites.some((s) => !IMAGE_FREE_SUITES.includes(s));
  const cri = needsImages && (await speaksCri(endpoints, criVersion, timeoutSeconds));
  const served = Object.keys(images).length === 0 && cri ? await serveImagesForRun(endpoints.runtime.uri, (l) => progress.info(l), config.servePort) : undefined;
  if (served) {
    images = served.images;
    privateRegistry = served.privateRegistry;
  }
  if (config.doctor !== false && !config.lab && cri) {
    await preflight(endpoints.runtime, endpoints.image, criVersion, timeoutSeconds, images, (l) => progress.info(l)).catch(async (e: unknown) => {
      if (!(e instanceof CliError)) return;
      await served?.close();
      throw e;
    });
  }

  let result: RunResult;
  const signal = config.signal ?? new AbortController().signal;
  try {
    const options: RunOptions = {
      endpoints,
      criVersion,
      timeouts: makeTimeouts(timeoutSeconds),
      testTimeoutMs: (config.testTimeoutSeconds ?? 180) * 1000,
      ...(config.runTimeoutSeconds ? { runTimeoutMs: config.runTimeoutSeconds * 1000 } : {}),
      ...(config.reconnectTimeoutSeconds !== undefined ? { reconnectTimeoutMs: config.reconnectTimeoutSeconds * 1000 } : {}),
      kubernetes,
      focus,
      skip,
      suites,
      bail: Boolean(config.bail),
      jobs: Math.max(1, Math.floor(config.jobs ?? defaultJobs(availableParallelism()))),
      images,
      privateRegistry,
      runtimeHandler: config.runtimeHandler ?? process.env['CRI_CONFORMANCE_RUNTIME_HANDLER'] ?? '',
      knownHandlers,
      handlerRoots,
      progress,
      signal,
    };
    // --repeat: each round is a whole run (its own run id, slot pods and sweep); the served images stay up.
    // --run-timeout bounds all the rounds together: each round gets what is left of it.
    const budgetMs = options.runTimeoutMs;
    const deadline = budgetMs && repeat > 1 ? Date.now() + budgetMs : undefined;
    result = await runRounds(repeat, () => runConformance(deadline ? { ...options, runTimeoutMs: Math.max(1, deadline - Date.now()) } : options), { progress, signal });
    if (deadline && result.aborted?.startsWith('interrupted: run budget of ')) result.aborted = budgetSpent(budgetMs!);
  } finally {
    await served?.close();
  }
  if (config.allowMissingImages) result.allowMissingImages = true;
  // Which api.proto fields this run judged on this runtime (the field map, `cri-conformance coverage`).
  try {
    result.fieldCoverage = (await import('./coverage/map.js')).runFieldCoverage(result);
  } catch (e) {
    progress.info(`field coverage: not computed (${e instanceof Error ? e.message : String(e)})`);
  }
  if (baseline) {
    const applied = applyBaseline(result, baseline, { strict: Boolean(config.strictBaseline) });
    for (const s of applied.stale) progress.info(`baseline: "${s}" matches no test of this run`);
    result = applied.run;
  }
  return result;
}

/** Whether the endpoint negotiates a CRI version (else the run ends with its own line, and serving is moot). */
async function speaksCri(endpoints: { runtime: Endpoint; image: Endpoint }, mode: VersionMode, timeoutSeconds: number): Promise<boolean> {
  // A ConnectError (missing socket, not gRPC, hang) propagates: the run would end with the same line.
  const n = await negotiate(endpoints.runtime, endpoints.image, mode, makeTimeouts(timeoutSeconds));
  return Boolean(n.runtime && n.image);
}
