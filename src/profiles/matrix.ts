// Judge one run against every profiled kubelet release.
import type { ApiVersion, RunResult, TestResult } from '../report/model.js';
import { normalizeMinor, type Profile, type ProfileSet } from './data.js';

export interface Verdict {
  kubelet: string;
  compatible: boolean;
  reasons: string[];
  /** What the release uses that this run did not test: a compatible verdict holds only as far as tested. */
  untested?: string[];
}

/** RPC names a test declares with `[RPC:Name]` (or `[RPC:A,B]`) in its title. */
export function rpcTags(t: Pick<TestResult, 'tags' | 'title' | 'fullTitle'>): string[] {
  const tags = t.tags.length ? t.tags : [...(t.fullTitle || t.title).matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]!);
  return tags
    .filter((x) => x.startsWith('RPC:'))
    .flatMap((x) => x.slice(4).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * `[Profile]` in a title: the test judges the selected release only (e.g. "served in a CRI version the
 * selected kubelet release accepts"). Its failure says nothing about other releases, whose verdicts judge the
 * same facts themselves (negotiated versions, RPC answers), so it counts against the selected release only.
 */
export const PROFILE_TAG = 'Profile';

/** The release the run was made for ("1.36"), or undefined when the run does not say. */
function selectedMinor(run: RunResult): string | undefined {
  return run.profile !== undefined ? normalizeMinor(run.profile) : undefined;
}

/** Does a test's failure count against release `p`? Only tests that apply to it do. */
function appliesTo(t: TestResult, p: Profile, selected: string | undefined): boolean {
  // [Strict]: the contract requires it but the kubelet tolerates the deviation (e.g. NOT_FOUND from a Stop*).
  if (t.tags.includes('Optional') || t.tags.includes('Strict')) return false;
  if (featureTags(t).some((f) => p.features[f] === false)) return false;
  // A run that does not say which release it selected (an old summary) cannot narrow it: count it everywhere.
  if (t.tags.includes(PROFILE_TAG) && selected !== undefined) return selected === p.kubelet;
  return true;
}

/** Feature names a test declares with `[Feature:X]`. */
export function featureTags(t: Pick<TestResult, 'tags'>): string[] {
  return t.tags.filter((x) => x.startsWith('Feature:')).map((x) => x.slice(8).trim());
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

function versionReasons(p: Profile, neg: RunResult['negotiated']): string[] {
  const per: { svc: string; got: ApiVersion | null }[] = [
    { svc: 'RuntimeService', got: neg.runtime },
    { svc: 'ImageService', got: neg.image },
  ];
  const missing = per.filter((x) => x.got === null);
  const wrong = per.filter((x) => x.got !== null && !p.criVersions.includes(x.got));
  const out: string[] = [];
  if (missing.length) {
    const which = missing.length === 2 ? 'no CRI version negotiated' : `no CRI version negotiated for ${missing[0]!.svc}`;
    out.push(neg.reason ? `${which} (${neg.reason})` : which);
  }
  if (wrong.length) {
    const want = p.criVersions.join(' or ');
    // A forced version says nothing about what the runtime serves: say what the run used.
    if (neg.forced) out.push(`needs ${want}; this run used ${neg.forced} (forced with --cri-version)`);
    else if (wrong.length === 2 && wrong[0]!.got === wrong[1]!.got) out.push(`${want} not served (negotiated ${wrong[0]!.got})`);
    else for (const w of wrong) out.push(`${want} ${w.svc} not served (negotiated ${w.got})`);
  }
  return out;
}

/**
 * UNIMPLEMENTED answers that count against a release. The v1 startup probe (Version / ImageFsInfo) that
 * led to a fallback to v1alpha2 is not counted: releases accepting v1alpha2 do the same fallback, and
 * for the others the version reason already says v1 is not served.
 */
function unimplementedCount(run: RunResult, rpc: string): number {
  let n = run.rpcs?.[rpc]?.unimplemented ?? 0;
  if (rpc === 'Version' && run.negotiated.runtime === 'v1alpha2') n -= 1;
  if (rpc === 'ImageFsInfo' && run.negotiated.image === 'v1alpha2') n -= 1;
  return Math.max(0, n);
}

/**
 * Why "compatible" would claim more than the run tested: suites that did not run (a failed suite they
 * need, --bail, a lost runtime), and [Feature:X] tests the selected release skipped but release `p` uses.
 */
function untestedFor(p: Profile, run: RunResult, selected: Profile | undefined): string[] {
  const out: string[] = [];
  const notRun = run.suites.filter((s) => s.skippedReason !== undefined);
  if (notRun.length) {
    const names = notRun.slice(0, 3).map((s) => s.name).join(', ') + (notRun.length > 3 ? ', ...' : '');
    out.push(`${plural(notRun.length, 'suite')} not run (${names}: ${notRun[0]!.skippedReason})`);
  }
  if (selected && selected !== p) {
    const features = new Set<string>();
    for (const s of run.suites) {
      for (const t of s.tests) {
        // A [Strict] or [Optional] test never counts against a release, so its skip leaves nothing untested.
        if (t.status !== 'skipped' || t.tags.includes('Optional') || t.tags.includes('Strict')) continue;
        for (const f of featureTags(t)) if (p.features[f] === true && selected.features[f] === false) features.add(f);
      }
    }
    if (features.size) {
      const tags = [...features].map((f) => `[Feature:${f}]`).join(', ');
      out.push(`${tags} not tested (the run selected kubelet ${selected.kubelet}, which does not use ${features.size === 1 ? 'it' : 'them'})`);
    }
  }
  return out;
}

export function judge(p: Profile, run: RunResult, rpcsByTest: Record<string, string[]> = {}, selectedProfile?: Profile): Verdict {
  const reasons = versionReasons(p, run.negotiated);

  for (const [rpc, req] of Object.entries(p.rpcs)) {
    if (req !== 'required') continue;
    const n = unimplementedCount(run, rpc);
    if (n > 0) reasons.push(`${rpc} answered UNIMPLEMENTED${n > 1 ? ` ${n}x` : ''} (required by kubelet ${p.kubelet})`);
  }

  // Failed tests that apply to this release and exercise an RPC it requires.
  const failedByRpc = new Map<string, string[]>();
  // A failed test whose RPCs are not declared still means the runtime broke the contract this release uses.
  const unattributed: string[] = [];
  const selected = selectedMinor(run);
  for (const s of run.suites) {
    for (const t of s.tests) {
      // Known failures (baseline) still count: a baseline gates the run, it does not make a runtime compatible.
      if (t.status !== 'failed' || !appliesTo(t, p, selected)) continue;
      const rpcs = new Set([...rpcTags(t), ...(rpcsByTest[t.id] ?? [])]);
      if (rpcs.size === 0) unattributed.push(t.id);
      for (const rpc of rpcs) {
        if (p.rpcs[rpc] !== 'required') continue;
        const ids = failedByRpc.get(rpc) ?? [];
        ids.push(t.id);
        failedByRpc.set(rpc, ids);
      }
    }
  }
  for (const [rpc, ids] of failedByRpc) {
    const shown = ids.slice(0, 2).map((i) => `"${i}"`).join(', ');
    reasons.push(`${plural(ids.length, 'failed test')} exercise required RPC ${rpc} (${shown}${ids.length > 2 ? ', ...' : ''})`);
  }

  if (unattributed.length) {
    const shown = unattributed.slice(0, 2).map((i) => `"${i}"`).join(', ');
    reasons.push(`${plural(unattributed.length, 'conformance test')} failed (${shown}${unattributed.length > 2 ? ', ...' : ''})`);
  }
  if (reasons.length) return { kubelet: p.kubelet, compatible: false, reasons };
  const untested = untestedFor(p, run, selectedProfile);
  return { kubelet: p.kubelet, compatible: true, reasons, ...(untested.length ? { untested } : {}) };
}

export function matrixFor(set: ProfileSet, run: RunResult, rpcsByTest?: Record<string, string[]>): Verdict[] {
  const minor = selectedMinor(run);
  const selected = minor !== undefined ? set.profiles[minor] : undefined;
  return set.minors.map((m) => judge(set.profiles[m]!, run, rpcsByTest, selected));
}

/**
 * One line per run of consecutive releases with the same verdict:
 * "1.23–1.25  compatible" / "1.26  not compatible: v1 not served (negotiated v1alpha2)".
 */
export function formatMatrix(verdicts: Verdict[]): string {
  const groups: { from: string; to: string; v: Verdict }[] = [];
  const text = (v: Verdict) =>
    v.compatible
      ? `compatible${v.untested?.length ? ` as far as tested; ${v.untested.join('; ')}` : ''}`
      : `not compatible: ${v.reasons.join('; ')}`;
  const same = (a: Verdict, b: Verdict) => text(a) === text(b);
  for (const v of verdicts) {
    const last = groups[groups.length - 1];
    if (last && same(last.v, v)) last.to = v.kubelet;
    else groups.push({ from: v.kubelet, to: v.kubelet, v });
  }
  const label = (g: { from: string; to: string }) => (g.from === g.to ? g.from : `${g.from}–${g.to}`);
  const w = Math.max(4, ...groups.map((g) => label(g).length)) + 2;
  return groups
    .map((g) => `${label(g).padEnd(w)}${text(g.v)}`)
    .join('\n');
}

/** Several runs, one per runtime handler (or per runtime and handler: `what` ''): a release × run table of
 * verdicts (consecutive releases with the same row folded), then each run's matrix with its reasons. */
export function formatHandlerMatrix(runs: { handler: string; verdicts: Verdict[] }[], what = 'runtime handler '): string {
  const names = runs.map((r) => r.handler || '(default)');
  const releases = runs[0]?.verdicts.map((v) => v.kubelet) ?? [];
  const cell = (r: { verdicts: Verdict[] }, kubelet: string) => {
    const v = r.verdicts.find((x) => x.kubelet === kubelet);
    return !v ? 'not judged' : v.compatible ? 'compatible' : 'not compatible';
  };
  const rows: { from: string; to: string; cells: string[] }[] = [];
  for (const k of releases) {
    const cells = runs.map((r) => cell(r, k));
    const last = rows[rows.length - 1];
    if (last && last.cells.join('\0') === cells.join('\0')) last.to = k;
    else rows.push({ from: k, to: k, cells });
  }
  const label = (g: { from: string; to: string }) => (g.from === g.to ? g.from : `${g.from}–${g.to}`);
  const w0 = Math.max(7, ...rows.map((g) => label(g).length)) + 2;
  const ws = names.map((n, i) => Math.max(n.length, ...rows.map((g) => g.cells[i]!.length)) + 2);
  const line = (first: string, cells: string[]) => (first.padEnd(w0) + cells.map((c, i) => c.padEnd(ws[i]!)).join('')).trimEnd();
  const table = [line('release', names), ...rows.map((g) => line(label(g), g.cells))].join('\n');
  const details = runs.map((r, i) => `\n${what}${names[i]}:\n${formatMatrix(r.verdicts)}`).join('\n');
  return `${table}\n${details}`;
}
