// Adapts the Kubernetes-release profile (src/profiles) to the small policy the test API needs.
import { featureEnabled, getProfile, onUnimplemented } from '../profiles/index.js';
export function policyFor(minor) {
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
//# sourceMappingURL=policy.js.map