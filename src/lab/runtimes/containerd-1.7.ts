// containerd 1.7 as Debian trixie ships it: containerd 1.7.24 with trixie's runc (1.1.15) and crun
// (1.21), all in the lab's private prefix. containerd runs on the machine's glibc (it needs 2.34);
// runc and crun need glibc >= 2.38, so their private copies are bound to trixie's libc6 unpacked
// beside them (see private-root.ts). Not the machine's crun: bookworm's crun 1.8.1 refuses the OCI
// spec version 1.7 writes ("unknown version specified"). Config format version 2, as 1.6.

import { containerdConfig } from '../config.js';
import { installSuiteContainerd } from './suite-containerd.js';
import type { InstalledRuntime, RuntimeContext, RuntimeProvider } from './types.js';

const TRIXIE = 'trixie';

export const containerd17: RuntimeProvider = {
  name: 'containerd-1.7',
  summary: "Debian trixie's containerd 1.7, runc and crun in a private prefix (runc and crun on trixie's own glibc)",
  defaultDir: '/var/lib/cri-conformance/lab-containerd-1.7',
  machinePackages: false,
  // What runc and crun link (their Depends), from the same suite.
  install: (ctx: RuntimeContext): Promise<InstalledRuntime> => installSuiteContainerd(ctx, TRIXIE, '1.7.', ['libc6', 'libseccomp2', 'libcap2', 'libsystemd0', 'libyajl2']),
  config: containerdConfig,
};
