// Image service: pull (by tag, without a tag, by digest, with credentials, under a deadline), status by
// every kind of reference, list, remove, the image identity the kubelet reads back from containers, and
// image filesystem usage. Tests pull their own images (alt*, busybox-tag*, user-*, private) and remove
// them afterwards; shared images (busybox, pause, webserver) are never removed here.
import { randomBytes } from 'node:crypto';
import {
  defineSuite, sleep, testImage, check, failWith, skip, NoImageError, ensureImage, pullOwnedImage, containerPod, createContainer, runContainer,
  containerConfig, withShell, containerStatus, randomSuffix, cri, kubelet, opinion, pollFact, waitedFor, FACTS, type TestContext, type Basis,
} from '../src/framework/index.js';
import { imageStatus, listImages, digestRef, normalizeRef, repoOf, type ImageInfo } from '../src/framework/images.js';
import { codeName, isCode, isRpcError, type RpcError } from '../src/cri/errors.js';
import { status as Status } from '@grpc/grpc-js';
import type { AuthConfig } from '../src/gen/v1/runtime/v1/AuthConfig.js';
import type { RegistryAuth } from '../src/framework/context.js';
import type { ImageFsInfoResponse__Output } from '../src/gen/v1/runtime/v1/ImageFsInfoResponse.js';

// What the checks rest on (api.proto of cri-api v0.36 unless a release is named).
const PULL_REF = cri('PullImageResponse.image_ref', 'Reference to the unique identifier of the image on the node, as returned in the image and runtime service apis.');
const PULLED = kubelet('images/image_manager.go EnsureImageExists()', 'takes a PullImage without error as the image being on the node, then creates the container from it by the returned image_ref');
const IMAGE_ID = cri('Image.id', 'Reference to the unique identifier of the image on the node, as returned in the image and runtime service apis.');
const NOT_PRESENT = cri('ImageService.ImageStatus', 'If the image is not present, returns a response with ImageStatusResponse.Image set to nil.');
const BY_ID_OR_DIGEST = cri('ImageSpec.image', "Container's Image field (e.g. imageID or imageDigest).");
const TAGS = cri('Image.repo_tags', 'Other names by which this image is known.');
const DIGESTS = cri('Image.repo_digests', 'Digests by which this image is known.');
const SIZE = cri('Image.size', 'Size of the image in bytes. Must be > 0.');
const LIST = cri('ImageService.ListImages', 'ListImages lists existing images.');
const AUTH = cri('PullImageRequest.auth', 'Authentication configuration for pulling the image.');
/** The pull with the registry's username and password succeeds, and with a wrong password fails. */
const AUTH_USER_PASSWORD = cri('PullImageRequest.auth', 'Authentication configuration for pulling the image.', 'effect', ['AuthConfig.username', 'AuthConfig.password']);
/** The pull with base64(username:password) in AuthConfig.auth succeeds, and with a wrong one fails. */
const AUTH_BASE64 = cri('PullImageRequest.auth.auth', 'Authentication configuration for pulling the image.', 'effect');
/** ImageSpec.image of each image RPC, judged where the RPC's effect shows: pulled, found, removed. */
const PULL_SPEC = cri('PullImageRequest.image.image', "Spec of the image. … Container's Image field (e.g. imageID or imageDigest).", 'effect');
const STATUS_SPEC = cri('ImageStatusRequest.image.image', "Spec of the image. … Container's Image field (e.g. imageID or imageDigest).", 'effect');
const REMOVE_SPEC = cri('RemoveImageRequest.image.image', "Spec of the image to remove. … Container's Image field (e.g. imageID or imageDigest).", 'effect');
/** The kubelet never sets a ListImages filter (it lists all images); a runtime that ignores it lists images it excludes. */
const FILTER = cri('ListImagesRequest.filter.image.image', "Filter to list images. … Spec of the image. … Container's Image field (e.g. imageID or imageDigest).", 'honoured');
/** The kubelet sends the pod spec's image here and the image id in ImageSpec.image; a runtime may answer it in
 * ContainerStatus.image / Container.image (CRI-O does), and then it is the reference the user specified. */
// No kind: the contract does not say the reference comes back, so the check (empty, or what CreateContainer sent) is
// not counted as an echo (containerd 1.6 answers "", 2.1 echoes it in Container.image only).
const USER_IMAGE = cri('ImageSpec.user_specified_image', 'The container image reference specified by the user (e.g. image[:tag] or digest). Only set if available within the RPC context.');
/** Retries of a pull after one that ran out of time, and the pause between them (the kubelet's image back-off starts at 10 s). */
const PULL_RETRIES = 2;
const PULL_BACKOFF_MS = 2_000;
const RETRY = kubelet('images/image_manager.go EnsureImageExists(); kuberuntime_image.go PullImage()', 'pulls under the runtime request deadline and pulls the same image again on the next sync when one ran out of time');
const REMOVED = cri('ImageService.RemoveImage', 'RemoveImage removes the image. This call is idempotent, and must not return an error if the image has already been removed.');
/** cri-api v0.36 (Kubernetes 1.36) only: earlier releases leave removal by one of several tags open. */
const ALL_TAGS = cri('ImageService.RemoveImage', 'removing the image by a single tag will remove all of its tags … The next call to ListImages, ImageStatus, ImageFsInfo will not return this image.');
/** cri-api v0.36 (Kubernetes 1.36) only: removal is visible to the very next call. */
const NEXT_CALL = cri('ImageService.RemoveImage', 'The next call to ListImages, ImageStatus, ImageFsInfo will not return this image.');
/** One image, one status: whichever reference ImageStatus is asked by. */
const STATUS_OF = cri('ImageService.ImageStatus', 'ImageStatus returns the status of the image.');
/** An image pulled by digest alone is known by that digest and by no tag: the contract names neither bound. */
const DIGEST_ONLY = opinion('an image pulled only by name@digest is known by that one digest and by no tag (critest: repo_tags empty, repo_digests == [digest]); repo_tags and repo_digests say only "names/digests by which this image is known"');
const TAG_ALONE = opinion('an image pulled by one name:tag alone is known by that one tag (critest: repo_tags == [tag]); repo_tags says only "other names by which this image is known"');
const STATUS_VERBOSE = cri('ImageStatusResponse.info', 'value should be in json format … It should only be returned non-empty when Verbose is true.');
const UID = cri('Image.uid', 'UID that will run the command(s). … UID and the following user name are mutually exclusive.');
const USERNAME = cri('Image.username', 'User name that will run the command(s). This is used if UID is not set and no user is specified when creating container.');
const STATUS_IMAGE = cri('ContainerStatus.image', 'Spec of the image.');
const STATUS_IMAGE_REF = cri('ContainerStatus.image_ref', 'Digested reference to the image in use.');
const LIST_IMAGE_REF = cri('Container.image_ref', 'Digested reference to the image in use.');
/** The kubelet shows ContainerStatus.image_ref as the pod's containerStatuses[].imageID. */
const IMAGE_ID_SHOWN = kubelet('kuberuntime_container.go getPodContainerStatuses() / convertToKubeContainerStatus()', 'shows ContainerStatus.image_ref as the pod status imageID');
/** cri-api v0.36: one value for one image across these four fields. */
const SAME_ID_136 = cri('PullImageResponse.image_ref', 'When referring to the same image, the container runtime MUST always return the same value for: Image.id, Container.image_id, ContainerStatus.image_id, PullImageResponse.image_ref');
const STATUS_IMAGE_ID = cri('ContainerStatus.image_id', 'Reference to the unique identifier of the image on the node, as returned in the image and runtime service apis. This value MUST always match `PullImageResponse.image_ref` when referring to the same image.');
const LIST_IMAGE_ID = cri('Container.image_id', 'Reference to the unique identifier of the image on the node, as returned in the image and runtime service apis. This value MUST always match `PullImageResponse.image_ref` when referring to the same image.');
const FS_MOUNT = kubelet('stats/cri_stats_provider.go ImageFsStats()', 'finds the image filesystem\'s capacity and free space from fs_id.mountpoint (cadvisor GetDirFsInfo)');
const FS_USED = cri('FilesystemUsage.used_bytes', 'UsedBytes represents the bytes used for images on the filesystem.');
const FS_INODES = cri('FilesystemUsage.inodes_used', 'InodesUsed represents the inodes used by the images.');
const FS_TIME = cri('FilesystemUsage.timestamp', 'Timestamp in nanoseconds at which the information were collected. Must be > 0.');
const FS_LIST = cri('ImageFsInfoResponse.image_filesystems', 'Information of image filesystem(s).');
/** The kubelet applies ":latest" itself before any image RPC: a reference without a tag is the runtime's own matter. */
const LATEST = opinion('a reference without a tag means name:latest (docker reference normalization, as critest requires); the kubelet adds ":latest" itself (images/image_manager.go applyDefaultImageTag), so it never sends one');

