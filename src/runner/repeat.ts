// --repeat N: the same selection run N times against the same runtime, folded into one result that says, per
// test, which outcomes it got; a test whose status changed between rounds is flaky. Memory stays bounded
// whatever N is: per test a status per round, a few distinct messages and at most two results (its last and
// its last failed round); of each round's whole result (RPC ledger, suites) only the last is kept.
import type { RoundOutcome, RunResult, SuiteResult, TestResult, TestStatus } from '../report/model.js';
import { failureMessage, oneLine } from '../report/common.js';
import type { Progress } from './progress.js';

/** Distinct messages kept per test; a round whose message is beyond them says so instead. */
export const MAX_MESSAGES_PER_TEST = 8;
/** Longest message kept per round, in characters. */
export const MAX_MESSAGE_CHARS = 2000;

// A round's status of a test, as a small code. "not run" was not a verdict on the test (a suite it needs failed
// this round, --run-timeout): it is listed with the rounds but never makes a test flaky. "not run (no image)"
// is a verdict (it fails the run), so it counts.
const CODES: TestStatus[] = ['passed', 'failed', 'skipped', 'notrun', 'notrun'];
const NOT_JUDGED = 3;
const codeOf = (t: TestResult): number => (t.status === 'notrun' ? (t.notRunCause === 'no-image' ? 4 : NOT_JUDGED) : CODES.indexOf(t.status));
const NOT_SEEN = 255; // a round that never judged the test (the round stopped before it)
const NO_MESSAGE = -1;
const DROPPED = -2;

interface Track {
  /** CODES index per round, NOT_SEEN when the round did not judge the test. */
  statuses: number[];
  /** Index into `messages` per round (NO_MESSAGE, DROPPED). */
  picks: number[];
  messages: string[];
  last?: TestResult;
  lastFailed?: TestResult;
}

/** What a round says about a test in one line: nothing when it passed. */
function roundMessage(t: TestResult): string | undefined {
  const m = t.status === 'failed' ? failureMessage(t) : t.status === 'passed' ? '' : oneLine(t.message);
  if (!m) return undefined;
  return m.length > MAX_MESSAGE_CHARS ? `${m.slice(0, MAX_MESSAGE_CHARS - 1)}…` : m;
}

export class RepeatFold {
  private readonly tracks = new Map<string, Track>();
  private rounds = 0;
  private firstStartedAt?: string;
  private lastRun?: RunResult;
  private rpcs: NonNullable<RunResult['rpcs']> = {};
  private leftovers = new Set<string>();
  private cleanups = new Set<string>();

  constructor(readonly asked: number) {}

  /** Adds one round. In a round that stopped early (interrupted, runtime lost), a test it never ran is not an
   * observation: its "not run" says nothing about the test, and would make every later test look flaky. */
  add(r: RunResult): void {
    const round = this.rounds++;
    this.firstStartedAt ??= r.startedAt;
    for (const s of r.suites) {
      for (const t of s.tests) {
        let tr = this.tracks.get(t.id);
        if (!tr) this.tracks.set(t.id, (tr = { statuses: [], picks: [], messages: [] }));
        while (tr.statuses.length < round) {
          tr.statuses.push(NOT_SEEN);
          tr.picks.push(NO_MESSAGE);
        }
        if (r.aborted && t.status === 'notrun') {
          tr.statuses.push(NOT_SEEN);
          tr.picks.push(NO_MESSAGE);
          continue;
        }
        const code = codeOf(t);
        tr.statuses.push(code);
        const m = roundMessage(t);
        let pick = NO_MESSAGE;
        if (m !== undefined) {
          pick = tr.messages.indexOf(m);
          if (pick < 0 && tr.messages.length < MAX_MESSAGES_PER_TEST) pick = tr.messages.push(m) - 1;
          else if (pick < 0) pick = DROPPED;
        }
        tr.picks.push(pick);
        if (code === NOT_JUDGED) continue;
        tr.last = t;
        if (t.status === 'failed') tr.lastFailed = t;
      }
    }
    for (const [k, v] of Object.entries(r.rpcs ?? {})) {
      const o = (this.rpcs[k] ??= { calls: 0, unimplemented: 0, errors: 0 });
      o.calls += v.calls;
      o.unimplemented += v.unimplemented;
      o.errors += v.errors;
    }
    for (const id of r.leftovers?.ids ?? []) this.leftovers.add(id);
    if (r.leftovers) this.cleanups.add(r.leftovers.command);
    this.lastRun = r;
  }

