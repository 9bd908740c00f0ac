// Image service: pull (by tag, without a tag, by digest, with credentials, under a deadline), status by
// every kind of reference, list, remove, the image identity the kubelet reads back from containers, and
// image filesystem usage. Tests pull their own images (alt*, busybox-tag*, user-*, private) and remove
// them afterwards; shared images (busybox, pause, webserver) are never removed here.
import { randomBytes } from 'node:crypto';
import {
  defineSuite, testImage, check, failWith, skip, NoImageError, ensureImage, pullOwnedImage, containerPod, createContainer,
  containerConfig, withShell, containerStatus, randomSuffix, type TestContext,
} from '../src/framework/index.js';
import { imageStatus, listImages, digestRef, normalizeRef, repoOf, type ImageInfo } from '../src/framework/images.js';
import { codeName, isCode, isRpcError, type RpcError } from '../src/cri/errors.js';
import { status as Status } from '@grpc/grpc-js';
import type { AuthConfig } from '../src/gen/v1/runtime/v1/AuthConfig.js';
import type { RegistryAuth } from '../src/framework/context.js';

export default defineSuite(({ describe, it }) => {
  describe('PullImage', () => {
    it('runtime should pull an image by name:tag and return a reference to it as image_ref [Conformance] [Serial]', async (t) => {
      const ref = t.image('alt1');
      const imageRef = await pullOwnedImage(t, ref);
      check('PullImage', 'image_ref', imageRef).present();
      const st = await presentImage(t, ref, 'after PullImage');
      await expectSameImage(t, imageRef, st.id, 'PullImage image_ref');
      check('ImageStatus', `image.repo_tags (${ref})`, st.repo_tags).includes(normalizeRef(ref));
      check('ImageStatus', `image.repo_digests (${ref})`, st.repo_digests).includes(normalizeRef(await digestRef(t, 'alt1')));
      check('ImageStatus', `image.size (${ref})`, st.size).greaterThan(0);
    });

    it('runtime should pull an image reference without a tag as name:latest [Conformance]', async (t) => {
      const latest = latestRef(t);
      const bare = repoOf(latest);
      const had = (await imageStatus(t, latest)).image;
      const res = await t.cri.image.call('PullImage', { image: { image: bare } });
      const st = await presentImage(t, latest, `after PullImage of ${bare}`);
      if (!had) removeLatestLater(t, latest, st);
      check('PullImage', `image_ref (${bare})`, res.image_ref).present();
      await expectSameImage(t, res.image_ref, st.id, 'PullImage image_ref');
      await expectSameImage(t, bare, st.id, 'the reference without a tag');
      check('ImageStatus', `image.repo_tags (${latest})`, st.repo_tags).includes(normalizeRef(latest), `a reference without a tag means ${repoOf(normalizeRef(latest))}:latest`);
      const listed = (await listImages(t)).find((i) => i.id === st.id);
      check('ListImages', `images[id=${st.id}].repo_tags`, listed?.repo_tags).includes(normalizeRef(latest));
    });

    it('runtime should pull an image by name@digest and report that digest in repo_digests [Conformance] [Serial]', async (t) => {
      if (!hasListedDigest(t, 'alt2')) await pullOwnedImage(t, t.image('alt2'));
      const dref = await digestRef(t, 'alt2');
      const imageRef = await pullOwnedImage(t, dref);
      check('PullImage', `image_ref (${dref})`, imageRef).present();
      const st = await presentImage(t, dref, 'after PullImage by digest');
      await expectSameImage(t, imageRef, st.id, 'PullImage image_ref');
      check('ImageStatus', `image.repo_digests (${dref})`, st.repo_digests).includes(normalizeRef(dref));
      check('ImageStatus', `image.size (${dref})`, st.size).greaterThan(0);
      await t.cri.image.call('RemoveImage', { image: { image: dref } });
      const after = await imageStatus(t, dref);
      check('ImageStatus', `image (${dref}, after RemoveImage by digest)`, after.image).absent();
    });

    it('runtime should fail to pull an image that does not exist [Conformance]', async (t) => {
      const ref = missingRef(t);
      await removeAfterTest(t, ref);
      const r = await outcome(t.cri.image.call('PullImage', { image: { image: ref } }));
      if (r.ok) failWith(`PullImage: expected an error for ${ref}, which the registry does not have, got image_ref ${JSON.stringify(r.res.image_ref)}`);
      const st = await imageStatus(t, ref);
      check('ImageStatus', `image (${ref}, after a failed PullImage)`, st.image).absent();
    });

    it('runtime should fail to pull a private image without credentials or with a wrong password [Conformance] [Serial]', async (t) => {
      const reg = privateRegistry(t);
      const ref = t.image('private');
      await removeAfterTest(t, ref);
      const attempts: [string, AuthConfig | undefined][] = [
        ['no credentials', undefined],
        ['a wrong password', { username: reg.username, password: `wrong-${randomSuffix(8)}` }],
      ];
      for (const [what, auth] of attempts) {
        const r = await outcome(t.cri.image.call('PullImage', { image: { image: ref }, auth }));
        if (r.ok) failWith(`PullImage: expected an error pulling ${ref} from a basic-auth registry with ${what}, got image_ref ${JSON.stringify(r.res.image_ref)}`);
      }
    });

    it('runtime should pull a private image with the registry username and password [Conformance] [Serial]', async (t) => {
      const reg = privateRegistry(t);
      await expectPrivatePull(t, { username: reg.username, password: reg.password }, 'username and password');
    });

    it('runtime should pull a private image with base64 credentials in AuthConfig.auth [Conformance] [Serial]', async (t) => {
      const reg = privateRegistry(t);
      const auth = Buffer.from(`${reg.username}:${reg.password}`).toString('base64');
      await expectPrivatePull(t, { auth }, 'AuthConfig.auth');
    });

    it('runtime should end a PullImage at its deadline and pull the same image normally afterwards [Conformance] [Serial]', async (t) => {
      const ref = t.run.images['alt3@digest'] ?? t.image('alt3');
      await removeAfterTest(t, ref);
      // The 1 ms call leaves the runtime a pull its client gave up on. Its outcome is not checked: the gRPC client
      // ends the call itself at the deadline, so it is DEADLINE_EXCEEDED whatever the runtime answers.
      await outcome(t.cri.image.call('PullImage', { image: { image: ref } }, { timeoutMs: 1 }));
      const again = await outcome(t.cri.image.call('PullImage', { image: { image: ref } }));
      if (!again.ok) failWith(`PullImage: expected ${ref} to pull after an earlier pull ran out of time, got ${codeName(again.err.code)}: ${again.err.details}`);
      const st = await presentImage(t, ref, 'after the second PullImage');
      await expectSameImage(t, again.res.image_ref, st.id, 'PullImage image_ref');
      check('ImageStatus', `image.size (${ref})`, st.size).greaterThan(0);
    });
  });

  describe('ImageStatus', () => {
    it('runtime should return the same image for name:tag, name@digest and image id [Conformance] [Serial]', async (t) => {
      const ref = t.image('alt3');
      await pullOwnedImage(t, ref);
      const st = await presentImage(t, ref, 'after PullImage'); // checks image.id is present
      check('ImageStatus', `image.size (${ref})`, st.size).greaterThan(0);
      check('ImageStatus', `image.repo_tags (${ref})`, st.repo_tags).includes(normalizeRef(ref));
      const dref = await digestRef(t, 'alt3');
      check('ImageStatus', `image.repo_digests (${ref})`, st.repo_digests).includes(normalizeRef(dref));
      for (const [form, r] of [['name@digest', dref], ['image id', st.id]] as const) {
        const other = await presentImage(t, r, `by ${form}`);
        check('ImageStatus', `image.id (by ${form} ${r})`, other.id).equals(st.id);
        check('ImageStatus', `image.repo_tags (by ${form} ${r})`, other.repo_tags).sameMembers(st.repo_tags);
        check('ImageStatus', `image.repo_digests (by ${form} ${r})`, other.repo_digests).sameMembers(st.repo_digests);
        check('ImageStatus', `image.size (by ${form} ${r})`, other.size).equals(st.size);
      }
      // A reference without a tag is name:latest, never "whatever tag of name is present".
      const bare = repoOf(ref);
      if (!Object.values(t.run.images).some((x) => normalizeRef(x) === normalizeRef(bare))) {
        const untagged = await imageStatus(t, bare);
        check('ImageStatus', `image (by ${bare} without a tag: ${normalizeRef(bare)} was never pulled)`, untagged.image?.id).absent();
      }
    });

    it('runtime should return no image and no error for an image it does not have [Conformance]', async (t) => {
      const ref = missingRef(t);
      const r = await outcome(imageStatus(t, ref));
      if (!r.ok) failWith(`ImageStatus: expected an empty answer for ${ref}, which is not on the node, got ${codeName(r.err.code)}: ${r.err.details}`);
      check('ImageStatus', `image (${ref}, not on the node)`, r.res.image).absent();
    });

    it('runtime should report uid, not username, for an image with a numeric USER [Conformance]', async (t) => {
      const st = await pulledUserImage(t, 'user-uid');
      check('ImageStatus', 'image.uid.value (USER 1002)', st.uid?.value).equals('1002');
      check('ImageStatus', 'image.username (USER 1002)', st.username).equals('');
    });

    it('runtime should report username, not uid, for an image with a named USER [Conformance]', async (t) => {
      const st = await pulledUserImage(t, 'user-name');
      check('ImageStatus', 'image.uid (USER cruser)', st.uid).absent();
      check('ImageStatus', 'image.username (USER cruser)', st.username).equals('cruser');
    });

    it('runtime should report the uid for an image with USER uid:gid [Conformance]', async (t) => {
      const st = await pulledUserImage(t, 'user-uid-gid');
      // Image has no gid field: the uid part is what the kubelet can check (runAsNonRoot).
      check('ImageStatus', 'image.uid.value (USER 1003:1004)', st.uid?.value).equals('1003');
      check('ImageStatus', 'image.username (USER 1003:1004)', st.username).equals('');
    });

    it('runtime should return verbose info only when asked, as a map of JSON strings [Conformance]', async (t) => {
      const ref = await testImage(t);
      const quiet = await imageStatus(t, ref, false);
      check('ImageStatus', 'image (verbose=false)', quiet.image?.id).present();
      check('ImageStatus', 'info (verbose=false)', Object.keys(quiet.info ?? {})).absent('info is only returned when verbose is set');
      const verbose = await imageStatus(t, ref, true);
      check('ImageStatus', 'image.id (verbose=true)', verbose.image?.id).equals(quiet.image?.id);
      for (const [k, v] of Object.entries(verbose.info ?? {})) {
        try {
          JSON.parse(v);
        } catch {
          failWith(`ImageStatus: info[${k}]: expected a JSON value, got ${JSON.stringify(v.slice(0, 80))}`);
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
      check('ListImages', `images (entries tagged ${refs.join(', ')})`, entries.length).equals(3, 'three distinct images');
      check('ListImages', 'images[].id (of the three images)', entries.map((e) => e.id)).sameMembers(ids);
      for (const [k, r] of refs.entries()) {
        const e = entries.find((x) => x.repo_tags.includes(normalizeRef(r)));
        check('ListImages', `images[tag=${r}].id`, e?.id).equals(ids[k], 'the id ImageStatus reports');
      }
    });

    it('runtime should list three tags of one image as one entry with three repo_tags [Conformance] [Serial]', async (t) => {
      const refs = ['busybox-tag1', 'busybox-tag2', 'busybox-tag3'].map((n) => t.image(n));
      for (const r of refs) await pullOwnedImage(t, r);
      const tags = refs.map(normalizeRef);
      const entries = (await listImages(t)).filter((i) => i.repo_tags.some((t) => tags.includes(t)));
      check('ListImages', `images (entries tagged ${refs.join(', ')})`, entries.length).equals(1, 'three tags of one image');
      check('ListImages', `images[id=${entries[0]!.id}].repo_tags`, entries[0]!.repo_tags).sameMembers(tags);
      const st = await presentImage(t, refs[0]!, 'after PullImage');
      check('ImageStatus', `image.repo_tags (${refs[0]})`, st.repo_tags).sameMembers(tags);
      check('ListImages', `images[id=${entries[0]!.id}].id`, entries[0]!.id).equals(st.id, 'the id ImageStatus reports');
    });
  });

  describe('RemoveImage', () => {
    it('runtime should remove an image with all its tags when removed by one tag, with status and list agreeing [Conformance] [Serial]', async (t) => {
      const refs = ['busybox-tag1', 'busybox-tag2', 'busybox-tag3'].map((n) => t.image(n));
      for (const r of refs) await pullOwnedImage(t, r);
      const tags = refs.map(normalizeRef);
      // Consistent right after the pulls.
      const first = await presentImage(t, refs[0]!, 'after PullImage');
      for (const r of refs.slice(1)) check('ImageStatus', `image.id (${r}, another tag of ${refs[0]})`, (await imageStatus(t, r)).image?.id).equals(first.id);
      const listed = (await listImages(t)).find((i) => i.id === first.id);
      check('ListImages', `images[id=${first.id}].repo_tags (after PullImage)`, listed?.repo_tags).sameMembers(tags);
      // Removing one tag removes the image: no tag, no id, no list entry.
      await t.cri.image.call('RemoveImage', { image: { image: refs[1]! } });
      for (const r of [...refs, first.id]) {
        check('ImageStatus', `image (${r}, after RemoveImage of ${refs[1]})`, (await imageStatus(t, r)).image?.id).absent();
      }
      const after = await listImages(t);
      check('ListImages', `images[].id (after RemoveImage of ${refs[1]})`, after.map((i) => i.id)).excludes(first.id);
      for (const t of tags) check('ListImages', `images[].repo_tags (after RemoveImage of ${refs[1]})`, after.flatMap((i) => i.repo_tags)).excludes(t);
    });

    it('runtime should not fail concurrent RemoveImage calls for the same image [Conformance] [Serial]', async (t) => {
      const ref = t.image('alt2');
      await pullOwnedImage(t, ref);
      const st = await presentImage(t, ref, 'after PullImage');
      const targets = [ref, ref, st.id, ref];
      const results = await Promise.all(targets.map((r) => outcome(t.cri.image.call('RemoveImage', { image: { image: r } }))));
      const failed = results.flatMap((x, i) => (x.ok ? [] : [`${targets[i]}: ${codeName(x.err.code)}: ${x.err.details}`]));
      check('RemoveImage', `errors of ${targets.length} concurrent calls`, failed).absent('removing an image is idempotent');
      check('ImageStatus', `image (${ref}, after concurrent RemoveImage)`, (await imageStatus(t, ref)).image?.id).absent();
      check('ListImages', 'images[].id (after concurrent RemoveImage)', (await listImages(t)).map((i) => i.id)).excludes(st.id);
      const again = await outcome(t.cri.image.call('RemoveImage', { image: { image: ref } }));
      if (!again.ok) failWith(`RemoveImage: expected success removing ${ref} again (already removed), got ${codeName(again.err.code)}: ${again.err.details}`);
    });
  });

  describe('Image identity', () => {
    it('runtime should report one image id from PullImage, ImageStatus, ListImages, ListContainers and ContainerStatus [Conformance]', async (t) => {
      const ref = await testImage(t);
      const pulled = await t.cri.image.call('PullImage', { image: { image: ref } });
      const st = await presentImage(t, ref, 'after PullImage');
      check('PullImage', 'image_ref', pulled.image_ref).present();
      await expectSameImage(t, pulled.image_ref, st.id, 'PullImage image_ref');
      const listed = (await listImages(t)).find((i) => i.repo_tags.includes(normalizeRef(ref)));
      check('ListImages', `images[tag=${ref}].id`, listed?.id).equals(st.id, 'the id ImageStatus reports');

      const sb = await containerPod(t);
      const cid = await createContainer(t, sb, containerConfig('imageid', ref, withShell('sleep 3600')));
      const cs = await containerStatus(t, cid);
      // The kubelet shows image_ref as the pod's imageID: the image id or one of its repo digests.
      check('ContainerStatus', 'status.image_ref', cs.image_ref).oneOf([st.id, ...st.repo_digests]);
      await expectSameImage(t, cs.image_ref, st.id, 'ContainerStatus status.image_ref');
      check('ContainerStatus', 'status.image.image', cs.image?.image).present();
      await expectSameImage(t, cs.image!.image, st.id, 'ContainerStatus status.image.image');
      if (cs.image_id) check('ContainerStatus', 'status.image_id', cs.image_id).equals(st.id);
      const lc = await t.cri.runtime.call('ListContainers', { filter: { id: cid } });
      const c = lc.containers.find((x) => x.id === cid);
      check('ListContainers', `containers[id=${cid}].image_ref`, c?.image_ref).present();
      await expectSameImage(t, c!.image_ref, st.id, 'ListContainers image_ref');
    });
  });

  describe('ImageFsInfo', () => {
    it('runtime should report image filesystem usage with mountpoint, used bytes, inodes and a timestamp [Conformance]', async (t) => {
      await ensureImage(t, t.image('busybox'));
      const res = await t.cri.image.call('ImageFsInfo', {});
      check('ImageFsInfo', 'image_filesystems', res.image_filesystems).present();
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const hourNs = 3_600n * 1_000_000_000n;
      const groups = [['image_filesystems', res.image_filesystems], ['container_filesystems', res.container_filesystems ?? []]] as const;
      for (const [field, list] of groups) {
        for (const [i, fs] of list.entries()) {
          const f = `${field}[${i}]`;
          check('ImageFsInfo', `${f}.fs_id.mountpoint`, fs.fs_id?.mountpoint).matches(/^\//);
          check('ImageFsInfo', `${f}.used_bytes`, fs.used_bytes).present();
          check('ImageFsInfo', `${f}.inodes_used`, fs.inodes_used).present();
          check('ImageFsInfo', `${f}.timestamp (ns since the epoch)`, fs.timestamp).between(nowNs - hourNs, nowNs + hourNs);
          if (field === 'image_filesystems') check('ImageFsInfo', `${f}.used_bytes.value (images are present)`, fs.used_bytes?.value).greaterThan(0);
        }
      }
    });
  });
});

// ---- helpers only this suite needs ----

/** ImageStatus of a reference that must be present; fails naming when it was expected. */
async function presentImage(t: TestContext, ref: string, when: string): Promise<ImageInfo> {
  const st = await imageStatus(t, ref);
  if (!st.image) failWith(`ImageStatus: image (${ref}): expected an image ${when}, got none`);
  check('ImageStatus', `image.id (${ref})`, st.image.id).present();
  return st.image;
}

/** `ref` (an image_ref, digest, tag or id the runtime handed out) must resolve to image `id`. */
async function expectSameImage(t: TestContext, ref: string, id: string, what: string): Promise<void> {
  const st = await imageStatus(t, ref);
  check('ImageStatus', `image.id (by ${what} ${JSON.stringify(ref)})`, st.image?.id).equals(id);
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

async function expectPrivatePull(t: TestContext, auth: AuthConfig, what: string): Promise<void> {
  const ref = t.image('private');
  const r = await outcome(pullOwnedImage(t, ref, auth));
  if (!r.ok) failWith(`PullImage: expected ${ref} to be pulled with ${what}, got ${codeName(r.err.code)}: ${r.err.details}`);
  check('PullImage', `image_ref (${ref})`, r.res).present();
  const st = await presentImage(t, ref, `after PullImage with ${what}`);
  await expectSameImage(t, r.res, st.id, 'PullImage image_ref');
  check('ImageStatus', `image.repo_tags (${ref})`, st.repo_tags).includes(normalizeRef(ref));
}

/** Pulls a user-* image and returns its status, checking ListImages reports the same user. */
async function pulledUserImage(t: TestContext, name: string): Promise<ImageInfo> {
  const ref = t.image(name);
  await pullOwnedImage(t, ref);
  const st = await presentImage(t, ref, 'after PullImage');
  const listed = (await listImages(t)).find((i) => i.id === st.id);
  check('ListImages', `images[id=${st.id}].uid (${name})`, listed?.uid?.value).equals(st.uid?.value, 'ImageStatus and ListImages agree');
  check('ListImages', `images[id=${st.id}].username (${name})`, listed?.username).equals(st.username, 'ImageStatus and ListImages agree');
  return st;
}
