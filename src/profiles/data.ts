// Loads fixtures/profiles.yaml (the one place the release facts live) into typed per-release profiles.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { ApiVersion } from '../report/model.js';

export type Requirement = 'required' | 'optional' | 'absent';

/** How the kubelet of a release settles the CRI API version at startup. */
export interface NegotiationRule {
  /** Versions tried in order; the first is always v1. */
  criVersions: ApiVersion[];
  /** The status code that lets a service fall back to the next version, or null (no fallback). */
  fallbackOn: 'UNIMPLEMENTED' | null;
  /** Which probe errors (Version / ImageFsInfo) end kubelet startup. */
  startupFatal: 'other-than-unimplemented' | 'unimplemented' | 'any';
  source: string;
}

export interface VersionResponseRule {
  /** VersionResponse fields that must be non-empty. */
  requiredFields: string[];
  /** The only accepted value of VersionResponse.version. */
  version: string;
  source: string;
}

export interface Profile {
  /** Kubernetes minor, e.g. "1.31". */
  kubelet: string;
  criVersions: ApiVersion[];
  /** Every runtime.v1 RPC by name. */
  rpcs: Record<string, Requirement>;
  /** Every known feature: can the kubelet of this release use it? */
  features: Record<string, boolean>;
  notes: string[];
  negotiation: NegotiationRule;
  versionResponse: VersionResponseRule;
  /** For optional RPCs: what the kubelet does on UNIMPLEMENTED. For absent ones: the first release using it. */
  why: Record<string, string>;
}

export interface FeatureInfo {
  since: string;
  /** The last release whose kubelet uses it (a deprecated field it stopped sending); none: every later release. */
  until?: string;
  gate?: string;
  source?: string;
}

export interface ProfileSet {
  file: string;
  /** Oldest first. */
  minors: string[];
  profiles: Record<string, Profile>;
  /** RPC name -> service. */
  services: Record<string, 'RuntimeService' | 'ImageService'>;
  features: Record<string, FeatureInfo>;
}

export type ProfileErrorCode = 'UNKNOWN_RELEASE' | 'UNKNOWN_RPC' | 'BAD_PROFILES';

export class ProfileError extends Error {
  constructor(
    message: string,
    readonly code: ProfileErrorCode,
  ) {
    super(message);
    this.name = 'ProfileError';
  }
}

/** The directory holding package.json, found by walking up from this module (src/ or dist/src/). */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new ProfileError(`cannot find the cri-conformance package root above ${from}`, 'BAD_PROFILES');
    dir = up;
  }
}

export const defaultProfilesFile = (): string => join(repoRoot(), 'fixtures', 'profiles.yaml');

/** "1.31" -> 31, for ordering minors of Kubernetes 1.x. */
export function minorNumber(minor: string): number {
  const m = /^1\.(\d+)$/.exec(minor);
  if (!m) return NaN;
  return Number(m[1]);
}

/** Accepts "1.31", "v1.31", "1.31.4", "v1.31.0-rc.1"; returns "1.31" or undefined. */
export function normalizeMinor(input: string): string | undefined {
  const m = /^v?(1)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(input.trim());
  return m ? `${m[1]}.${Number(m[2])}` : undefined;
}

const cmp = (a: string, b: string): number => minorNumber(a) - minorNumber(b);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Stage {
  from: string;
  requirement: 'required' | 'optional';
  fallback?: string;
  source?: string;
}

