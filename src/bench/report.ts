// The bench's result: JSON (for --compare and CI), a text table, an HTML chart, and the regression gate.
import { PCTS, type Percentiles } from './stats.js';
import type { ProcUsage } from './proc.js';

export interface LevelResult {
  concurrency: number;
  pods: number;
  wallMs: number;
  /** RunPodSandbox → container RUNNING, ms. */
  podStart: Percentiles;
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
  /** The runtime process during the whole bench (local endpoints only). */
  process?: ProcUsage;
  processNote?: string;
}

const LIFECYCLE = ['RunPodSandbox', 'CreateContainer', 'StartContainer', 'ExecSync', 'StopContainer', 'RemoveContainer', 'StopPodSandbox', 'RemovePodSandbox'];
const STATUS = ['ContainerStatus', 'PodSandboxStatus', 'Status', 'ListContainers', 'ListPodSandbox'];
const IMAGE = ['ImageStatus', 'ListImages', 'ImageFsInfo'];

const ms = (x: number) => x.toFixed(1).padStart(8);
const row = (name: string, p: Percentiles) => `  ${name.padEnd(18)} ${String(p.n).padStart(5)} ${ms(p.p50)} ${ms(p.p90)} ${ms(p.p99)} ${ms(p.max)}`;

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
  out.push('', 'pod start (RunPodSandbox → container RUNNING), ms', `  ${'concurrency'.padEnd(18)} ${'n'.padStart(5)} ${'p50'.padStart(8)} ${'p90'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}  p99 vs c=${base?.concurrency ?? 1}   pods/s`);
  for (const l of r.levels) {
    const growth = base && base.podStart.p99 > 0 ? `${(l.podStart.p99 / base.podStart.p99).toFixed(2)}x` : '-';
    out.push(`${row(String(l.concurrency), l.podStart)}  ${growth.padStart(9)}  ${(l.pods / (l.wallMs / 1000)).toFixed(2).padStart(7)}`);
  }
  out.push('');
  if (r.process) {
    const p = r.process;
    out.push(`runtime process ${p.pid} (${p.found}): ${p.cpuSeconds.toFixed(2)} CPU s during the bench; RSS ${p.rssStartMiB.toFixed(0)} MiB at start, peak ${p.rssPeakMiB.toFixed(0)} MiB, ${p.rssEndMiB.toFixed(0)} MiB at end`);
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
    for (const [rpc, p] of Object.entries(l.rpcs)) judge(`${rpc} (c=${l.concurrency})`, bl.rpcs[rpc], p);
  }
  return out;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained page: horizontal bars of p50/p99 per RPC, and pod start percentiles per concurrency. */
export function benchHtml(r: BenchResult): string {
  const base = r.levels[0];
  const bars = (title: string, rows: [string, Percentiles][]) => {
    const max = Math.max(1, ...rows.map(([, p]) => p.max));
    const W = 520;
    const h = rows.length * 26 + 30;
    const items = rows
      .map(([name, p], i) => {
        const y = 20 + i * 26;
        const x = (v: number) => 170 + (v / max) * W;
        return (
          `<text x="165" y="${y + 13}" text-anchor="end">${esc(name)}</text>` +
          `<rect x="170" y="${y + 2}" width="${(p.p99 / max) * W}" height="16" fill="#f4a261"/>` +
          `<rect x="170" y="${y + 2}" width="${(p.p50 / max) * W}" height="16" fill="#2a9d8f"/>` +
          `<line x1="${x(p.max)}" x2="${x(p.max)}" y1="${y}" y2="${y + 20}" stroke="#555"/>` +
          `<text x="${x(p.max) + 4}" y="${y + 13}">${p.p50.toFixed(1)} / ${p.p99.toFixed(1)} / ${p.max.toFixed(1)} ms</text>`
        );
      })
      .join('');
    return `<h2>${esc(title)}</h2><svg width="${170 + W + 190}" height="${h}" font-size="12" font-family="sans-serif">${items}</svg>`;
  };
  const rpcRows: [string, Percentiles][] = base ? Object.entries(base.rpcs).sort((a, b) => b[1].p50 - a[1].p50) : [];
  const podRows: [string, Percentiles][] = r.levels.map((l) => [`concurrency ${l.concurrency}`, l.podStart]);
  return [
    '<!doctype html><meta charset="utf-8"><title>cri-conformance bench</title>',
    '<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em}</style>',
    `<h1>CRI runtime bench: ${esc(r.runtime ? `${r.runtime.name} ${r.runtime.version}` : r.endpoint)}</h1>`,
    '<p>Bars: p50 (green) inside p99 (orange); the line marks the max. Labels: p50 / p99 / max.</p>',
    bars('Pod start (RunPodSandbox → container RUNNING) by concurrency', podRows),
    base ? bars(`Per-RPC latency at concurrency ${base.concurrency}`, rpcRows) : '',
    `<pre>${esc(formatBench(r))}</pre>`,
  ].join('\n');
}

export { PCTS };
