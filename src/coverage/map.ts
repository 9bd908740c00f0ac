// The CRI field map (issue 27): every field of every message a RuntimeService/ImageService RPC sends (requests,
// recursively) or reports (responses, recursively), as `Message.field` of runtime.v1, with the checks that judge
// it and how, or the reason none does. Built from proto/ (the fields), src/coverage/claims.gen.ts (generated
// from suites/: which checks judge which field), reasons.ts and fixtures/kubelet-fields.yaml (what the kubelet
// sends). Printed by `cri-conformance coverage`; a run's report says which fields that run judged.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import YAML from 'yaml';
import { REPO_ROOT } from '../version.js';
import { CLAIMS } from './claims.gen.js';
import { NOT_JUDGED, WINDOWS_ONLY } from './reasons.js';
import type { ClaimKind, FieldClaim, Judgement } from './types.js';
import type { FieldCoverage, RunResult, TestStatus } from '../report/model.js';

export const JUDGEMENTS: readonly Judgement[] = ['effect', 'echo', 'honoured', 'true'];
export const KINDS: readonly ClaimKind[] = [...JUDGEMENTS, 'stated'];
export const KUBELET_FIELDS_FILE = path.join(REPO_ROOT, 'fixtures', 'kubelet-fields.yaml');

export type Side = 'sent' | 'reported';

export interface FieldEntry {
  /** `Message.field`. */
  field: string;
  message: string;
  /** sent: in a message reachable from an RPC request; reported: from a response (both for shared messages). */
  sides: Side[];
  /** The kubelet source that sets it (fixtures/kubelet-fields.yaml), when the kubelet sends it. */
  kubelet?: string;
  /** Distinct kinds of the checks that judge it, in KINDS order; empty = not judged. */
  judges: ClaimKind[];
  claims: FieldClaim[];
  /** Why it is not judged (only when no check judges it). */
  reason?: string;
  /** A message-typed field that alone holds its message: the fields of that message that are judged, whose
   * kinds it takes (a check of DNSConfig.servers judges PodSandboxConfig.dns_config through it). */
  through?: string[];
}

export interface Totals {
  fields: number;
  /** Judged by at least one check (any kind, 'stated' included). */
  judged: number;
  /** Judged by a check that declares effect, echo, honoured or true. */
  judgedDeclared: number;
  /** Not judged, with a reason. */
  reasoned: number;
  /** Not judged and no reason: open. */
  open: number;
  /** Fields with at least one check of each kind. */
  byKind: Record<ClaimKind, number>;
}

export interface FieldMap {
  fields: FieldEntry[];
  totals: Totals;
  /** The same totals over the fields the kubelet sends (fixtures/kubelet-fields.yaml). */
  kubelet: Totals;
  perMessage: { message: string; totals: Totals }[];
}

export interface KubeletField {
  field: string;
  /** kubelet source file and function that sets it. */
  source: string;
}

let rootCache: protobuf.Root | undefined;
function protoRoot(): protobuf.Root {
  if (!rootCache) {
    rootCache = new protobuf.Root().loadSync(path.join(REPO_ROOT, 'proto', 'runtime', 'v1', 'api.proto'), { keepCase: true });
    rootCache.resolveAll();
  }
  return rootCache;
}

/** Every field reachable from the two services' requests and responses, in proto declaration order. */
export function protoFields(): { field: string; message: string; sides: Side[]; windows: boolean; type?: string }[] {
  const ns = protoRoot().lookup('runtime.v1') as protobuf.Namespace;
  const reach: Record<Side, Set<protobuf.Type>> = { sent: new Set(), reported: new Set() };
  const walk = (t: unknown, side: Side): void => {
    if (!(t instanceof protobuf.Type) || reach[side].has(t)) return;
    reach[side].add(t);
    for (const f of t.fieldsArray) walk(f.resolvedType, side);
  };
  for (const svc of ['RuntimeService', 'ImageService']) {
    for (const m of (ns.lookup(svc) as protobuf.Service).methodsArray) {
      walk(m.resolvedRequestType, 'sent');
      walk(m.resolvedResponseType, 'reported');
    }
  }
  const out: { field: string; message: string; sides: Side[]; windows: boolean; type?: string }[] = [];
  for (const t of ns.nestedArray) {
    if (!(t instanceof protobuf.Type)) continue;
    const sides = (['sent', 'reported'] as const).filter((s) => reach[s].has(t));
    if (!sides.length) continue;
    for (const f of t.fieldsArray) {
      const typeName = f.resolvedType?.name ?? '';
      out.push({ field: `${t.name}.${f.name}`, message: t.name, sides: [...sides], windows: t.name.startsWith('Windows') || typeName.startsWith('Windows'), ...(f.resolvedType instanceof protobuf.Type ? { type: typeName } : {}) });
    }
  }
  return out;
}

export function loadKubeletFields(file = KUBELET_FIELDS_FILE): KubeletField[] {
  const doc = YAML.parse(readFileSync(file, 'utf8')) as { fields?: KubeletField[] };
  return doc.fields ?? [];
}

function totalsOf(entries: FieldEntry[]): Totals {
  const byKind = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ClaimKind, number>;
  let judged = 0, judgedDeclared = 0, reasoned = 0, open = 0;
  for (const e of entries) {
    for (const k of e.judges) byKind[k]++;
    if (e.judges.length) judged++;
    else if (e.reason) reasoned++;
    else open++;
    if (e.judges.some((k) => k !== 'stated')) judgedDeclared++;
  }
  return { fields: entries.length, judged, judgedDeclared, reasoned, open, byKind };
}

