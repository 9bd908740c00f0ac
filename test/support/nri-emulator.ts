// Self-test support for the NRI suite: an NRI runtime emulated beside the lab's containerd (1.6, no NRI). A fake
// NRI runtime (src/nri/fake-runtime.ts) listens on a temporary socket; fault-proxy hooks on the CRI calls relay
// each pod and container lifecycle step to the connected plugins, as a runtime with NRI would, and keep the
// pods and containers that Synchronize reports. Tampering makes it a runtime that gets NRI wrong.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeNriRuntime, type Msg } from '../../src/nri/index.js';
import type { Fault } from './fault-proxy.js';

export interface NriTamper {
  /** Plugin RPCs (RunPodSandbox, StartContainer, …) never relayed. */
  drop?: string[];
  /** Change an event's request before it is relayed. */
  rewrite?: (method: string, req: Msg) => void;
  /** Hold this RPC's event back and relay it right after the `after` one (of the same pod or container). */
  delay?: { method: string; after: string };
  /** Right after relaying `after`, also relay `method` for a container of the same pod that does not exist. */
  inject?: { after: string; method: string };
  /** Leave pods and/or containers out of Synchronize. */
  syncOmit?: { pods?: boolean; containers?: boolean };
  /** Answer RegisterPlugin with an error. */
  refuseRegistration?: { code: number; message: string };
  /** Report another runtime in ConfigureRequest. */
  runtimeName?: string;
}

export interface NriEmulator {
  socketPath: string;
  /** The CRI fault-proxy hooks that drive it: pass them to runOne. */
  faults: Fault[];
  /** Event RPCs relayed, in order. */
  relayed: string[];
  close(): Promise<void>;
}

export async function startNriEmulator(tamper: NriTamper = {}): Promise<NriEmulator> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crc-nri-emu-'));
  const socketPath = path.join(dir, 'nri.sock');
  const pods = new Map<string, Msg>();
  const containers = new Map<string, Msg>();
  const syncPods: Msg[] = [];
  const syncContainers: Msg[] = [];
  const rt = new FakeNriRuntime({
    socketPath, pods: syncPods, containers: syncContainers,
    ...(tamper.refuseRegistration ? { refuseRegistration: tamper.refuseRegistration } : {}),
  });
  await rt.listen();
  const relayed: string[] = [];
  const held: { method: string; req: Msg }[] = [];

  const send = async (method: string, req: Msg): Promise<void> => {
    relayed.push(method);
    for (const p of rt.plugins) await p.call(method, req).catch(() => undefined);
  };
  const relay = async (method: string, req: Msg): Promise<void> => {
    if (tamper.drop?.includes(method)) return;
    tamper.rewrite?.(method, req);
    if (tamper.delay?.method === method) { held.push({ method, req }); return; }
    await send(method, req);
    if (tamper.delay?.after === method) for (const h of held.splice(0)) await send(h.method, h.req);
    if (tamper.inject?.after === method) await send(tamper.inject.method, { pod: req['pod'], container: { id: 'crc-ghost', name: 'crc-ghost', pod_sandbox_id: req['pod']?.id } });
  };
  const resync = () => {
    syncPods.splice(0, syncPods.length, ...(tamper.syncOmit?.pods ? [] : [...pods.values()]));
    syncContainers.splice(0, syncContainers.length, ...(tamper.syncOmit?.containers ? [] : [...containers.values()]));
  };
  const podEvent = (method: string, id: string) => relay(method, { pod: { ...(pods.get(id) ?? { id }) } });
  const ctrEvent = (method: string, id: string) => {
    const c = containers.get(id) ?? { id };
    return relay(method, { pod: { ...(pods.get(c['pod_sandbox_id']) ?? {}) }, container: { ...c } });
  };

  const stopped = new Set<string>();
  const stopOnce = async (id: string): Promise<void> => {
    if (stopped.has(id) || !containers.has(id)) return;
    stopped.add(id);
    await ctrEvent('StopContainer', id);
  };

  const faults: Fault[] = [
    {
      rpc: 'Version',
      mutate: (res) => {
        rt.options.runtimeName = tamper.runtimeName ?? res.runtime_name;
        rt.options.runtimeVersion = res.runtime_version;
      },
    },
    {
      rpc: 'RunPodSandbox',
      mutate: async (res, req) => {
        const m = req.config?.metadata ?? {};
        pods.set(res.pod_sandbox_id, { id: res.pod_sandbox_id, name: m.name, uid: m.uid, namespace: m.namespace });
        resync();
        await podEvent('RunPodSandbox', res.pod_sandbox_id);
      },
    },
    { rpc: 'StopPodSandbox', mutate: async (_res, req) => podEvent('StopPodSandbox', req.pod_sandbox_id) },
    {
      rpc: 'RemovePodSandbox',
      mutate: async (_res, req) => {
        await podEvent('RemovePodSandbox', req.pod_sandbox_id);
        pods.delete(req.pod_sandbox_id);
        resync();
      },
    },
    {
      rpc: 'CreateContainer',
      mutate: async (res, req) => {
        containers.set(res.container_id, { id: res.container_id, pod_sandbox_id: req.pod_sandbox_id, name: req.config?.metadata?.name });
        resync();
        await ctrEvent('CreateContainer', res.container_id);
      },
    },
    { rpc: 'StartContainer', mutate: async (_res, req) => ctrEvent('StartContainer', req.container_id) },
    // A container stops once: by StopContainer, or on its own (seen here when ContainerStatus first says so).
    { rpc: 'StopContainer', mutate: async (_res, req) => stopOnce(req.container_id) },
    { rpc: 'ContainerStatus', mutate: async (res, req) => (res.status?.state === 'CONTAINER_EXITED' ? stopOnce(req.container_id) : undefined) },
    {
      rpc: 'RemoveContainer',
      mutate: async (_res, req) => {
        await ctrEvent('RemoveContainer', req.container_id);
        containers.delete(req.container_id);
        resync();
      },
    },
  ];
  return {
    socketPath, faults, relayed,
    close: async () => {
      await rt.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
