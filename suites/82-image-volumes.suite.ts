// Image volumes (KEP-4639, pod `volumes[].image`): the kubelet sends Mount.image (and image_sub_path; alpha 1.31, on by default from 1.35)
// and expects the image's filesystem at container_path, read-only. The CRI has no way for a runtime to advertise
// the feature, so a runtime that cannot do it fails here for the releases whose kubelet sends it; the refusal
// tests only mean something once image volumes work at all, and skip with that reason otherwise.
import {
  defineSuite, check, skip, failWith, expectSuccess, expectRpcError, runSandbox, createContainer, startContainer,
  containerStatus, execSync, podSandboxConfig, containerConfig, withShell, type TestContext, type Sandbox, testImage,
  cri, kubelet, opinion, type Basis,
} from '../src/framework/index.js';
import { withKubeletNamespaces, withKubeletSandboxNamespaces } from '../src/framework/container.js';
import { codeName, isRpcError } from '../src/cri/errors.js';
import type { Mount } from '../src/gen/v1/runtime/v1/Mount.js';

/** Where the image volume goes in the container. */
const AT = '/mnt/image-volume';
/** The fixture image "volume" (busybox plus /cri-conformance-volume/hello). */
const VOLUME_DIR = 'cri-conformance-volume';
const HELLO = 'from-image\n';

const MOUNTED = cri('Mount.image', 'Mount an image reference (image ID, with or without digest), which is a special use case for image volume mounts. … Runtimes are expected to mount the image as required.', 'effect');
const READ_ONLY = cri('Mount.image', 'All image mounts are per feature definition readonly.', 'effect');
const SUB_PATH = cri('Mount.image_sub_path', 'Specific image sub path to be used from inside the image instead of its root', 'effect');
const SUB_PATH_MISSING = cri('Mount.image_sub_path', 'If the sub path is not empty and does not exist in the image, then runtimes should fail and return an error.', 'effect');
/** The kubelet never asks for noexec on an image volume, and its content may be binaries a container runs. */
const EXECUTABLE = kubelet('kubelet_pods.go makeMounts()', 'mounts an image volume with no noexec option: what the image holds stays runnable');
const RW_REFUSED = opinion('a readonly=false image volume cannot be honoured, so it should be refused rather than silently made read-only (the kubelet always sends readonly=true)');
const MOUNT_IMAGE_REF = cri('ImageSpec.image_ref', 'The digest of the image used for this volume. It should have a value that\'s similar to the pod\'s status.containerStatuses[i].imageID.', 'true');

