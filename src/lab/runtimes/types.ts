// One room per runtime: what differs between the lab's containerd releases (where the binaries come
// from, the config format, the OCI runtimes behind the handlers). Everything else of the lab (CNI,
// registries, images, start/stop of the daemon, cleanup) is shared and lives in src/lab/index.ts.

import type { ContainerdConfigInput, RuntimeHandlerSpec } from '../config.js';
import type { LabLayout } from '../layout.js';

export const RUNTIME_NAMES = ['containerd-1.6', 'containerd-1.7', 'containerd-2.1'] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];
export const DEFAULT_RUNTIME: RuntimeName = 'containerd-1.6';

export interface RuntimeContext {
  l: LabLayout;
  log: (line: string) => void;
}

/** The binaries one runtime runs from, once installed. */
export interface InstalledRuntime {
  /** The containerd daemon. */
  containerd: string;
  /** containerd-shim-runc-v2 the handlers use (undefined: the one on PATH, the system's). */
  shim?: string;
  /** OCI runtime binary per handler name (runc first: the default handler). */
  oci: { runc: string; crun: string };
  /** PATH for the daemon (its own bin dir first). */
  path: string;
  /** Debian package -> version, for the run's record and `lab status`. */
  packages: Record<string, string>;
}

export interface RuntimeProvider {
  readonly name: RuntimeName;
  /** One line for --help and the README. */
  readonly summary: string;
  /** Lab dir when none is given: each runtime has its own, so several run side by side. */
  readonly defaultDir: string;
  /** Runs the machine's containerd, runc and crun packages (else it brings its own and they are not installed). */
  readonly machinePackages: boolean;
  /** Make the binaries available (idempotent; fast when they already are). */
  install(ctx: RuntimeContext): Promise<InstalledRuntime>;
  /** The containerd config for this release's format. */
  config(input: ContainerdConfigInput): string;
  /** Extra config inputs only this release knows (e.g. 2.x's NRI socket). */
  configExtras?(l: LabLayout): Partial<ContainerdConfigInput>;
}

export type { RuntimeHandlerSpec };
