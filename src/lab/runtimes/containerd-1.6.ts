// containerd 1.6 from the machine's own packages (Debian bookworm: containerd 1.6.20, runc 1.1.5,
// crun 1.8.1), installed by apt-get like the rest of the lab's tools. The default runtime.

import { containerdConfig } from '../config.js';
import { DEFAULT_LAB_DIR } from '../layout.js';
import { run } from '../exec.js';
import type { InstalledRuntime, RuntimeProvider } from './types.js';

export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const SYSTEM_RUNC = '/usr/sbin/runc';
export const SYSTEM_CRUN = '/usr/bin/crun';

/** Versions of installed Debian packages (dpkg-query), for the record. */
export async function systemPackageVersions(names: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const r = await run('dpkg-query', ['-W', '-f=${Version}', n], { allowFail: true });
    if (r.code === 0 && r.stdout.trim()) out[n] = r.stdout.trim();
  }
  return out;
}

export const containerd16: RuntimeProvider = {
  name: 'containerd-1.6',
  summary: "the machine's containerd package (Debian 12: 1.6.20) with its runc and crun",
  defaultDir: DEFAULT_LAB_DIR,
  machinePackages: true,
  async install(): Promise<InstalledRuntime> {
    // The packages themselves are ensured with the lab's other tools (system.ts REQUIRED_PACKAGES).
    return {
      containerd: '/usr/bin/containerd',
      oci: { runc: SYSTEM_RUNC, crun: SYSTEM_CRUN },
      path: SYSTEM_PATH,
      packages: await systemPackageVersions(['containerd', 'runc', 'crun']),
    };
  },
  config: containerdConfig,
};