export default defineSuite(({ describe, it }) => {
  describe('Image volumes', () => {
    it('runtime should mount an image at Mount.image with its content, read-only and executable [Feature:ImageVolume]', async (t) => {
      const v = await imageVolume(t, {});
      const id = await mustCreate(t, v, 'the kubelet sends Mount.image for an image volume', MOUNTED);
      await startContainer(t, id);
      const hello = await execSync(t, id, ['cat', `${AT}/${VOLUME_DIR}/hello`]);
      check('ExecSync', `cat ${AT}/${VOLUME_DIR}/hello (a file of the image mounted at ${AT})`, hello.exitCode === 0 ? hello.stdout : `(exit ${hello.exitCode}: ${hello.stderr.trim()})`, MOUNTED)
        .equals(HELLO, 'the image\'s filesystem must be at container_path');
      // Read-only, judged by its effect: the write fails with EROFS, which file modes never give a root container.
      // The kernel may enforce it per mount or for the whole filesystem (CRI-O mounts the volume read-only at the
      // superblock), so "ro" may stand in either option list of the mount.
      const w = await execSync(t, id, ['touch', `${AT}/written`]);
      check('ExecSync', `exit_code (touch ${AT}/written, an image volume)`, w.exitCode, READ_ONLY).notEquals(0, 'image volumes are read-only');
      check('ExecSync', `stderr (touch ${AT}/written, an image volume)`, w.stderr.trim(), READ_ONLY).matches(/read-only file system/i, 'the kernel must refuse the write (EROFS), not only the file modes');
      const mi = (await execSync(t, id, ['sh', '-c', `awk '$5 == "${AT}"' /proc/self/mountinfo`])).stdout.trim().split('\n').pop() ?? '';
      const { perMount, superblock } = mountOptions(mi);
      check('ExecSync', `/proc/self/mountinfo options of ${AT} (per mount [${perMount}], superblock [${superblock}])`, [...perMount, ...superblock], READ_ONLY)
        .includes('ro', 'read-only per mount or at the superblock');
      // Executable: the kubelet does not ask for noexec, and image volumes may carry binaries.
      // A binary that cannot be run is an ExecSync error on some runtimes, an exit code on others.
      const run = await execSync(t, id, [`${AT}/bin/busybox`, 'echo', 'ran-from-volume']).catch((e: unknown) => {
        if (!isRpcError(e)) throw e;
        return { stdout: `(ExecSync error: ${codeName(e.code)}: ${e.details})`, stderr: '', exitCode: -1 };
      });
      check('ExecSync', `stdout (${AT}/bin/busybox echo, a binary of the image volume)`, run.stdout, EXECUTABLE).equals('ran-from-volume\n', `exit_code=${run.exitCode} stderr: ${run.stderr.trim()}`);
    });

    it('runtime should mount only image_sub_path of an image volume [Feature:ImageVolume] [Feature:ImageVolumeSubPath]', async (t) => {
      const v = await imageVolume(t, { image_sub_path: VOLUME_DIR });
      const id = await mustCreate(t, v, 'the kubelet sends image_sub_path for a subPath mount of an image volume', SUB_PATH);
      await startContainer(t, id);
      const hello = await execSync(t, id, ['cat', `${AT}/hello`]);
      check('ExecSync', `cat ${AT}/hello (image_sub_path ${VOLUME_DIR})`, hello.exitCode === 0 ? hello.stdout : `(exit ${hello.exitCode}: ${hello.stderr.trim()})`, SUB_PATH).equals(HELLO);
      const root = await execSync(t, id, ['test', '-e', `${AT}/bin/busybox`]);
      check('ExecSync', `exit_code (test -e ${AT}/bin/busybox, outside image_sub_path)`, root.exitCode, SUB_PATH).notEquals(0, 'only the sub path must be mounted, not the image root');
    });

    it('runtime should refuse an image volume whose image_sub_path is not in the image [Feature:ImageVolume] [Feature:ImageVolumeSubPath]', async (t) => {
      const v = await imageVolume(t, { image_sub_path: 'crc-no-such-dir' });
      await requireWorkingImageVolumes(t, v);
      await expectRefused(t, v, 'image_sub_path "crc-no-such-dir" does not exist in the image', SUB_PATH_MISSING);
    });

    it('runtime should refuse a read-write image volume [Feature:ImageVolume] [Strict]', async (t) => {
      // [Strict]: the kubelet always sends readonly=true for image volumes, so it never meets this refusal.
      const v = await imageVolume(t, { readonly: false });
      await requireWorkingImageVolumes(t, v);
      await expectRefused(t, v, 'image volumes are read-only: readonly=false cannot be honoured', RW_REFUSED);
    });

    it('runtime should report the image volume\'s image in ContainerStatus.mounts[].image.image_ref [Feature:ImageVolume] [Feature:ImageVolumeWithDigest]', async (t) => {
      const v = await imageVolume(t, {});
      const id = await mustCreate(t, v, 'the kubelet sends Mount.image for an image volume', MOUNTED);
      const s = await containerStatus(t, id);
      const m = (s.mounts ?? []).find((x) => x.container_path === AT);
      if (!m) failWith(`ContainerStatus: status.mounts: expected a mount at ${AT}, got ${JSON.stringify((s.mounts ?? []).map((x) => x.container_path))}`, cri('ContainerStatus.mounts', 'Mounts for the container.'));
      const img = await t.cri.image.call('ImageStatus', { image: { image: v.ref } });
      const known = [img.image?.id, ...(img.image?.repo_digests ?? [])].filter((x): x is string => !!x);
      check('ContainerStatus', `status.mounts[${AT}].image.image_ref`, m.image?.image_ref ?? '', MOUNT_IMAGE_REF).oneOf(known, 'the kubelet puts it in the pod status (ImageVolumeWithDigest)');
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

async function mustCreate(t: TestContext, v: Volume, why: string, basis: Basis): Promise<string> {
  return await expectSuccess(`CreateContainer (mounts[0].image ${v.mount.image?.image}${v.mount.image_sub_path ? `, image_sub_path ${v.mount.image_sub_path}` : ''})`, () => create(t, v), why, basis);
}

/** The per-mount options (field 6) and the superblock options (third after "-") of a /proc/self/mountinfo line. */
function mountOptions(line: string): { perMount: string[]; superblock: string[] } {
  const f = line.trim().split(/\s+/);
  const sep = f.indexOf('-', 6);
  const opts = (x: string | undefined) => (x ? x.split(',') : []);
  return { perMount: opts(f[5]), superblock: sep >= 0 ? opts(f[sep + 3]) : [] };
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

async function expectRefused(t: TestContext, v: Volume, why: string, basis: Basis): Promise<void> {
  // A container made anyway is removed with the test (createContainer registers it).
  await expectRpcError(`CreateContainer (mounts[0] ${JSON.stringify({ readonly: v.mount.readonly, image_sub_path: v.mount.image_sub_path ?? '' })})`, () => create(t, v), why, undefined, basis);
}
