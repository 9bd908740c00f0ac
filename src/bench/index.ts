// `cri-conformance bench`: the runtime's own performance against any endpoint. Pods go through the
// kubelet's lifecycle at each --concurrency level; every RPC is timed; the runtime process is watched when
// the endpoint is local. Everything carries a run label and is swept at the end, on failure and on Ctrl-C.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEndpoint, resolveEndpoints, type Endpoint } from '../config.js';
import { closeAllChannels, makeCri } from '../cri/client.js';
import { negotiate } from '../cri/negotiate.js';
import { makeTimeouts } from '../cri/timeouts.js';
import { EXIT, NoVersionError, UsageError } from '../errors.js';
import { sweepRun } from '../runner/sweep.js';
import { benchHtml, formatBench, regressions, type BenchResult, type LevelResult } from './report.js';
import { socketOwnerPid, watchProcess } from './proc.js';
import { percentiles, Samples } from './stats.js';
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

  let runtime: Endpoint;
  let image = str(o, 'image');
  if (o['lab']) {
    const { labUp } = await import('../lab/index.js');
    const info = await labUp({ dir: str(o, 'labDir'), log: (l) => process.stderr.write(`lab: ${l}\n`) });
    runtime = parseEndpoint(info.runtimeEndpoint, 'lab');
    image ??= info.images['busybox'];
  } else {
    runtime = resolveEndpoints({ runtimeFlag: str(o, 'runtimeEndpoint'), configFlag: str(o, 'config'), env: process.env }).runtime;
  }
  if (!image) throw new UsageError('bench needs an image to run (any image with `sleep` and `true`): give --image REF (with --lab the lab busybox is used)');

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
      const starts = await runLevel({ ...work, samples }, pods, c, abort.signal);
      const level: LevelResult = { concurrency: c, pods: starts.length, wallMs: Math.round(performance.now() - t0), podStart: percentiles(starts), rpcs: samples.summary() };
      result.levels.push(level);
    }
    const usage = watch?.stop();
    if (usage) result.process = usage;
    else if (pid) result.processNote = `process ${pid} could not be read (it exited, or /proc is not readable)`;
  } finally {
    const swept = await sweepRun(cri, runId).catch((e: Error) => ({ removed: [], errors: [e.message] }));
    if (swept.removed.length) process.stderr.write(`bench: removed ${swept.removed.length} leftover object(s) of ${runId}\n`);
    for (const e of swept.errors) process.stderr.write(`bench: cleanup warning: ${e}\n`);
    if (pulled) await cri.image.call('RemoveImage', { image: { image } }).catch((e: Error) => process.stderr.write(`bench: cleanup warning: image ${image}: ${e.message}\n`));
    closeAllChannels();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  process.stdout.write(formatBench(result) + '\n');
  if (output) {
    await mkdir(path.dirname(path.resolve(output)), { recursive: true });
    await writeFile(output, JSON.stringify(result, null, 2) + '\n');
    const html = output.replace(/\.json$/, '') + '.html';
    await writeFile(html, benchHtml(result));
    process.stderr.write(`bench: wrote ${output} and ${html}\n`);
  }
  if (abort.signal.aborted) return EXIT.INTERRUPTED;
  if (base) {
    const regs = regressions(base, result, maxRegression, minDeltaMs);
    if (regs.length) {
      process.stdout.write(`\nregressions against ${str(o, 'compare')} (more than ${maxRegression}% and ${minDeltaMs} ms):\n`);
      for (const r of regs) process.stdout.write(`  ${r.what}: ${r.base.toFixed(1)} ms → ${r.now.toFixed(1)} ms (+${(((r.now - r.base) / Math.max(r.base, 1e-9)) * 100).toFixed(0)}%)\n`);
      return EXIT.TEST_FAILURES;
    }
    process.stdout.write(`\nno percentile regressed by more than ${maxRegression}% against ${str(o, 'compare')}\n`);
  }
  return EXIT.OK;
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