export default defineSuite(({ describe, it }) => {
  describe('PullImage', () => {
    it('runtime should pull an image by name:tag and return a reference to it as image_ref [Conformance] [Serial]', async (t) => {
      const ref = t.image('alt1');
      const imageRef = await pullOwnedImage(t, ref);
      // The image the request named, not another, is on the node now.
      const named = (await listImages(t)).filter((i) => i.repo_tags.includes(normalizeRef(ref)));
      check('ListImages', `images[tag=${ref}] (after PullImage of ${ref})`, named.map((i) => i.id), PULL_SPEC).present();
      check('PullImage', 'image_ref', imageRef, PULL_REF).present();
      const st = await presentImage(t, ref, 'after PullImage');
      // ImageStatus answers the image the request names: the one listed under that tag.
      check('ImageStatus', `image.id (asked by ${ref})`, st.id, STATUS_SPEC).equals(named[0]?.id, `the id ListImages lists for ${ref}`);
      await expectSameImage(t, imageRef, st.id, 'PullImage image_ref', PULL_REF);
      check('ImageStatus', `image.repo_tags (${ref})`, st.repo_tags, TAGS).includes(normalizeRef(ref));
      check('ImageStatus', `image.repo_digests (${ref})`, st.repo_digests, DIGESTS).includes(normalizeRef(await digestRef(t, 'alt1')));
      check('ImageStatus', `image.size (${ref})`, st.size, SIZE).greaterThan(0);
    });

    // [Strict]: the kubelet adds ":latest" before it pulls (applyDefaultImageTag), so it never sends a reference without a tag.
    it('runtime should pull an image reference without a tag as name:latest [Strict]', async (t) => {
      const latest = latestRef(t);
      const bare = repoOf(latest);
      const had = (await imageStatus(t, latest)).image;
      const res = await t.cri.image.call('PullImage', { image: { image: bare } });
      const st = await presentImage(t, latest, `after PullImage of ${bare}`);
      if (!had) removeLatestLater(t, latest, st);
      check('PullImage', `image_ref (${bare})`, res.image_ref, PULL_REF).present();
      await expectSameImage(t, res.image_ref, st.id, 'PullImage image_ref', PULL_REF);
      await expectSameImage(t, bare, st.id, 'the reference without a tag', LATEST);
      check('ImageStatus', `image.repo_tags (${latest})`, st.repo_tags, LATEST).includes(normalizeRef(latest), `a reference without a tag means ${repoOf(normalizeRef(latest))}:latest`);
      const listed = (await listImages(t)).find((i) => i.id === st.id);
      check('ListImages', `images[id=${st.id}].repo_tags`, listed?.repo_tags, LATEST).includes(normalizeRef(latest));
      // The dedicated image (fixtures: tagless) has no other tag, so its tag list is exactly name:latest (critest);
      // busybox-latest, the fallback, shares its digest with busybox:1.0.
      if (latest === t.run.images['tagless']) check('ImageStatus', `image.repo_tags (${latest}, its only tag)`, st.repo_tags, LATEST).sameMembers([normalizeRef(latest)]);
    });

    // [Strict]: repo_tags is "Other names by which this image is known", with no bound named; critest requires exactly this.
    it('runtime should report exactly the pulled name:tag in repo_tags of an image pulled by that tag alone [Strict] [Serial]', async (t) => {
      const ref = t.image('alt1');
      const before = (await imageStatus(t, ref)).image;
      if (before) skip(`${ref} is on the node already (tags ${JSON.stringify(before.repo_tags)}), so a pull by this tag alone cannot be observed`);
      await pullOwnedImage(t, ref);
      const st = await presentImage(t, ref, 'after PullImage');
      check('ImageStatus', `image.repo_tags (${ref}, pulled by this tag alone)`, st.repo_tags, TAG_ALONE).sameMembers([normalizeRef(ref)]);
      const listed = (await listImages(t)).find((i) => i.id === st.id);
      check('ListImages', `images[id=${st.id}].repo_tags (pulled by this tag alone)`, listed?.repo_tags, TAG_ALONE).sameMembers([normalizeRef(ref)]);
    });

    it('runtime should pull an image by name@digest and report that digest in repo_digests [Conformance] [Serial]', async (t) => {
      if (!hasListedDigest(t, 'alt2')) await pullOwnedImage(t, t.image('alt2'));
      const dref = await digestRef(t, 'alt2');
      const imageRef = await pullOwnedImage(t, dref);
      check('PullImage', `image_ref (${dref})`, imageRef, PULL_REF).present();
      const st = await presentImage(t, dref, 'after PullImage by digest');
      await expectSameImage(t, imageRef, st.id, 'PullImage image_ref', PULL_REF);
      check('ImageStatus', `image.repo_digests (${dref})`, st.repo_digests, DIGESTS).includes(normalizeRef(dref));
      check('ImageStatus', `image.size (${dref})`, st.size, SIZE).greaterThan(0);
      await t.cri.image.call('RemoveImage', { image: { image: dref } });
      const after = await imageStatus(t, dref);
      check('ImageStatus', `image (${dref}, after RemoveImage by digest)`, after.image, REMOVED).absent();
    });

    // [Strict]: repo_tags and repo_digests are "names/digests by which this image is known", with no bound named;
    // critest requires exactly this of a pull by digest alone.
    it('runtime should report an image pulled by name@digest alone with no repo_tags and exactly that digest in repo_digests [Strict] [Serial]', async (t) => {
      if (!hasListedDigest(t, 'alt1')) skip('the test images name no alt1@digest reference, and finding its digest would pull it by tag first');
      const dref = await digestRef(t, 'alt1');
      const before = (await imageStatus(t, dref)).image;
      if (before) skip(`${dref} is on the node already (tags ${JSON.stringify(before.repo_tags)}), so a pull by digest alone cannot be observed`);
      const imageRef = await pullOwnedImage(t, dref);
      check('PullImage', `image_ref (${dref})`, imageRef, PULL_REF).present();
      const st = await presentImage(t, dref, 'after PullImage by digest');
      await expectSameImage(t, imageRef, st.id, 'PullImage image_ref', PULL_REF);
      check('ImageStatus', `image.repo_tags (${dref}, pulled by digest alone)`, st.repo_tags, DIGEST_ONLY).absent('no tag was pulled');
      check('ImageStatus', `image.repo_digests (${dref}, pulled by digest alone)`, st.repo_digests, DIGEST_ONLY).sameMembers([normalizeRef(dref)]);
      const all = await listImages(t);
      check('ListImages', 'images[].id (after PullImage by digest)', all.map((i) => i.id), LIST).includes(st.id);
      const listed = all.find((i) => i.id === st.id);
      check('ListImages', `images[id=${st.id}].repo_tags (pulled by digest alone)`, listed?.repo_tags, DIGEST_ONLY).absent('no tag was pulled');
      check('ListImages', `images[id=${st.id}].repo_digests (pulled by digest alone)`, listed?.repo_digests, DIGEST_ONLY).sameMembers([normalizeRef(dref)]);
    });

    it('runtime should fail to pull an image that does not exist [Conformance]', async (t) => {
      const ref = missingRef(t);
      await removeAfterTest(t, ref);
      const r = await outcome(t.cri.image.call('PullImage', { image: { image: ref } }));
      if (r.ok) failWith(`PullImage: expected an error for ${ref}, which the registry does not have, got image_ref ${JSON.stringify(r.res.image_ref)}`, PULLED);
      const st = await imageStatus(t, ref);
      check('ImageStatus', `image (${ref}, after a failed PullImage)`, st.image, NOT_PRESENT).absent();
    });

    it('runtime should fail to pull a private image without credentials or with a wrong password [Conformance] [Serial]', async (t) => {
      const reg = privateRegistry(t);
      const ref = t.image('private');
      await removeAfterTest(t, ref);
      const wrong = `wrong-${randomSuffix(8)}`;
      const attempts: [string, AuthConfig | undefined, Basis][] = [
        ['no credentials', undefined, AUTH],
        ['a wrong password', { username: reg.username, password: wrong }, AUTH_USER_PASSWORD],
        ['a wrong password in AuthConfig.auth', { auth: Buffer.from(`${reg.username}:${wrong}`).toString('base64') }, AUTH_BASE64],
      ];
      for (const [what, auth, basis] of attempts) {
        const r = await outcome(t.cri.image.call('PullImage', { image: { image: ref }, auth }));
        if (r.ok) failWith(`PullImage: expected an error pulling ${ref} from a basic-auth registry with ${what}, got image_ref ${JSON.stringify(r.res.image_ref)}`, basis);
      }
    });

    it('runtime should pull a private image with the registry username and password [Conformance] [Serial]', async (t) => {
      const reg = privateRegistry(t);
      await expectPrivatePull(t, { username: reg.username, password: reg.password }, 'username and password', AUTH_USER_PASSWORD);
    });

    it('runtime should pull a private image with base64 credentials in AuthConfig.auth [Conformance] [Serial]', async (t) => {
      const reg = privateRegistry(t);
      const auth = Buffer.from(`${reg.username}:${reg.password}`).toString('base64');
      await expectPrivatePull(t, { auth }, 'AuthConfig.auth', AUTH_BASE64);
    });

    it('runtime should end a PullImage at its deadline and pull the same image normally afterwards [Conformance] [Serial]', async (t) => {
      const ref = t.run.images['alt3@digest'] ?? t.image('alt3');
      await removeAfterTest(t, ref);
      // The 1 ms call leaves the runtime a pull its client gave up on. Its outcome is not checked: the gRPC client
      // ends the call itself at the deadline, so it is DEADLINE_EXCEEDED whatever the runtime answers.
      await outcome(t.cri.image.call('PullImage', { image: { image: ref } }, { timeoutMs: 1 }));
      // The kubelet pulls again on a later sync, after a back-off: a runtime may still be winding down the pull
      // the client gave up on (CRI-O hands that pull's "context canceled" to a caller that joined it), so a
      // failed retry is retried, a few seconds apart, as the kubelet would; one that never succeeds fails.
      const tries: string[] = [];
      let again = await outcome(t.cri.image.call('PullImage', { image: { image: ref } }));
      for (let i = 0; !again.ok && i < PULL_RETRIES; i++) {
        tries.push(`${codeName(again.err.code)}: ${again.err.details}`);
        await sleep(PULL_BACKOFF_MS);
        again = await outcome(t.cri.image.call('PullImage', { image: { image: ref } }));
      }
      if (!again.ok) failWith(`PullImage: expected ${ref} to pull after an earlier pull ran out of time, got ${codeName(again.err.code)}: ${again.err.details} (after ${tries.length} earlier tries ${PULL_BACKOFF_MS / 1000} s apart: ${tries.join(' | ')})`, RETRY);
      const st = await presentImage(t, ref, 'after the second PullImage');
      await expectSameImage(t, again.res.image_ref, st.id, 'PullImage image_ref', PULL_REF);
      check('ImageStatus', `image.size (${ref})`, st.size, SIZE).greaterThan(0);
    });
  });

  describe('ImageStatus', () => {
    it('runtime should return the same image for name:tag, name@digest and image id [Conformance] [Serial]', async (t) => {
      const ref = t.image('alt3');
      await pullOwnedImage(t, ref);
      const st = await presentImage(t, ref, 'after PullImage'); // checks image.id is present
      check('ImageStatus', `image.size (${ref})`, st.size, SIZE).greaterThan(0);
      check('ImageStatus', `image.repo_tags (${ref})`, st.repo_tags, TAGS).includes(normalizeRef(ref));
      const dref = await digestRef(t, 'alt3');
      check('ImageStatus', `image.repo_digests (${ref})`, st.repo_digests, DIGESTS).includes(normalizeRef(dref));
      // Every reference the image is known by (critest: each tag, each digest, the id) gives the whole Image again.
      const refs = new Map<string, string>([[dref, 'name@digest'], [st.id, 'image id']]);
      for (const tag of st.repo_tags) if (!refs.has(tag)) refs.set(tag, 'repo tag');
      for (const d of st.repo_digests) if (!refs.has(d)) refs.set(d, 'repo digest');
      for (const [r, form] of refs) {
        const other = await presentImage(t, r, `by ${form}`, BY_ID_OR_DIGEST);
        expectWholeImage(other, st, `by ${form} ${r}`);
      }
    });

    // [Strict]: the kubelet adds ":latest" before ImageStatus (applyDefaultImageTag), so it never asks this.
    it('runtime should not resolve a reference without a tag to another tag of the image [Strict] [Serial]', async (t) => {
      const ref = t.image('alt3');
      const bare = repoOf(ref);
      if (Object.values(t.run.images).some((x) => normalizeRef(x) === normalizeRef(bare))) skip(`${normalizeRef(bare)} is one of the test images, so the reference without a tag may rightly resolve`);
      await pullOwnedImage(t, ref);
      await presentImage(t, ref, 'after PullImage');
      const untagged = await imageStatus(t, bare);
      check('ImageStatus', `image (by ${bare} without a tag: ${normalizeRef(bare)} was never pulled)`, untagged.image?.id, LATEST).absent();
    });

    it('runtime should return no image and no error for an image it does not have [Conformance]', async (t) => {
      const ref = missingRef(t);
      const r = await outcome(imageStatus(t, ref));
      if (!r.ok) failWith(`ImageStatus: expected an empty answer for ${ref}, which is not on the node, got ${codeName(r.err.code)}: ${r.err.details}`, NOT_PRESENT);
      check('ImageStatus', `image (${ref}, not on the node)`, r.res.image, NOT_PRESENT).absent();
    });

    it('runtime should report uid, not username, for an image with a numeric USER [Conformance]', async (t) => {
      const st = await pulledUserImage(t, 'user-uid');
      check('ImageStatus', 'image.uid.value (USER 1002)', st.uid?.value, UID).equals('1002');
      check('ImageStatus', 'image.username (USER 1002)', st.username, UID).equals('');
    });

    it('runtime should report username, not uid, for an image with a named USER [Conformance]', async (t) => {
      const st = await pulledUserImage(t, 'user-name');
      check('ImageStatus', 'image.uid (USER cruser)', st.uid, USERNAME).absent();
      check('ImageStatus', 'image.username (USER cruser)', st.username, USERNAME).equals('cruser');
    });

    it('runtime should report the uid for an image with USER uid:gid [Conformance]', async (t) => {
      const st = await pulledUserImage(t, 'user-uid-gid');
      // Image has no gid field: the uid part is what the kubelet can check (runAsNonRoot).
      check('ImageStatus', 'image.uid.value (USER 1003:1004)', st.uid?.value, UID).equals('1003');
      check('ImageStatus', 'image.username (USER 1003:1004)', st.username, UID).equals('');
    });

    it('runtime should report username, not uid, for an image with USER name:group [Conformance]', async (t) => {
      const st = await pulledUserImage(t, 'user-name-group');
      // Image has no group field: the user part is what the kubelet reads (runAsNonRoot with a named user).
      check('ImageStatus', 'image.uid (USER cruser:crgroup)', st.uid, UID).absent();
      check('ImageStatus', 'image.username (USER cruser:crgroup)', st.username, USERNAME).equals('cruser');
    });

    it('runtime should return verbose info only when asked, as a map of JSON strings [Conformance]', async (t) => {
      const ref = await testImage(t);
      const quiet = await imageStatus(t, ref, false);
      check('ImageStatus', 'image (verbose=false)', quiet.image?.id, IMAGE_ID).present();
      check('ImageStatus', 'info (verbose=false)', Object.keys(quiet.info ?? {}), STATUS_VERBOSE).absent('info is only returned when verbose is set');
      const verbose = await imageStatus(t, ref, true);
      check('ImageStatus', 'image.id (verbose=true)', verbose.image?.id, IMAGE_ID).equals(quiet.image?.id);
      for (const [k, v] of Object.entries(verbose.info ?? {})) {
        try {
          JSON.parse(v);
        } catch {
          failWith(`ImageStatus: info[${k}]: expected a JSON value, got ${JSON.stringify(v.slice(0, 80))}`, STATUS_VERBOSE);
        }
      }
    });
  });

  describe('ListImages', () => {
    it('runtime should list three distinct pulled images as three entries [Conformance] [Serial]', async (t) => {
      const refs = ['alt1', 'alt2', 'alt3'].map((n) => t.image(n));
      for (const r of refs) await pullOwnedImage(t, r);
      const ids = await Promise.all(refs.map(async (r) => (await presentImage(t, r, 'after PullImage')).id));
      const mine = new Set(refs.map(normalizeRef));
      const entries = (await listImages(t)).filter((i) => i.repo_tags.some((t) => mine.has(t)));
      check('ListImages', `images (entries tagged ${refs.join(', ')})`, entries.length, LIST).equals(3, 'three distinct images');
      check('ListImages', 'images[].id (of the three images)', entries.map((e) => e.id), IMAGE_ID).sameMembers(ids);
      for (const [k, r] of refs.entries()) {
        const e = entries.find((x) => x.repo_tags.includes(normalizeRef(r)));
        check('ListImages', `images[tag=${r}].id`, e?.id, IMAGE_ID).equals(ids[k], 'the id ImageStatus reports');
      }
    });

    it('runtime should list three tags of one image as one entry with three repo_tags [Conformance] [Serial]', async (t) => {
      const refs = ['busybox-tag1', 'busybox-tag2', 'busybox-tag3'].map((n) => t.image(n));
      for (const r of refs) await pullOwnedImage(t, r);
      const tags = refs.map(normalizeRef);
      const entries = (await listImages(t)).filter((i) => i.repo_tags.some((t) => tags.includes(t)));
      check('ListImages', `images (entries tagged ${refs.join(', ')})`, entries.length, TAGS).equals(1, 'three tags of one image');
      check('ListImages', `images[id=${entries[0]!.id}].repo_tags`, entries[0]!.repo_tags, TAGS).sameMembers(tags);
      const st = await presentImage(t, refs[0]!, 'after PullImage');
      check('ImageStatus', `image.repo_tags (${refs[0]})`, st.repo_tags, TAGS).sameMembers(tags);
      check('ListImages', `images[id=${entries[0]!.id}].id`, entries[0]!.id, IMAGE_ID).equals(st.id, 'the id ImageStatus reports');
    });

    // [Strict]: the kubelet never sets a filter (it lists every image), and containerd lists every image whatever the filter.
    it('runtime should list only the image a filter names, excluding the others, entry by entry [Strict] [Serial]', async (t) => {
      const refs = [t.image('alt1'), t.image('alt2')];
      for (const r of refs) await pullOwnedImage(t, r);
      const all = [...refs, await testImage(t)];
      const ids = await Promise.all(all.map(async (r) => (await presentImage(t, r, 'on the node')).id));
      for (const [k, r] of refs.entries()) {
        const { images } = await t.cri.image.call('ListImages', { filter: { image: { image: r } } });
        const got = images.map((i) => i.id);
        check('ListImages', `images[].id (filter.image.image ${r})`, got, FILTER).includes(ids[k]);
        for (const [j, other] of all.entries()) {
          if (j !== k) check('ListImages', `images[].id (filter.image.image ${r}: ${other} does not match)`, got, FILTER).excludes(ids[j]);
        }
        // Entry by entry: every image listed is known by the filter's reference.
        for (const e of images) check('ListImages', `images[id=${e.id}].repo_tags (filter.image.image ${r})`, e.repo_tags, FILTER).includes(normalizeRef(r));
      }
      const missing = missingRef(t);
      const none = await t.cri.image.call('ListImages', { filter: { image: { image: missing } } });
      check('ListImages', `images[].id (filter.image.image ${missing}, which names no image on the node)`, none.images.map((i) => i.id), FILTER).absent();
    });
  });

  describe('RemoveImage', () => {
    // cri-api v0.36 (Kubernetes 1.36) added that RemoveImage by one tag removes the image with all its tags; before,
    // the contract said only "removes the image" and the kubelet removes by image id, so untagging (CRI-O) was fine.
    it('runtime should remove the image by one tag, with all its tags from kubelet 1.36, with status and list agreeing [Conformance] [Serial] [Profile]', async (t) => {
      const refs = ['busybox-tag1', 'busybox-tag2', 'busybox-tag3'].map((n) => t.image(n));
      for (const r of refs) await pullOwnedImage(t, r);
      const tags = refs.map(normalizeRef);
      // Consistent right after the pulls.
      const first = await presentImage(t, refs[0]!, 'after PullImage');
      for (const r of refs.slice(1)) check('ImageStatus', `image.id (${r}, another tag of ${refs[0]})`, (await imageStatus(t, r)).image?.id, IMAGE_ID).equals(first.id);
      const listed = (await listImages(t)).find((i) => i.id === first.id);
      check('ListImages', `images[id=${first.id}].repo_tags (after PullImage)`, listed?.repo_tags, TAGS).sameMembers(tags);
      await t.cri.image.call('RemoveImage', { image: { image: refs[1]! } });
      const after = await listImages(t);
      const removedTag = `after RemoveImage of ${refs[1]}`;
      // Every release: the tag removed by is gone from status and list.
      check('ImageStatus', `image (${refs[1]}, ${removedTag})`, (await imageStatus(t, refs[1]!)).image?.id, REMOVED).absent();
      check('ListImages', `images[].repo_tags (${removedTag})`, after.flatMap((i) => i.repo_tags), REMOVED).excludes(tags[1]);
      const stillThere = (await imageStatus(t, first.id)).image;
      if (atLeast(t, '1.36') || !stillThere) {
        // The image goes with every tag: no tag, no id, no list entry.
        const basis = atLeast(t, '1.36') ? ALL_TAGS : REMOVED;
        for (const r of [refs[0]!, refs[2]!, first.id]) {
          check('ImageStatus', `image (${r}, ${removedTag})`, (await imageStatus(t, r)).image?.id, basis).absent();
        }
        check('ListImages', `images[].id (${removedTag})`, after.map((i) => i.id), basis).excludes(first.id);
        for (const tag of tags) check('ListImages', `images[].repo_tags (${removedTag})`, after.flatMap((i) => i.repo_tags), basis).excludes(tag);
        return;
      }
      // Before 1.36 the runtime may only untag: the image stays with exactly the other tags, in status and list alike.
      const untagged = `${removedTag}, which untagged it (kubelet ${t.run.policy.kubelet})`;
      check('ImageStatus', `image.repo_tags (by id ${first.id}, ${untagged})`, stillThere.repo_tags, TAGS).sameMembers([tags[0], tags[2]]);
      for (const r of [refs[0]!, refs[2]!]) check('ImageStatus', `image.id (${r}, ${untagged})`, (await imageStatus(t, r)).image?.id, TAGS).equals(first.id);
      check('ListImages', `images[id=${first.id}].repo_tags (${untagged})`, after.find((i) => i.id === first.id)?.repo_tags, TAGS).sameMembers([tags[0], tags[2]]);
    });

    // cri-api v0.36 (Kubernetes 1.36) added "The next call to ListImages, ImageStatus, ImageFsInfo will not return this
    // image": from 1.36 each call's own next ImageStatus must miss the image (critest main, image_consistency.go);
    // before, only the end state counts. Every call is by the image id, as the kubelet's image GC removes and as
    // critest does: concurrent removals by a tag are another question (containerd answers a call whose tag another
    // call already deleted at once, while that call still deletes the image's other names).
    it('runtime should not fail concurrent RemoveImage calls by image id, each leaving it gone from kubelet 1.36 [Conformance] [Serial] [Profile]', async (t) => {
      const ref = t.image('alt2');
      const other = await testImage(t);
      await pullOwnedImage(t, ref);
      const st = await presentImage(t, ref, 'after PullImage');
      const otherId = (await presentImage(t, other, 'as a shared test image')).id;
      const targets = Array.from({ length: 5 }, () => st.id);
      // Each call, as soon as it returns, asks ImageStatus by the image id.
      const results = await Promise.all(targets.map(async (r) => {
        const removed = await outcome(t.cri.image.call('RemoveImage', { image: { image: r } }));
        const seen = removed.ok ? (await imageStatus(t, st.id)).image?.id ?? '' : '';
        return { r, removed, seen };
      }));
      const failed = results.flatMap(({ r, removed: x }) => (x.ok ? [] : [`${r}: ${codeName(x.err.code)}: ${x.err.details}`]));
      check('RemoveImage', `errors of ${targets.length} concurrent calls`, failed, REMOVED).absent('removing an image is idempotent');
      if (atLeast(t, '1.36')) {
        for (const [i, { seen }] of results.entries()) {
          check('ImageStatus', `image (by id ${st.id}, right after concurrent RemoveImage #${i + 1} returned)`, seen, NEXT_CALL).absent();
        }
      }
      check('ImageStatus', `image (${ref}, after concurrent RemoveImage)`, (await imageStatus(t, ref)).image?.id, REMOVED).absent();
      // The image the requests named is gone, and another image is not.
      const left = (await listImages(t)).map((i) => i.id);
      check('ListImages', 'images[].id (after concurrent RemoveImage)', left, REMOVE_SPEC).excludes(st.id);
      check('ListImages', `images[].id (${other}, another image, after concurrent RemoveImage of ${st.id})`, left, REMOVE_SPEC).includes(otherId);
      const again = await outcome(t.cri.image.call('RemoveImage', { image: { image: ref } }));
      if (!again.ok) failWith(`RemoveImage: expected success removing ${ref} again (already removed), got ${codeName(again.err.code)}: ${again.err.details}`, REMOVED);
    });

    // cri-api v0.36 (Kubernetes 1.36): "if the image is referenced by multiple tags (even across different repositories if
    // they resolve to the same image digest), removing the image by a single tag will remove all of its tags". Before,
    // removal by one of several names could untag (as for several tags of one repository, the test above).
    it('runtime should remove an image pulled from two registries by one registry\'s tag, with the other registry\'s tag from kubelet 1.36 [Conformance] [Serial] [Profile]', async (t) => {
      const { refs, tags, first } = await pullFromTwoRegistries(t);
      const listed = (await listImages(t)).find((i) => i.id === first.id);
      check('ListImages', `images[id=${first.id}].repo_tags (after PullImage from both registries)`, listed?.repo_tags, TAGS).sameMembers(tags);
      await t.cri.image.call('RemoveImage', { image: { image: refs[0] } });
      const after = await listImages(t);
      const removedTag = `after RemoveImage of ${refs[0]}`;
      check('ImageStatus', `image (${refs[0]}, ${removedTag})`, (await imageStatus(t, refs[0])).image?.id, REMOVED).absent();
      check('ListImages', `images[].repo_tags (${removedTag})`, after.flatMap((i) => i.repo_tags), REMOVED).excludes(tags[0]);
      const stillThere = (await imageStatus(t, first.id)).image;
      if (atLeast(t, '1.36') || !stillThere) {
        const basis = atLeast(t, '1.36') ? ALL_TAGS : REMOVED;
        for (const r of [refs[1], first.id]) check('ImageStatus', `image (${r}, ${removedTag})`, (await imageStatus(t, r)).image?.id, basis).absent();
        check('ListImages', `images[].id (${removedTag})`, after.map((i) => i.id), basis).excludes(first.id);
        check('ListImages', `images[].repo_tags (${removedTag})`, after.flatMap((i) => i.repo_tags), basis).excludes(tags[1]);
        return;
      }
      // Before 1.36 the runtime may only untag: the image stays with exactly the other registry's tag.
      const untagged = `${removedTag}, which untagged it (kubelet ${t.run.policy.kubelet})`;
      check('ImageStatus', `image.repo_tags (by id ${first.id}, ${untagged})`, stillThere.repo_tags, TAGS).sameMembers([tags[1]]);
      check('ImageStatus', `image.id (${refs[1]}, ${untagged})`, (await imageStatus(t, refs[1])).image?.id, TAGS).equals(first.id);
      check('ListImages', `images[id=${first.id}].repo_tags (${untagged})`, after.find((i) => i.id === first.id)?.repo_tags, TAGS).sameMembers([tags[1]]);
    });
  });

  describe('Image identity', () => {
    it('runtime should report one image id from PullImage, ImageStatus, ListImages, ListContainers and ContainerStatus [Conformance]', async (t) => {
      const ref = await testImage(t);
      const pulled = await t.cri.image.call('PullImage', { image: { image: ref } });
      const st = await presentImage(t, ref, 'after PullImage');
      check('PullImage', 'image_ref', pulled.image_ref, PULL_REF).present();
      await expectSameImage(t, pulled.image_ref, st.id, 'PullImage image_ref', PULL_REF);
      const listed = (await listImages(t)).find((i) => i.repo_tags.includes(normalizeRef(ref)));
      check('ListImages', `images[tag=${ref}].id`, listed?.id, IMAGE_ID).equals(st.id, 'the id ImageStatus reports');

      const sb = await containerPod(t);
      const cid = await createContainer(t, sb, containerConfig('imageid', ref, withShell('sleep 3600')));
      const cs = await containerStatus(t, cid);
      // The kubelet shows image_ref as the pod's imageID: the image id or one of its repo digests.
      check('ContainerStatus', 'status.image_ref', cs.image_ref, IMAGE_ID_SHOWN).oneOf([st.id, ...st.repo_digests]);
      await expectSameImage(t, cs.image_ref, st.id, 'ContainerStatus status.image_ref', STATUS_IMAGE_REF);
      check('ContainerStatus', 'status.image.image', cs.image?.image, STATUS_IMAGE).present();
      await expectSameImage(t, cs.image!.image, st.id, 'ContainerStatus status.image.image', STATUS_IMAGE);
      // status.image_id is judged by the next test, per release.
      const lc = await t.cri.runtime.call('ListContainers', { filter: { id: cid } });
      const c = lc.containers.find((x) => x.id === cid);
      // The kubelet sent the image id in ImageSpec.image and the pod's reference in user_specified_image: a runtime
      // need not answer the latter, and one that does answers the reference the user specified.
      const userRef = [['ContainerStatus', 'status.image.user_specified_image', cs.image?.user_specified_image], ['ListContainers', `containers[id=${cid}].image.user_specified_image`, c?.image?.user_specified_image]] as const;
      for (const [rpc, f, v] of userRef) check(rpc, f, v ?? '', USER_IMAGE).oneOf(['', ref], 'empty, or the reference CreateContainer named');
      check('ListContainers', `containers[id=${cid}].image_ref`, c?.image_ref, LIST_IMAGE_REF).present();
      await expectSameImage(t, c!.image_ref, st.id, 'ListContainers image_ref', LIST_IMAGE_REF);
    });

    // image_id entered ContainerStatus and Container in cri-api v0.31 (Kubernetes 1.31) as "should always refer to a
    // unique image identifier"; v0.36 (1.36) made it "MUST always match PullImageResponse.image_ref", and made
    // image_ref the image id. Before 1.36 an empty image_id is the runtime's right, and the test says so as a skip.
    it('runtime should report the image id as PullImage image_ref, ContainerStatus.image_id and Container.image_id [Conformance] [Profile]', async (t) => {
      if (t.run.negotiation.runtime !== 'v1') skip('ContainerStatus.image_id is not in v1alpha2');
      if (!atLeast(t, '1.31')) skip(`ContainerStatus.image_id entered the CRI in Kubernetes 1.31; kubelet ${t.run.policy.kubelet} does not know it`);
      const strict = atLeast(t, '1.36');
      const ref = await testImage(t);
      const pulled = await t.cri.image.call('PullImage', { image: { image: ref } });
      const st = await presentImage(t, ref, 'after PullImage');
      if (strict) check('PullImage', 'image_ref (cri-api v0.36: the image id)', pulled.image_ref, SAME_ID_136).equals(st.id, 'ImageStatus image.id');
      const sb = await containerPod(t);
      // Started, as critest reads it: image_id of a running container.
      const cid = await runContainer(t, sb, containerConfig('imageid', ref, withShell('sleep 3600')));
      const cs = await containerStatus(t, cid);
      const c = (await t.cri.runtime.call('ListContainers', { filter: { id: cid } })).containers.find((x) => x.id === cid);
      const unset = [['ContainerStatus', 'status.image_id', cs.image_id], ['ListContainers', `containers[id=${cid}].image_id`, c?.image_id ?? '']].filter(([, , v]) => !v);
      if (!strict && unset.length) {
        skip(`${unset.map(([rpc, f]) => `${rpc} ${f}`).join(' and ')} empty: before cri-api v0.36 image_id "should" name the image, and kubelet ${t.run.policy.kubelet} does not require it`);
      }
      check('ContainerStatus', 'status.image_id', cs.image_id, STATUS_IMAGE_ID).equals(st.id, 'ImageStatus image.id');
      check('ListContainers', `containers[id=${cid}].image_id`, c?.image_id, LIST_IMAGE_ID).equals(st.id, 'ImageStatus image.id');
    });

    // cri-api v0.36: "When referring to the same image, the container runtime MUST always return the same value for
    // Image.id, Container.image_id, ContainerStatus.image_id, PullImageResponse.image_ref". Before, image_ref was
    // "an image ID or digest", and a digest names its registry: nothing to hold two registries' answers to.
    it('runtime should return one image id for one image pulled from two registries, in PullImage, ImageStatus and ContainerStatus [Conformance] [Serial] [Profile]', async (t) => {
      if (!atLeast(t, '1.36')) skip(`one image_ref for one image whatever its registry is a cri-api v0.36 MUST (Kubernetes 1.36); kubelet ${t.run.policy.kubelet} takes image_ref as an image id or a digest`);
      const { refs, pulled, first } = await pullFromTwoRegistries(t);
      check('PullImage', `image_ref (${refs[0]})`, pulled[0], SAME_ID_136).equals(first.id, 'ImageStatus image.id');
      check('PullImage', `image_ref (${refs[1]})`, pulled[1], SAME_ID_136).equals(pulled[0], `PullImage image_ref of ${refs[0]}`);
      // The kubelet creates the container from the image_ref of its pull, naming the image as the pod spec does.
      const sb = await containerPod(t);
      const cfg = containerConfig('imageid', pulled[1], withShell('sleep 3600'));
      cfg.image = { image: pulled[1], user_specified_image: refs[1] };
      const cid = await runContainer(t, sb, cfg);
      const cs = await containerStatus(t, cid);
      await expectSameImage(t, cs.image_ref, first.id, 'ContainerStatus status.image_ref', STATUS_IMAGE_REF);
      const c = (await t.cri.runtime.call('ListContainers', { filter: { id: cid } })).containers.find((x) => x.id === cid);
      // An empty image_id is the failure of "report the image id as PullImage image_ref, ContainerStatus.image_id and
      // Container.image_id" (same release gate): here a value set must be the one id of both registries' pulls.
      if (cs.image_id) check('ContainerStatus', `status.image_id (container of ${refs[1]})`, cs.image_id, STATUS_IMAGE_ID).equals(pulled[0], `PullImage image_ref of ${refs[0]}`);
      if (c?.image_id) check('ListContainers', `containers[id=${cid}].image_id (container of ${refs[1]})`, c.image_id, LIST_IMAGE_ID).equals(pulled[0], `PullImage image_ref of ${refs[0]}`);
    });
  });

  describe('ImageFsInfo', () => {
    it('runtime should report image filesystem usage with mountpoint, used bytes, inodes and a timestamp [Conformance]', async (t) => {
      await ensureImage(t, t.image('busybox'));
      const read = () => t.cri.image.call('ImageFsInfo', {});
      const res = await read();
      check('ImageFsInfo', 'image_filesystems', res.image_filesystems, FS_LIST).present();
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const hourNs = 3_600n * 1_000_000_000n;
      // container_filesystems is optional ("Default will be to return this as empty"): each one given is judged.
      const groups = [['image_filesystems', res.image_filesystems], ['container_filesystems', res.container_filesystems ?? []]] as const;
      for (const [field, list] of groups) {
        for (const [i, fs] of list.entries()) {
          const f = `${field}[${i}]`;
          check('ImageFsInfo', `${f}.fs_id.mountpoint`, fs.fs_id?.mountpoint, FS_MOUNT).matches(/^\//);
          check('ImageFsInfo', `${f}.used_bytes`, fs.used_bytes, FS_USED).present();
          check('ImageFsInfo', `${f}.inodes_used`, fs.inodes_used, FS_INODES).present();
          check('ImageFsInfo', `${f}.timestamp (ns since the epoch)`, fs.timestamp, FS_TIME).between(nowNs - hourNs, nowNs + hourNs);
        }
      }
      // Usage is computed off the request path (containerd: every stats_collect_period), so a fresh node may
      // answer 0 for a while after the images arrived: poll for the runtime's period, then judge the last answer.
      const usageShown = (r: ImageFsInfoResponse__Output) => r.image_filesystems.length > 0 && r.image_filesystems.every((fs) => BigInt(fs.used_bytes?.value ?? '0') > 0n);
      await pollFact(FACTS.imageFsUsage, read, usageShown, (last, waitedMs) => {
        for (const [i, fs] of last.image_filesystems.entries()) {
          check('ImageFsInfo', `image_filesystems[${i}].used_bytes.value (images are present)`, fs.used_bytes?.value, FS_USED).greaterThan(0, waitedFor(FACTS.imageFsUsage, waitedMs));
        }
        failWith(`ImageFsInfo: image_filesystems: expected a non-empty value, got [] (${waitedFor(FACTS.imageFsUsage, waitedMs)})`, FS_LIST);
      });
    });
  });
});

// ---- helpers only this suite needs ----

/** ImageStatus of a reference that must be present; fails naming when it was expected. */
async function presentImage(t: TestContext, ref: string, when: string, basis: Basis = PULLED): Promise<ImageInfo> {
  const st = await imageStatus(t, ref);
  if (!st.image) failWith(`ImageStatus: image (${ref}): expected an image ${when}, got none`, basis);
  check('ImageStatus', `image.id (${ref})`, st.image.id, IMAGE_ID).present();
  return st.image;
}

/** `ref` (an image_ref, digest, tag or id the runtime handed out) must resolve to image `id`. */
async function expectSameImage(t: TestContext, ref: string, id: string, what: string, basis: Basis): Promise<void> {
  const st = await imageStatus(t, ref);
  check('ImageStatus', `image.id (by ${what} ${JSON.stringify(ref)})`, st.image?.id, basis).equals(id);
}

/** `other` (ImageStatus by another reference) is the whole Image `st` again: every field of the status. */
function expectWholeImage(other: ImageInfo, st: ImageInfo, by: string): void {
  check('ImageStatus', `image.id (${by})`, other.id, IMAGE_ID).equals(st.id);
  check('ImageStatus', `image.repo_tags (${by})`, other.repo_tags, TAGS).sameMembers(st.repo_tags);
  check('ImageStatus', `image.repo_digests (${by})`, other.repo_digests, DIGESTS).sameMembers(st.repo_digests);
  check('ImageStatus', `image.size (${by})`, other.size, SIZE).equals(st.size);
  check('ImageStatus', `image.uid (${by})`, other.uid?.value, STATUS_OF).equals(st.uid?.value);
  check('ImageStatus', `image.username (${by})`, other.username, STATUS_OF).equals(st.username);
  check('ImageStatus', `image.pinned (${by})`, Boolean(other.pinned), STATUS_OF).equals(Boolean(st.pinned));
  check('ImageStatus', `image.spec (${by})`, other.spec ?? null, STATUS_OF).equals(st.spec ?? null);
}

/** The selected kubelet release is `minor` or later. */
function atLeast(t: TestContext, minor: string): boolean {
  const [a, b] = t.run.policy.kubelet.split('.').map(Number);
  const [c, d] = minor.split('.').map(Number);
  return a! > c! || (a === c && b! >= d!);
}

type Outcome<T> = { ok: true; res: T } | { ok: false; err: RpcError };

/** An RPC that may fail by design: its answer or its gRPC error (UNIMPLEMENTED still goes to `it`). */
async function outcome<T>(p: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, res: await p };
  } catch (e) {
    if (isRpcError(e) && e.name !== 'UnimplementedError') return { ok: false, err: e };
    throw e;
  }
}

