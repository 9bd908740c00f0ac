// User namespaces (KEP-127, pod hostUsers: false): NamespaceOption.userns_options as the kubelet sends it, judged
// from the id maps the container really has (/proc/self/uid_map, gid_map). The kubelet uses user namespaces only
// on a handler that reports features.user_namespaces in Status.runtime_handlers, so the tests are gated on that.
import { chown, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { status as Status } from '@grpc/grpc-js';
import {
  defineSuite, check, skip, expectRpcError, runSandbox, runContainer, createContainer, startContainer, deferSandboxRemoval, execSync,
  labelled, podSandboxConfig, containerConfig, withShell, type TestContext, testImage, randomSuffix, tempDir, cri, type Basis,
} from '../src/framework/index.js';
import { RpcError, UnimplementedError } from '../src/cri/errors.js';
import { withKubeletNamespaces, withKubeletSandboxNamespaces } from '../src/framework/container.js';
import type { UserNamespace } from '../src/gen/v1/runtime/v1/UserNamespace.js';
import type { PodSandboxConfig } from '../src/gen/v1/runtime/v1/PodSandboxConfig.js';

// What the checks rest on (api.proto of cri-api v0.36, and the kubelet's userns manager).
const POD_BASIS = cri('UserNamespace.uids', 'Uids specifies the UID mappings for the user namespace. (Gids: the GID mappings.)', 'effect');
const NODE_BASIS = cri('NamespaceOption.userns_options.mode', 'Mode is the NamespaceMode for this UserNamespace. (NamespaceMode.NODE: A NODE namespace is the namespace of the Kubernetes node.)', 'effect');
// The kubelet's request (mode POD, one mapping each): every number of it is read back from uid_map and gid_map.
const USERNS_UIDS = cri('NamespaceOption.userns_options.uids.host_id', 'Uids specifies the UID mappings for the user namespace. (IDMapping: HostId is the id on the host; ContainerId is the id in the container; Length is the size of the range to map.)', 'effect', [
  'NamespaceOption.userns_options.uids.container_id', 'NamespaceOption.userns_options.uids.length', 'NamespaceOption.userns_options.mode',
]);
const USERNS_GIDS = cri('NamespaceOption.userns_options.gids.host_id', 'Gids specifies the GID mappings for the user namespace. (IDMapping: HostId is the id on the host; ContainerId is the id in the container; Length is the size of the range to map.)', 'effect', [
  'NamespaceOption.userns_options.gids.container_id', 'NamespaceOption.userns_options.gids.length',
]);
// An idmapped host-path mount (the kubelet's volumes of a hostUsers: false pod): the files' owners seen inside.
const IDMAP_MOUNT = cri('Mount.uidMappings.host_id', 'UidMappings specifies the runtime UID mappings for the mount. GidMappings specifies the runtime GID mappings for the mount. (IDMapping: HostId is the id on the host; ContainerId is the id in the container; Length is the size of the range to map.)', 'effect', [
  'Mount.uidMappings.container_id', 'Mount.uidMappings.length', 'Mount.gidMappings.host_id', 'Mount.gidMappings.container_id', 'Mount.gidMappings.length',
]);
const MODES_BASIS = cri('UserNamespace.mode', 'NamespaceMode for UserNamespace currently supports only POD and NODE, not CONTAINER OR TARGET.');

export default defineSuite(({ describe, it }) => {
  describe('User namespaces', () => {
    it('runtime should map container root to the given host range in NamespaceMode POD (uid_map and gid_map) [Feature:UserNamespaces]', async (t) => {
      await requireUserNamespaces(t);
      // A 64 Ki range at a multiple of 64 Ki, as the kubelet allocates them, away from the low ids.
      const host = 65536 * (32 + Math.floor(Math.random() * 64));
      const mapping = [{ container_id: 0, host_id: host, length: 65536 }];
      const id = await runInUserns(t, { mode: 'POD', uids: mapping, gids: mapping });
      const expected = [[0, host, 65536]];
      await expectIdMaps(t, id, { uid_map: expected, gid_map: expected }, `mode POD with uids and gids ${JSON.stringify(mapping)}`, USERNS_UIDS, USERNS_GIDS);
    });

    it('runtime should keep the host\'s id maps in NamespaceMode NODE [Feature:UserNamespaces]', async (t) => {
      await requireUserNamespaces(t);
      const id = await runInUserns(t, { mode: 'NODE' });
      // The runtime shares the node's user namespace: the maps are the ones this (host) process has.
      const hostMap = async (f: string) => parseIdMap(await readFile(`/proc/self/${f}`, 'utf8'));
      await expectIdMaps(t, id, { uid_map: await hostMap('uid_map'), gid_map: await hostMap('gid_map') }, 'mode NODE shares the host user namespace', NODE_BASIS);
    });

    // The kubelet sends one mapping; the CRI's fields are lists and say nothing against more. A runtime may
    // refuse two, or apply both: then exactly both (CRI-O does), not one of them or a merge.
    it('runtime should refuse a user namespace with two mappings or apply both exactly (uid_map and gid_map) [Feature:UserNamespaces]', async (t) => {
      await requireUserNamespaces(t);
      const base = 65536 * (32 + Math.floor(Math.random() * 64));
      const two = [{ container_id: 0, host_id: base, length: 65536 }, { container_id: 65536, host_id: base + 65536 * 2, length: 65536 }];
      await expectRefusedOrApplied(t, { mode: 'POD', uids: two, gids: two }, 'two uid and gid mappings', POD_BASIS);
    });

    // The kubelet always maps container ID 0; the CRI does not require it. Refused, or applied exactly (the
    // container then runs as ID 1, which the mapping holds).
    it('runtime should refuse a user namespace that leaves container ID 0 unmapped or apply it exactly [Feature:UserNamespaces]', async (t) => {
      await requireUserNamespaces(t);
      const base = 65536 * (32 + Math.floor(Math.random() * 64));
      const noRoot = [{ container_id: 1, host_id: base, length: 65536 }];
      await expectRefusedOrApplied(t, { mode: 'POD', uids: noRoot, gids: noRoot }, 'a mapping that starts at container ID 1', POD_BASIS, 1);
    });

    // Through the pod's own mapping, a host file of root (0:0) is root's inside, and one of 1000:2000 is 1000:2000;
    // without the mount's mappings both would show as the overflow id (65534). A runtime, kernel or filesystem
    // that cannot make idmapped mounts refuses the container: that is named, not judged.
    it('runtime should mount a host path through its uidMappings and gidMappings so that host files keep their owners inside (idmapped mount) [Feature:UserNamespaces]', async (t) => {
      await requireUserNamespaces(t);
      const host = 65536 * (32 + Math.floor(Math.random() * 64));
      const mapping = [{ container_id: 0, host_id: host, length: 65536 }];
      const dir = await tempDir(t, 'idmap');
      await writeFile(path.join(dir, 'root-file'), 'root\n');
      await writeFile(path.join(dir, 'user-file'), 'user\n');
      await chown(path.join(dir, 'user-file'), 1000, 2000);
      const userns: UserNamespace = { mode: 'POD', uids: mapping, gids: mapping };
      const sb = await runSandbox(t, usernsPod(userns));
      const cfg = containerConfig('idmap', await testImage(t), withKubeletNamespaces(), withShell('sleep 3600'), (c) => {
        c.linux!.security_context!.namespace_options!.userns_options = userns;
        c.mounts = [{ container_path: '/mnt/idmap', host_path: dir, uidMappings: mapping, gidMappings: mapping }];
      });
      let id = '';
      const e = (await refused(async () => void (id = await createContainer(t, sb, cfg)))) ?? (await refused(() => startContainer(t, id)));
      if (e) skip(`the runtime refuses an idmapped host-path mount here (${e.message.split('\n')[0]!.slice(0, 200)}): the kernel, the OCI runtime or the filesystem of ${dir} may lack idmapped mounts`);
      // Only inside its user namespace do the owners tell the mount's mappings apart from a plain bind mount.
      await expectIdMap(t, id, 'uid_map', [[0, host, 65536]], 'the container must be in the pod\'s user namespace', USERNS_UIDS);
      const r = await execSync(t, id, ['stat', '-c', '%u:%g', '/mnt/idmap/root-file', '/mnt/idmap/user-file']);
      // One check: a failed stat shows as missing owners, with its exit code and stderr in the message.
      check('ExecSync', 'owners (uid:gid) of /mnt/idmap/root-file and /mnt/idmap/user-file inside the container', r.stdout.trim().split('\n'), IDMAP_MOUNT)
        .equals(['0:0', '1000:2000'], `the host files are 0:0 and 1000:2000; mount uidMappings and gidMappings ${JSON.stringify(mapping)}, the pod's own${r.exitCode ? `; stat exited ${r.exitCode}: ${r.stderr.trim()}` : ''}`);
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

/** The container's own uid_map and gid_map, read from inside, must be these (in any line order). */
async function expectIdMaps(t: TestContext, id: string, want: Record<'uid_map' | 'gid_map', IdMap>, why: string, basis: Basis, gidBasis: Basis = basis): Promise<void> {
  await expectIdMap(t, id, 'uid_map', want.uid_map, why, basis);
  await expectIdMap(t, id, 'gid_map', want.gid_map, why, gidBasis);
}

async function expectIdMap(t: TestContext, id: string, f: 'uid_map' | 'gid_map', want: IdMap, why: string, basis: Basis): Promise<void> {
  const sorted = (m: IdMap) => [...m].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
  const r = await execSync(t, id, ['cat', `/proc/self/${f}`]);
  check('ExecSync', `exit_code (cat /proc/self/${f})`, r.exitCode, basis).equals(0, `stderr: ${r.stderr.trim()}`);
  check('ExecSync', `/proc/self/${f} (container id, host id, length)`, sorted(parseIdMap(r.stdout)), basis).equals(sorted(want), why);
}

/** RunPodSandbox with these options must fail; a sandbox made anyway is removed. */
async function expectRejected(t: TestContext, userns: UserNamespace, what: string): Promise<void> {
  const config = labelled(t, usernsPod(userns));
  config.metadata!.name = `crc-userns-bad-${randomSuffix()}`;
  await expectRpcError(`RunPodSandbox (userns_options: ${what})`, () => t.cri.runtime.call('RunPodSandbox', { config, runtime_handler: t.run.runtimeHandler }),
    'the CRI defines user namespaces only in modes POD and NODE', (res) => deferSandboxRemoval(t, res.pod_sandbox_id), MODES_BASIS);
}

/** An error answer (not a lost connection or a deadline) is the runtime refusing the request. */
async function refused(call: () => Promise<unknown>): Promise<RpcError | undefined> {
  try {
    await call();
    return undefined;
  } catch (e) {
    if (e instanceof RpcError && !(e instanceof UnimplementedError) && e.code !== Status.DEADLINE_EXCEEDED && e.code !== Status.UNAVAILABLE) return e;
    throw e;
  }
}

/**
 * Options the kubelet never sends: an error from RunPodSandbox, CreateContainer or StartContainer is an answer,
 * and so is a container whose uid_map and gid_map are exactly the mappings asked for. The container runs as
 * `runAs` (uid and gid), an id the mappings hold.
 */
async function expectRefusedOrApplied(t: TestContext, userns: UserNamespace, what: string, basis: Basis, runAs?: number): Promise<void> {
  let sb: Awaited<ReturnType<typeof runSandbox>> | undefined;
  const e1 = await refused(async () => void (sb = await runSandbox(t, usernsPod(userns))));
  if (e1 || !sb) return; // refused by RunPodSandbox
  const cfg = containerConfig('userns', await testImage(t), withKubeletNamespaces(), withShell('sleep 3600'), (c) => {
    c.linux!.security_context!.namespace_options!.userns_options = userns;
    if (runAs !== undefined) {
      c.linux!.security_context!.run_as_user = { value: String(runAs) };
      c.linux!.security_context!.run_as_group = { value: String(runAs) };
    }
  });
  let id = '';
  const e2 = await refused(async () => void (id = await createContainer(t, sb!, cfg)));
  if (e2) return; // refused by CreateContainer
  const e3 = await refused(() => startContainer(t, id));
  if (e3) return; // refused by StartContainer
  const want = (userns.uids ?? []).map((m) => [Number(m.container_id), Number(m.host_id), Number(m.length)]);
  const wantG = (userns.gids ?? []).map((m) => [Number(m.container_id), Number(m.host_id), Number(m.length)]);
  await expectIdMaps(t, id, { uid_map: want, gid_map: wantG }, `the runtime accepted ${what}: it must apply exactly them`, basis);
}
