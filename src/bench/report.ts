// The bench's result: JSON (for --compare and CI), a text table, an HTML chart, and the regression gate.
import { PCTS, type Percentiles } from './stats.js';
import type { ImageLatency } from './images.js';
import type { ProcUsage } from './proc.js';

export interface LevelResult {
  concurrency: number;
  pods: number;
  wallMs: number;
  /** RunPodSandbox → container RUNNING, ms. */
  podStart: Percentiles;
  /** RunPodSandbox → … → RemovePodSandbox less the probes while the container runs, ms (absent in results
   * written before it was measured). */
  podLifecycle?: Percentiles;
  /** Per RPC, ms. */
  rpcs: Record<string, Percentiles>;
}

export interface BenchResult {
  schema: 'cri-conformance/bench/v1';
  startedAt: string;
  endpoint: string;
  runtime?: { name: string; version: string };
  image: string;
  /** The one PullImage of the bench image before the levels (absent when the image was already there). */
  pullMs?: number;
  levels: LevelResult[];
  /** PullImage / RemoveImage rounds after the levels (absent with --pull-rounds 0 or no images to pull). */
  images?: ImageLatency;
  /** --max-pod-lifecycle: the percentile judged at every level, its limit, and the levels over it. */
  lifecycleLimit?: LifecycleLimit;
  /** The runtime process during the pod levels (local endpoints only). */
  process?: ProcUsage;
  processNote?: string;
}

const LIFECYCLE = ['RunPodSandbox', 'CreateContainer', 'StartContainer', 'ExecSync', 'StopContainer', 'RemoveContainer', 'StopPodSandbox', 'RemovePodSandbox'];
const STATUS = ['ContainerStatus', 'PodSandboxStatus', 'Status', 'ListContainers', 'ListPodSandbox'];
const IMAGE = ['ImageStatus', 'ListImages', 'ImageFsInfo'];

export type Pct = (typeof PCTS)[number];

export interface LifecycleLimit {
  percentile: Pct;
  ms: number;
  exceeded: { concurrency: number; ms: number }[];
}

/** The levels whose pod lifecycle `percentile` is over `limitMs`. */
export function lifecycleOverLimit(levels: LevelResult[], percentile: Pct, limitMs: number): LifecycleLimit {
  const exceeded = levels.flatMap((l) => (l.podLifecycle && l.podLifecycle.n > 0 && l.podLifecycle[percentile] > limitMs ? [{ concurrency: l.concurrency, ms: l.podLifecycle[percentile] }] : []));
  return { percentile, ms: limitMs, exceeded };
}

