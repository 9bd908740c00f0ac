// A pod per --jobs slot, handed from test to test. A pod sandbox is the dearest thing a test asks of the
// runtime (network namespace, four CNI plugins in and out, the pause container, a shim): measured on the lab,
// a pod costs containerd about 0.6 CPU-seconds against 0.35 for a container. Many tests need a pod only as a
// home for their containers; those ask for `containerPod(t)` and get their slot's pod. A slot runs one test at
// a time and a test's containers are removed before the next test starts, so the pod the next test gets holds
// none of them: what it lists, counts and reads is its own, as in a fresh pod. A pod goes back to its slot only
// after a test passed and its cleanup succeeded; after anything else it is removed, and the slot's next test
// gets a new one, so a pod a failure may have damaged never judges another test.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Sandbox } from './resources.js';
import type { PodSandboxConfig } from '../gen/v1/runtime/v1/PodSandboxConfig.js';
import { podLogDirectory, withKubeletPodMetadata } from './builders.js';

export interface SlotPodDeps {
  /** The run's directory: each pod's log directory is made under `<workDir>/pods`, the kubelet's way, and
   * removed with the pod. */
  workDir: string;
  /** RunPodSandbox of a config that already carries the run's label; answers the sandbox id. */
  create(config: PodSandboxConfig, handler: string): Promise<string>;
  /** Stop and remove; a sandbox already gone is not an error. */
  remove(id: string): Promise<void>;
}

interface Held {
  sandbox: Sandbox;
  handler: string;
}

export class SlotPods {
  /** Pods waiting in their slot for the slot's next test. */
  private readonly idle = new Map<number, Held>();
  /** Every pod made and not yet removed: what the end of the run removes. */
  private readonly live = new Map<string, Held>();

  constructor(private readonly deps: SlotPodDeps) {}

  /** The slot's idle pod for this handler, or a new one from `config()`. The caller owns it until `release`. */
  async take(slot: number, handler: string, config: () => PodSandboxConfig): Promise<Sandbox> {
    const held = this.idle.get(slot);
    if (held && held.handler === handler) {
      this.idle.delete(slot);
      return held.sandbox;
    }
    if (held) await this.discard(slot);
    const cfg = config();
    withKubeletPodMetadata()(cfg);
    const logs = podLogDirectory(path.join(this.deps.workDir, 'pods'), cfg.metadata ?? {});
    await mkdir(logs, { recursive: true, mode: 0o755 });
    cfg.log_directory = logs;
    let id: string;
    try {
      id = await this.deps.create(cfg, handler);
    } catch (e) {
      await rm(logs, { recursive: true, force: true });
      throw e;
    }
    const sandbox = { id, config: cfg };
    this.live.set(id, { sandbox, handler });
    return sandbox;
  }

  /** Stop and remove the pod, then its log directory (made here, so ours to remove). */
  private async removePod(held: Held): Promise<void> {
    await this.deps.remove(held.sandbox.id);
    const logs = held.sandbox.config.log_directory;
    if (logs) await rm(logs, { recursive: true, force: true });
  }

  /** Back to the slot (`clean`: the test passed and removed all it made) or removed now. */
  async release(slot: number, sandbox: Sandbox, clean: boolean): Promise<void> {
    const held = this.live.get(sandbox.id);
    if (!held) return;
    if (clean && !this.idle.has(slot)) {
      this.idle.set(slot, held);
      return;
    }
    this.live.delete(sandbox.id);
    await this.removePod(held);
  }

  private async discard(slot: number): Promise<void> {
    const held = this.idle.get(slot);
    if (!held) return;
    this.idle.delete(slot);
    this.live.delete(held.sandbox.id);
    await this.removePod(held);
  }

  /** End of the run (or SIGINT): remove every pod still there. */
  async closeAll(): Promise<void> {
    const errors: string[] = [];
    for (const [id, held] of [...this.live]) {
      this.live.delete(id);
      await this.removePod(held).catch((e: Error) => errors.push(`pod sandbox ${id}: ${e.message}`));
    }
    this.idle.clear();
    if (errors.length) throw new Error(errors.join('; '));
  }
}
