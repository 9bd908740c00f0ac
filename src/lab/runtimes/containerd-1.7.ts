// containerd 1.7 from Debian trixie (1.7.24), unpacked into the lab's private prefix. It runs on the
// machine's glibc (it needs 2.34) and drives the machine's runc and crun, like 1.6; its config is
// the same version 2 format.

import { containerdConfig } from '../config.js';
import { SYSTEM_CRUN, SYSTEM_PATH, SYSTEM_RUNC, systemPackageVersions } from './containerd-1.6.js';
import { ensurePrivateRoot } from './private-root.js';
import type { InstalledRuntime, RuntimeContext, RuntimeProvider } from './types.js';
import path from 'node:path';

export const containerd17: RuntimeProvider = {
  name: 'containerd-1.7',
  summary: "Debian trixie's containerd 1.7 in a private prefix, with the machine's runc and crun",
  defaultDir: '/var/lib/cri-conformance/lab-containerd-1.7',
  async install({ l, log }: RuntimeContext): Promise<InstalledRuntime> {
    const r = await ensurePrivateRoot(l, { suites: ['trixie'], packages: [{ name: 'containerd', version: '1.7.' }] }, log);
    const bin = path.join(r.root, 'usr', 'bin');
    return {
      containerd: path.join(bin, 'containerd'),
      shim: path.join(bin, 'containerd-shim-runc-v2'),
      oci: { runc: SYSTEM_RUNC, crun: SYSTEM_CRUN },
      path: `${bin}:${SYSTEM_PATH}`,
      packages: { ...r.packages, ...(await systemPackageVersions(['runc', 'crun'])) },
    };
  },
  config: containerdConfig,
};
