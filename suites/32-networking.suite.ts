// Pod networking as the node sees it: the kubelet's HTTP and TCP probes, and every Service endpoint, dial
// the pod's IP from outside the pod. The kubelet sends every container port as a port mapping with no host
// port (kuberuntime_sandbox.go generatePodSandboxConfig), so the pod must stay reachable with one.
// The only addresses dialled are the pod's own (in a network namespace the runtime made for this test).
import {
  defineSuite, check, failWith, cri, kubelet, eventually, runSandbox, runContainer, ensureImage, sandboxStatus,
  podSandboxConfig, containerConfig, type Sandbox, type TestContext,
} from '../src/framework/index.js';
import type { PodSandboxConfig } from '../src/gen/v1/runtime/v1/PodSandboxConfig.js';
import { httpRequest } from '../src/http.js';

/** The webserver test image's port and page (fixtures/images/recipes.json "webserver"). */
const WEB_PORT = 8080;
const WEB_BODY = 'cri-conformance webserver OK';
/** A web server that is running may still be binding its socket: how long the node keeps dialling. */
const DIAL_MS = 20_000;

const POD_IP = cri('PodSandboxNetworkStatus.ip', 'IP address of the PodSandbox.', 'true');
const PROBES = kubelet('prober/prober.go runProbe', 'HTTP and TCP probes dial status.PodIP (from PodSandboxStatus.network.ip) from the node');

export default defineSuite(({ describe, it }) => {
  describe('Networking', () => {
    it('runtime should give a pod an IP that the node reaches: a container port answers at PodSandboxStatus.network.ip [Conformance]', async (t) => {
      const sb = await runSandbox(t, podSandboxConfig('net'));
      await webIn(t, sb);
      await expectPage(t, sb, 'a pod with no port mappings');
    });

    it('runtime should support port mapping with only container port: the pod is reached at its IP on that port [Conformance]', async (t) => {
      const ports: PodSandboxConfig['port_mappings'] = [{ protocol: 'TCP', container_port: WEB_PORT }];
      const sb = await runSandbox(t, podSandboxConfig('netport', (c) => void (c.port_mappings = ports)));
      await webIn(t, sb);
      await expectPage(t, sb, `port_mappings [{protocol: TCP, container_port: ${WEB_PORT}}] (no host port, as the kubelet sends a containerPort)`);
    });
  });
});

async function webIn(t: TestContext, sb: Sandbox): Promise<void> {
  const ref = t.image('webserver');
  await ensureImage(t, ref);
  await runContainer(t, sb, containerConfig('web', ref));
}

/** GET http://<pod ip>:8080/index.html from the node until it answers (the server may still be starting). */
async function expectPage(t: TestContext, sb: Sandbox, what: string): Promise<void> {
  const ip = (await sandboxStatus(t, sb.id)).network?.ip ?? '';
  check('PodSandboxStatus', 'status.network.ip', ip, POD_IP).matches(/^\d{1,3}(\.\d{1,3}){3}$|:/, 'a pod on the pod network has an IP');
  const url = `http://${ip.includes(':') ? `[${ip}]` : ip}:${WEB_PORT}/index.html`;
  let last = '';
  const body = await eventually(async () => {
    const res = await httpRequest(url, { timeoutMs: 2000 }).catch((e: Error) => {
      last = e.message;
      throw e;
    });
    return res.body;
  }, { timeoutMs: DIAL_MS, intervalMs: 500 }).catch(() =>
    failWith(`node -> ${url} (${what}): expected the web server's page within ${DIAL_MS / 1000} s, got ${last}`, PROBES));
  check(`GET ${url}`, 'body', body, PROBES).includes(WEB_BODY);
}
