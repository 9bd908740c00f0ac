// Do two runs agree? The outcome of every test id in two summary.json files (the same selection, e.g. the main
// job on an idle machine and again loaded, with more --jobs): what src/tools/compare-runs.ts prints and exits by.
// Pure: parsed summaries in, differences out.

/** The part of a summary.json test compareRuns reads. */
export interface ComparedTest {
  id: string;
  status: string;
  /** The outcome after the baseline (summaries written before it existed have only `status`). */
  outcome?: string;
  message?: string;
  flaky?: { round: number; status: string; message?: string }[];
}

export interface RunDifference {
  id: string;
  /** absent: the test is in one run only; differs: the two outcomes differ; flaky: a --repeat run saw it change. */
  kind: 'absent' | 'differs' | 'flaky';
  /** One line per run: `A: failed — <message>`. */
  lines: string[];
}

export interface Comparison {
  differences: RunDifference[];
  /** Tests in A, in B. */
  sizes: [number, number];
}

const outcomeOf = (t: ComparedTest): string => t.outcome ?? t.status;

function describe(label: string, t: ComparedTest | undefined): string {
  if (!t) return `${label}: (absent)`;
  const o = outcomeOf(t);
  if (t.flaky?.length) return `${label}: flaky — ${t.flaky.map((r) => `round ${r.round} ${r.status}${r.message ? ` (${r.message})` : ''}`).join('; ')}`;
  return `${label}: ${o}${t.message && o !== 'passed' ? ` — ${t.message}` : ''}`;
}

/** Every test id whose outcome is not the same in both runs, in A's order then B's; a test a --repeat run
 * found flaky counts as different even when both runs say flaky (it did not give one outcome). */
export function compareRuns(a: { tests: ComparedTest[] }, b: { tests: ComparedTest[] }): Comparison {
  const A = new Map(a.tests.map((t) => [t.id, t]));
  const B = new Map(b.tests.map((t) => [t.id, t]));
  const differences: RunDifference[] = [];
  for (const id of new Set([...A.keys(), ...B.keys()])) {
    const x = A.get(id);
    const y = B.get(id);
    const kind = !x || !y ? 'absent' : outcomeOf(x) === 'flaky' || outcomeOf(y) === 'flaky' ? 'flaky' : outcomeOf(x) !== outcomeOf(y) ? 'differs' : undefined;
    if (kind) differences.push({ id, kind, lines: [describe('A', x), describe('B', y)] });
  }
  return { differences, sizes: [A.size, B.size] };
}

/** Reads the tests of a parsed summary.json; throws a one-line reason when it is not one. */
export function comparedTests(j: unknown): { tests: ComparedTest[] } {
  const tests = (j as { tests?: unknown })?.tests;
  if (!Array.isArray(tests) || tests.some((t) => typeof t?.id !== 'string' || typeof t?.status !== 'string')) {
    throw new Error('not a cri-conformance summary.json (no tests[] with id and status)');
  }
  return { tests: tests as ComparedTest[] };
}
