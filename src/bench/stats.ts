// Latency samples and their percentiles (nearest-rank: p99 of 20 samples is the largest).

export interface Percentiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export const PCTS = ['p50', 'p90', 'p99', 'max'] as const;

export function percentiles(samples: number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : 0);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { n: s.length, p50: r(at(50)), p90: r(at(90)), p99: r(at(99)), max: r(s.length ? s[s.length - 1]! : 0) };
}

/** Milliseconds per RPC name, as the bench records them. */
export class Samples {
  readonly byRpc = new Map<string, number[]>();
  add(rpc: string, ms: number): void {
    const v = this.byRpc.get(rpc) ?? [];
    v.push(ms);
    this.byRpc.set(rpc, v);
  }
  summary(): Record<string, Percentiles> {
    return Object.fromEntries([...this.byRpc].map(([k, v]) => [k, percentiles(v)]));
  }
}
