// What each command does; flag parsing lives in program.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveEndpoints, parseEndpoint } from '../config.js';
import { makeTimeouts } from '../cri/timeouts.js';
import { EXIT, NoVersionError, UsageError } from '../errors.js';
import { negotiate, type VersionMode } from '../cri/negotiate.js';
import { closeAllChannels, makeCri } from '../cri/client.js';
import { sweepRun } from '../runner/sweep.js';
import { list, str } from './args.js';
import { budgetSpent } from '../runner/run.js';
import { makeProgress } from '../runner/progress.js';
import type { RunResult } from '../report/model.js';
import { writeReports } from '../report/write.js';
import { runFromSummary } from '../report/certification.js';
import { closingLine, runVerdict } from '../report/verdict.js';
import { toTap } from '../report/tap.js';
import { summaryTable } from '../report/summary-table.js';
import { compatibilityMatrix, formatMatrix, formatHandlerMatrix } from '../profiles/index.js';
import { runsMatrixPage } from '../report/timeline.js';
import { writeBaseline } from '../baseline/index.js';
import { DEFAULT_RUNTIME, allRuntimeProviders, labDown, labEnv, labStatus, labUp, runtimeProvider } from '../lab/index.js';
import { labLayout } from '../lab/layout.js';

type Opts = Record<string, unknown>;

