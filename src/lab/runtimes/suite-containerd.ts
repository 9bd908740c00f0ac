// containerd with runc and crun from one Debian suite, all unpacked in the lab's private prefix: what the
// containerd-1.7 (trixie) and containerd-2.1 (sid) providers share. containerd runs on the machine's glibc;
// runc and crun are bound to the suite's own libc6 unpacked beside them (see private-root.ts).

import path from 'node:path';
import { SYSTEM_PATH } from './containerd-1.6.js';
import { ensurePrivateRoot } from './private-root.js';
import type { InstalledRuntime, RuntimeContext } from './types.js';

/** `line` is containerd's release line ("2.1."), `libs` what runc and crun link (their Depends) in that suite. */
export async function installSuiteContainerd({ l, log }: RuntimeContext, suite: string, line: string, libs: string[]): Promise<InstalledRuntime> {
  const r = await ensurePrivateRoot(
    l,
    {
      suites: [suite],
      packages: [
        { name: 'containerd', version: line },
        { name: 'runc', suite },
        { name: 'crun', suite },
        ...libs.map((name) => ({ name, suite })),
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
}