const ms = (x: number) => x.toFixed(1).padStart(8);
const row = (name: string, p: Percentiles) => `  ${name.padEnd(18)} ${String(p.n).padStart(5)} ${ms(p.p50)} ${ms(p.p90)} ${ms(p.p99)} ${ms(p.max)}`;
const head = (first: string) => `  ${first.padEnd(18)} ${'n'.padStart(5)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}`;
const shortRef = (ref: string) => ref.replace(/^(localhost|[^/]*[.:][^/]*)\//, ''); // the registry host, as Docker names it

export function formatBench(r: BenchResult): string {
  const out: string[] = [];
  out.push(`runtime ${r.runtime ? `${r.runtime.name} ${r.runtime.version}` : '(unknown)'} at ${r.endpoint}, image ${r.image}${r.pullMs !== undefined ? ` (pulled once in ${r.pullMs.toFixed(0)} ms, not in pod start)` : ''}`);
  const base = r.levels[0];
  if (base) {
    out.push('', `per-RPC latency, ms, at concurrency ${base.concurrency} (${base.pods} pods)`, `  ${'RPC'.padEnd(18)} ${'n'.padStart(5)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}`);
    for (const [group, names] of [['lifecycle', LIFECYCLE], ['status and list', STATUS], ['image', IMAGE]] as const) {
      out.push(` ${group}`);
      for (const n of names) if (base.rpcs[n]) out.push(row(n, base.rpcs[n]));
    }
  }
  out.push('', 'pod start (RunPodSandbox → container RUNNING), ms', `${head('concurrency')}  p99 vs c=${base?.concurrency ?? 1}   pods/s`);
  for (const l of r.levels) {
    const growth = base && base.podStart.p99 > 0 ? `${(l.podStart.p99 / base.podStart.p99).toFixed(2)}x` : '-';
    out.push(`${row(String(l.concurrency), l.podStart)}  ${growth.padStart(9)}  ${(l.pods / (l.wallMs / 1000)).toFixed(2).padStart(7)}`);
  }
  if (r.levels.some((l) => l.podLifecycle)) {
    out.push('', 'pod lifecycle (RunPodSandbox → CreateContainer → StartContainer → RUNNING, then StopContainer → RemoveContainer → StopPodSandbox → RemovePodSandbox), ms', head('concurrency'));
    for (const l of r.levels) if (l.podLifecycle) out.push(row(String(l.concurrency), l.podLifecycle));
  }
  if (r.lifecycleLimit) {
    const { percentile: p, ms: limit, exceeded } = r.lifecycleLimit;
    out.push(exceeded.length ? `pod lifecycle ${p} over ${limit} ms: ${exceeded.map((e) => `${e.ms.toFixed(1)} ms at concurrency ${e.concurrency}`).join(', ')}` : `pod lifecycle ${p} within ${limit} ms at every concurrency`);
  }
  if (r.images) {
    const im = r.images;
    out.push('', `image pull and remove, ms (${im.perImage.length} image(s) × ${im.rounds} round(s), one call at a time, after the pod levels)`, head('RPC'), row('PullImage', im.pull), row('RemoveImage', im.remove));
    const w = Math.max(18, ...im.perImage.map((i) => shortRef(i.ref).length));
    out.push(`  ${'per image, p50'.padEnd(w)} ${'pull'.padStart(8)} ${'remove'.padStart(8)}`);
    for (const i of im.perImage) out.push(`  ${shortRef(i.ref).padEnd(w)} ${ms(i.pull.p50)} ${ms(i.remove.p50)}`);
    for (const k of im.skipped) out.push(`  not measured: ${k.ref}: ${k.reason}`);
  }
  out.push('');
  if (r.process) {
    const p = r.process;
    out.push(`runtime process ${p.pid} (${p.found}): ${p.cpuSeconds.toFixed(2)} CPU s during the pod levels; RSS ${p.rssStartMiB.toFixed(0)} MiB at start, peak ${p.rssPeakMiB.toFixed(0)} MiB, ${p.rssEndMiB.toFixed(0)} MiB at end`);
  } else out.push(`runtime process: not measured (${r.processNote ?? 'unknown'})`);
  return out.join('\n');
}

export interface Regression {
  what: string;
  base: number;
  now: number;
}

/** Every percentile (per RPC and pod start, per concurrency both runs have) that grew by more than `pct`
 * percent and by more than `minDeltaMs` (sub-millisecond calls jitter by more than any sane percentage). */
export function regressions(base: BenchResult, cur: BenchResult, pct: number, minDeltaMs: number): Regression[] {
  const out: Regression[] = [];
  const judge = (what: string, b: Percentiles | undefined, c: Percentiles | undefined) => {
    if (!b || !c) return;
    for (const k of ['p50', 'p90', 'p99'] as const) {
      if (c[k] > b[k] * (1 + pct / 100) && c[k] - b[k] > minDeltaMs) out.push({ what: `${what} ${k}`, base: b[k], now: c[k] });
    }
  };
  for (const l of cur.levels) {
    const bl = base.levels.find((x) => x.concurrency === l.concurrency);
    if (!bl) continue;
    judge(`pod start (c=${l.concurrency})`, bl.podStart, l.podStart);
    judge(`pod lifecycle (c=${l.concurrency})`, bl.podLifecycle, l.podLifecycle);
    for (const [rpc, p] of Object.entries(l.rpcs)) judge(`${rpc} (c=${l.concurrency})`, bl.rpcs[rpc], p);
  }
  if (base.images?.pull.n && cur.images?.pull.n) {
    judge('image PullImage', base.images.pull, cur.images.pull);
    judge('image RemoveImage', base.images.remove, cur.images.remove);
  }
  return out;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained page: horizontal bars of p50/p99 per RPC, pod start and pod lifecycle percentiles per
 * concurrency, and image pull/remove percentiles. */
export function benchHtml(r: BenchResult): string {
  const base = r.levels[0];
  const bars = (title: string, rows: [string, Percentiles][]) => {
    const max = Math.max(1, ...rows.map(([, p]) => p.max));
    const W = 520;
    // Room for the longest label (about 7 px a character at 12 px sans-serif).
    const L = Math.max(170, 10 + 7 * Math.max(0, ...rows.map(([n]) => n.length)));
    const h = rows.length * 26 + 30;
    const items = rows
      .map(([name, p], i) => {
        const y = 20 + i * 26;
        const x = (v: number) => L + (v / max) * W;
        return (
          `<text x="${L - 5}" y="${y + 13}" text-anchor="end">${esc(name)}</text>` +
          `<rect x="${L}" y="${y + 2}" width="${(p.p99 / max) * W}" height="16" fill="#f4a261"/>` +
          `<rect x="${L}" y="${y + 2}" width="${(p.p50 / max) * W}" height="16" fill="#2a9d8f"/>` +
          `<line x1="${x(p.max)}" x2="${x(p.max)}" y1="${y}" y2="${y + 20}" stroke="#555"/>` +
          `<text x="${x(p.max) + 4}" y="${y + 13}">${p.p50.toFixed(1)} / ${p.p99.toFixed(1)} / ${p.max.toFixed(1)} ms</text>`
        );
      })
      .join('');
    return `<h2>${esc(title)}</h2><svg width="${L + W + 190}" height="${h}" font-size="12" font-family="sans-serif">${items}</svg>`;
  };
  const rpcRows: [string, Percentiles][] = base ? Object.entries(base.rpcs).sort((a, b) => b[1].p50 - a[1].p50) : [];
  const podRows: [string, Percentiles][] = r.levels.map((l) => [`concurrency ${l.concurrency}`, l.podStart]);
  const lifecycleRows: [string, Percentiles][] = r.levels.flatMap((l): [string, Percentiles][] => (l.podLifecycle ? [[`concurrency ${l.concurrency}`, l.podLifecycle]] : []));
  const imageRows: [string, Percentiles][] = r.images
    ? [['PullImage (all)', r.images.pull], ['RemoveImage (all)', r.images.remove], ...r.images.perImage.map((i): [string, Percentiles] => [`pull ${shortRef(i.ref)}`, i.pull])]
    : [];
  return [
    '<!doctype html><meta charset="utf-8"><title>cri-conformance bench</title>',
    '<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em}</style>',
    `<h1>CRI runtime bench: ${esc(r.runtime ? `${r.runtime.name} ${r.runtime.version}` : r.endpoint)}</h1>`,
    '<p>Bars: p50 (green) inside p99 (orange); the line marks the max. Labels: p50 / p99 / max.</p>',
    bars('Pod start (RunPodSandbox → container RUNNING) by concurrency', podRows),
    lifecycleRows.length ? bars('Pod lifecycle (RunPodSandbox → RUNNING → RemovePodSandbox) by concurrency', lifecycleRows) : '',
    imageRows.length ? bars(`Image pull and remove (${r.images!.rounds} round(s) per image)`, imageRows) : '',
    base ? bars(`Per-RPC latency at concurrency ${base.concurrency}`, rpcRows) : '',
    `<pre>${esc(formatBench(r))}</pre>`,
  ].join('\n');
}

export { PCTS };
