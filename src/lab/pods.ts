// Graceful teardown through CRI: stop and remove every pod sandbox of the lab containerd, so CNI
// DEL runs (IPAM leases, portmap rules, veths), netns are released and shims exit by themselves.

import { LiteClient } from './cri-lite.js';

export async function cleanupPods(endpoint: string, log: (l: string) => void, budgetMs = 60_000): Promise<{ ok: boolean; removed: number }> {
  const client = new LiteClient(endpoint);
  const deadline = Date.now() + budgetMs;
  let removed = 0;
  try {
    const res = await client.call<{ items?: { id: string }[] }>('runtime', 'ListPodSandbox', {}, 10_000);
    const ids = (res.items ?? []).map((p) => p.id);
    if (ids.length) log(`stopping and removing ${ids.length} pod sandbox(es) through CRI`);
    let ok = true;
    for (const id of ids) {
      const left = Math.max(1000, deadline - Date.now());
      try {
        await client.call('runtime', 'StopPodSandbox', { pod_sandbox_id: id }, Math.min(left, 30_000));
        await client.call('runtime', 'RemovePodSandbox', { pod_sandbox_id: id }, Math.min(left, 30_000));
        removed++;
      } catch (err) {
        ok = false;
        log(`could not remove pod sandbox ${id.slice(0, 12)}: ${(err as Error).message}`);
      }
      if (Date.now() > deadline) {
        ok = false;
        break;
      }
    }
    return { ok, removed };
  } catch (err) {
    log(`CRI cleanup skipped: ${(err as Error).message}`);
    return { ok: false, removed };
  } finally {
    client.close();
  }
}
