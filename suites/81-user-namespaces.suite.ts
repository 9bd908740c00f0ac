// User namespaces (KEP-127, pod hostUsers: false): NamespaceOption.userns_options as the kubelet sends it, judged
// from the id maps the container really has (/proc/self/uid_map, gid_map). The kubelet uses user namespaces only
// on a handler that reports features.user_namespaces in Status.runtime_handlers, so the tests are gated on that.
import { readFile } from 'node:fs/promises';
import {
  defineSuite, check, skip, expectRpcError, runSandbox, runContainer, deferSandboxRemoval, execSync, labelled,
  podSandboxConfig, containerConfig, withShell, type TestContext, testImage, randomSuffix,
} from '../src/framework/index.js';
import { withKubeletNamespaces, withKubeletSandboxNamespaces } from '../src/framework/container.js';
import type { UserNamespace } from '../src/gen/v1/runtime/v1/UserNamespace.js';
import type { PodSandboxConfig } from '../src/gen/v1/runtime/v1/PodSandboxConfig.js';

export default defineSuite(({ describe, it }) => {
  describe('User namespaces', () => {
    it('runtime should map container root to the given host range in NamespaceMode POD (uid_map and gid_map) [Feature:UserNamespaces]', async (t) => {
      await requireUserNamespaces(t);
      // A 64 Ki range at a multiple of 64 Ki, as the kubelet allocates them, away from the low ids.
      const host = 65536 * (32 + Math.floor(Math.random() * 64));
      const mapping = [{ container_id: 0, host_id: host, length: 65536 }];
      const id = await runInUserns(t, { mode: 'POD', uids: mapping, gids: mapping });
      const expected = [[0, host, 65536]];
      await expectIdMaps(t, id, { uid_map: expected, gid_map: expected }, `mode POD with uids and gids ${JSON.stringify(mapping)}`);
    });

    it('runtime should keep the host\'s id maps in NamespaceMode NODE [Feature:UserNamespaces]', async (t) => {
      await requireUserNamespaces(t);
      const id = await runInUserns(t, { mode: 'NODE' });
      // The runtime shares the node's user namespace: the maps are the ones this (host) process has.
      const hostMap = async (f: string) => parseIdMap(await readFile(`/proc/self/${f}`, 'utf8'));
      await expectIdMaps(t, id, { uid_map: await hostMap('uid_map'), gid_map: await hostMap('gid_map') }, 'mode NODE shares the host user namespace');
    });

    it('runtime should reject a user namespace with more than one mapping [Feature:UserNamespaces]', async (t) => {
      await requireUserNamespaces(t);
      const two = [{ container_id: 0, host_id: 65536 * 40, length: 65536 }, { container_id: 65536, host_id: 65536 * 41, length: 65536 }];
      await expectRejected(t, { mode: 'POD', uids: two, gids: two }, 'two uid and gid mappings (the kubelet sends exactly one)');
    });

    it('runtime should reject a user namespace that leaves container ID 0 unmapped [Feature:UserNamespaces]', async (t) => {
      await requireUserNamespaces(t);
      const noRoot = [{ container_id: 1, host_id: 65536 * 40, length: 65536 }];
      await expectRejected(t, { mode: 'POD', uids: noRoot, gids: noRoot }, 'a mapping that starts at container ID 1');
    });

    for (const mode of ['CONTAINER', 'TARGET'] as const) {
      it(`runtime should reject a user namespace in NamespaceMode ${mode} [Feature:UserNamespaces]`, async (t) => {
        await requireUserNamespaces(t);
        await expectRejected(t, { mode }, `mode ${mode} (only POD and NODE are defined for user namespaces)`);
      });
    }
  });
});

// ---- helpers only this suite needs ----

/** Skips unless the run's runtime handler reports user namespace support (Status.runtime_handlers, v1 only). */
async function requireUserNamespaces(t: TestContext): Promise<void> {
  if (t.run.negotiation.runtime !== 'v1') skip(`runtime.${t.run.negotiation.runtime} has no Status.runtime_handlers to report user namespace support`);
  const res = await t.cri.runtime.call('Status', { verbose: false });
  const name = t.run.runtimeHandler;
  const h = (res.runtime_handlers ?? []).find((x) => x.name === name);
  if (!h?.features?.user_namespaces) {
    skip(`the runtime handler ${JSON.stringify(name || '(default)')} does not report features.user_namespaces in Status.runtime_handlers; the kubelet then refuses pods with hostUsers: false`);
  }
}

/** A pod with these user namespace options, as the kubelet sends them (on the pod and copied to the container). */
function usernsPod(userns: UserNamespace): PodSandboxConfig {
  return podSandboxConfig('userns', withKubeletSandboxNamespaces(), (c) => {
    c.linux!.security_context!.namespace_options!.userns_options = userns;
  });
}

async function runInUserns(t: TestContext, userns: UserNamespace): Promise<string> {
  const ref = await testImage(t);
  const sb = await runSandbox(t, usernsPod(userns));
  return runContainer(t, sb, containerConfig('userns', ref, withKubeletNamespaces(), withShell('sleep 3600'), (c) => {
    c.linux!.security_context!.namespace_options!.userns_options = userns;
  }));
}

type IdMap = number[][];

/** `/proc/<pid>/uid_map` lines: container id, host id, length. */
function parseIdMap(text: string): IdMap {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.split(/\s+/).map(Number));
}

/** The container's own uid_map and gid_map, read from inside, must be these. */
async function expectIdMaps(t: TestContext, id: string, want: Record<'uid_map' | 'gid_map', IdMap>, why: string): Promise<void> {
  for (const f of ['uid_map', 'gid_map'] as const) {
    const r = await execSync(t, id, ['cat', `/proc/self/${f}`]);
    check('ExecSync', `exit_code (cat /proc/self/${f})`, r.exitCode).equals(0, `stderr: ${r.stderr.trim()}`);
    check('ExecSync', `/proc/self/${f} (container id, host id, length)`, parseIdMap(r.stdout)).equals(want[f], why);
  }
}

/** RunPodSandbox with these options must fail; a sandbox made anyway is removed. */
async function expectRejected(t: TestContext, userns: UserNamespace, what: string): Promise<void> {
  const config = labelled(t, usernsPod(userns));
  config.metadata!.name = `crc-userns-bad-${randomSuffix()}`;
  await expectRpcError(`RunPodSandbox (userns_options: ${what})`, () => t.cri.runtime.call('RunPodSandbox', { config, runtime_handler: t.run.runtimeHandler }),
    'the kubelet never sends it and the runtime must not guess', (res) => deferSandboxRemoval(t, res.pod_sandbox_id));
}