export async function runCommand(o: Opts): Promise<number> {
  // Flags only the CLI has are checked here; run() checks the rest before touching the machine.
  const reporters = (str(o, 'reporter') ?? 'junit,summary').split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of reporters) if (!['junit', 'tap', 'summary'].includes(r)) throw new UsageError(`unknown reporter "${r}": use junit, tap, summary`);
  if (o['strictBaseline'] && !str(o, 'baseline')) throw new UsageError('--strict-baseline needs --baseline FILE (it makes listed tests that now pass fail the run)');
  const num = (k: string) => (typeof o[k] === 'number' ? (o[k] as number) : undefined);
  const runTimeoutSeconds = num('runTimeout');

  const abort = new AbortController();
  let interrupted = false;
  let firstSignalAt = 0;
  const onSignal = (sig: string) => {
    // One Ctrl-C can arrive twice: from the terminal, and passed on by the parent that re-executed us.
    if (interrupted && Date.now() - firstSignalAt < 500) return;
    if (interrupted) {
      process.stderr.write(`\n${sig} again: exiting without finishing cleanup\n`);
      process.exit(EXIT.INTERRUPTED);
    }
    interrupted = true;
    firstSignalAt = Date.now();
    process.stderr.write(`\n${sig}: stopping and cleaning up what this run created (again to force)\n`);
    abort.abort();
  };
  const sigint = () => onSignal('SIGINT');
  const sigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);

  const { run } = await import('../index.js'); // the API entry: loaded only by this command
  let result: RunResult;
  try {
    result = await run({
      lab: Boolean(o['lab']),
      labDir: str(o, 'labDir'),
      labRuntime: str(o, 'runtime'),
      runtimeEndpoint: str(o, 'runtimeEndpoint'),
      imageEndpoint: str(o, 'imageEndpoint'),
      config: str(o, 'config'),
      criVersion: (str(o, 'criVersion') ?? 'auto') as VersionMode,
      kubernetes: str(o, 'kubernetes'),
      suites: list(o, 'suite'),
      focus: list(o, 'focus'),
      skip: list(o, 'skip'),
      jobs: num('jobs'),
      bail: Boolean(o['bail']),
      repeat: num('repeat'),
      timeoutSeconds: num('timeout'),
      testTimeoutSeconds: num('testTimeout'),
      runTimeoutSeconds,
      reconnectTimeoutSeconds: num('reconnectTimeout'),
      runtimeHandler: str(o, 'runtimeHandler'),
      images: str(o, 'images'),
      registryPrefix: str(o, 'registryPrefix'),
      servePort: num('servePort'),
      doctor: o['doctor'] !== false,
      allowMissingImages: Boolean(o['allowMissingImages']),
      baseline: str(o, 'baseline'),
      strictBaseline: Boolean(o['strictBaseline']),
      progress: makeProgress(process.stderr, Boolean(o['quiet'])),
      signal: abort.signal,
    });
  } finally {
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
  }

  if (str(o, 'writeBaseline')) {
    writeBaseline(result, str(o, 'writeBaseline')!);
    process.stderr.write(`baseline written to ${str(o, 'writeBaseline')}\n`);
  }
  const dir = path.resolve(str(o, 'reportDir') ?? 'reports');
  const dashboard = o['junitDashboard'] === true ? 'cri-conformance' : str(o, 'junitDashboard');
  const written = await writeReports(result, dir, {
    junit: reporters.includes('junit'),
    ...(dashboard !== undefined ? { junitDashboard: dashboard } : {}),
    tap: reporters.includes('tap'),
    summary: true,
  });
  if (reporters.includes('tap')) process.stdout.write(toTap(result));
  process.stderr.write('\n' + summaryTable(result, { color: Boolean(process.stderr.isTTY) && !process.env['NO_COLOR'] }) + '\n');
  process.stderr.write('\n' + formatMatrix(compatibilityMatrix(result)) + '\n');
  const shown = (f: string) => (path.relative(process.cwd(), f).startsWith('..') ? f : path.relative(process.cwd(), f));
  process.stderr.write(`\nreports: ${written.files.map(shown).join(', ')}\n`);
  if (written.summarySha256) process.stderr.write(`summary.json sha256: ${written.summarySha256}\n`);
  // The same verdict every report was written from: the closing line and the exit code cannot disagree with them.
  const verdict = runVerdict(result);
  process.stderr.write(closingLine(verdict) + '\n');
  if (verdict.counts.noImage && !result.allowMissingImages) {
    process.stderr.write(`${verdict.counts.noImage} test(s) did not run because their test images are not available; serve or mirror them (cri-conformance images --help) or pass --allow-missing-images\n`);
  }

  if (interrupted) return EXIT.INTERRUPTED;
  if (runTimeoutSeconds && result.aborted === budgetSpent(runTimeoutSeconds * 1000)) {
    process.stderr.write(`run stopped: --run-timeout ${runTimeoutSeconds} s ran out; tests in flight failed, the rest are "not run" (exit ${EXIT.RUN_BUDGET})\n`);
    return EXIT.RUN_BUDGET;
  }
  if (result.aborted) {
    process.stderr.write(`run stopped early: ${result.aborted}\n`);
    return EXIT.CONNECT;
  }
  if (!result.negotiated.runtime || !result.negotiated.image) {
    process.stderr.write(`no CRI version negotiated: ${result.negotiated.reason ?? ''}\n`);
    return EXIT.NO_VERSION;
  }
  if (verdict.result === 'passed') return EXIT.OK;
  // The closing line already names the flaky tests' count; exit 9 only when nothing else failed.
  return verdict.onlyFlaky ? EXIT.FLAKY : EXIT.TEST_FAILURES;
}