export function loadProfiles(file: string = defaultProfilesFile()): ProfileSet {
  const path = resolve(file);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ProfileError(`${path}: ${(e as Error).message.split('\n')[0]}`, 'BAD_PROFILES');
  }
  const bad = (where: string, what: string): never => {
    throw new ProfileError(`${path}: ${where}: ${what}`, 'BAD_PROFILES');
  };
  if (!isObj(raw)) return bad('top level', 'expected a mapping');

  const minor = (v: unknown, where: string): string => {
    if (typeof v !== 'string' || Number.isNaN(minorNumber(v))) return bad(where, `expected a Kubernetes minor like "1.31", got ${JSON.stringify(v)}`);
    return v;
  };

  // releases
  if (!Array.isArray(raw['releases']) || raw['releases'].length === 0) return bad('releases', 'expected a non-empty list');
  const minors = (raw['releases'] as unknown[]).map((v, i) => minor(v, `releases[${i}]`));
  for (let i = 1; i < minors.length; i++) if (cmp(minors[i - 1]!, minors[i]!) >= 0) bad('releases', 'must be strictly increasing');

  // ranged rules: negotiation, versionResponse
  const inRange = (r: { from: string; to?: string }, m: string) => cmp(m, r.from) >= 0 && (r.to === undefined || cmp(m, r.to) <= 0);
  const ranged = <T>(key: string, build: (o: Obj, where: string) => T): { from: string; to?: string; rule: T }[] => {
    const list = raw[key];
    if (!Array.isArray(list) || list.length === 0) return bad(key, 'expected a non-empty list');
    return list.map((o, i) => {
      const where = `${key}[${i}]`;
      if (!isObj(o)) return bad(where, 'expected a mapping');
      const from = minor(o['from'], `${where}.from`);
      const to = o['to'] === undefined ? undefined : minor(o['to'], `${where}.to`);
      return { from, ...(to ? { to } : {}), rule: build(o, where) };
    });
  };
  const str = (o: Obj, k: string, where: string): string => {
    const v = o[k];
    if (typeof v !== 'string' || v.trim() === '') return bad(`${where}.${k}`, 'expected a non-empty string');
    return v.trim();
  };
  const negotiation = ranged<NegotiationRule>('negotiation', (o, where) => {
    const vs = o['criVersions'];
    if (!Array.isArray(vs) || vs.length === 0 || vs.some((v) => v !== 'v1' && v !== 'v1alpha2') || vs[0] !== 'v1') {
      bad(`${where}.criVersions`, 'expected a list of v1 / v1alpha2 starting with v1');
    }
    const fb = o['fallbackOn'] ?? null;
    if (fb !== null && fb !== 'UNIMPLEMENTED') bad(`${where}.fallbackOn`, 'expected UNIMPLEMENTED or null');
    const sf = o['startupFatal'];
    if (sf !== 'other-than-unimplemented' && sf !== 'unimplemented' && sf !== 'any') {
      bad(`${where}.startupFatal`, 'expected other-than-unimplemented, unimplemented or any');
    }
    return {
      criVersions: vs as ApiVersion[],
      fallbackOn: fb as NegotiationRule['fallbackOn'],
      startupFatal: sf as NegotiationRule['startupFatal'],
      source: str(o, 'source', where),
    };
  });
  const versionResponse = ranged<VersionResponseRule>('versionResponse', (o, where) => {
    const f = o['requiredFields'];
    if (!Array.isArray(f) || f.some((x) => typeof x !== 'string')) bad(`${where}.requiredFields`, 'expected a list of field names');
    return { requiredFields: f as string[], version: str(o, 'version', where), source: str(o, 'source', where) };
  });
  const pick = <T>(rules: { from: string; to?: string; rule: T }[], m: string, key: string): T => {
    const hits = rules.filter((r) => inRange(r, m));
    if (hits.length !== 1) bad(key, `${hits.length === 0 ? 'no rule' : 'more than one rule'} covers ${m}`);
    return hits[0]!.rule;
  };

  // features
  if (!isObj(raw['features'])) return bad('features', 'expected a mapping');
  const features: Record<string, FeatureInfo> = {};
  for (const [name, f] of Object.entries(raw['features'])) {
    const where = `features.${name}`;
    if (!isObj(f)) return bad(where, 'expected a mapping');
    const since = minor(f['since'], `${where}.since`);
    const until = f['until'] === undefined ? undefined : minor(f['until'], `${where}.until`);
    if (until !== undefined && cmp(until, since) < 0) bad(`${where}.until`, `${until} is before since: ${since}`);
    features[name] = {
      since,
      ...(until !== undefined ? { until } : {}),
      ...(typeof f['gate'] === 'string' ? { gate: f['gate'] } : {}),
      ...(typeof f['source'] === 'string' ? { source: f['source'] } : {}),
    };
  }

  // services / rpcs
  if (!isObj(raw['services'])) return bad('services', 'expected a mapping');
  const services: ProfileSet['services'] = {};
  const stages: Record<string, Stage[]> = {};
  for (const [svc, rpcs] of Object.entries(raw['services'])) {
    if (svc !== 'RuntimeService' && svc !== 'ImageService') return bad(`services.${svc}`, 'expected RuntimeService or ImageService');
    if (!isObj(rpcs)) return bad(`services.${svc}`, 'expected a mapping of RPC name to requirement');
    for (const [rpc, spec] of Object.entries(rpcs)) {
      const where = `services.${svc}.${rpc}`;
      if (services[rpc]) bad(where, 'listed twice');
      services[rpc] = svc;
      const list = Array.isArray(spec) ? spec : [spec];
      if (list.length === 0) bad(where, 'expected at least one stage');
      stages[rpc] = list.map((s, i) => {
        const w = Array.isArray(spec) ? `${where}[${i}]` : where;
        if (!isObj(s)) return bad(w, 'expected a mapping');
        const req = s['requirement'];
        if (req !== 'required' && req !== 'optional') return bad(`${w}.requirement`, 'expected required or optional');
        let from: string;
        if (s['from'] !== undefined || s['since'] !== undefined) from = minor(s['from'] ?? s['since'], `${w}.since`);
        else if (typeof s['feature'] === 'string') {
          const f = features[s['feature']];
          if (!f) return bad(`${w}.feature`, `unknown feature ${s['feature']}`);
          from = f.since;
        } else return bad(w, 'needs since: or feature:');
        if (req === 'optional' && typeof s['fallback'] !== 'string') bad(`${w}.fallback`, 'optional RPCs must say what the kubelet does on UNIMPLEMENTED');
        return {
          from,
          requirement: req,
          ...(typeof s['fallback'] === 'string' ? { fallback: s['fallback'] } : {}),
          ...(typeof s['source'] === 'string' ? { source: s['source'] } : {}),
        };
      });
      for (let i = 1; i < stages[rpc]!.length; i++) {
        if (cmp(stages[rpc]![i - 1]!.from, stages[rpc]![i]!.from) >= 0) bad(where, 'stages must have increasing from:');
      }
    }
  }

  const profiles: Record<string, Profile> = {};
  for (const m of minors) {
    const neg = pick(negotiation, m, 'negotiation');
    const vr = pick(versionResponse, m, 'versionResponse');
    const rpcs: Record<string, Requirement> = {};
    const why: Record<string, string> = {};
    for (const [rpc, st] of Object.entries(stages)) {
      const active = st.filter((s) => cmp(m, s.from) >= 0).at(-1);
      rpcs[rpc] = active ? active.requirement : 'absent';
      if (active?.requirement === 'optional') why[rpc] = active.fallback!;
      if (!active) why[rpc] = `first used by kubelet ${st[0]!.from}`;
    }
    const feats: Record<string, boolean> = {};
    for (const [name, f] of Object.entries(features)) feats[name] = cmp(m, f.since) >= 0 && (f.until === undefined || cmp(m, f.until) <= 0);
    const notes = [
      neg.criVersions.includes('v1alpha2')
        ? `kubelet ${m} tries runtime.v1 first and falls back to runtime.v1alpha2 per service only on UNIMPLEMENTED (${neg.source})`
        : `kubelet ${m} speaks runtime.v1 only (${neg.source})`,
      {
        'other-than-unimplemented': 'any startup probe error other than UNIMPLEMENTED is fatal',
        unimplemented: 'UNIMPLEMENTED from the v1 Version / ImageFsInfo startup probes is fatal; other probe errors are ignored',
        any: 'any error from the v1 Version / ImageFsInfo startup probes is fatal',
      }[neg.startupFatal],
      `VersionResponse must set ${vr.requiredFields.join(', ')} and version must be ${vr.version} (${vr.source})`,
    ];
    profiles[m] = { kubelet: m, criVersions: [...neg.criVersions], rpcs, features: feats, notes, negotiation: neg, versionResponse: vr, why };
  }
  return { file: path, minors, profiles, services, features };
}
