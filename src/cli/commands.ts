// What each command does; flag parsing lives in program.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { resolveEndpoints, parseEndpoint, type Endpoint } from '../config.js';
import { makeTimeouts } from '../cri/timeouts.js';
import { EXIT, NoVersionError, UsageError } from '../errors.js';
import { negotiate, type VersionMode } from '../cri/negotiate.js';
import { closeAllChannels, makeCri } from '../cri/client.js';
import { sweepRun } from '../runner/sweep.js';
import { list, regexes, str, suiteNames } from './args.js';
import { budgetSpent, runConformance } from '../runner/run.js';
import { makeProgress } from '../runner/progress.js';
import { readImagesFile, MANIFEST } from '../runner/images.js';
import type { RunResult } from '../report/model.js';
import { writeReports } from '../report/write.js';
import { runFromSummary } from '../report/certification.js';
import { closingLine, runVerdict } from '../report/verdict.js';
import { toTap } from '../report/tap.js';
import { summaryTable } from '../report/summary-table.js';
import { DEFAULT_MINOR, KNOWN_MINORS, compatibilityMatrix, formatMatrix, formatHandlerMatrix } from '../profiles/index.js';
import { applyBaseline, loadBaseline, writeBaseline } from '../baseline/index.js';
import { labDown, labEnv, labStatus, labUp } from '../lab/index.js';
import { serveImagesForRun } from '../images/serve.js';
import { preflight } from '../doctor/command.js';

type Opts = Record<string, unknown>;

function kubernetesMinor(o: Opts): string {
  const k = str(o, 'kubernetes') ?? DEFAULT_MINOR;
  if (!KNOWN_MINORS.includes(k)) throw new UsageError(`unknown Kubernetes release "${k}": known releases are ${KNOWN_MINORS.join(', ')}`);
  return k;
}

