// Host facts for the report's provenance.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
export function hostFacts() {
    // cgroup v2 exposes cgroup.controllers at the root of the unified hierarchy.
    const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    const hybrid = existsSync('/sys/fs/cgroup/unified/cgroup.controllers');
    let kernel = os.release();
    try {
        kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    }
    catch {
        /* keep os.release() */
    }
    return { kernel, cgroupVersion: v2 ? 'v2' : hybrid ? 'v1 (hybrid)' : 'v1', hostname: os.hostname() };
}
//# sourceMappingURL=host.js.map