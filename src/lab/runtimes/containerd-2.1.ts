// containerd 2.1 from Debian sid (2.1.9) with sid's runc (1.3) and crun (1.28), all in the lab's
// private prefix. containerd runs on the machine's glibc; runc and crun need glibc >= 2.38, so their
// private copies are bound to sid's libc6 unpacked beside them (see private-root.ts): user namespaces
// need runc >= 1.2 (idmapped mounts), and 2.1 writes OCI 1.2 specs. Config format version 3.

import path from 'node:path';
import { containerdConfigV3 } from '../config.js';
import type { LabLayout } from '../layout.js';
import { installSuiteContainerd } from './suite-containerd.js';
import type { InstalledRuntime, RuntimeContext, RuntimeProvider } from './types.js';

const SID = 'sid';

export const containerd21: RuntimeProvider = {
  name: 'containerd-2.1',
  summary: "Debian sid's containerd 2.1, runc and crun in a private prefix (runc and crun on sid's own glibc)",
  defaultDir: '/var/lib/cri-conformance/lab-containerd-2.1',
  machinePackages: false,
  // What runc and crun link (their Depends), from the same suite.
  install: (ctx: RuntimeContext): Promise<InstalledRuntime> => installSuiteContainerd(ctx, SID, '2.1.', ['libc6', 'libseccomp2', 'libcap2', 'libsystemd0', 'libblake3-0', 'libjson-c5']),
  config: containerdConfigV3,
  configExtras(l: LabLayout) {
    return {
      nri: { socket: path.join(l.runDir, 'nri.sock'), pluginDir: path.join(l.dir, 'nri', 'plugins'), configDir: path.join(l.dir, 'nri', 'conf.d') },
      tempDir: path.join(l.tmpDir, 'containerd'),
    };
  },
};
