// Image volumes (KEP-4639, pod `volumes[].image`): the kubelet sends Mount.image (and image_sub_path from 1.33)
// and expects the image's filesystem at container_path, read-only. The CRI has no way for a runtime to advertise
// the feature, so a runtime that cannot do it fails here for the releases whose kubelet sends it; the refusal
// tests only mean something once image volumes work at all, and skip with that reason otherwise.
import {
  defineSuite, check, skip, failWith, expectSuccess, expectRpcError, runSandbox, createContainer, startContainer,
  containerStatus, execSync, podSandboxConfig, containerConfig, withShell, type TestContext, type Sandbox, testImage,
} from '../src/framework/index.js';
import { withKubeletNamespaces, withKubeletSandboxNamespaces } from '../src/framework/container.js';
import { codeName, isRpcError } from '../src/cri/errors.js';
import type { Mount } from '../src/gen/v1/runtime/v1/Mount.js';

/** Where the image volume goes in the container. */
const AT = '/mnt/image-volume';
/** The fixture image "volume" (busybox plus /cri-conformance-volume/hello). */
const VOLUME_DIR = 'cri-conformance-volume';
const HELLO = 'from-image\n';

export default defineSuite(({ describe, it }) => {
  describe('Image volumes', () => {
    it('runtime should mount an image at Mount.image with its content, read-only and executable [Feature:ImageVolume]', async (t) => {
      const v = await imageVolume(t, {});
      const id = await mustCreate(t, v, 'the kubelet sends Mount.image for an image volume');
      await startContainer(t, id);
      const hello = await execSync(t, id, ['cat', `${AT}/${VOLUME_DIR}/hello`]);
      check('ExecSync', `cat ${AT}/${VOLUME_DIR}/hello (a file of the image mounted at ${AT})`, hello.exitCode === 0 ? hello.stdout : `(exit ${hello.exitCode}: ${hello.stderr.trim()})`)
        .equals(HELLO, 'the image\'s filesystem must be at container_path');
      const w = await execSync(t, id, ['touch', `${AT}/written`]);
      check('ExecSync', `exit_code (touch ${AT}/written, an image volume)`, w.exitCode).notEquals(0, 'image volumes are read-only');
      const opts = (await execSync(t, id, ['sh', '-c', `awk '$5 == "${AT}" { print $6 }' /proc/self/mountinfo`])).stdout.trim();
      check('ExecSync', `/proc/self/mountinfo options of ${AT}`, opts.split(',')).includes('ro', 'the kernel must enforce read-only, not only the file modes');
      // Executable: the kubelet does not ask for noexec, and image volumes may carry binaries.
      // A binary that cannot be run is an ExecSync error on some runtimes, an exit code on others.
      const run = await execSync(t, id, [`${AT}/bin/busybox`, 'echo', 'ran-from-volume']).catch((e: unknown) => {
        if (!isRpcError(e)) throw e;
        return { stdout: `(ExecSync error: ${codeName(e.code)}: ${e.details})`, stderr: '', exitCode: -1 };
      });
      check('ExecSync', `stdout (${AT}/bin/busybox echo, a binary of the image volume)`, run.stdout).equals('ran-from-volume\n', `exit_code=${run.exitCode} stderr: ${run.stderr.trim()}`);
    });

    it('runtime should mount only image_sub_path of an image volume [Feature:ImageVolume] [Feature:ImageVolumeSubPath]', async (t) => {
      const v = await imageVolume(t, { image_sub_path: VOLUME_DIR });
      const id = await mustCreate(t, v, 'the kubelet sends image_sub_path for a subPath mount of an image volume');
      await startContainer(t, id);
      const hello = await execSync(t, id, ['cat', `${AT}/hello`]);
      check('ExecSync', `cat ${AT}/hello (image_sub_path ${VOLUME_DIR})`, hello.exitCode === 0 ? hello.stdout : `(exit ${hello.exitCode}: ${hello.stderr.trim()})`).equals(HELLO);
      const root = await execSync(t, id, ['test', '-e', `${AT}/bin/busybox`]);
      check('ExecSync', `exit_code (test -e ${AT}/bin/busybox, outside image_sub_path)`, root.exitCode).notEquals(0, 'only the sub path must be mounted, not the image root');
    });

    it('runtime should refuse an image volume whose image_sub_path is not in the image [Feature:ImageVolume] [Feature:ImageVolumeSubPath]', async (t) => {
      const v = await imageVolume(t, { image_sub_path: 'crc-no-such-dir' });
      await requireWorkingImageVolumes(t, v);
      await expectRefused(t, v, 'image_sub_path "crc-no-such-dir" does not exist in the image');
    });

    it('runtime should refuse a read-write image volume [Feature:ImageVolume] [Strict]', async (t) => {
      // [Strict]: the kubelet always sends readonly=true for image volumes, so it never meets this refusal.
      const v = await imageVolume(t, { readonly: false });
      await requireWorkingImageVolumes(t, v);
      await expectRefused(t, v, 'image volumes are read-only: readonly=false cannot be honoured');
    });

    it('runtime should report the image volume\'s image in ContainerStatus.mounts[].image.image_ref [Feature:ImageVolume] [Feature:ImageVolumeWithDigest]', async (t) => {
      const v = await imageVolume(t, {});
      const id = await mustCreate(t, v, 'the kubelet sends Mount.image for an image volume');
      const s = await containerStatus(t, id);
      const m = (s.mounts ?? []).find((x) => x.container_path === AT);
      if (!m) failWith(`ContainerStatus: status.mounts: expected a mount at ${AT}, got ${JSON.stringify((s.mounts ?? []).map((x) => x.container_path))}`);
      const img = await t.cri.image.call('ImageStatus', { image: { image: v.ref } });
      const known = [img.image?.id, ...(img.image?.repo_digests ?? [])].filter((x): x is string => !!x);
      check('ContainerStatus', `status.mounts[${AT}].image.image_ref`, m.image?.image_ref ?? '').oneOf(known, 'the kubelet puts it in the pod status (ImageVolumeWithDigest)');
    });
  });
});

