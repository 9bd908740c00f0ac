// Adapts the Kubernetes-release profile (src/profiles) to the small policy the test API needs.
import { featureEnabled, getProfile, onUnimplemented, type Profile } from '../profiles/index.js';
import type { ReleasePolicy } from '../framework/context.js';

export function policyFor(minor: string): { profile: Profile; policy: ReleasePolicy } {
  const profile = getProfile(minor);
  return {
    profile,
    policy: {
      kubelet: profile.kubelet,
      criVersions: profile.criVersions,
      onUnimplemented: (rpc) => onUnimplemented(profile, rpc),
      featureEnabled: (f) => featureEnabled(profile, f),
    },
  };
}
