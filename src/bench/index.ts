// `cri-conformance bench`: the runtime's own performance against any endpoint. Pods go through the
// kubelet's lifecycle at each --concurrency level; every RPC is timed; the runtime process is watched when
// the endpoint is local. Then several images are pulled and removed, timed. Everything carries a run label
// and is swept at the end, on failure and on Ctrl-C.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEndpoint, resolveEndpoints, type Endpoint } from '../config.js';
import { closeAllChannels, makeCri } from '../cri/client.js';
import { negotiate } from '../cri/negotiate.js';
import { makeTimeouts } from '../cri/timeouts.js';
import { EXIT, NoVersionError, UsageError } from '../errors.js';
import { sweepRun } from '../runner/sweep.js';
import { readImagesFile } from '../runner/images.js';
import { imageRounds, pullImageSet } from './images.js';
import { benchHtml, formatBench, lifecycleOverLimit, regressions, type BenchResult, type LevelResult, type Pct } from './report.js';
import { socketOwnerPid, watchProcess } from './proc.js';
import { PCTS, percentiles, Samples } from './stats.js';
import { runLevel, type PodRun } from './workload.js';

type Opts = Record<string, unknown>;
const str = (o: Opts, k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);

function positiveInts(v: string, flag: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x <= 0)) throw new UsageError(`${flag} "${v}" must be positive whole numbers, comma separated (e.g. 1,4,16)`);
  return xs;
}