/** Removes `ref` after the test if it was not on the node yet (for pulls that should fail but might not). */
async function removeAfterTest(t: TestContext, ref: string): Promise<void> {
  const c = t.run;
  if (c.preexistingImages.has(ref) || (await imageStatus(t, ref)).image) return;
  t.defer(`image ${ref}`, async () => {
    const r = await outcome(c.cri.image.call('RemoveImage', { image: { image: ref } }));
    if (!r.ok && !isCode(r.err, Status.NOT_FOUND)) throw r.err;
  });
}

/**
 * Removing a `latest` tag removes its image with every tag. When `latest` is the image's only tag it goes
 * after the test; when it is a second tag of an image other suites share (busybox-latest), it goes at the
 * end of the run, and only if the image was not on the node before the run.
 */
function removeLatestLater(t: TestContext, ref: string, st: ImageInfo): void {
  const c = t.run;
  const remove = async () => {
    const r = await outcome(c.cri.image.call('RemoveImage', { image: { image: ref } }));
    if (!r.ok && !isCode(r.err, Status.NOT_FOUND)) throw r.err;
  };
  if (st.repo_tags.length <= 1) t.defer(`image ${ref}`, remove);
  else if (!c.preexistingImages.has(st.id)) c.runCleanup.push(`image ${ref}`, remove);
}