  /** Each round's outcome of a test, in order (rounds that did not judge it left out). */
  private outcomes(tr: Track): RoundOutcome[] {
    const out: RoundOutcome[] = [];
    tr.statuses.forEach((code, i) => {
      if (code === NOT_SEEN) return;
      const pick = tr.picks[i]!;
      const message = pick >= 0 ? tr.messages[pick] : pick === DROPPED ? `(message not kept: more than ${MAX_MESSAGES_PER_TEST} distinct messages)` : undefined;
      out.push({ round: i + 1, status: CODES[code]!, ...(message !== undefined ? { message } : {}) });
    });
    return out;
  }

  private merge(t: TestResult, shiftMs: number): TestResult {
    const tr = this.tracks.get(t.id);
    if (!tr) return t;
    const rounds: Partial<Record<TestStatus, number>> = {};
    for (const code of tr.statuses) if (code !== NOT_SEEN) rounds[CODES[code]!] = (rounds[CODES[code]!] ?? 0) + 1;
    const flaky = new Set(tr.statuses.filter((c) => c !== NOT_SEEN && c !== NOT_JUDGED)).size > 1;
    // The status, message and detail shown are of the last round that judged it, or for a flaky test of its last failure.
    const rep = (flaky ? tr.lastFailed : undefined) ?? tr.last ?? t;
    const timing = t.startOffsetMs !== undefined ? { startOffsetMs: t.startOffsetMs + shiftMs } : {};
    const { startOffsetMs: _s, ...rest } = rep;
    return { ...rest, durationMs: t.durationMs, ...(t.slot !== undefined ? { slot: t.slot } : {}), ...timing, rounds, ...(flaky ? { flaky: this.outcomes(tr) } : {}) };
  }

  /** One result for every round: the last round's, each test carrying its rounds (and `flaky`), the RPC
   * counts summed, leftovers of any round, the time from the first round's start to the last one's end. */
  result(): RunResult {
    const last = this.lastRun;
    const startedAt = this.firstStartedAt;
    if (!last || startedAt === undefined) throw new Error('RepeatFold.result() before any round');
    const t0 = Date.parse(startedAt);
    const shift = Math.max(0, Date.parse(last.startedAt) - t0) || 0;
    const suites: SuiteResult[] = last.suites.map((s) => ({ ...s, tests: s.tests.map((t) => this.merge(t, shift)) }));
    // Each round has its own run id: one cleanup command per round that left objects.
    const leftovers = this.leftovers.size ? { ids: [...this.leftovers], command: [...this.cleanups].join(' && ') } : undefined;
    const { leftovers: _l, ...rest } = last;
    return {
      ...rest,
      startedAt,
      durationMs: shift + last.durationMs,
      rpcs: this.rpcs,
      ...(leftovers ? { leftovers } : {}),
      repeat: { rounds: this.rounds, asked: this.asked },
      suites,
    };
  }
}

/** Tests whose status changed between rounds, in report order. */
export function flakyTests(run: RunResult): TestResult[] {
  return run.suites.flatMap((s) => s.tests.filter((t) => t.flaky !== undefined));
}

/** Runs `runOne` `rounds` times, one after another, and folds the results (one round: its result as is). Each
 * call is a whole run (its own run id, slot pods, cleanup and sweep), so no pod outlives its round. A round
 * that stops early (interrupted, runtime lost, nothing negotiated) ends the repeat. */
export async function runRounds(rounds: number, runOne: () => Promise<RunResult>, o: { progress: Progress; signal: AbortSignal }): Promise<RunResult> {
  if (rounds === 1) return runOne();
  const fold = new RepeatFold(rounds);
  for (let round = 1; round <= rounds; round++) {
    o.progress.info(`== round ${round} of ${rounds}`);
    const r = await runOne();
    fold.add(r);
    if (r.aborted || o.signal.aborted || !r.negotiated.runtime || !r.negotiated.image) break;
  }
  return fold.result();
}
