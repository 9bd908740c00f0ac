// The lab's single readiness check: runtime.v1.RuntimeService/Status must answer with the
// RuntimeReady and NetworkReady conditions true. Kept in one small function so it can be swapped
// for the shared client in src/cri/ later.

import { LiteClient } from './cri-lite.js';

export interface ReadyResult {
  ready: boolean;
  /** Why not ready: the gRPC error or the false conditions with their reasons. */
  reason?: string;
}

interface Condition {
  type: string;
  status: boolean;
  reason?: string;
  message?: string;
}

export async function criReady(endpoint: string, timeoutMs = 2000): Promise<ReadyResult> {
  const client = new LiteClient(endpoint);
  try {
    const res = await client.call<{ status?: { conditions?: Condition[] } }>('runtime', 'Status', {}, timeoutMs);
    const conds = res.status?.conditions ?? [];
    const bad: string[] = [];
    for (const type of ['RuntimeReady', 'NetworkReady']) {
      const c = conds.find((x) => x.type === type);
      if (!c) bad.push(`${type} missing`);
      else if (!c.status) bad.push(`${type}=false (${[c.reason, c.message].filter(Boolean).join(': ')})`);
    }
    return bad.length ? { ready: false, reason: bad.join('; ') } : { ready: true };
  } catch (err) {
    return { ready: false, reason: (err as Error).message };
  } finally {
    client.close();
  }
}
