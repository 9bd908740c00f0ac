// Do two runs agree? Compares the status of every test id in two summary.json files (e.g. the main job with
// --jobs 1 and with the default) and prints each difference; exit 1 when any, 0 when the results are identical.
// Usage: node dist/src/tools/compare-runs.js A/summary.json B/summary.json
import { readFileSync } from 'node:fs';

interface Summary {
  tests: { id: string; status: string; message?: string }[];
}
const [a, b] = process.argv.slice(2);
if (!a || !b) {
  process.stderr.write('usage: compare-runs A/summary.json B/summary.json\n');
  process.exit(2);
}
const read = (f: string) => new Map((JSON.parse(readFileSync(f, 'utf8')) as Summary).tests.map((t) => [t.id, t]));
const A = read(a);
const B = read(b);
let diffs = 0;
for (const id of new Set([...A.keys(), ...B.keys()])) {
  const x = A.get(id);
  const y = B.get(id);
  if (x?.status === y?.status) continue;
  diffs++;
  process.stdout.write(`${id}\n  A: ${x ? `${x.status} ${x.message ?? ''}` : '(absent)'}\n  B: ${y ? `${y.status} ${y.message ?? ''}` : '(absent)'}\n`);
}
const count = (m: Map<string, { status: string }>) => {
  const c: Record<string, number> = {};
  for (const t of m.values()) c[t.status] = (c[t.status] ?? 0) + 1;
  return Object.entries(c).map(([k, v]) => `${v} ${k}`).join(', ');
};
process.stdout.write(`A ${a}: ${A.size} tests (${count(A)})\nB ${b}: ${B.size} tests (${count(B)})\n`);
process.stdout.write(diffs ? `${diffs} test(s) differ\n` : 'identical: same status for every test id\n');
process.exit(diffs ? 1 : 0);