export async function labCommand(action: string, o: Opts): Promise<number> {
  const dir = str(o, 'labDir');
  const runtime = str(o, 'runtime');
  const log = (l: string) => process.stderr.write(`lab: ${l}\n`);
  if (action === 'up') {
    const info = await labUp({ dir, runtime, log });
    for (const [k, v] of Object.entries(labEnv(info))) process.stdout.write(`export ${k}=${v}\n`);
    return EXIT.OK;
  }
  if (action === 'down') {
    await labDown({ dir, runtime, log, purge: Boolean(o['purge']) });
    return EXIT.OK;
  }
  if (action === 'status' && !dir && !runtime) return labStatusAll();
  const st = await labStatus({ dir, runtime, log });
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

/** `lab status` alone: the default lab, and every other runtime's lab that has been brought up. */
async function labStatusAll(): Promise<number> {
  let code: number = EXIT.OK;
  for (const p of allRuntimeProviders()) {
    const st = await labStatus({ runtime: p.name });
    const isDefault = p.name === DEFAULT_RUNTIME;
    if (!isDefault && !st.running && st.problems.some((x) => x.startsWith('no lab state'))) continue;
    const what = st.running ? `running: ${st.info?.runtimeEndpoint}` : 'not running';
    process.stdout.write(`lab ${p.name} (${p.defaultDir}) ${what}\n`);
    for (const x of st.problems) process.stdout.write(`  problem: ${x}\n`);
    if (isDefault && !st.running) code = EXIT.LAB;
  }
  return code;
}

export async function matrixCommand(o: Opts): Promise<number> {
  const from = Array.isArray(o['from']) && o['from'].length ? (o['from'] as string[]) : ['reports/summary.json'];
  const runs = from.map(readSummary);
  if (runs.length === 1) {
    process.stdout.write(formatMatrix(compatibilityMatrix(runs[0]!)) + '\n');
    return EXIT.OK;
  }
  // One run per runtime and handler: the verdict of each release for each. Runs of one runtime are named by
  // their handler alone; runs of several runtimes by runtime version and handler.
  const runtimeOf = (r: RunResult) => (r.runtime ? `${r.runtime.name} ${r.runtime.version}` : 'runtime ?');
  const oneRuntime = new Set(runs.map(runtimeOf)).size === 1;
  const names = runs.map((r) => (oneRuntime ? r.runtimeHandler ?? '' : `${runtimeOf(r)}${r.runtimeHandler ? ` / ${r.runtimeHandler}` : ''}`));
  const dup = names.find((h, i) => names.indexOf(h) !== i);
  if (dup !== undefined) {
    throw new UsageError(oneRuntime
      ? `two of the --from runs used the runtime handler "${dup || '(default)'}": give one run per handler`
      : `two of the --from runs are of ${dup}: give one run per runtime and handler`);
  }
  const verdicts = runs.map((r) => compatibilityMatrix(r));
  process.stdout.write(formatHandlerMatrix(runs.map((r, i) => ({ handler: names[i]!, verdicts: verdicts[i]! })), oneRuntime ? undefined : '') + '\n');
  const html = str(o, 'html');
  if (html) {
    writeFileSync(html, runsMatrixPage(runs.map((r, i) => ({ name: oneRuntime ? `${runtimeOf(r)}${names[i] ? ` / ${names[i]}` : ''}` : names[i]!, verdicts: verdicts[i]! }))));
    process.stdout.write(`matrix: wrote ${html}\n`);
  }
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
    ? parseEndpoint((await labStatus({ runtime: str(o, 'runtime') })).info?.runtimeEndpoint ?? labLayout(runtimeProvider(str(o, 'runtime')).defaultDir).socket, 'lab')
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

/** `coverage`: the field map (src/coverage), built from proto/ and the checks' declared fields; connects to nothing. */
export async function coverageCommand(o: Opts): Promise<number> {
  const { buildFieldMap } = await import('../coverage/map.js');
  const { renderCoverage } = await import('../coverage/render.js');
  const format = (str(o, 'format') ?? 'text') as 'text' | 'markdown' | 'json';
  if (o['vsCritest']) {
    const c = await import('../coverage/critest.js');
    const reading = c.loadCritestFields();
    const ours = c.oursTotals(buildFieldMap()), critest = c.critestTotals(reading);
    process.stdout.write(format === 'json' ? JSON.stringify({ ours, critest: { release: reading.release, ...critest } }, null, 2) + '\n' : c.renderVsCritest(ours, critest, reading.release));
    return 0;
  }
  process.stdout.write(renderCoverage(buildFieldMap(), format, { totalsOnly: Boolean(o['totals']) }));
  return 0;
}