/**
 * The map. `claims` defaults to the generated ones; `judgedTests` (a run's tests that passed or failed) keeps only
 * claims a test of that run reached, so the map says what that run judged on its runtime.
 */
export function buildFieldMap(o: { claims?: readonly FieldClaim[]; kubelet?: KubeletField[]; judgedTests?: (id: string) => boolean } = {}): FieldMap {
  const kubelet = new Map((o.kubelet ?? loadKubeletFields()).map((k) => [k.field, k.source]));
  const claimsBy = new Map<string, FieldClaim[]>();
  for (const c of o.claims ?? CLAIMS) {
    const kept = o.judgedTests ? { ...c, tests: c.tests.filter(o.judgedTests) } : c;
    if (!kept.tests.length && o.judgedTests) continue;
    claimsBy.set(c.field, [...(claimsBy.get(c.field) ?? []), kept]);
  }
  const proto = protoFields();
  const direct = new Map(proto.map((p) => {
    const claims = claimsBy.get(p.field) ?? [];
    return [p.field, { claims, judges: KINDS.filter((k) => claims.some((c) => c.judges === k)) }];
  }));
  const rolled = rollUp(proto, (f) => direct.get(f)!.judges);
  const fields: FieldEntry[] = proto.map((p) => {
    const { claims } = direct.get(p.field)!;
    const { judges, through } = rolled.get(p.field)!;
    const reason = judges.length ? undefined : p.windows ? WINDOWS_ONLY : NOT_JUDGED[p.field] ?? NOT_JUDGED[p.message];
    return { field: p.field, message: p.message, sides: p.sides, ...(kubelet.has(p.field) ? { kubelet: kubelet.get(p.field)! } : {}), judges, claims, ...(reason ? { reason } : {}), ...(through.length ? { through } : {}) };
  });
  const messages = [...new Set(fields.map((f) => f.message))];
  return {
    fields,
    totals: totalsOf(fields),
    kubelet: totalsOf(fields.filter((f) => f.kubelet)),
    perMessage: messages.map((m) => ({ message: m, totals: totalsOf(fields.filter((f) => f.message === m)) })),
  };
}

/**
 * Kinds of each field, with those a message-typed field takes from its message's judged fields when it is the only
 * field holding that message (PodSandboxConfig.dns_config holds DNSConfig alone). A message several fields hold
 * (LinuxContainerResources: a container's, a pod's overhead, an update's) gives none of them anything: each is
 * judged only by checks that name it, or a path through it (`UpdateContainerResourcesRequest.linux.cpu_quota`).
 */
function rollUp(proto: ReturnType<typeof protoFields>, own: (field: string) => ClaimKind[]): Map<string, { judges: ClaimKind[]; through: string[] }> {
  const holders = new Map<string, string[]>();
  for (const p of proto) if (p.type) holders.set(p.type, [...(holders.get(p.type) ?? []), p.field]);
  const byMessage = new Map<string, string[]>();
  for (const p of proto) byMessage.set(p.message, [...(byMessage.get(p.message) ?? []), p.field]);
  const typeOf = new Map(proto.map((p) => [p.field, p.type]));
  const out = new Map<string, { judges: ClaimKind[]; through: string[] }>();
  const visit = (field: string, seen: Set<string>): ClaimKind[] => {
    const done = out.get(field);
    if (done) return done.judges;
    const kinds = new Set(own(field));
    const through: string[] = [];
    const type = typeOf.get(field);
    if (type && holders.get(type)?.length === 1 && !seen.has(type)) {
      for (const sub of byMessage.get(type) ?? []) {
        const k = visit(sub, new Set([...seen, type]));
        if (k.length) through.push(sub);
        for (const x of k) kinds.add(x);
      }
    }
    const judges = KINDS.filter((k) => kinds.has(k));
    out.set(field, { judges, through });
    return judges;
  };
  for (const p of proto) visit(p.field, new Set());
  return out;
}

/** A test id pattern from a claim (`${…}` of a template title matches any text) as a predicate. */
export function idMatcher(pattern: string): (id: string) => boolean {
  if (!pattern.includes('${')) return (id) => id === pattern;
  const re = new RegExp('^' + pattern.split(/\$\{[^}]*\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return (id) => re.test(id);
}

/** What one run judged: fields reached by a test that passed or failed (a field whose checks all skipped is not). */
export function runFieldCoverage(run: RunResult, claims: readonly FieldClaim[] = CLAIMS): FieldCoverage {
  const judgedIds = new Set<string>();
  const judging: TestStatus[] = ['passed', 'failed'];
  for (const s of run.suites) for (const t of s.tests) if (judging.includes(t.status)) judgedIds.add(t.id);
  const matchers = new Map<string, (id: string) => boolean>();
  const judgedTest = (pattern: string): boolean => {
    let m = matchers.get(pattern);
    if (!m) matchers.set(pattern, (m = idMatcher(pattern)));
    for (const id of judgedIds) if (m(id)) return true;
    return false;
  };
  const map = buildFieldMap({ claims, judgedTests: judgedTest });
  const judged = map.fields.filter((f) => f.judges.length).map((f) => f.field);
  const kubeletFields = map.fields.filter((f) => f.kubelet);
  return { fields: map.fields.length, judged: judged.length, kubelet: { fields: kubeletFields.length, judged: kubeletFields.filter((f) => f.judges.length).length }, judgedFields: judged };
}
