// Kubernetes-release profiles: what the kubelet of each release needs from a CRI runtime, and a
// compatibility matrix computed from one run. The facts live in fixtures/profiles.yaml only.
import type { RunResult } from '../report/model.js';
import { ProfileError, loadProfiles, minorNumber, normalizeMinor, type Profile, type ProfileSet, type Requirement } from './data.js';
import { matrixFor, type Verdict } from './matrix.js';

export { ProfileError, loadProfiles, normalizeMinor, repoRoot, defaultProfilesFile } from './data.js';
export type { Profile, ProfileSet, Requirement, NegotiationRule, VersionResponseRule, FeatureInfo, ProfileErrorCode } from './data.js';
export { PROFILE_TAG, formatMatrix, formatHandlerMatrix, rpcTags, featureTags } from './matrix.js';
export type { Verdict } from './matrix.js';

let cached: ProfileSet | undefined;
/** The profiles from fixtures/profiles.yaml, loaded once. */
export function defaultProfiles(): ProfileSet {
  return (cached ??= loadProfiles());
}

/** Profiled Kubernetes minors, oldest first. */
export const KNOWN_MINORS: string[] = [...defaultProfiles().minors];
/** The newest profiled minor: the default for --k8s-version. */
export const DEFAULT_MINOR: string = KNOWN_MINORS[KNOWN_MINORS.length - 1]!;
/** All runtime.v1 RPC names covered by the profiles (RuntimeService then ImageService). */
export const ALL_RPCS: string[] = Object.keys(defaultProfiles().services);

/** The profile for a minor ("1.31"; "v1.31" and "1.31.4" are accepted too). */
export function getProfile(minor: string, set: ProfileSet = defaultProfiles()): Profile {
  const m = normalizeMinor(minor);
  const p = m ? set.profiles[m] : undefined;
  if (!p) {
    throw new ProfileError(
      `unknown Kubernetes release "${minor}": known releases are ${set.minors.join(', ')}`,
      'UNKNOWN_RELEASE',
    );
  }
  return p;
}

export function rpcRequirement(p: Profile, rpc: string): Requirement {
  const r = p.rpcs[rpc];
  if (!r) throw new ProfileError(`unknown CRI RPC "${rpc}": not a runtime.v1 RuntimeService or ImageService method`, 'UNKNOWN_RPC');
  return r;
}

/**
 * What a test should do when `rpc` answered UNIMPLEMENTED (or is not in the negotiated API version):
 * fail when the release requires it, skip otherwise, with a reason sentence naming the release.
 */
export function onUnimplemented(p: Profile, rpc: string): { action: 'fail' | 'skip'; reason: string } {
  switch (rpcRequirement(p, rpc)) {
    case 'required':
      return { action: 'fail', reason: `${rpc} is required by kubelet ${p.kubelet}, which does not tolerate UNIMPLEMENTED` };
    case 'optional':
      return { action: 'skip', reason: `${rpc} is optional for kubelet ${p.kubelet}: on UNIMPLEMENTED ${p.why[rpc]}` };
    case 'absent':
      return { action: 'skip', reason: `kubelet ${p.kubelet} never calls ${rpc} (${p.why[rpc]})` };
  }
}

/** Can the kubelet of this release use the feature? Features the profiles do not know are not release-gated. */
export function featureEnabled(p: Profile, feature: string): boolean {
  return p.features[feature] ?? true;
}

/** Why a test with these tags does not apply to the release, or undefined when it does. */
export function releaseSkipReason(p: Profile, tags: string[]): string | undefined {
  for (const t of tags) {
    if (!t.startsWith('Feature:')) continue;
    const f = t.slice(8).trim();
    if (!featureEnabled(p, f)) {
      const info = defaultProfiles().features[f];
      const when = !info ? '' : minorNumber(p.kubelet) < minorNumber(info.since) ? ` (first in ${info.since})` : info.until ? ` (last in ${info.until})` : '';
      return `[Feature:${f}] is not used by kubelet ${p.kubelet}${when}`;
    }
  }
  return undefined;
}

/**
 * From one run: for every known minor, compatible or not and why. Considers the negotiated API versions
 * against those the release accepts, required RPCs observed UNIMPLEMENTED in `run.rpcs`, and failed tests
 * that exercise required RPCs (declared by `[RPC:Name]` title tags or by `rpcsByTest`, keyed by test id).
 * Only tests that apply to a release are held against it: not [Optional] or [Strict] ones, not [Feature:X]
 * tests for releases that cannot use X, and [Profile] tests (which judge the selected release) only for
 * `run.profile`.
 */
export function compatibilityMatrix(run: RunResult, rpcsByTest?: Record<string, string[]>, set: ProfileSet = defaultProfiles()): Verdict[] {
  return matrixFor(set, run, rpcsByTest);
}
