// What a test receives from the runner: the run it belongs to (client, images, release policy, run-level
// cleanup) and a cleanup stack of its own. Nothing here is process-wide: the runner creates one RunScope per
// run and one TestContext per test, and passes them in.
import type { Cri } from '../cri/client.js';
import type { ApiVersion, Negotiation } from '../cri/negotiate.js';
import type { Timeouts } from '../cri/timeouts.js';
import { CleanupStack } from './cleanup.js';
import { NoImageError } from './skip.js';
import { fixtureImageNames } from '../images/names.js';
import type { HostFeatures } from '../runner/host.js';
import type { SlotPods } from './slot-pods.js';
import type { Sandbox } from './resources.js';

/** Label carried by every sandbox and container this run creates; cleanup never touches anything else. */
export const RUN_LABEL = 'cri-conformance.io/run-id';

/** The Kubernetes-release policy: whether UNIMPLEMENTED fails or skips, and which features are on. */
export interface ReleasePolicy {
  kubelet: string;
  /** CRI versions this kubelet release accepts. */
  criVersions: readonly ApiVersion[];
  onUnimplemented(rpc: string): { action: 'fail' | 'skip'; reason: string };
  featureEnabled(feature: string): boolean;
}

export interface RegistryAuth {
  host: string;
  username: string;
  password: string;
}

/** One conformance run, as its tests see it. */
export interface RunScope {
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
  /** The runtime handler every sandbox of the run uses ('' = the runtime's default), from --runtime-handler. */
  runtimeHandler: string;
  /** Handlers the user or the lab says the runtime has (for runtimes that do not advertise them). */
  knownHandlers: string[];
  /** Host directory of each handler's container state, where known (the lab). */
  handlerRoots: Record<string, string>;
  /** Drained at the end of the run: images the run pulled, and whatever a test registered after it ended. */
  runCleanup: CleanupStack;
  /** Image references present before the run started: never removed. */
  preexistingImages: Set<string>;
  /** Kernel features of the node (seccomp, AppArmor, SELinux), detected once per run; overridable (self-tests). */
  hostFeatures: HostFeatures;
  /** The pod each --jobs slot hands from test to test (containerPod); absent: every test makes its own. */
  slotPods?: SlotPods;
}

/** The world of one test: its run, and the cleanup of what it creates. */
export class TestContext {
  private readonly stack = new CleanupStack();
  private closed = false;

  /** The slot's pod while this test holds it (containerPod). */
  leasedPod?: Sandbox;

  constructor(
    readonly run: RunScope,
    /** The test id (`<suite>/<describe> <title>`). */
    readonly id: string,
    /** The --jobs slot the test runs in, when the runner says. */
    readonly slot?: number,
  ) {}

  get cri(): Cri {
    return this.run.cri;
  }

  /** Registers removal of something this test just created. A test still running after it ended (its
   * timeout passed) hands the work to the run, which does it before the run exits. */
  defer(what: string, fn: () => Promise<void>): void {
    (this.closed ? this.run.runCleanup : this.stack).push(what, fn);
  }

  /** Runs this test's cleanup (newest first) and closes it to further registrations; returns failures. The
   * slot's pod goes back to the slot only when the test `passed` and its cleanup did not fail. */
  async close(retry?: (err: unknown) => Promise<boolean>, passed = false): Promise<string[]> {
    this.closed = true;
    const failed = await this.stack.drain(retry);
    const pod = this.leasedPod;
    if (pod && this.slot !== undefined && this.run.slotPods) {
      this.leasedPod = undefined;
      await this.run.slotPods.release(this.slot, pod, passed && failed.length === 0).catch((e: Error) => failed.push(`cleanup of pod sandbox ${pod.id} failed: ${e.message}`));
    }
    return failed;
  }

  /** Full reference of a logical test image (fixtures/images.json). */
  image(name: string): string {
    const images = this.run.images;
    if (Object.keys(images).length === 0) throw new NoImageError(`test image "${name}": no test images configured (let run serve them, or use --lab, --registry-prefix or --images)`);
    const ref = images[name];
    if (!ref) {
      if (fixtureImageNames().has(name)) throw new NoImageError(`test image "${name}" is not in the images map (add it to your --images file)`);
      throw new Error(`image "${name}" is not in the images manifest: add it to fixtures/images.json`);
    }
    return ref;
  }
}