export async function runCommand(o: Opts): Promise<number> {
  // Validate everything the user typed before touching the machine or the network.
  const focus = regexes(list(o, 'focus'), '--focus');
  const skip = regexes(list(o, 'skip'), '--skip');
  const suites = suiteNames(o);
  const kubernetes = kubernetesMinor(o);
  const reporters = (str(o, 'reporter') ?? 'junit,summary').split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of reporters) if (!['junit', 'tap', 'summary'].includes(r)) throw new UsageError(`unknown reporter "${r}": use junit, tap, summary`);
  if (o['strictBaseline'] && !str(o, 'baseline')) throw new UsageError('--strict-baseline needs --baseline FILE (it makes listed tests that now pass fail the run)');
  const baseline = str(o, 'baseline') ? loadBaseline(str(o, 'baseline')!) : undefined;
  const progress = makeProgress(process.stderr, Boolean(o['quiet']));

  let endpoints;
  let images: Record<string, string> = {};
  let privateRegistry;
  let knownHandlers = (process.env['CRI_CONFORMANCE_RUNTIME_HANDLERS'] ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  let handlerRoots: Record<string, string> | undefined;
  if (o['lab']) {
    const info = await labUp({ dir: str(o, 'labDir'), log: (l) => progress.info(`lab: ${l}`) });
    const rt = parseEndpoint(info.runtimeEndpoint, 'lab');
    endpoints = { runtime: rt, image: parseEndpoint(info.imageEndpoint, 'lab'), notes: [], timeoutSeconds: undefined };
    images = info.images;
    privateRegistry = info.authRegistry;
    knownHandlers = info.runtimeHandlers;
    handlerRoots = info.handlerRoots;
  } else {
    endpoints = resolveEndpoints({
      runtimeFlag: str(o, 'runtimeEndpoint'),
      imageFlag: str(o, 'imageEndpoint'),
      configFlag: str(o, 'config'),
      timeoutFlag: typeof o['timeout'] === 'number' ? (o['timeout'] as number) : undefined,
      env: process.env,
    });
    for (const n of endpoints.notes) progress.info(n);
  }
  if (str(o, 'images')) images = readImagesFile(str(o, 'images')!);
  else if (str(o, 'registryPrefix')) images = readImagesFile(MANIFEST, str(o, 'registryPrefix'));
  else if (!o['lab'] && process.env['CRI_CONFORMANCE_IMAGES']) images = readImagesFile(process.env['CRI_CONFORMANCE_IMAGES']);
  // No image source configured: the run serves the fixture images itself on loopback registries.
  // Serve and preflight only a runtime that negotiates (a connect error ends the run here, as it would below).
  const cri = needsImages(suites) && (await speaksCri(endpoints, o));
  const served = Object.keys(images).length === 0 && cri ? await serveImagesForRun(endpoints.runtime.uri, (l) => progress.info(l), typeof o['servePort'] === 'number' ? (o['servePort'] as number) : undefined) : undefined;
  if (served) {
    images = served.images;
    privateRegistry = served.privateRegistry;
  }

  const timeoutSeconds = typeof o['timeout'] === 'number' ? (o['timeout'] as number) : (endpoints.timeoutSeconds ?? 20);
  if (o['doctor'] !== false && !o['lab'] && cri) {
    await preflight(endpoints.runtime, endpoints.image, (str(o, 'criVersion') ?? 'auto') as VersionMode, timeoutSeconds, images, (l) => progress.info(l)).catch(() => undefined);
  }
  const runTimeoutMs = typeof o['runTimeout'] === 'number' ? (o['runTimeout'] as number) * 1000 : undefined;
  const reconnectTimeoutMs = typeof o['reconnectTimeout'] === 'number' ? (o['reconnectTimeout'] as number) * 1000 : undefined;
  const abort = new AbortController();
  let interrupted = false;
  const onSignal = (sig: string) => {
    if (interrupted) {
      process.stderr.write(`\n${sig} again: exiting without finishing cleanup\n`);
      process.exit(EXIT.INTERRUPTED);
    }
    interrupted = true;
    process.stderr.write(`\n${sig}: stopping and cleaning up what this run created (again to force)\n`);
    abort.abort();
  };
  const sigint = () => onSignal('SIGINT');
  const sigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);

  let run: RunResult;
  try {
    run = await runConformance({
      endpoints,
      criVersion: (str(o, 'criVersion') ?? 'auto') as VersionMode,
      timeouts: makeTimeouts(timeoutSeconds),
      testTimeoutMs: ((o['testTimeout'] as number) ?? 180) * 1000,
      ...(runTimeoutMs ? { runTimeoutMs } : {}),
      ...(reconnectTimeoutMs !== undefined ? { reconnectTimeoutMs } : {}),
      kubernetes,
      focus,
      skip,
      suites,
      bail: Boolean(o['bail']),
      jobs: Math.floor((o['jobs'] as number) ?? 1),
      images,
      privateRegistry,
      runtimeHandler: str(o, 'runtimeHandler') ?? process.env['CRI_CONFORMANCE_RUNTIME_HANDLER'] ?? '',
      knownHandlers,
      handlerRoots,
      progress,
      signal: abort.signal,
    });
  } finally {
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
    await served?.close();
  }

  if (o['allowMissingImages']) run.allowMissingImages = true;
  if (baseline) {
    const applied = applyBaseline(run, baseline, { strict: Boolean(o['strictBaseline']) });
    run = applied.run;
    for (const s of applied.stale) progress.info(`baseline: "${s}" matches no test of this run`);
  }
  if (str(o, 'writeBaseline')) {
    writeBaseline(run, str(o, 'writeBaseline')!);
    progress.info(`baseline written to ${str(o, 'writeBaseline')}`);
  }

  const dir = path.resolve(str(o, 'reportDir') ?? 'reports');
  const dashboard = o['junitDashboard'] === true ? 'cri-conformance' : str(o, 'junitDashboard');
  const written = await writeReports(run, dir, {
    junit: reporters.includes('junit'),
    ...(dashboard !== undefined ? { junitDashboard: dashboard } : {}),
    tap: reporters.includes('tap'),
    summary: true,
  });
  if (reporters.includes('tap')) process.stdout.write(toTap(run));
  process.stderr.write('\n' + summaryTable(run, { color: Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'] }) + '\n');
  process.stderr.write('\n' + formatMatrix(compatibilityMatrix(run)) + '\n');
  const shown = (f: string) => (path.relative(process.cwd(), f).startsWith('..') ? f : path.relative(process.cwd(), f));
  process.stderr.write(`\nreports: ${written.files.map(shown).join(', ')}\n`);
  if (written.summarySha256) process.stderr.write(`summary.json sha256: ${written.summarySha256}\n`);
  // The same verdict every report was written from: the closing line and the exit code cannot disagree with them.
  const verdict = runVerdict(run);
  process.stderr.write(closingLine(verdict) + '\n');
  if (verdict.counts.noImage && !run.allowMissingImages) {
    process.stderr.write(`${verdict.counts.noImage} test(s) did not run because their test images are not available; serve or mirror them (cri-conformance images --help) or pass --allow-missing-images\n`);
  }

  if (interrupted) return EXIT.INTERRUPTED;
  if (runTimeoutMs && run.aborted === budgetSpent(runTimeoutMs)) {
    process.stderr.write(`run stopped: --run-timeout ${runTimeoutMs / 1000} s ran out; tests in flight failed, the rest are "not run" (exit ${EXIT.RUN_BUDGET})\n`);
    return EXIT.RUN_BUDGET;
  }
  if (run.aborted) {
    process.stderr.write(`run stopped early: ${run.aborted}\n`);
    return EXIT.CONNECT;
  }
  if (!run.negotiated.runtime || !run.negotiated.image) {
    process.stderr.write(`no CRI version negotiated: ${run.negotiated.reason ?? ''}\n`);
    return EXIT.NO_VERSION;
  }
  return verdict.result === 'passed' ? EXIT.OK : EXIT.TEST_FAILURES;
}

/** Suites whose tests use no test image: a run of only these serves none. */
const IMAGE_FREE_SUITES = ['version', 'runtime-status'];
const needsImages = (suites: string[] | undefined): boolean => !suites || suites.some((s) => !IMAGE_FREE_SUITES.includes(s));

/** Whether the endpoint negotiates a CRI version (else the run ends with its own line, and serving is moot). */
async function speaksCri(endpoints: { runtime: Endpoint; image: Endpoint; timeoutSeconds?: number }, o: Opts): Promise<boolean> {
  const seconds = typeof o['timeout'] === 'number' ? (o['timeout'] as number) : (endpoints.timeoutSeconds ?? 20);
  // A ConnectError (missing socket, not gRPC, hang) propagates: the run would end with the same line.
  const n = await negotiate(endpoints.runtime, endpoints.image, (str(o, 'criVersion') ?? 'auto') as VersionMode, makeTimeouts(seconds));
  return Boolean(n.runtime && n.image);
}

export async function labCommand(action: string, o: Opts): Promise<number> {
  const dir = str(o, 'labDir');
  const log = (l: string) => process.stderr.write(`lab: ${l}\n`);
  if (action === 'up') {
    const info = await labUp({ dir, log });
    for (const [k, v] of Object.entries(labEnv(info))) process.stdout.write(`export ${k}=${v}\n`);
    return EXIT.OK;
  }
  if (action === 'down') {
    await labDown({ dir, log, purge: Boolean(o['purge']) });
    return EXIT.OK;
  }
  const st = await labStatus({ dir, log });
  if (action === 'env') {
    if (!st.running || !st.info) {
      process.stderr.write('the lab is not running: start it with `cri-conformance lab up`\n');
      return EXIT.LAB;
    }
    for (const [k, v] of Object.entries(labEnv(st.info))) process.stdout.write(`export ${k}=${v}\n`);
    return EXIT.OK;
  }
  process.stdout.write(st.running ? `lab running: ${st.info?.runtimeEndpoint}\n` : 'lab not running\n');
  for (const p of st.problems) process.stdout.write(`  problem: ${p}\n`);
  return st.running ? EXIT.OK : EXIT.LAB;
}

export async function matrixCommand(o: Opts): Promise<number> {
  const from = Array.isArray(o['from']) && o['from'].length ? (o['from'] as string[]) : ['reports/summary.json'];
  const runs = from.map(readSummary);
  if (runs.length === 1) {
    process.stdout.write(formatMatrix(compatibilityMatrix(runs[0]!)) + '\n');
    return EXIT.OK;
  }
  // One run per runtime handler: the verdict of each release for each handler.
  const handlers = runs.map((r) => r.runtimeHandler ?? '');
  const dup = handlers.find((h, i) => handlers.indexOf(h) !== i);
  if (dup !== undefined) throw new UsageError(`two of the --from runs used the runtime handler "${dup || '(default)'}": give one run per handler`);
  process.stdout.write(formatHandlerMatrix(runs.map((r) => ({ handler: r.runtimeHandler ?? '', verdicts: compatibilityMatrix(r) }))) + '\n');
  return EXIT.OK;
}

function readSummary(file: string): RunResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read run summary ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; run \`cri-conformance run\` first or pass --from`);
  }
  try {
    return runFromSummary(JSON.parse(text));
  } catch (e) {
    throw new UsageError(`${file} is not a cri-conformance summary.json (${(e as Error).message})`);
  }
}

export async function cleanupCommand(o: Opts): Promise<number> {
  const runtime = o['lab']
    ? parseEndpoint((await labStatus({})).info?.runtimeEndpoint ?? 'unix:///run/cri-conformance/containerd.sock', 'lab')
    : resolveEndpoints({ runtimeFlag: str(o, 'runtimeEndpoint'), configFlag: str(o, 'config'), env: process.env }).runtime;
  const timeouts = makeTimeouts(20);
  const n = await negotiate(runtime, runtime, 'auto', timeouts);
  if (!n.runtime) throw new NoVersionError(n.reason ?? 'no CRI version negotiated');
  const cri = makeCri(runtime, runtime, { runtime: n.runtime, image: n.image ?? n.runtime }, timeouts);
  try {
    const r = await sweepRun(cri, str(o, 'runId'));
    for (const x of r.removed) process.stdout.write(`removed ${x}\n`);
    for (const e of r.errors) process.stderr.write(`cleanup: ${e}\n`);
    process.stderr.write(`${r.removed.length} object(s) removed${r.errors.length ? `, ${r.errors.length} error(s)` : ''}\n`);
    return r.errors.length ? EXIT.CONNECT : EXIT.OK;
  } finally {
    closeAllChannels();
  }
}