// ---- helpers only this suite needs ----

interface Volume {
  sb: Sandbox;
  /** Container image (busybox) and the image used as the volume. */
  ctrRef: string;
  ref: string;
  mount: Mount;
}

/** A pod and the Mount the kubelet sends for an image volume (readonly, the image pulled first). */
async function imageVolume(t: TestContext, over: Partial<Mount>): Promise<Volume> {
  if (t.run.negotiation.runtime !== 'v1') skip(`Mount.image is not in runtime.${t.run.negotiation.runtime}`);
  const ctrRef = await testImage(t);
  const ref = await testImage(t, 'volume');
  const sb = await runSandbox(t, podSandboxConfig('imgvol', withKubeletSandboxNamespaces()));
  return { sb, ctrRef, ref, mount: { container_path: AT, readonly: true, image: { image: ref, user_specified_image: ref }, ...over } };
}

const create = (t: TestContext, v: Volume, mount = v.mount) =>
  createContainer(t, v.sb, containerConfig('imgvol', v.ctrRef, withKubeletNamespaces(), withShell('sleep 3600'), (c) => void (c.mounts = [mount])));

async function mustCreate(t: TestContext, v: Volume, why: string): Promise<string> {
  return await expectSuccess(`CreateContainer (mounts[0].image ${v.mount.image?.image}${v.mount.image_sub_path ? `, image_sub_path ${v.mount.image_sub_path}` : ''})`, () => create(t, v), why);
}

/**
 * A refusal proves something only from a runtime that mounts image volumes: a valid one must work first
 * (created, and its content there), else the test skips, naming what is missing.
 */
async function requireWorkingImageVolumes(t: TestContext, v: Volume): Promise<void> {
  let id: string;
  try {
    id = await create(t, v, { container_path: AT, readonly: true, image: v.mount.image });
  } catch (e) {
    if (!isRpcError(e)) throw e;
    skip(`the runtime does not mount image volumes (a valid Mount.image is refused: ${e.message.split('\n')[0]}), so a refusal here proves nothing`);
  }
  await startContainer(t, id);
  const r = await execSync(t, id, ['cat', `${AT}/${VOLUME_DIR}/hello`]);
  if (r.exitCode !== 0 || r.stdout !== HELLO) skip(`the runtime does not mount image volumes (a valid Mount.image left ${AT} without the image's content), so a refusal here proves nothing`);
}

async function expectRefused(t: TestContext, v: Volume, why: string): Promise<void> {
  // A container made anyway is removed with the test (createContainer registers it).
  await expectRpcError(`CreateContainer (mounts[0] ${JSON.stringify({ readonly: v.mount.readonly, image_sub_path: v.mount.image_sub_path ?? '' })})`, () => create(t, v), why);
}
