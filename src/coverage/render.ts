// `cri-conformance coverage`: the field map as text, markdown or JSON.
import { KINDS, type FieldEntry, type FieldMap, type Totals } from './map.js';

export type CoverageFormat = 'text' | 'markdown' | 'json';

/** Distinct check sites of a field, in file and line order. */
const sitesOf = (f: FieldEntry): string[] => [...new Set(f.claims.map((c) => c.site))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
/** The judged fields a message-typed field is judged through, by name within their message. */
const throughOf = (f: FieldEntry): string => `${f.through![0]!.split('.')[0]}.{${f.through!.map((t) => t.split('.')[1]).join(', ')}}`;
const pct = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(1)}%` : '-');
const COLS = ['fields', 'judged', 'declared', 'reasoned', 'open', ...KINDS] as const;
const row = (t: Totals): (string | number)[] => [t.fields, t.judged, t.judgedDeclared, t.reasoned, t.open, ...KINDS.map((k) => t.byKind[k])];

/** One line for a field: how it is judged and where, or why not. */
function fieldLine(f: FieldEntry): string {
  if (!f.judges.length) return f.reason ? `not judged: ${f.reason}` : 'OPEN (no check, no reason)';
  const sites = sitesOf(f);
  if (!sites.length && f.through) return `${f.judges.join(', ')}  (through ${throughOf(f)})`;
  const tests = new Set(f.claims.flatMap((c) => c.tests)).size;
  return `${f.judges.join(', ')}  (${sites.length} check${sites.length === 1 ? '' : 's'}, ${tests} test${tests === 1 ? '' : 's'}: ${sites.slice(0, 3).join(' ')}${sites.length > 3 ? ' …' : ''})`;
}

function headline(m: FieldMap): string[] {
  const k = m.kubelet;
  return [
    `fields: ${m.totals.fields}; judged ${m.totals.judged} (${pct(m.totals.judged, m.totals.fields)}), of them with a declared kind ${m.totals.judgedDeclared}; not judged with a reason ${m.totals.reasoned}; open ${m.totals.open}`,
    `fields the kubelet sends: ${k.fields}; judged ${k.judged} (${pct(k.judged, k.fields)}), with a declared kind (effect/echo/honoured/true) ${k.judgedDeclared} (${pct(k.judgedDeclared, k.fields)}); reasoned ${k.reasoned}; open ${k.open}`,
  ];
}

export function renderText(m: FieldMap, o: { totalsOnly?: boolean } = {}): string {
  const lines = ['CRI field coverage: every field of runtime.v1 that a RuntimeService/ImageService RPC sends or reports', ...headline(m), ''];
  const table: (string | number)[][] = [['', ...COLS], ['ALL', ...row(m.totals)], ['kubelet sends', ...row(m.kubelet)], ...m.perMessage.map((p) => [p.message, ...row(p.totals)])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
  for (const r of table) lines.push(r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join('  ').trimEnd());
  if (!o.totalsOnly) {
    lines.push('');
    let msg = '';
    for (const f of m.fields) {
      if (f.message !== msg) lines.push(`${(msg = f.message)} (${f.sides.join(', ')})`);
      lines.push(`  ${f.field.slice(f.message.length + 1)}${f.kubelet ? ' [kubelet]' : ''}: ${fieldLine(f)}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function renderMarkdown(m: FieldMap, o: { totalsOnly?: boolean } = {}): string {
  const lines = ['## CRI field coverage', '', ...headline(m).map((l) => `- ${l}`), '', `| message | ${COLS.join(' | ')} |`, `|---|${COLS.map(() => '---:').join('|')}|`];
  lines.push(`| **all** | ${row(m.totals).join(' | ')} |`, `| **kubelet sends** | ${row(m.kubelet).join(' | ')} |`);
  for (const p of m.perMessage) lines.push(`| ${p.message} | ${row(p.totals).join(' | ')} |`);
  if (!o.totalsOnly) {
    lines.push('', '| field | kubelet sends | judged | checks or reason |', '|---|---|---|---|');
    for (const f of m.fields) {
      const how = f.judges.length ? f.judges.join(', ') : f.reason ? 'not judged' : '**open**';
      const what = f.judges.length ? [...sitesOf(f), ...(f.through ? [`through ${throughOf(f)}`] : [])].join(' ') : f.reason ?? '';
      lines.push(`| \`${f.field}\` | ${f.kubelet ?? ''} | ${how} | ${what} |`);
    }
  }
  return lines.join('\n') + '\n';
}

export function renderCoverage(m: FieldMap, format: CoverageFormat, o: { totalsOnly?: boolean } = {}): string {
  if (format === 'json') return JSON.stringify(o.totalsOnly ? { totals: m.totals, kubelet: m.kubelet, perMessage: m.perMessage } : m, null, 2) + '\n';
  return format === 'markdown' ? renderMarkdown(m, o) : renderText(m, o);
}