/** A test image whose tag is `latest`, to pull without a tag; a dedicated one is preferred over busybox-latest. */
function latestRef(t: TestContext): string {
  const images = t.run.images;
  const ref =
    images['tagless'] ?? images['alt-latest'] ?? images['busybox-latest'] ??
    Object.values(images).find((r) => !r.includes('@') && r.endsWith(':latest'));
  if (ref) return ref;
  if (Object.keys(images).length === 0) t.image('busybox-latest'); // skips: no images configured
  throw new NoImageError('no test image has a "latest" tag (fixtures/images.json: busybox-latest), so a pull without a tag cannot be checked');
}

function hasListedDigest(t: TestContext, name: string): boolean {
  const images = t.run.images;
  return Boolean(images[`${name}@digest`] ?? images[`${name}-digest`]);
}

/** A reference in the test registry that nothing has pushed. */
function missingRef(t: TestContext): string {
  const host = repoOf(t.image('alt1')).split('/')[0];
  return `${host}/cri-conformance/does-not-exist-${randomBytes(4).toString('hex')}:1`;
}

function privateRegistry(t: TestContext): RegistryAuth {
  const reg = t.run.privateRegistry;
  if (!reg) skip('no private registry configured (the lab provides one; otherwise pass its credentials)');
  return reg;
}

