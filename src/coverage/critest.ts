// critest's side of the field map (issue: "the same totals for critest"): fixtures/critest-1.36-fields.yaml is a
// reading of critest v1.36.0's source, by kubelet-sent field; this loads it and puts its totals beside ours.
// Both sides count each field once, under its strongest kind, so the columns add up to the 180 fields.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT } from '../version.js';
import type { FieldMap } from './map.js';
import type { ClaimKind } from './types.js';

export const CRITEST_FIELDS_FILE = path.join(REPO_ROOT, 'fixtures', 'critest-1.36-fields.yaml');

/** Strongest first: where a field is observed acting outranks a report about it. */
export const STRENGTH = ['effect', 'true', 'honoured', 'echo', 'stated'] as const satisfies readonly ClaimKind[];
export const CRITEST_KINDS = [...STRENGTH, 'sent', 'none'] as const;
export type CritestKind = (typeof CRITEST_KINDS)[number];

export interface CritestField {
  field: string;
  critest: CritestKind;
  /** `<file>.go: <It() title>`; empty only for `none`. */
  specs: string[];
  note?: string;
}

export interface CritestReading {
  release: string;
  fields: CritestField[];
}

export function loadCritestFields(file = CRITEST_FIELDS_FILE): CritestReading {
  const doc = YAML.parse(readFileSync(file, 'utf8')) as { release?: unknown; fields?: CritestField[] };
  return { release: String(doc.release ?? ''), fields: doc.fields ?? [] };
}

/** Fields per kind, each counted once; `judged` = any of STRENGTH, `declared` = any but 'stated'. */
export interface SideTotals {
  fields: number;
  judged: number;
  declared: number;
  byKind: Record<CritestKind | 'reasoned' | 'open', number>;
}

const zero = (): SideTotals['byKind'] => ({ effect: 0, true: 0, honoured: 0, echo: 0, stated: 0, sent: 0, none: 0, reasoned: 0, open: 0 });
const isJudged = (k: string): boolean => (STRENGTH as readonly string[]).includes(k);

export function critestTotals(r: CritestReading): SideTotals {
  const byKind = zero();
  for (const f of r.fields) byKind[f.critest]++;
  const judged = r.fields.filter((f) => isJudged(f.critest)).length;
  return { fields: r.fields.length, judged, declared: judged - byKind.stated, byKind };
}

/** Ours over the fields the kubelet sends, each under its strongest kind; not judged = reasoned or open. */
export function oursTotals(m: FieldMap): SideTotals {
  const byKind = zero();
  const sent = m.fields.filter((f) => f.kubelet);
  for (const f of sent) {
    const best = STRENGTH.find((k) => f.judges.includes(k));
    byKind[best ?? (f.reason ? 'reasoned' : 'open')]++;
  }
  const judged = STRENGTH.reduce((n, k) => n + byKind[k], 0);
  return { fields: sent.length, judged, declared: judged - byKind.stated, byKind };
}

/** `coverage --vs-critest`: the two sides' totals per kind, side by side. */
export function renderVsCritest(ours: SideTotals, critest: SideTotals, release: string): string {
  const rows: [string, number | string, number | string][] = [
    ['fields the kubelet sends', ours.fields, critest.fields],
    ['judged', ours.judged, critest.judged],
    ['  with a kind', ours.declared, critest.declared],
    ...STRENGTH.map((k): [string, number, number] => [`    ${k}`, ours.byKind[k], critest.byKind[k]]),
    ['not judged', ours.fields - ours.judged, critest.fields - critest.judged],
    ['  reasoned (ours)', ours.byKind.reasoned, '-'],
    ['  open (ours)', ours.byKind.open, '-'],
    ['  sent only (critest)', '-', critest.byKind.sent],
    ['  never sent (critest)', '-', critest.byKind.none],
  ];
  const head = ['', 'ours', `critest ${release}`];
  const w = [Math.max(...rows.map((r) => r[0].length)), 6, head[2]!.length];
  const line = (c: (string | number)[]) => c.map((x, i) => (i ? String(x).padStart(w[i]!) : String(x).padEnd(w[0]!))).join('  ');
  return [
    'Kubelet-sent fields, each counted once under its strongest kind (effect > true > honoured > echo > stated):',
    line(head),
    ...rows.map(line),
    'ours: kinds declared at the checks (src/coverage/claims.gen.ts); critest: a reading of its source (fixtures/critest-1.36-fields.yaml).',
  ].join('\n') + '\n';
}
