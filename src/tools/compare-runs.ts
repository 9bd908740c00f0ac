// Do two runs agree? Compares the outcome of every test id in two summary.json files (CI's determinism step:
// the main job, then again with --jobs at its maximum under CPU load) and names each test whose outcome differs
// (or that a --repeat run found flaky). Exit 0: identical; 1: differences; 2: usage or an unreadable file.
// Usage: node dist/src/tools/compare-runs.js A/summary.json B/summary.json
import { readFileSync } from 'node:fs';
import { compareRuns, comparedTests, type ComparedTest } from '../report/compare.js';

const [a, b, ...extra] = process.argv.slice(2);
if (!a || !b || extra.length) {
  process.stderr.write('usage: compare-runs A/summary.json B/summary.json\n');
  process.exit(2);
}

function read(file: string): { tests: ComparedTest[] } {
  try {
    return comparedTests(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`compare-runs: ${file}: ${err.code ?? err.message}\n`);
    process.exit(2);
  }
}

const A = read(a);
const B = read(b);
const { differences, sizes } = compareRuns(A, B);
for (const d of differences) process.stdout.write(`${d.kind === 'flaky' ? 'FLAKY' : 'DIFFERS'} ${d.id}\n${d.lines.map((l) => `  ${l}\n`).join('')}`);
const count = (tests: ComparedTest[]) => {
  const c: Record<string, number> = {};
  for (const t of tests) c[t.outcome ?? t.status] = (c[t.outcome ?? t.status] ?? 0) + 1;
  return Object.entries(c).map(([k, v]) => `${v} ${k}`).join(', ');
};
process.stdout.write(`A ${a}: ${sizes[0]} tests (${count(A.tests)})\nB ${b}: ${sizes[1]} tests (${count(B.tests)})\n`);
process.stdout.write(
  differences.length
    ? `compare-runs: ${differences.length} test(s) differ: ${differences.map((d) => d.id).join(', ')}\n`
    : 'compare-runs: identical: the same outcome for every test id\n',
);
process.exit(differences.length ? 1 : 0);
