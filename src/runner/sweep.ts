// Last line of defence after the run (and on SIGINT): remove whatever still carries this run's label.
// The label is checked again on our side, so a runtime that ignores the filter cannot make us touch
// objects we did not create.
import type { Cri } from '../cri/client.js';
import { RUN_LABEL } from '../framework/context.js';

/**
 * Removes this run's objects; with runId undefined, those of every cri-conformance run (the `cleanup`
 * command, after a run that could not clean up because the runtime died under it).
 */
export async function sweepRun(cri: Cri, runId: string | undefined): Promise<{ removed: string[]; errors: string[] }> {
  const removed: string[] = [];
  const errors: string[] = [];
  const mine = (labels: Record<string, string> | undefined) => (runId === undefined ? RUN_LABEL in (labels ?? {}) : labels?.[RUN_LABEL] === runId);
  const filter = runId === undefined ? {} : { label_selector: { [RUN_LABEL]: runId } };
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      removed.push(what);
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
    }
  };
  // Each listing on its own: a failing ListContainers must not stop the sandbox sweep.
  try {
    const cs = await cri.runtime.call('ListContainers', { filter });
    for (const c of cs.containers.filter((c) => mine(c.labels))) {
      await attempt(`container ${c.id}`, () => cri.runtime.call('RemoveContainer', { container_id: c.id }));
    }
  } catch (e) {
    errors.push(`listing this run's containers failed: ${(e as Error).message}`);
  }
  try {
    const ps = await cri.runtime.call('ListPodSandbox', { filter });
    for (const p of ps.items.filter((p) => mine(p.labels))) {
      // RemovePodSandbox must force-stop, so a failing stop does not keep the removal from being tried.
      await attempt(`pod sandbox ${p.id}`, async () => {
        await cri.runtime.call('StopPodSandbox', { pod_sandbox_id: p.id }).catch(() => undefined);
        await cri.runtime.call('RemovePodSandbox', { pod_sandbox_id: p.id });
      });
    }
  } catch (e) {
    errors.push(`listing this run's pod sandboxes failed: ${(e as Error).message}`);
  }
  return { removed, errors };
}

/** What of this run the runtime still lists (after the sweep): the objects a later `cleanup` must remove.
 * A listing that fails adds nothing: a lost runtime already fails the run. */
export async function runLeftovers(cri: Cri, runId: string): Promise<string[]> {
  const filter = { label_selector: { [RUN_LABEL]: runId } };
  const mine = (labels: Record<string, string> | undefined) => labels?.[RUN_LABEL] === runId;
  const cs = await cri.runtime.call('ListContainers', { filter }).then((r) => r.containers, () => []);
  const ps = await cri.runtime.call('ListPodSandbox', { filter }).then((r) => r.items, () => []);
  return [...cs.filter((c) => mine(c.labels)).map((c) => `container ${c.id}`), ...ps.filter((p) => mine(p.labels)).map((p) => `pod sandbox ${p.id}`)];
}
