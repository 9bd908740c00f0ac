// containerd 1.7 as Debian trixie ships it: containerd 1.7.24 with trixie's runc (1.1.15) and crun
// (1.21), all in the lab's private prefix. containerd runs on the machine's glibc (it needs 2.34);
// runc and crun need glibc >= 2.38, so their private copies are bound to trixie's libc6 unpacked
// beside them (see private-root.ts). Not the machine's crun: bookworm's crun 1.8.1 refuses the OCI
// spec version 1.7 writes ("unknown version specified"). Config format version 2, as 1.6.

import path from 'node:path';
import { containerdConfig } from '../config.js';
import { SYSTEM_PATH } from './containerd-1.6.js';
import { ensurePrivateRoot } from './private-root.js';
import type { InstalledRuntime, RuntimeContext, RuntimeProvider } from './types.js';

const TRIXIE = 'trixie';

export const containerd17: RuntimeProvider = {
  name: 'containerd-1.7',
  summary: "Debian trixie's containerd 1.7, runc and crun in a private prefix (runc and crun on trixie's own glibc)",
  defaultDir: '/var/lib/cri-conformance/lab-containerd-1.7',
  machinePackages: false,
  async install({ l, log }: RuntimeContext): Promise<InstalledRuntime> {
    const r = await ensurePrivateRoot(
      l,
      {
        suites: [TRIXIE],
        packages: [
          { name: 'containerd', version: '1.7.' },
          { name: 'runc', suite: TRIXIE },
          { name: 'crun', suite: TRIXIE },
          // What runc and crun link (their Depends), from the same suite.
          ...['libc6', 'libseccomp2', 'libcap2', 'libsystemd0', 'libyajl2'].map((name) => ({ name, suite: TRIXIE })),
        ],
        rebind: ['usr/sbin/runc', 'usr/bin/crun'],
      },
      log,
    );
    const bin = path.join(r.root, 'usr', 'bin');
    return {
      containerd: path.join(bin, 'containerd'),
      shim: path.join(bin, 'containerd-shim-runc-v2'),
      oci: { runc: r.bin['runc']!, crun: r.bin['crun']! },
      path: `${path.dirname(r.bin['runc']!)}:${bin}:${SYSTEM_PATH}`,
      packages: r.packages,
    };
  },
  config: containerdConfig,
};
