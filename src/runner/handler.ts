// --runtime-handler is checked before any suite runs, as the kubelet would find out at the first pod of the
// RuntimeClass: from Status.runtime_handlers where the runtime reports them, else from a RunPodSandbox with
// that handler (a throwaway sandbox, labelled and removed at once).
import { randomBytes } from 'node:crypto';
import type { Cri } from '../cri/client.js';
import { RpcError, codeName } from '../cri/errors.js';
import { RUN_LABEL } from '../framework/context.js';
import { HandlerError } from '../errors.js';

/** The handlers the runtime advertises (Status.runtime_handlers, v1 only); [] when it reports none. */
export async function advertisedHandlers(cri: Cri): Promise<string[]> {
  if (!cri.runtime.has('Status') || cri.runtime.version !== 'v1') return [];
  const res = await cri.runtime.call('Status', { verbose: false });
  return (res.runtime_handlers ?? []).map((h) => h.name);
}

export async function checkRuntimeHandler(cri: Cri, runId: string, handler: string): Promise<string> {
  const listed = await advertisedHandlers(cri);
  if (listed.length) {
    if (listed.includes(handler)) return `runtime handler "${handler}" is listed in Status.runtime_handlers`;
    throw new HandlerError(`the runtime does not have the runtime handler "${handler}": Status.runtime_handlers lists ${listed.map((h) => JSON.stringify(h || '(default)')).join(', ')}`);
  }
  const name = `crc-handler-probe-${randomBytes(3).toString('hex')}`;
  let id: string;
  try {
    const res = await cri.runtime.call('RunPodSandbox', {
      config: { metadata: { name, uid: `${name}-uid`, namespace: 'crc-handler-probe', attempt: 0 }, labels: { [RUN_LABEL]: runId } },
      runtime_handler: handler,
    });
    id = res.pod_sandbox_id;
  } catch (e) {
    if (e instanceof RpcError) throw new HandlerError(`the runtime refused a pod with runtime handler "${handler}" (RunPodSandbox: ${codeName(e.code)}: ${e.details})`);
    throw e;
  }
  await cri.runtime.call('StopPodSandbox', { pod_sandbox_id: id }).catch(() => undefined);
  await cri.runtime.call('RemovePodSandbox', { pod_sandbox_id: id }).catch(() => undefined); // the end-of-run sweep retries
  return `runtime handler "${handler}" ran a pod (the runtime reports no Status.runtime_handlers)`;
}