async function expectPrivatePull(t: TestContext, auth: AuthConfig, what: string, basis: Basis): Promise<void> {
  const ref = t.image('private');
  const r = await outcome(pullOwnedImage(t, ref, auth));
  if (!r.ok) failWith(`PullImage: expected ${ref} to be pulled with ${what}, got ${codeName(r.err.code)}: ${r.err.details}`, basis);
  check('PullImage', `image_ref (${ref})`, r.res, PULL_REF).present();
  const st = await presentImage(t, ref, `after PullImage with ${what}`);
  await expectSameImage(t, r.res, st.id, 'PullImage image_ref', PULL_REF);
  check('ImageStatus', `image.repo_tags (${ref})`, st.repo_tags, TAGS).includes(normalizeRef(ref));
}

/**
 * Pulls the `mirror` image from the public registry and `mirror-auth`, the same manifest under the same repository
 * path, from the basic-auth one (with the run's credentials, as the kubelet sends them): both names must be one image.
 */
async function pullFromTwoRegistries(t: TestContext): Promise<{ refs: [string, string]; tags: [string, string]; pulled: [string, string]; first: ImageInfo }> {
  const refs: [string, string] = [t.image('mirror'), t.image('mirror-auth')];
  const host = (r: string) => normalizeRef(r).split('/')[0];
  if (host(refs[0]) === host(refs[1])) skip(`the test images mirror and mirror-auth are both served by ${host(refs[0])} (one mirror, --registry-prefix): one image from two registries needs two`);
  const reg = privateRegistry(t);
  const pulled: [string, string] = [await pullOwnedImage(t, refs[0]), await pullOwnedImage(t, refs[1], { username: reg.username, password: reg.password })];
  for (const [i, r] of refs.entries()) check('PullImage', `image_ref (${r})`, pulled[i], PULL_REF).present();
  const first = await presentImage(t, refs[0], 'after PullImage');
  const second = await presentImage(t, refs[1], 'after PullImage');
  if (!atLeast(t, '1.36') && second.id !== first.id) {
    skip(`${refs[0]} and ${refs[1]} (one manifest in two registries) are two images (${first.id}, ${second.id}): before cri-api v0.36 nothing makes them one (kubelet ${t.run.policy.kubelet})`);
  }
  check('ImageStatus', `image.id (${refs[1]}, the manifest of ${refs[0]} from another registry)`, second.id, ALL_TAGS).equals(first.id);
  const tags: [string, string] = [normalizeRef(refs[0]), normalizeRef(refs[1])];
  check('ImageStatus', `image.repo_tags (${refs[0]}, also pulled from another registry as ${refs[1]})`, first.repo_tags, TAGS).sameMembers(tags);
  for (const [i, r] of refs.entries()) await expectSameImage(t, pulled[i], first.id, `PullImage image_ref of ${r}`, PULL_REF);
  return { refs, tags, pulled, first };
}

/** Pulls a user-* image and returns its status, checking ListImages reports the same user. */
async function pulledUserImage(t: TestContext, name: string): Promise<ImageInfo> {
  const ref = t.image(name);
  await pullOwnedImage(t, ref);
  const st = await presentImage(t, ref, 'after PullImage');
  const listed = (await listImages(t)).find((i) => i.id === st.id);
  check('ListImages', `images[id=${st.id}].uid (${name})`, listed?.uid?.value, UID).equals(st.uid?.value, 'ImageStatus and ListImages agree');
  check('ListImages', `images[id=${st.id}].username (${name})`, listed?.username, USERNAME).equals(st.username, 'ImageStatus and ListImages agree');
  return st;
}