export async function benchCommand(o: Opts): Promise<number> {
  // Everything the user typed is checked before connecting.
  const levels = positiveInts(str(o, 'concurrency') ?? '1,4,16', '--concurrency');
  const pods = positiveInts(String(o['pods'] ?? '24'), '--pods')[0]!;
  const warmup = Number(o['warmup'] ?? 2);
  const maxRegression = o['maxRegression'] === undefined ? 10 : Number(o['maxRegression']);
  if (!Number.isFinite(maxRegression) || maxRegression < 0) throw new UsageError(`--max-regression "${String(o['maxRegression'])}" must be a percentage ≥ 0`);
  const minDeltaMs = Number(o['minDeltaMs'] ?? 2);
  const runtimePid = o['runtimePid'] === undefined ? undefined : positiveInts(String(o['runtimePid']), '--runtime-pid')[0];
  const base = str(o, 'compare') ? await readBench(str(o, 'compare')!) : undefined;
  const output = str(o, 'output');
  const pullRounds = Number(o['pullRounds'] ?? 3);
  if (!Number.isInteger(pullRounds) || pullRounds < 0) throw new UsageError(`--pull-rounds "${String(o['pullRounds'])}" must be a whole number ≥ 0 (0: no image rounds)`);
  const maxLifecycle = o['maxPodLifecycle'] === undefined ? undefined : Number(o['maxPodLifecycle']);
  if (maxLifecycle !== undefined && !(maxLifecycle > 0)) throw new UsageError(`--max-pod-lifecycle "${String(o['maxPodLifecycle'])}" must be milliseconds > 0`);
  const lifecyclePct = (str(o, 'lifecyclePercentile') ?? 'p99') as Pct;
  if (!PCTS.includes(lifecyclePct)) throw new UsageError(`--lifecycle-percentile "${lifecyclePct}": use one of ${PCTS.join(', ')}`);

  let runtime: Endpoint;
  let image = str(o, 'image');
  // The run's image table (logical name → ref) the image rounds pick from, unless --pull-images names them.
  let imageTable: Record<string, string> = {};
  let auth: ((ref: string) => { username: string; password: string } | undefined) | undefined;
  if (o['lab']) {
    const { labUp } = await import('../lab/index.js');
    const info = await labUp({ dir: str(o, 'labDir'), runtime: str(o, 'runtime'), log: (l) => process.stderr.write(`lab: ${l}\n`) });
    runtime = parseEndpoint(info.runtimeEndpoint, 'lab');
    image ??= info.images['busybox'];
    imageTable = info.images;
    const a = info.authRegistry;
    auth = (ref) => (ref.startsWith(`${a.host}/`) ? { username: a.username, password: a.password } : undefined);
  } else {
    runtime = resolveEndpoints({ runtimeFlag: str(o, 'runtimeEndpoint'), configFlag: str(o, 'config'), env: process.env }).runtime;
    const file = str(o, 'images') ?? process.env['CRI_CONFORMANCE_IMAGES'];
    if (file) imageTable = readImagesFile(file);
  }
  if (!image) throw new UsageError('bench needs an image to run (any image with `sleep` and `true`): give --image REF (with --lab the lab busybox is used)');
  const pullRefs = pullRounds === 0 ? [] : str(o, 'pullImages') ? str(o, 'pullImages')!.split(',').map((x) => x.trim()).filter(Boolean) : pullImageSet(imageTable, [image]);

  const timeouts = makeTimeouts(typeof o['timeout'] === 'number' ? (o['timeout'] as number) : 20);
  const n = await negotiate(runtime, runtime, 'auto', timeouts);
  if (!n.runtime || !n.image) throw new NoVersionError(n.reason ?? 'no CRI version negotiated');
  const cri = makeCri(runtime, runtime, { runtime: n.runtime, image: n.image }, timeouts);
  const runId = `bench-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex')}`;

  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) {
      process.stderr.write('\ninterrupted again: exiting without cleanup\n');
      process.exit(EXIT.INTERRUPTED);
    }
    process.stderr.write('\ninterrupted: finishing the pods in flight, then removing everything the bench created (again to force)\n');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const result: BenchResult = { schema: 'cri-conformance/bench/v1', startedAt: new Date().toISOString(), endpoint: runtime.uri, image, levels: [] };
  if (n.version) result.runtime = { name: n.version.runtime_name, version: n.version.runtime_version };
  let pulled = false;
  try {
    if (!(await cri.image.call('ImageStatus', { image: { image } })).image) {
      const t0 = performance.now();
      await cri.image.call('PullImage', { image: { image } });
      result.pullMs = performance.now() - t0;
      pulled = true;
    }
    const work: PodRun = { cri, runId, image, runtimeHandler: str(o, 'runtimeHandler') ?? '', samples: new Samples() };
    if (warmup > 0) await runLevel(work, warmup, 1, abort.signal);

    const pid = runtimePid ?? (runtime.kind === 'unix' && runtime.path ? socketOwnerPid(runtime.path) : undefined);
    if (!pid) result.processNote = runtime.kind === 'unix' ? `no process found listening on ${runtime.path} (not root, or another mount namespace): pass --runtime-pid` : 'remote endpoint: pass --runtime-pid when the runtime runs on this host';
    const watch = pid ? watchProcess(pid, runtimePid ? '--runtime-pid' : `owner of ${runtime.path}`) : undefined;
    for (const c of levels) {
      if (abort.signal.aborted) break;
      process.stderr.write(`bench: ${pods} pods at concurrency ${c}\n`);
      const samples = new Samples();
      const t0 = performance.now();
      const times = await runLevel({ ...work, samples }, pods, c, abort.signal);
      const level: LevelResult = {
        concurrency: c,
        pods: times.length,
        wallMs: Math.round(performance.now() - t0),
        podStart: percentiles(times.map((t) => t.startMs)),
        podLifecycle: percentiles(times.map((t) => t.lifecycleMs)),
        rpcs: samples.summary(),
      };
      result.levels.push(level);
    }
    const usage = watch?.stop();
    if (usage) result.process = usage;
    else if (pid) result.processNote = `process ${pid} could not be read (it exited, or /proc is not readable)`;
    if (pullRefs.length && !abort.signal.aborted) {
      process.stderr.write(`bench: ${pullRefs.length} image(s), ${pullRounds} pull and remove round(s) each\n`);
      const benchImage = (await cri.image.call('ImageStatus', { image: { image } })).image;
      result.images = await imageRounds({
        cri,
        refs: pullRefs,
        rounds: pullRounds,
        protectIds: new Set(benchImage ? [benchImage.id] : []),
        auth,
        signal: abort.signal,
        log: (l) => process.stderr.write(`bench: cleanup warning: ${l}\n`),
      });
    }
  } finally {
    const swept = await sweepRun(cri, runId).catch((e: Error) => ({ removed: [], errors: [e.message] }));
    if (swept.removed.length) process.stderr.write(`bench: removed ${swept.removed.length} leftover object(s) of ${runId}\n`);
    for (const e of swept.errors) process.stderr.write(`bench: cleanup warning: ${e}\n`);
    if (pulled) await cri.image.call('RemoveImage', { image: { image } }).catch((e: Error) => process.stderr.write(`bench: cleanup warning: image ${image}: ${e.message}\n`));
    closeAllChannels();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  if (maxLifecycle !== undefined) result.lifecycleLimit = lifecycleOverLimit(result.levels, lifecyclePct, maxLifecycle);
  process.stdout.write(formatBench(result) + '\n');
  if (output) {
    await mkdir(path.dirname(path.resolve(output)), { recursive: true });
    await writeFile(output, JSON.stringify(result, null, 2) + '\n');
    const html = output.replace(/\.json$/, '') + '.html';
    await writeFile(html, benchHtml(result));
    process.stderr.write(`bench: wrote ${output} and ${html}\n`);
  }
  if (abort.signal.aborted) return EXIT.INTERRUPTED;
  let code: number = EXIT.OK;
  if (result.lifecycleLimit?.exceeded.length) code = EXIT.TEST_FAILURES;
  if (base) {
    const regs = regressions(base, result, maxRegression, minDeltaMs);
    if (regs.length) {
      process.stdout.write(`\nregressions against ${str(o, 'compare')} (more than ${maxRegression}% and ${minDeltaMs} ms):\n`);
      for (const r of regs) process.stdout.write(`  ${r.what}: ${r.base.toFixed(1)} ms → ${r.now.toFixed(1)} ms (+${(((r.now - r.base) / Math.max(r.base, 1e-9)) * 100).toFixed(0)}%)\n`);
      return EXIT.TEST_FAILURES;
    }
    process.stdout.write(`\nno percentile regressed by more than ${maxRegression}% against ${str(o, 'compare')}\n`);
  }
  return code;
}

async function readBench(file: string): Promise<BenchResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read bench result ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let j: BenchResult;
  try {
    j = JSON.parse(text) as BenchResult;
  } catch (e) {
    throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
  }
  if (j?.schema !== 'cri-conformance/bench/v1' || !Array.isArray(j.levels)) throw new UsageError(`${file} is not a cri-conformance bench result (--output of \`cri-conformance bench\`)`);
  return j;
}
