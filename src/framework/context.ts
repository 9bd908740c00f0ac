// What a running suite can see: the negotiated client, this run's id and images, the release policy.
// Set once by the runner before suites load; read-only for tests.
import type { Cri } from '../cri/client.js';
import type { Negotiation } from '../cri/negotiate.js';
import type { Timeouts } from '../cri/timeouts.js';
import { CleanupStack } from './cleanup.js';
import { skip } from './skip.js';

/** Label carried by every sandbox and container this run creates; cleanup never touches anything else. */
export const RUN_LABEL = 'cri-conformance.io/run-id';

/** The Kubernetes-release policy: whether UNIMPLEMENTED fails or skips, and which features are on. */
export interface ReleasePolicy {
  kubelet: string;
  /** CRI versions this kubelet release accepts. */
  criVersions: readonly ('v1' | 'v1alpha2')[];
  onUnimplemented(rpc: string): { action: 'fail' | 'skip'; reason: string };
  featureEnabled(feature: string): boolean;
}

export interface RegistryAuth {
  host: string;
  username: string;
  password: string;
}

export interface RunContext {
  cri: Cri;
  runId: string;
  negotiation: Negotiation;
  policy: ReleasePolicy;
  /** Logical image name (fixtures/images.json) -> full reference. */
  images: Record<string, string>;
  /** Credentials of the private test registry, when the lab (or the user) provides one. */
  privateRegistry?: RegistryAuth;
  timeouts: Timeouts;
  /** Host directory for this run's log dirs and host-path volumes. */
  workDir: string;
  /** The running test's own cleanup stack (see test-scope.ts); drained after that test. */
  readonly testCleanup: CleanupStack;
  /** Drained at the end of the run (e.g. images the run pulled). */
  runCleanup: CleanupStack;
  /** Image references present before the run started: never removed. */
  preexistingImages: Set<string>;
}

// Kept on globalThis: a test loader may instantiate this module twice (CJS and ESM graphs), and the
// runner and the suite files must still see one context.
const KEY = Symbol.for('cri-conformance.run-context');
type Holder = { [KEY]?: RunContext };

export function setContext(c: RunContext | undefined): void {
  (globalThis as Holder)[KEY] = c;
}

export function ctx(): RunContext {
  const c = (globalThis as Holder)[KEY];
  if (!c) throw new Error('no run context: suites run through the cri-conformance runner');
  return c;
}

export function image(name: string): string {
  const images = ctx().images;
  if (Object.keys(images).length === 0) skip('no test images configured: use --lab, --registry-prefix or --images');
  const ref = images[name];
  if (!ref) throw new Error(`image "${name}" is not in the images manifest: add it to fixtures/images.json or your --images file`);
  return ref;
}
