// Self-tests of the image suite: every check, fed a wrong runtime answer, fails naming the RPC and field.
// Faults never answer for the RemoveImage calls cleanup makes, so nothing a self-test pulls is left behind.
import { expect } from 'chai';
import { expectCheckFails, labUpstream, runOne, Status, type Fault } from '../support/selftest.js';

const S = 'image/';
const PULL = `${S}PullImage runtime should`;
const STATUS = `${S}ImageStatus runtime should`;
const LIST = `${S}ListImages runtime should`;
const REMOVE = `${S}RemoveImage runtime should`;

const fakeId = (c: string) => `sha256:${c.repeat(64)}`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;
const fakeImage = (id: string) => ({ image: { id, repo_tags: [], repo_digests: [], size: '1', uid: null, username: '' }, info: {} });
const refOf = (req: Msg): string => req?.image?.image ?? '';

/** Rewrites the image (ImageStatus) and the matching entries (ListImages) whose tags include `tagPart`. */
function userFaults(tagPart: string, change: (img: Msg) => void): Fault[] {
  return [
    { rpc: 'ImageStatus', mutate: (res: Msg) => { if (res.image?.repo_tags.some((t: string) => t.includes(tagPart))) change(res.image); } },
    { rpc: 'ListImages', mutate: (res: Msg) => { for (const i of res.images) if (i.repo_tags.some((t: string) => t.includes(tagPart))) change(i); } },
  ];
}

/** Lets the first `n` calls through untouched and applies `f` from then on (or the other way round). */
function nth(n: number, f: (req: Msg) => void): (req: Msg) => void {
  let calls = 0;
  return (req) => {
    calls++;
    if (calls === n) f(req);
  };
}

describe('self-test: image', function () {
  this.timeout(600_000);

  // ---- PullImage ----
  const byTag = `${PULL} pull an image by name:tag and return a reference to it as image_ref [Conformance] [Serial]`;
  it(`${byTag} fails when image_ref names another image`, () =>
    expectCheckFails(byTag, [{ rpc: 'PullImage', mutate: (res: Msg) => { res.image_ref = fakeId('e'); } }],
      /ImageStatus: image\.id \(by PullImage image_ref "sha256:e{64}"\): expected "sha256:[0-9a-f]{64}", got undefined/));
  it(`${byTag} fails when repo_digests lacks the pulled digest`, () =>
    expectCheckFails(byTag, [{ rpc: 'ImageStatus', mutate: (res: Msg) => { if (res.image) res.image.repo_digests = []; } }],
      /ImageStatus: image\.repo_digests \(.*alt:1\): expected to include ".*alt@sha256:[0-9a-f]{64}", got \[\]/));
  it(`${byTag} fails when size is 0`, () =>
    expectCheckFails(byTag, [{ rpc: 'ImageStatus', mutate: (res: Msg) => { if (res.image) res.image.size = '0'; } }],
      /ImageStatus: image\.size \(.*alt:1\): expected > 0, got "0"/));
  it(`${byTag} fails when image_ref is empty`, () =>
    expectCheckFails(byTag, [{ rpc: 'PullImage', mutate: (res: Msg) => { res.image_ref = ''; } }],
      /PullImage: image_ref: expected a non-empty value, got ""/));
  it(`${byTag} fails when ImageStatus has no image after the pull`, () =>
    expectCheckFails(byTag, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => (refOf(req).endsWith('/alt:1') ? { image: null, info: {} } : res) }],
      /ImageStatus: image \(.*alt:1\): expected an image after PullImage, got none/));
  it(`${byTag} fails when repo_tags lacks the pulled tag`, () =>
    expectCheckFails(byTag, [{ rpc: 'ImageStatus', mutate: (res: Msg) => { if (res.image) res.image.repo_tags = []; } }],
      /ImageStatus: image\.repo_tags \(.*alt:1\): expected to include ".*alt:1", got \[\]/));
  it(`${byTag} fails when the runtime pulls another image than the request names`, async () => {
    const other = (await labUpstream()).images['busybox']!;
    return expectCheckFails(byTag, [{ rpc: 'PullImage', when: (req: Msg) => refOf(req).endsWith('/alt:1'), mutateRequest: (req: Msg) => { req.image.image = other; } }],
      /ListImages: images\[tag=.*alt:1\] \(after PullImage of .*alt:1\): expected a non-empty value, got \[\] \[rests on api\.proto PullImageRequest\.image\.image/);
  });
  it(`${byTag} fails when ImageStatus answers for another image than the request names`, async () => {
    const other = (await labUpstream()).images['busybox']!;
    // The first ImageStatus of alt:1 is pullOwnedImage's look whether it is on the node already.
    return expectCheckFails(byTag, [{ rpc: 'ImageStatus', after: 1, when: (req: Msg) => refOf(req).endsWith('/alt:1'), mutateRequest: (req: Msg) => { req.image.image = other; } }],
      /ImageStatus: image\.id \(asked by .*alt:1\): expected "sha256:[0-9a-f]{64}", got "sha256:[0-9a-f]{64}" \(the id ListImages lists for .*alt:1\) \[rests on api\.proto ImageStatusRequest\.image\.image/);
  });

  const tagless = `${PULL} pull an image reference without a tag as name:latest [Strict]`;
  it(`${tagless} fails when the image is not tagged latest`, () =>
    expectCheckFails(tagless, [{
      rpc: 'ImageStatus',
      mutate: (res: Msg) => { if (res.image) res.image.repo_tags = res.image.repo_tags.filter((t: string) => !t.endsWith(':latest')); },
    }], /ImageStatus: image\.repo_tags \(.*tagless:latest\): expected to include ".*tagless:latest"/));
  it(`${tagless} fails when the reference without a tag does not resolve`, () =>
    expectCheckFails(tagless, [{
      rpc: 'ImageStatus',
      mutate: (res: Msg, req: Msg) => (refOf(req).endsWith('/cri-conformance/tagless') ? { image: null, info: {} } : res),
    }], /ImageStatus: image\.id \(by the reference without a tag ".*\/cri-conformance\/tagless"\): expected "sha256:[0-9a-f]{64}", got undefined/));
  it(`${tagless} fails when image_ref is empty`, () =>
    expectCheckFails(tagless, [{ rpc: 'PullImage', mutate: (res: Msg) => { res.image_ref = ''; } }],
      /PullImage: image_ref \(.*\/cri-conformance\/tagless\): expected a non-empty value, got ""/));
  it(`${tagless} fails when ListImages does not list the latest tag`, () =>
    expectCheckFails(tagless, [{ rpc: 'ListImages', mutate: (res: Msg) => { for (const i of res.images) i.repo_tags = i.repo_tags.filter((t: string) => !t.endsWith(':latest')); } }],
      /ListImages: images\[id=sha256:[0-9a-f]{64}\]\.repo_tags: expected to include ".*tagless:latest", got \[\]/));
  it(`${tagless} fails when the dedicated image reports another tag too`, () =>
    expectCheckFails(tagless, [{ rpc: 'ImageStatus', mutate: (res: Msg) => { if (res.image?.repo_tags.some((t: string) => t.endsWith('/tagless:latest'))) res.image.repo_tags.push('example.com/tagless:other'); } }],
      /ImageStatus: image\.repo_tags \(.*tagless:latest, its only tag\): expected exactly \[.*tagless:latest"\] in any order, got \[.*example\.com\/tagless:other.*\]/));

  const tagAlone = `${PULL} report exactly the pulled name:tag in repo_tags of an image pulled by that tag alone [Strict] [Serial]`;
  it(`${tagAlone} fails when ImageStatus reports another tag too`, () =>
    expectCheckFails(tagAlone, [{ rpc: 'ImageStatus', mutate: (res: Msg) => { if (res.image?.repo_tags.some((t: string) => t.endsWith('/alt:1'))) res.image.repo_tags.push('example.com/alt:9'); } }],
      /ImageStatus: image\.repo_tags \(.*alt:1, pulled by this tag alone\): expected exactly \[".*alt:1"\] in any order, got \[.*example\.com\/alt:9.*\]/));
  it(`${tagAlone} fails when ListImages reports another tag too`, () =>
    expectCheckFails(tagAlone, [{ rpc: 'ListImages', mutate: (res: Msg) => { for (const i of res.images) if (i.repo_tags.some((t: string) => t.endsWith('/alt:1'))) i.repo_tags.push('example.com/alt:9'); } }],
      /ListImages: images\[id=sha256:[0-9a-f]{64}\]\.repo_tags \(pulled by this tag alone\): expected exactly \[".*alt:1"\] in any order, got \[.*example\.com\/alt:9.*\]/));
  it(`${tagAlone} skips when the image is on the node already`, async () => {
    const r = await runOne(tagAlone, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => (!res.image && refOf(req).endsWith('/alt:1') ? fakeImage(fakeId('4')) : res) }]);
    expect(r.status).to.equal('skipped');
    expect(r.message).to.match(/is on the node already .*so a pull by this tag alone cannot be observed/);
  });

  const byDigest = `${PULL} pull an image by name@digest and report that digest in repo_digests [Conformance] [Serial]`;
  it(`${byDigest} fails when repo_digests lacks the digest`, () =>
    expectCheckFails(byDigest, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => { if (res.image && refOf(req).includes('@sha256:')) res.image.repo_digests = []; } }],
      /ImageStatus: image\.repo_digests \(.*alt@sha256:[0-9a-f]{64}\): expected to include ".*alt@sha256:[0-9a-f]{64}", got \[\]/));
  it(`${byDigest} fails when image_ref is empty`, () =>
    expectCheckFails(byDigest, [{ rpc: 'PullImage', mutate: (res: Msg, req: Msg) => { if (refOf(req).includes('@sha256:')) res.image_ref = ''; } }],
      /PullImage: image_ref \(.*alt@sha256:[0-9a-f]{64}\): expected a non-empty value, got ""/));
  it(`${byDigest} fails when size is 0`, () =>
    expectCheckFails(byDigest, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => { if (res.image && refOf(req).includes('@sha256:')) res.image.size = '0'; } }],
      /ImageStatus: image\.size \(.*alt@sha256:[0-9a-f]{64}\): expected > 0, got "0"/));
  it(`${byDigest} fails when RemoveImage by digest leaves the image`, () => {
    const skipFirst = nth(1, (req) => { req.image.image = `${refOf(req).split('@')[0]}:not-there`; });
    return expectCheckFails(byDigest, [{ rpc: 'RemoveImage', mutateRequest: (req: Msg) => { skipFirst(req); } }],
      /ImageStatus: image \(.*alt@sha256:[0-9a-f]{64}, after RemoveImage by digest\): expected no value/);
  });

  const alone = `${PULL} report an image pulled by name@digest alone with no repo_tags and exactly that digest in repo_digests [Strict] [Serial]`;
  const byAlt1Digest = (req: Msg) => /\/alt@sha256:/.test(refOf(req));
  it(`${alone} fails when an image pulled by digest alone reports a tag`, () =>
    expectCheckFails(alone, [{ rpc: 'ImageStatus', when: byAlt1Digest, mutate: (res: Msg, req: Msg) => { if (res.image) res.image.repo_tags = [refOf(req).replace(/@sha256:.*/, ':1')]; } }],
      /ImageStatus: image\.repo_tags \(.*alt@sha256:[0-9a-f]{64}, pulled by digest alone\): expected no value, got \[ '.*alt:1' \] \(no tag was pulled\)/));
  it(`${alone} fails when it reports another digest too`, () =>
    expectCheckFails(alone, [{ rpc: 'ImageStatus', when: byAlt1Digest, mutate: (res: Msg) => { if (res.image) res.image.repo_digests.push(`example.com/other@${fakeId('1')}`); } }],
      /ImageStatus: image\.repo_digests \(.*alt@sha256:[0-9a-f]{64}, pulled by digest alone\): expected exactly \[.*\] in any order, got \[.*example\.com\/other@sha256:1{64}.*\]/));
  it(`${alone} fails when ListImages reports a tag`, () =>
    expectCheckFails(alone, [{ rpc: 'ListImages', mutate: (res: Msg) => { for (const i of res.images) if (i.repo_digests.some((d: string) => d.includes('/alt@')) && i.repo_tags.length === 0) i.repo_tags = ['x/alt:1']; } }],
      /ListImages: images\[id=sha256:[0-9a-f]{64}\]\.repo_tags \(pulled by digest alone\): expected no value, got \[ 'x\/alt:1' \]/));
  it(`${alone} fails when ListImages reports no digest`, () =>
    expectCheckFails(alone, [{ rpc: 'ListImages', mutate: (res: Msg) => { for (const i of res.images) if (i.repo_digests.some((d: string) => d.includes('/alt@')) && i.repo_tags.length === 0) i.repo_digests = []; } }],
      /ListImages: images\[id=sha256:[0-9a-f]{64}\]\.repo_digests \(pulled by digest alone\): expected exactly \[.*alt@sha256:[0-9a-f]{64}.*\] in any order, got \[\]/));
  it(`${alone} fails when ListImages does not list the image`, () =>
    expectCheckFails(alone, [{ rpc: 'ListImages', mutate: (res: Msg) => { res.images = res.images.filter((i: Msg) => !(i.repo_digests.some((d: string) => d.includes('/alt@')) && i.repo_tags.length === 0)); } }],
      /ListImages: images\[\]\.id \(after PullImage by digest\): expected to include "sha256:[0-9a-f]{64}"/));
  it(`${alone} fails when image_ref is empty`, () =>
    expectCheckFails(alone, [{ rpc: 'PullImage', mutate: (res: Msg) => { res.image_ref = ''; } }],
      /PullImage: image_ref \(.*alt@sha256:[0-9a-f]{64}\): expected a non-empty value, got ""/));
  it(`${alone} fails when image_ref names another image`, () =>
    expectCheckFails(alone, [{ rpc: 'PullImage', mutate: (res: Msg) => { res.image_ref = fakeId('2'); } }],
      /ImageStatus: image\.id \(by PullImage image_ref "sha256:2{64}"\): expected "sha256:[0-9a-f]{64}", got undefined/));
  it(`${alone} skips when the image is on the node already`, async () => {
    const r = await runOne(alone, [{ rpc: 'ImageStatus', after: 0, when: byAlt1Digest, mutate: (res: Msg) => (res.image ? res : fakeImage(fakeId('3'))) }]);
    expect(r.status).to.equal('skipped');
    expect(r.message).to.match(/is on the node already .*so a pull by digest alone cannot be observed/);
  });

  const missing = `${PULL} fail to pull an image that does not exist [Conformance]`;
  it(`${missing} fails when the pull succeeds`, () =>
    expectCheckFails(missing, [{ rpc: 'PullImage', respond: () => ({ image_ref: fakeId('a') }) }],
      /PullImage: expected an error for .*does-not-exist-[0-9a-f]+:1, which the registry does not have, got image_ref "sha256:a{64}"/));
  it(`${missing} fails when ImageStatus shows the image afterwards`, () =>
    expectCheckFails(missing, [
      { rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => (refOf(req).includes('does-not-exist') ? fakeImage(fakeId('b')) : res) },
    ], /ImageStatus: image \(.*does-not-exist-[0-9a-f]+:1, after a failed PullImage\): expected no value/));

  const privateDenied = `${PULL} fail to pull a private image without credentials or with a wrong password [Conformance] [Serial]`;
  it(`${privateDenied} fails when the pull succeeds`, () =>
    expectCheckFails(privateDenied, [{ rpc: 'PullImage', respond: () => ({ image_ref: fakeId('c') }) }],
      /PullImage: expected an error pulling .*private:1\.0 from a basic-auth registry with no credentials, got image_ref "sha256:c{64}"/));
  it(`${privateDenied} fails when the runtime pulls with credentials other than the request's`, async () => {
    const reg = (await labUpstream()).privateRegistry!;
    return expectCheckFails(privateDenied, [{ rpc: 'PullImage', mutateRequest: (req: Msg) => { req.auth = { username: reg.username, password: reg.password }; } }],
      /PullImage: expected an error pulling .*private:1\.0 from a basic-auth registry with no credentials, got image_ref "sha256:[0-9a-f]{64}"/);
  });
  it(`${privateDenied} fails when the runtime pulls with the right password where the request has a wrong one`, async () => {
    const reg = (await labUpstream()).privateRegistry!;
    return expectCheckFails(privateDenied, [{ rpc: 'PullImage', when: (req: Msg) => String(req.auth?.password ?? '').startsWith('wrong-'), mutateRequest: (req: Msg) => { req.auth.password = reg.password; } }],
      /PullImage: expected an error pulling .*private:1\.0 from a basic-auth registry with a wrong password, got image_ref "sha256:[0-9a-f]{64}" \[rests on api\.proto PullImageRequest\.auth/);
  });
  it(`${privateDenied} fails when the runtime pulls with the right credentials where AuthConfig.auth has a wrong password`, async () => {
    const reg = (await labUpstream()).privateRegistry!;
    return expectCheckFails(privateDenied, [{ rpc: 'PullImage', when: (req: Msg) => Boolean(req.auth?.auth), mutateRequest: (req: Msg) => { req.auth.auth = Buffer.from(`${reg.username}:${reg.password}`).toString('base64'); } }],
      /PullImage: expected an error pulling .*private:1\.0 from a basic-auth registry with a wrong password in AuthConfig\.auth, got image_ref "sha256:[0-9a-f]{64}" \[rests on api\.proto PullImageRequest\.auth\.auth/);
  });

  const privateOk = `${PULL} pull a private image with the registry username and password [Conformance] [Serial]`;
  it(`${privateOk} fails when the runtime drops the credentials`, () =>
    expectCheckFails(privateOk, [{ rpc: 'PullImage', mutateRequest: (req: Msg) => { req.auth = null; } }],
      /PullImage: expected .*private:1\.0 to be pulled with username and password, got UNKNOWN: .*401/));
  it(`${privateOk} fails when image_ref is empty`, () =>
    expectCheckFails(privateOk, [{ rpc: 'PullImage', mutate: (res: Msg) => { res.image_ref = ''; } }],
      /PullImage: image_ref \(.*private:1\.0\): expected a non-empty value, got ""/));
  it(`${privateOk} fails when repo_tags lacks the pulled tag`, () =>
    expectCheckFails(privateOk, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => { if (res.image && refOf(req).endsWith('/private:1.0')) res.image.repo_tags = []; } }],
      /ImageStatus: image\.repo_tags \(.*private:1\.0\): expected to include ".*private:1\.0", got \[\]/));

  const privateAuth = `${PULL} pull a private image with base64 credentials in AuthConfig.auth [Conformance] [Serial]`;
  it(`${privateAuth} fails when the auth field is not honoured`, () =>
    expectCheckFails(privateAuth, [{ rpc: 'PullImage', mutateRequest: (req: Msg) => { req.auth = { auth: Buffer.from('crilab:wrong').toString('base64') }; } }],
      /PullImage: expected .*private:1\.0 to be pulled with AuthConfig\.auth, got UNKNOWN: .*401/));

  const deadline = `${PULL} end a PullImage at its deadline and pull the same image normally afterwards [Conformance] [Serial]`;
  it(`${deadline} fails when the pull after the deadline fails`, () =>
    expectCheckFails(deadline, [{ rpc: 'PullImage', delayMs: 50, error: { code: Status.UNAVAILABLE, details: 'injected: pull lock still held' } }],
      /PullImage: expected .*alt@sha256:[0-9a-f]{64} to pull after an earlier pull ran out of time, got UNAVAILABLE: injected: pull lock still held \(after 2 earlier tries 2 s apart: UNAVAILABLE: injected/));
  it(`${deadline} passes when the first pull after the deadline fails as CRI-O's joined pull does, and a later one succeeds`, async () => {
    let calls = 0;
    // Call 1 is the 1 ms pull; call 2 gets the given-up pull's error; call 3 passes through.
    const r = await runOne(deadline, [{ rpc: 'PullImage', when: () => ++calls === 2, error: { code: Status.UNKNOWN, details: 'copying system image from manifest list: context canceled' } }]);
    expect(r.status, r.message).to.equal('passed');
    expect(calls, 'PullImage calls').to.be.greaterThanOrEqual(3);
  });
  it(`${deadline} fails when the second pull reports another image`, () =>
    expectCheckFails(deadline, [{ rpc: 'PullImage', mutate: (res: Msg) => { res.image_ref = fakeId('d'); } }],
      /ImageStatus: image\.id \(by PullImage image_ref "sha256:d{64}"\): expected "sha256:[0-9a-f]{64}", got undefined/));
  it(`${deadline} fails when the image pulled afterwards has size 0`, () =>
    expectCheckFails(deadline, [{ rpc: 'ImageStatus', mutate: (res: Msg) => { if (res.image) res.image.size = '0'; } }],
      /ImageStatus: image\.size \(.*alt@sha256:[0-9a-f]{64}\): expected > 0, got "0"/));

  // ---- ImageStatus ----
  const forms = `${STATUS} return the same image for name:tag, name@digest and image id [Conformance] [Serial]`;
  it(`${forms} fails when the id form resolves to another id`, () =>
    expectCheckFails(forms, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => { if (res.image && refOf(req).startsWith('sha256:')) res.image.id = fakeId('0'); } }],
      /ImageStatus: image\.id \(by image id sha256:[0-9a-f]{64}\): expected "sha256:[0-9a-f]{64}", got "sha256:0{64}"/));
  it(`${forms} fails when the digest form loses the tags`, () =>
    expectCheckFails(forms, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => { if (res.image && refOf(req).includes('@sha256:')) res.image.repo_tags = []; } }],
      /ImageStatus: image\.repo_tags \(by name@digest .*alt@sha256:[0-9a-f]{64}\): expected exactly \[".*alt:3"\] in any order, got \[\]/));
  const bareOther = `${STATUS} not resolve a reference without a tag to another tag of the image [Strict] [Serial]`;
  it(`${bareOther} fails when the reference without a tag matches another tag`, () =>
    expectCheckFails(bareOther, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => (refOf(req).endsWith('/cri-conformance/alt') ? fakeImage(fakeId('1')) : res) }],
      /ImageStatus: image \(by .*\/cri-conformance\/alt without a tag: .*\/cri-conformance\/alt:latest was never pulled\): expected no value, got "sha256:1{64}"/));
  it(`${forms} fails when ImageStatus reports no id`, () =>
    expectCheckFails(forms, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => { if (res.image && refOf(req).endsWith('alt:3')) res.image.id = ''; } }],
      /ImageStatus: image\.id \(.*alt:3\): expected a non-empty value, got ""/));
  const byTagRef = (change: (img: Msg) => void): Fault[] =>
    [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => { if (res.image && refOf(req).endsWith('/alt:3')) change(res.image); } }];
  const byIdRef = (change: (img: Msg) => void): Fault[] =>
    [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => { if (res.image && refOf(req).startsWith('sha256:')) change(res.image); } }];
  it(`${forms} fails when size is 0`, () =>
    expectCheckFails(forms, byTagRef((i) => { i.size = '0'; }), /ImageStatus: image\.size \(.*alt:3\): expected > 0, got "0"/));
  it(`${forms} fails when repo_tags lacks the tag`, () =>
    expectCheckFails(forms, byTagRef((i) => { i.repo_tags = []; }), /ImageStatus: image\.repo_tags \(.*alt:3\): expected to include ".*alt:3", got \[\]/));
  it(`${forms} fails when repo_digests lacks the digest`, () =>
    expectCheckFails(forms, byTagRef((i) => { i.repo_digests = []; }),
      /ImageStatus: image\.repo_digests \(.*alt:3\): expected to include ".*alt@sha256:[0-9a-f]{64}", got \[\]/));
  it(`${forms} fails when the id form loses the digests`, () =>
    expectCheckFails(forms, byIdRef((i) => { i.repo_digests = []; }),
      /ImageStatus: image\.repo_digests \(by image id sha256:[0-9a-f]{64}\): expected exactly \[".*alt@sha256:[0-9a-f]{64}"\] in any order, got \[\]/));
  it(`${forms} fails when the id form reports another size`, () =>
    expectCheckFails(forms, byIdRef((i) => { i.size = String(Number(i.size) + 1); }),
      /ImageStatus: image\.size \(by image id sha256:[0-9a-f]{64}\): expected "\d+", got "\d+"/));

  it(`${forms} fails when the id form reports another username`, () =>
    expectCheckFails(forms, byIdRef((i) => { i.username = 'someone'; }),
      /ImageStatus: image\.username \(by image id sha256:[0-9a-f]{64}\): expected "", got "someone" \[rests on api\.proto ImageService\.ImageStatus: "ImageStatus returns the status of the image\."\]/));
  it(`${forms} fails when the id form reports a uid`, () =>
    expectCheckFails(forms, byIdRef((i) => { i.uid = { value: '7' }; }),
      /ImageStatus: image\.uid \(by image id sha256:[0-9a-f]{64}\): expected (undefined|"0"), got "7"/));
  it(`${forms} fails when the digest form reports the image pinned`, () =>
    expectCheckFails(forms, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => { if (res.image && refOf(req).includes('@sha256:')) res.image.pinned = true; } }],
      /ImageStatus: image\.pinned \(by name@digest .*alt@sha256:[0-9a-f]{64}\): expected false, got true/));
  it(`${forms} fails when the id form reports other spec annotations`, () =>
    expectCheckFails(forms, byIdRef((i) => { i.spec = { image: '', annotations: { x: 'y' }, user_specified_image: '', runtime_handler: '' }; }),
      /ImageStatus: image\.spec \(by image id sha256:[0-9a-f]{64}\): expected .*, got .*annotations: \{ x: 'y' \}/));
  it(`${forms} fails when asking again by a reported repo tag answers other tags`, () => {
    // The loop asks by name@digest and by id before it asks again by each reported tag.
    let sawDigest = false;
    return expectCheckFails(forms, [{
      rpc: 'ImageStatus',
      mutate: (res: Msg, req: Msg) => {
        if (refOf(req).includes('@sha256:')) sawDigest = true;
        else if (sawDigest && res.image && refOf(req).endsWith('/alt:3')) res.image.repo_tags.push('example.com/x:1');
      },
    }],
      /ImageStatus: image\.repo_tags \(by repo tag .*alt:3\): expected exactly \[.*alt:3"\] in any order, got \[.*example\.com\/x:1.*\]/);
  });

  const absent = `${STATUS} return no image and no error for an image it does not have [Conformance]`;
  it(`${absent} fails on NOT_FOUND`, () =>
    expectCheckFails(absent, [{ rpc: 'ImageStatus', error: { code: Status.NOT_FOUND, details: 'image not found' } }],
      /ImageStatus: expected an empty answer for .*does-not-exist-[0-9a-f]+:1, which is not on the node, got NOT_FOUND: image not found/));
  it(`${absent} fails when an image is returned`, () =>
    expectCheckFails(absent, [{ rpc: 'ImageStatus', mutate: () => fakeImage(fakeId('2')) }],
      /ImageStatus: image \(.*does-not-exist-[0-9a-f]+:1, not on the node\): expected no value/));

  const uid = `${STATUS} report uid, not username, for an image with a numeric USER [Conformance]`;
  it(`${uid} fails on a wrong uid`, () =>
    expectCheckFails(uid, userFaults('/user-uid:', (i) => { i.uid = { value: '0' }; }),
      /ImageStatus: image\.uid\.value \(USER 1002\): expected "1002", got "0"/));
  it(`${uid} fails when username is set too`, () =>
    expectCheckFails(uid, userFaults('/user-uid:', (i) => { i.username = '1002'; }),
      /ImageStatus: image\.username \(USER 1002\): expected "", got "1002"/));
  it(`${uid} fails when ListImages disagrees with ImageStatus`, () =>
    expectCheckFails(uid, [userFaults('/user-uid:', (i) => { i.uid = null; })[1]!],
      /ListImages: images\[id=sha256:[0-9a-f]{64}\]\.uid \(user-uid\): expected "1002", got undefined \(ImageStatus and ListImages agree\)/));

  const uname = `${STATUS} report username, not uid, for an image with a named USER [Conformance]`;
  it(`${uname} fails when uid is set`, () =>
    expectCheckFails(uname, userFaults('/user-name:', (i) => { i.uid = { value: '1001' }; }),
      /ImageStatus: image\.uid \(USER cruser\): expected no value, got \{ value: '1001' \}/));
  it(`${uname} fails on a wrong username`, () =>
    expectCheckFails(uname, userFaults('/user-name:', (i) => { i.username = ''; }),
      /ImageStatus: image\.username \(USER cruser\): expected "cruser", got ""/));
  it(`${uname} fails when ListImages disagrees with ImageStatus`, () =>
    expectCheckFails(uname, [userFaults('/user-name:', (i) => { i.username = ''; })[1]!],
      /ListImages: images\[id=sha256:[0-9a-f]{64}\]\.username \(user-name\): expected "cruser", got "" \(ImageStatus and ListImages agree\)/));

  const uidGid = `${STATUS} report the uid for an image with USER uid:gid [Conformance]`;
  it(`${uidGid} fails when the gid is reported as uid`, () =>
    expectCheckFails(uidGid, userFaults('/user-uid-gid:', (i) => { i.uid = { value: '1004' }; }),
      /ImageStatus: image\.uid\.value \(USER 1003:1004\): expected "1003", got "1004"/));
  it(`${uidGid} fails when "uid:gid" is reported as a username`, () =>
    expectCheckFails(uidGid, userFaults('/user-uid-gid:', (i) => { i.uid = null; i.username = '1003:1004'; }),
      /ImageStatus: image\.uid\.value \(USER 1003:1004\): expected "1003", got undefined/));
  it(`${uidGid} fails when username is set too`, () =>
    expectCheckFails(uidGid, userFaults('/user-uid-gid:', (i) => { i.username = '1003:1004'; }),
      /ImageStatus: image\.username \(USER 1003:1004\): expected "", got "1003:1004"/));

  const nameGroup = `${STATUS} report username, not uid, for an image with USER name:group [Conformance]`;
  it(`${nameGroup} fails when uid is set`, () =>
    expectCheckFails(nameGroup, userFaults('/user-name-group:', (i) => { i.uid = { value: '1001' }; }),
      /ImageStatus: image\.uid \(USER cruser:crgroup\): expected no value, got \{ value: '1001' \}/));
  it(`${nameGroup} fails when the group is reported in the username`, () =>
    expectCheckFails(nameGroup, userFaults('/user-name-group:', (i) => { i.username = 'cruser:crgroup'; }),
      /ImageStatus: image\.username \(USER cruser:crgroup\): expected "cruser", got "cruser:crgroup"/));
  it(`${nameGroup} fails when ListImages disagrees with ImageStatus`, () =>
    expectCheckFails(nameGroup, [userFaults('/user-name-group:', (i) => { i.username = ''; })[1]!],
      /ListImages: images\[id=sha256:[0-9a-f]{64}\]\.username \(user-name-group\): expected "cruser", got "" \(ImageStatus and ListImages agree\)/));

  const verbose = `${STATUS} return verbose info only when asked, as a map of JSON strings [Conformance]`;
  it(`${verbose} fails when info comes without verbose`, () =>
    expectCheckFails(verbose, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => { if (!req.verbose) res.info = { info: '{}' }; } }],
      /ImageStatus: info \(verbose=false\): expected no value, got \[ 'info' \]/));
  it(`${verbose} fails when info is not JSON`, () =>
    expectCheckFails(verbose, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => { if (req.verbose) res.info = { info: 'chainID=sha256:abc' }; } }],
      /ImageStatus: info\[info\]: expected a JSON value, got "chainID=sha256:abc"/));
  it(`${verbose} fails when the image is missing without verbose`, () =>
    // The first ImageStatus is the harness checking the image is on the node.
    expectCheckFails(verbose, [{ rpc: 'ImageStatus', after: 1, when: (req: Msg) => !req.verbose, mutate: () => ({ image: null, info: {} }) }],
      /ImageStatus: image \(verbose=false\): expected a non-empty value, got undefined/));
  it(`${verbose} fails when verbose reports another image`, () =>
    expectCheckFails(verbose, [{ rpc: 'ImageStatus', when: (req: Msg) => req.verbose, mutate: (res: Msg) => { res.image.id = fakeId('8'); } }],
      /ImageStatus: image\.id \(verbose=true\): expected "sha256:[0-9a-f]{64}", got "sha256:8{64}"/));

  // ---- ListImages ----
  const distinct = `${LIST} list three distinct pulled images as three entries [Conformance] [Serial]`;
  it(`${distinct} fails when an image is missing from the list`, () =>
    expectCheckFails(distinct, [{ rpc: 'ListImages', mutate: (res: Msg) => { res.images = res.images.filter((i: Msg) => !i.repo_tags.some((t: string) => t.endsWith('/alt:2'))); } }],
      /ListImages: images \(entries tagged .*alt:1, .*alt:2, .*alt:3\): expected 3, got 2 \(three distinct images\)/));
  it(`${distinct} fails when a listed id differs from ImageStatus`, () =>
    expectCheckFails(distinct, [{ rpc: 'ListImages', mutate: (res: Msg) => { for (const i of res.images) if (i.repo_tags.some((t: string) => t.endsWith('/alt:3'))) i.id = fakeId('3'); } }],
      /ListImages: images\[\]\.id \(of the three images\): expected exactly \[.*\] in any order, got \[.*sha256:3{64}.*\]/));
  it(`${distinct} fails when the tags of two images are swapped`, () =>
    expectCheckFails(distinct, [{
      rpc: 'ListImages',
      mutate: (res: Msg) => {
        const a = res.images.find((i: Msg) => i.repo_tags.some((t: string) => t.endsWith('/alt:1')));
        const b = res.images.find((i: Msg) => i.repo_tags.some((t: string) => t.endsWith('/alt:2')));
        if (a && b) [a.repo_tags, b.repo_tags] = [b.repo_tags, a.repo_tags];
      },
    }], /ListImages: images\[tag=.*alt:1\]\.id: expected "(sha256:[0-9a-f]{64})", got "(?!\1)sha256:[0-9a-f]{64}" \(the id ImageStatus reports\)/));

  const tags = `${LIST} list three tags of one image as one entry with three repo_tags [Conformance] [Serial]`;
  it(`${tags} fails when each tag is its own entry`, () =>
    expectCheckFails(tags, [{
      rpc: 'ListImages',
      mutate: (res: Msg) => {
        res.images = res.images.flatMap((i: Msg) =>
          i.repo_tags.some((t: string) => t.includes('/busybox-tags:')) ? i.repo_tags.map((t: string) => ({ ...i, repo_tags: [t] })) : [i]);
      },
    }], /ListImages: images \(entries tagged .*busybox-tags:1, .*busybox-tags:2, .*busybox-tags:3\): expected 1, got 3 \(three tags of one image\)/));
  it(`${tags} fails when a tag is missing from the entry`, () =>
    expectCheckFails(tags, [{ rpc: 'ListImages', mutate: (res: Msg) => { for (const i of res.images) i.repo_tags = i.repo_tags.filter((t: string) => !t.endsWith('/busybox-tags:2')); } }],
      /ListImages: images\[id=sha256:[0-9a-f]{64}\]\.repo_tags: expected exactly \[.*busybox-tags:1.*busybox-tags:2.*busybox-tags:3.*\] in any order, got/));
  it(`${tags} fails when ImageStatus lacks a tag`, () =>
    expectCheckFails(tags, [{ rpc: 'ImageStatus', mutate: (res: Msg) => { if (res.image) res.image.repo_tags = res.image.repo_tags.filter((t: string) => !t.endsWith('/busybox-tags:2')); } }],
      /ImageStatus: image\.repo_tags \(.*busybox-tags:1\): expected exactly \[.*busybox-tags:2.*\] in any order, got \[(?!.*busybox-tags:2).*\]/));
  it(`${tags} fails when the listed id differs from ImageStatus`, () =>
    expectCheckFails(tags, [{ rpc: 'ListImages', mutate: (res: Msg) => { for (const i of res.images) if (i.repo_tags.some((t: string) => t.includes('/busybox-tags:'))) i.id = fakeId('9'); } }],
      /ListImages: images\[id=sha256:9{64}\]\.id: expected "sha256:[0-9a-f]{64}", got "sha256:9{64}" \(the id ImageStatus reports\)/));

  const filtered = `${LIST} list only the image a filter names, excluding the others, entry by entry [Strict] [Serial]`;
  /** ListImages as a runtime that honours the filter answers it (containerd lists every image whatever the filter),
   * then `edit` with the filter's reference. */
  const honoured = (edit: (res: Msg, ref: string) => void = () => undefined): Fault[] => [{
    rpc: 'ListImages',
    mutate: (res: Msg, req: Msg) => {
      const ref = req.filter?.image?.image;
      if (!ref) return;
      res.images = res.images.filter((i: Msg) => i.id === ref || i.repo_tags.includes(ref) || i.repo_digests.includes(ref));
      edit(res, ref);
    },
  }];
  it(`${filtered} passes when the runtime honours the filter`, async () => {
    const r = await runOne(filtered, honoured());
    expect(r.status, r.message).to.equal('passed');
  });
  it(`${filtered} fails when the runtime ignores the filter`, () =>
    expectCheckFails(filtered, [{ rpc: 'ListImages', mutateRequest: (req: Msg) => { req.filter = null; } }],
      /ListImages: images\[\]\.id \(filter\.image\.image .*alt:1: .*alt:2 does not match\): expected not to include "sha256:[0-9a-f]{64}"/));
  it(`${filtered} fails when the filtered list lacks the image it names`, () =>
    expectCheckFails(filtered, honoured((res) => { res.images = []; }),
      /ListImages: images\[\]\.id \(filter\.image\.image .*alt:1\): expected to include "sha256:[0-9a-f]{64}", got \[\]/));
  it(`${filtered} fails when an entry of the filtered list is known by another name`, () =>
    expectCheckFails(filtered, honoured((res) => { res.images.push({ ...fakeImage(fakeId('d')).image, repo_tags: ['example.com/other:1'] }); }),
      /ListImages: images\[id=sha256:d{64}\]\.repo_tags \(filter\.image\.image .*alt:1\): expected to include ".*alt:1", got \[ 'example\.com\/other:1' \]/));
  it(`${filtered} fails when a filter that names no image lists one`, () =>
    expectCheckFails(filtered, honoured((res, ref) => { if (ref.includes('does-not-exist')) res.images.push(fakeImage(fakeId('d')).image); }),
      /ListImages: images\[\]\.id \(filter\.image\.image .*does-not-exist-[0-9a-f]{8}:1, which names no image on the node\): expected no value, got \[ 'sha256:d{64}' \]/));

  // ---- RemoveImage ----
  const byOneTag = `${REMOVE} remove the image by one tag, with all its tags from kubelet 1.36, with status and list agreeing [Conformance] [Serial] [Profile]`;
  it(`${byOneTag} fails when removal by one tag leaves the image`, () => {
    const first = nth(1, (req) => { req.image.image = `${refOf(req)}-not-there`; });
    return expectCheckFails(byOneTag, [{ rpc: 'RemoveImage', mutateRequest: (req: Msg) => { first(req); } }],
      /ImageStatus: image \(.*busybox-tags:2, after RemoveImage of .*busybox-tags:2\): expected no value, got "sha256:[0-9a-f]{64}"/);
  });
  /** After the first RemoveImage, ListImages keeps listing the busybox-tags image as it was before (through `edit`). */
  const relisted = (edit: (image: Msg) => Msg): Fault[] => {
    let removed = false;
    let ghost: Msg;
    return [
      { rpc: 'RemoveImage', mutate: (res: Msg) => { removed = true; return res; } },
      {
        rpc: 'ListImages',
        mutate: (res: Msg) => {
          const mine = res.images.find((i: Msg) => i.repo_tags.some((t: string) => t.includes('/busybox-tags:')));
          if (mine) ghost = edit(mine);
          else if (removed && ghost) res.images.push(ghost);
        },
      },
    ];
  };
  const withoutTag2 = (i: Msg): Msg => ({ ...i, repo_tags: i.repo_tags.filter((t: string) => !t.endsWith('/busybox-tags:2')) });
  it(`${byOneTag} fails when ListImages still lists the tag removed by`, () =>
    expectCheckFails(byOneTag, relisted((i) => i),
      /ListImages: images\[\]\.repo_tags \(after RemoveImage of .*busybox-tags:2\): expected not to include ".*busybox-tags:2"/));
  it(`${byOneTag} fails when ListImages still lists the removed image`, () =>
    expectCheckFails(byOneTag, relisted(withoutTag2),
      /ListImages: images\[\]\.id \(after RemoveImage of .*busybox-tags:2\): expected not to include "sha256:[0-9a-f]{64}"/));
  it(`${byOneTag} fails when another tag of the image resolves to another id`, () =>
    expectCheckFails(byOneTag, [{ rpc: 'ImageStatus', mutate: (res: Msg, req: Msg) => { if (res.image && refOf(req).endsWith('/busybox-tags:2')) res.image.id = fakeId('a'); } }],
      /ImageStatus: image\.id \(.*busybox-tags:2, another tag of .*busybox-tags:1\): expected "sha256:[0-9a-f]{64}", got "sha256:a{64}"/));
  it(`${byOneTag} fails when ListImages lacks a tag after the pulls`, () =>
    expectCheckFails(byOneTag, [{ rpc: 'ListImages', mutate: (res: Msg) => { for (const i of res.images) i.repo_tags = i.repo_tags.filter((t: string) => !t.endsWith('/busybox-tags:3')); } }],
      /ListImages: images\[id=sha256:[0-9a-f]{64}\]\.repo_tags \(after PullImage\): expected exactly \[.*busybox-tags:3.*\] in any order, got/));
  it(`${byOneTag} fails when ListImages still lists a remaining tag under another id`, () =>
    expectCheckFails(byOneTag, relisted((i) => ({ ...withoutTag2(i), id: fakeId('b') })),
      /ListImages: images\[\]\.repo_tags \(after RemoveImage of .*busybox-tags:2\): expected not to include ".*busybox-tags:1"/));

  /**
   * A runtime that untags on RemoveImage by tag (as CRI-O does): the lab removes the image, and from then on the
   * proxy answers for it as it was, without the tag removed by (`edit` spoils that answer for ImageStatus by id,
   * `editTag` for ImageStatus by a remaining tag, `editList` for ListImages).
   */
  interface Untag { edit?: (i: Msg) => void; editTag?: (i: Msg) => void; editList?: (i: Msg) => void }
  const untagging = (o: Untag = {}): Fault[] => {
    let removed = false;
    let image: Msg;
    const left = (): Msg => withoutTag2(structuredClone(image));
    return [
      { rpc: 'RemoveImage', mutate: (res: Msg, req: Msg) => { if (refOf(req).endsWith('/busybox-tags:2')) removed = true; return res; } },
      {
        rpc: 'ImageStatus',
        mutate: (res: Msg, req: Msg) => {
          const ref = refOf(req);
          if (!removed) {
            if (res.image?.repo_tags.some((t: string) => t.includes('/busybox-tags:'))) image = res.image;
            return res;
          }
          if (!image || ref.endsWith('/busybox-tags:2') || !(ref === image.id || /\/busybox-tags:[13]$/.test(ref))) return res;
          const i = left();
          if (ref === image.id) o.edit?.(i);
          else o.editTag?.(i);
          return { image: i, info: {} };
        },
      },
      {
        rpc: 'ListImages',
        mutate: (res: Msg) => {
          if (!removed || !image || res.images.some((x: Msg) => x.id === image.id)) return;
          const i = left();
          o.editList?.(i);
          res.images.push(i);
        },
      },
    ];
  };
  it(`${byOneTag} fails on kubelet 1.36 when removal by one tag only untags the image`, () =>
    expectCheckFails(byOneTag, untagging(),
      /ImageStatus: image \(.*busybox-tags:1, after RemoveImage of .*busybox-tags:2\): expected no value, got "sha256:[0-9a-f]{64}" \[rests on api\.proto ImageService\.RemoveImage: "removing the image by a single tag will remove all of its tags/));
  it(`${byOneTag} passes on kubelet 1.35 when removal by one tag only untags the image`, async () => {
    const r = await runOne(byOneTag, untagging(), { kubernetes: '1.35' });
    expect(r.status, r.message).to.equal('passed');
  });
  it(`${byOneTag} fails on kubelet 1.35 when the untagged image keeps the tag removed by`, () =>
    expectCheckFails(byOneTag, untagging({ edit: (i) => i.repo_tags.push(i.repo_tags[0].replace(/:1$/, ':2')) }),
      /ImageStatus: image\.repo_tags \(by id sha256:[0-9a-f]{64}, after RemoveImage of .*busybox-tags:2, which untagged it \(kubelet 1\.35\)\): expected exactly \[.*\] in any order, got/, { kubernetes: '1.35' }));
  it(`${byOneTag} fails on kubelet 1.35 when a remaining tag resolves to another image after untagging`, () =>
    expectCheckFails(byOneTag, untagging({ editTag: (i) => { i.id = fakeId('c'); } }),
      /ImageStatus: image\.id \(.*busybox-tags:1, after RemoveImage of .*busybox-tags:2, which untagged it \(kubelet 1\.35\)\): expected "sha256:[0-9a-f]{64}", got "sha256:c{64}"/, { kubernetes: '1.35' }));
  it(`${byOneTag} fails on kubelet 1.35 when ListImages disagrees with ImageStatus after untagging`, () =>
    expectCheckFails(byOneTag, untagging({ editList: (i) => { i.repo_tags = i.repo_tags.slice(0, 1); } }),
      /ListImages: images\[id=sha256:[0-9a-f]{64}\]\.repo_tags \(after RemoveImage of .*busybox-tags:2, which untagged it \(kubelet 1\.35\)\): expected exactly \[.*\] in any order, got/, { kubernetes: '1.35' }));

  const concurrent = `${REMOVE} not fail concurrent RemoveImage calls by image id, each leaving it gone from kubelet 1.36 [Conformance] [Serial] [Profile]`;
  // The calls by image id error: which of the five concurrent calls is answered first is up to the runtime.
  it(`${concurrent} fails when one of the concurrent calls errors`, () =>
    expectCheckFails(concurrent, [{
      rpc: 'RemoveImage',
      when: (req: Msg) => String(req.image?.image ?? '').startsWith('sha256:'),
      mutate: () => {
        throw new Error('image is being removed');
      },
    }], /RemoveImage: errors of 5 concurrent calls: expected no value, got \[ ('sha256:[0-9a-f]{64}: INTERNAL: fault mutate threw: image is being removed',? ?){5}\] \(removing an image is idempotent\)/));
  it(`${concurrent} fails when removing an already removed image errors`, () => {
    let calls = 0;
    return expectCheckFails(concurrent, [{ rpc: 'RemoveImage', mutate: (res: Msg) => { if (++calls === 6) throw new Error('no such image'); return res; } }],
      /RemoveImage: expected success removing .*alt:2 again \(already removed\), got INTERNAL: fault mutate threw: no such image/);
  });
  /** Keeps answering with the image alt:2 had before it was removed ("removed" in name only). */
  const stale = (rpc: 'ImageStatus' | 'ListImages'): Fault[] => {
    let removed = false;
    let image: Msg;
    return [
      { rpc: 'RemoveImage', mutate: (res: Msg) => { removed = true; return res; } },
      {
        rpc: 'ImageStatus',
        mutate: (res: Msg, req: Msg) => {
          if (!refOf(req).endsWith('/alt:2')) return res;
          if (res.image) image = res.image;
          return rpc === 'ImageStatus' && removed && image ? { image, info: {} } : res;
        },
      },
      {
        rpc: 'ListImages',
        mutate: (res: Msg) => {
          if (rpc === 'ListImages' && removed && image && !res.images.some((i: Msg) => i.id === image.id)) res.images.push(image);
        },
      },
    ];
  };
  it(`${concurrent} fails on kubelet 1.35 when ImageStatus still shows the image once all calls returned`, () =>
    expectCheckFails(concurrent, stale('ImageStatus'),
      /ImageStatus: image \(.*alt:2, after concurrent RemoveImage\): expected no value, got "sha256:[0-9a-f]{64}"/, { kubernetes: '1.35' }));
  /** The first ImageStatus by image id after a RemoveImage returned still answers the image (removal not yet visible). */
  const lagging = (): Fault[] => {
    let removed = false;
    let image: Msg;
    let served = false;
    return [
      { rpc: 'RemoveImage', mutate: (res: Msg) => { removed = true; return res; } },
      {
        rpc: 'ImageStatus',
        mutate: (res: Msg, req: Msg) => {
          if (refOf(req).endsWith('/alt:2') && res.image) image = res.image;
          if (!removed || served || !image || refOf(req) !== image.id) return res;
          served = true;
          return { image, info: {} };
        },
      },
    ];
  };
  it(`${concurrent} fails on kubelet 1.36 when ImageStatus by id shows the image right after a call returned`, () =>
    expectCheckFails(concurrent, lagging(),
      /ImageStatus: image \(by id sha256:[0-9a-f]{64}, right after concurrent RemoveImage #\d returned\): expected no value, got "sha256:[0-9a-f]{64}" \[rests on api\.proto ImageService\.RemoveImage: "The next call to ListImages, ImageStatus, ImageFsInfo will not return this image\."\]/));
  it(`${concurrent} passes on kubelet 1.35 when the removal shows only after the calls returned`, async () => {
    const r = await runOne(concurrent, lagging(), { kubernetes: '1.35' });
    expect(r.status, r.message).to.equal('passed');
  });
  it(`${concurrent} fails when ListImages still lists the image afterwards`, () =>
    expectCheckFails(concurrent, stale('ListImages'),
      /ListImages: images\[\]\.id \(after concurrent RemoveImage\): expected not to include "sha256:[0-9a-f]{64}"/));
  it(`${concurrent} fails when another image is gone from the list too`, () => {
    let removed = false;
    return expectCheckFails(concurrent, [
      { rpc: 'RemoveImage', mutate: (res: Msg) => { removed = true; return res; } },
      { rpc: 'ListImages', mutate: (res: Msg) => { if (removed) res.images = res.images.filter((i: Msg) => !i.repo_tags.some((t: string) => t.endsWith('/busybox:1.0'))); } },
    ], /ListImages: images\[\]\.id \(.*busybox:1\.0, another image, after concurrent RemoveImage of sha256:[0-9a-f]{64}\): expected to include "sha256:[0-9a-f]{64}", got .*\[rests on api\.proto RemoveImageRequest\.image\.image/);
  });

  // ---- Image identity ----
  const identity = `${S}Image identity runtime should report one image id from PullImage, ImageStatus, ListImages, ListContainers and ContainerStatus [Conformance]`;
  it(`${identity} fails when ContainerStatus names another image`, () =>
    expectCheckFails(identity, [{ rpc: 'ContainerStatus', mutate: (res: Msg) => { res.status.image_ref = fakeId('f'); } }],
      /ContainerStatus: status\.image_ref: expected one of "sha256:[0-9a-f]{64}", ".*busybox@sha256:[0-9a-f]{64}", got "sha256:f{64}"/));
  it(`${identity} fails when ContainerStatus has no image spec`, () =>
    expectCheckFails(identity, [{ rpc: 'ContainerStatus', mutate: (res: Msg) => { res.status.image = null; } }],
      /ContainerStatus: status\.image\.image: expected a non-empty value, got undefined/));
  it(`${identity} fails when ContainerStatus answers another user_specified_image than CreateContainer sent`, () =>
    expectCheckFails(identity, [{ rpc: 'ContainerStatus', mutate: (res: Msg) => { res.status.image = { ...res.status.image, user_specified_image: 'example.com/other:1' }; } }],
      /ContainerStatus: status\.image\.user_specified_image: expected one of "", ".*busybox:1\.0", got "example\.com\/other:1"/));
  it(`${identity} fails when ListContainers answers another user_specified_image than CreateContainer sent`, () =>
    expectCheckFails(identity, [{ rpc: 'ListContainers', mutate: (res: Msg) => { for (const c of res.containers) c.image = { ...c.image, user_specified_image: 'example.com/other:1' }; } }],
      /ListContainers: containers\[id=[0-9a-f]+\]\.image\.user_specified_image: expected one of "", ".*busybox:1\.0", got "example\.com\/other:1"/));
  it(`${identity} fails when ListImages reports another id`, () =>
    expectCheckFails(identity, [{ rpc: 'ListImages', mutate: (res: Msg) => { for (const i of res.images) if (i.repo_tags.some((t: string) => t.endsWith('/busybox:1.0'))) i.id = fakeId('4'); } }],
      /ListImages: images\[tag=.*busybox:1\.0\]\.id: expected "sha256:[0-9a-f]{64}", got "sha256:4{64}" \(the id ImageStatus reports\)/));
  it(`${identity} fails when ListContainers reports another image`, () =>
    expectCheckFails(identity, [{ rpc: 'ListContainers', mutate: (res: Msg) => { for (const c of res.containers) c.image_ref = fakeId('5'); } }],
      /ImageStatus: image\.id \(by ListContainers image_ref "sha256:5{64}"\): expected "sha256:[0-9a-f]{64}", got undefined/));
  it(`${identity} fails when PullImage reports another image`, () =>
    expectCheckFails(identity, [{ rpc: 'PullImage', mutate: (res: Msg) => { res.image_ref = fakeId('6'); } }],
      /ImageStatus: image\.id \(by PullImage image_ref "sha256:6{64}"\): expected "sha256:[0-9a-f]{64}", got undefined/));
  it(`${identity} fails when PullImage returns no image_ref`, () =>
    expectCheckFails(identity, [{ rpc: 'PullImage', mutate: (res: Msg) => { res.image_ref = ''; } }],
      /PullImage: image_ref: expected a non-empty value, got ""/));
  it(`${identity} fails when ListContainers has no image_ref`, () =>
    expectCheckFails(identity, [{ rpc: 'ListContainers', mutate: (res: Msg) => { for (const c of res.containers) c.image_ref = ''; } }],
      /ListContainers: containers\[id=\w+\]\.image_ref: expected a non-empty value, got ""/));

  const imageIds = `${S}Image identity runtime should report the image id as PullImage image_ref, ContainerStatus.image_id and Container.image_id [Conformance] [Profile]`;
  /** A runtime that sets image_id (containerd does not): the id PullImage returned, in ContainerStatus and ListContainers. */
  const withImageIds = (o: { status?: string; list?: boolean } = {}): Fault[] => {
    let id = '';
    return [
      { rpc: 'PullImage', mutate: (res: Msg) => { id = res.image_ref; } },
      { rpc: 'ContainerStatus', mutate: (res: Msg) => { res.status.image_id = o.status ?? id; } },
      ...(o.list === false ? [] : [{ rpc: 'ListContainers', mutate: (res: Msg) => { for (const c of res.containers) c.image_id = id; } } as Fault]),
    ];
  };
  it(`${imageIds} passes against a runtime that sets image_id`, async () => {
    const r = await runOne(imageIds, withImageIds());
    expect(r.status, r.message).to.equal('passed');
  });
  it(`${imageIds} fails on kubelet 1.36 when ContainerStatus.image_id is empty`, () =>
    expectCheckFails(imageIds, withImageIds({ status: '' }),
      /ContainerStatus: status\.image_id: expected "sha256:[0-9a-f]{64}", got "" \(ImageStatus image\.id\) \[rests on api\.proto ContainerStatus\.image_id/));
  it(`${imageIds} fails when ContainerStatus.image_id names another image`, () =>
    expectCheckFails(imageIds, withImageIds({ status: fakeId('c') }),
      /ContainerStatus: status\.image_id: expected "sha256:[0-9a-f]{64}", got "sha256:c{64}"/, { kubernetes: '1.35' }));
  it(`${imageIds} fails on kubelet 1.36 when Container.image_id is empty`, () =>
    expectCheckFails(imageIds, withImageIds({ list: false }),
      /ListContainers: containers\[id=\w+\]\.image_id: expected "sha256:[0-9a-f]{64}", got ""/));
  it(`${imageIds} fails on kubelet 1.36 when PullImage image_ref is not the image id`, () =>
    expectCheckFails(imageIds, [{ rpc: 'PullImage', mutate: (res: Msg) => { res.image_ref = fakeId('6'); } }],
      /PullImage: image_ref \(cri-api v0\.36: the image id\): expected "sha256:[0-9a-f]{64}", got "sha256:6{64}" \(ImageStatus image\.id\)/));
  it(`${imageIds} skips, naming why, on kubelet 1.35 when image_id is empty`, async () => {
    const r = await runOne(imageIds, [], { kubernetes: '1.35' });
    expect(r.status).to.equal('skipped');
    expect(r.message).to.match(/ContainerStatus status\.image_id and ListContainers containers\[id=\w+\]\.image_id empty: before cri-api v0\.36/);
  });
  it(`${imageIds} skips on kubelet 1.30, which predates image_id`, async () => {
    const r = await runOne(imageIds, [], { kubernetes: '1.30' });
    expect(r.status).to.equal('skipped');
    expect(r.message).to.match(/entered the CRI in Kubernetes 1\.31/);
  });

  // ---- One image from two registries ----
  const twoRemove = `${REMOVE} remove an image pulled from two registries by one registry's tag, with the other registry's tag from kubelet 1.36 [Conformance] [Serial] [Profile]`;
  const twoId = `${S}Image identity runtime should return one image id for one image pulled from two registries, in PullImage, ImageStatus and ContainerStatus [Conformance] [Serial] [Profile]`;
  const mirrors = async () => {
    const images = (await labUpstream()).images;
    return { pub: images['mirror']!, auth: images['mirror-auth']!, digest: images['mirror@digest']!.split('@')[1]! };
  };
  const isPub = (pub: string) => (req: Msg) => refOf(req) === pub;
  const isAuth = (auth: string) => (req: Msg) => refOf(req) === auth;
  it(`${twoRemove} fails when the second registry's name is another image`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoRemove, [{ rpc: 'ImageStatus', when: isAuth(m.auth), mutate: (res: Msg) => { if (res.image) res.image.id = fakeId('7'); } }],
      /ImageStatus: image\.id \(.*mirror:1\.0, the manifest of .*mirror:1\.0 from another registry\): expected "sha256:[0-9a-f]{64}", got "sha256:7{64}"/);
  });
  it(`${twoRemove} fails when the image lacks the other registry's tag`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoRemove, [{ rpc: 'ImageStatus', when: isPub(m.pub), mutate: (res: Msg) => { if (res.image) res.image.repo_tags = [m.pub]; } }],
      /ImageStatus: image\.repo_tags \(.*mirror:1\.0, also pulled from another registry as .*mirror:1\.0\): expected exactly \[.*\] in any order, got \[ '.*mirror:1\.0' \]/);
  });
  it(`${twoRemove} fails when a PullImage image_ref names another image`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoRemove, [{ rpc: 'PullImage', when: isAuth(m.auth), mutate: (res: Msg) => { res.image_ref = fakeId('8'); } }],
      /ImageStatus: image\.id \(by PullImage image_ref of .*mirror:1\.0 "sha256:8{64}"\): expected "sha256:[0-9a-f]{64}", got undefined/);
  });
  it(`${twoRemove} fails when a PullImage image_ref is empty`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoRemove, [{ rpc: 'PullImage', when: isAuth(m.auth), mutate: (res: Msg) => { res.image_ref = ''; } }],
      /PullImage: image_ref \(.*mirror:1\.0\): expected a non-empty value, got ""/);
  });
  it(`${twoRemove} fails when ListImages lacks a registry's tag after the pulls`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoRemove, [{ rpc: 'ListImages', mutate: (res: Msg) => { for (const i of res.images) i.repo_tags = i.repo_tags.filter((t: string) => t !== m.auth); } }],
      /ListImages: images\[id=sha256:[0-9a-f]{64}\]\.repo_tags \(after PullImage from both registries\): expected exactly \[.*\] in any order, got/);
  });
  it(`${twoRemove} fails when RemoveImage by one registry's tag leaves the image`, async () => {
    const m = await mirrors();
    const first = nth(1, (req) => { req.image.image = `${m.pub}-not-there`; });
    return expectCheckFails(twoRemove, [{ rpc: 'RemoveImage', mutateRequest: (req: Msg) => { first(req); } }],
      /ImageStatus: image \(.*mirror:1\.0, after RemoveImage of .*mirror:1\.0\): expected no value, got "sha256:[0-9a-f]{64}"/);
  });
  /** After the first RemoveImage, ImageStatus by `ref` (or ListImages, through `edit`) keeps answering the image as it was. */
  const lingering = (which: 'id' | 'list', edit: (i: Msg) => Msg = (i) => i): Fault[] => {
    let removed = false;
    let image: Msg;
    return [
      { rpc: 'RemoveImage', mutate: (res: Msg) => { removed = true; return res; } },
      {
        rpc: 'ImageStatus',
        mutate: (res: Msg, req: Msg) => {
          const ref = refOf(req);
          if (!removed) {
            if (res.image?.repo_tags.some((t: string) => t.includes('/cri-conformance/mirror:'))) image = res.image;
            return res;
          }
          return which === 'id' && image && ref === image.id ? { image, info: {} } : res;
        },
      },
      { rpc: 'ListImages', mutate: (res: Msg) => { if (which === 'list' && removed && image && !res.images.some((i: Msg) => i.id === image.id)) res.images.push(edit(structuredClone(image))); } },
    ];
  };
  it(`${twoRemove} fails on kubelet 1.36 when the other registry's tag still resolves`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoRemove, [
      { rpc: 'ImageStatus', when: isAuth(m.auth), after: 2, mutate: (res: Msg) => (res.image ? res : { image: { id: fakeId('9'), repo_tags: [m.auth], repo_digests: [], size: '1', uid: null, username: '' }, info: {} }) },
    ], /ImageStatus: image \(.*mirror:1\.0, after RemoveImage of .*mirror:1\.0\): expected no value, got "sha256:9{64}" \[rests on api\.proto ImageService\.RemoveImage: "removing the image by a single tag will remove all of its tags/);
  });
  it(`${twoRemove} fails on kubelet 1.36 when the image id still resolves`, () =>
    expectCheckFails(twoRemove, lingering('id'),
      /ImageStatus: image \(sha256:[0-9a-f]{64}, after RemoveImage of .*mirror:1\.0\): expected no value, got "sha256:[0-9a-f]{64}"/));
  it(`${twoRemove} fails when ListImages still lists the tag removed by`, () =>
    expectCheckFails(twoRemove, lingering('list'),
      /ListImages: images\[\]\.repo_tags \(after RemoveImage of .*mirror:1\.0\): expected not to include ".*mirror:1\.0"/));
  it(`${twoRemove} fails when ListImages still lists the image under the other registry's tag`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoRemove, lingering('list', (i) => ({ ...i, repo_tags: [m.auth] })),
      /ListImages: images\[\]\.id \(after RemoveImage of .*mirror:1\.0\): expected not to include "sha256:[0-9a-f]{64}"/);
  });
  it(`${twoRemove} fails when ListImages still lists the other registry's tag under another id`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoRemove, lingering('list', (i) => ({ ...i, id: fakeId('a'), repo_tags: [m.auth] })),
      /ListImages: images\[\]\.repo_tags \(after RemoveImage of .*mirror:1\.0\): expected not to include ".*mirror:1\.0".*removing the image by a single tag/);
  });
  /** A runtime that only untags (CRI-O before 1.36): the lab removes the image; the proxy answers it with the other registry's tag. */
  const untagsMirror = (o: { edit?: (i: Msg) => void; editTag?: (i: Msg) => void; editList?: (i: Msg) => void } = {}, pub = ''): Fault[] => {
    let removed = false;
    let image: Msg;
    const left = (): Msg => ({ ...structuredClone(image), repo_tags: image.repo_tags.filter((t: string) => t !== pub) });
    return [
      { rpc: 'RemoveImage', mutate: (res: Msg) => { removed = true; return res; } },
      {
        rpc: 'ImageStatus',
        mutate: (res: Msg, req: Msg) => {
          const ref = refOf(req);
          if (!removed) {
            if (res.image?.repo_tags.includes(pub)) image = res.image;
            return res;
          }
          if (!image || ref === pub || !(ref === image.id || image.repo_tags.includes(ref))) return res;
          const i = left();
          if (ref === image.id) o.edit?.(i);
          else o.editTag?.(i);
          return { image: i, info: {} };
        },
      },
      { rpc: 'ListImages', mutate: (res: Msg) => { if (removed && image && !res.images.some((x: Msg) => x.id === image.id)) { const i = left(); o.editList?.(i); res.images.push(i); } } },
    ];
  };
  it(`${twoRemove} passes on kubelet 1.35 when removal by one registry's tag only untags`, async () => {
    const m = await mirrors();
    const r = await runOne(twoRemove, untagsMirror({}, m.pub), { kubernetes: '1.35' });
    expect(r.status, r.message).to.equal('passed');
  });
  it(`${twoRemove} fails on kubelet 1.35 when the untagged image keeps the tag removed by`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoRemove, untagsMirror({ edit: (i) => i.repo_tags.push(m.pub) }, m.pub),
      /ImageStatus: image\.repo_tags \(by id sha256:[0-9a-f]{64}, after RemoveImage of .*mirror:1\.0, which untagged it \(kubelet 1\.35\)\): expected exactly \[.*\] in any order, got/, { kubernetes: '1.35' });
  });
  it(`${twoRemove} fails on kubelet 1.35 when the other registry's tag resolves to another image after untagging`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoRemove, untagsMirror({ editTag: (i) => { i.id = fakeId('c'); } }, m.pub),
      /ImageStatus: image\.id \(.*mirror:1\.0, after RemoveImage of .*mirror:1\.0, which untagged it \(kubelet 1\.35\)\): expected "sha256:[0-9a-f]{64}", got "sha256:c{64}"/, { kubernetes: '1.35' });
  });
  it(`${twoRemove} fails on kubelet 1.35 when ListImages disagrees with ImageStatus after untagging`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoRemove, untagsMirror({ editList: (i) => { i.repo_tags = []; } }, m.pub),
      /ListImages: images\[id=sha256:[0-9a-f]{64}\]\.repo_tags \(after RemoveImage of .*mirror:1\.0, which untagged it \(kubelet 1\.35\)\): expected exactly \[.*\] in any order, got \[\]/, { kubernetes: '1.35' });
  });

  it(`${twoId} fails when image_ref is a digest, not the image id`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoId, [{ rpc: 'PullImage', when: isPub(m.pub), mutate: (res: Msg) => { res.image_ref = `${m.pub.replace(/:1\.0$/, '')}@${m.digest}`; } }],
      /PullImage: image_ref \(.*mirror:1\.0\): expected "sha256:[0-9a-f]{64}", got ".*mirror@sha256:[0-9a-f]{64}" \(ImageStatus image\.id\)/);
  });
  it(`${twoId} fails when the second registry's pull returns another image_ref`, async () => {
    const m = await mirrors();
    return expectCheckFails(twoId, [{ rpc: 'PullImage', when: isAuth(m.auth), mutate: (res: Msg) => { res.image_ref = `${m.auth.replace(/:1\.0$/, '')}@${m.digest}`; } }],
      /PullImage: image_ref \(.*mirror:1\.0\): expected "sha256:[0-9a-f]{64}", got ".*mirror@sha256:[0-9a-f]{64}" \(PullImage image_ref of .*mirror:1\.0\)/);
  });
  it(`${twoId} fails when ContainerStatus names another image`, () =>
    expectCheckFails(twoId, [{ rpc: 'ContainerStatus', mutate: (res: Msg) => { res.status.image_ref = fakeId('f'); } }],
      /ImageStatus: image\.id \(by ContainerStatus status\.image_ref "sha256:f{64}"\): expected "sha256:[0-9a-f]{64}", got undefined/));
  it(`${twoId} fails when ContainerStatus.image_id names another image`, () =>
    expectCheckFails(twoId, [{ rpc: 'ContainerStatus', mutate: (res: Msg) => { res.status.image_id = fakeId('d'); } }],
      /ContainerStatus: status\.image_id \(container of .*mirror:1\.0\): expected "sha256:[0-9a-f]{64}", got "sha256:d{64}"/));
  it(`${twoId} fails when Container.image_id names another image`, () =>
    expectCheckFails(twoId, [{ rpc: 'ListContainers', mutate: (res: Msg) => { for (const c of res.containers) c.image_id = fakeId('e'); } }],
      /ListContainers: containers\[id=\w+\]\.image_id \(container of .*mirror:1\.0\): expected "sha256:[0-9a-f]{64}", got "sha256:e{64}"/));
  it(`${twoId} skips on kubelet 1.35, naming the v0.36 MUST`, async () => {
    const r = await runOne(twoId, [], { kubernetes: '1.35' });
    expect(r.status).to.equal('skipped');
    expect(r.message).to.match(/one image_ref for one image whatever its registry is a cri-api v0\.36 MUST/);
  });

  // ---- ImageFsInfo ----
  const fs = `${S}ImageFsInfo runtime should report image filesystem usage with mountpoint, used bytes, inodes and a timestamp [Conformance]`;
  it(`${fs} fails without image filesystems`, () =>
    expectCheckFails(fs, [{ rpc: 'ImageFsInfo', mutate: (res: Msg) => { res.image_filesystems = []; } }],
      /ImageFsInfo: image_filesystems: expected a non-empty value, got \[\]/));
  it(`${fs} fails without a mountpoint`, () =>
    expectCheckFails(fs, [{ rpc: 'ImageFsInfo', mutate: (res: Msg) => { res.image_filesystems[0].fs_id = null; } }],
      /ImageFsInfo: image_filesystems\[0\]\.fs_id\.mountpoint: expected a value matching \/\^\\\/\/, got undefined/));
  it(`${fs} fails without used_bytes`, () =>
    expectCheckFails(fs, [{ rpc: 'ImageFsInfo', mutate: (res: Msg) => { res.image_filesystems[0].used_bytes = null; } }],
      /ImageFsInfo: image_filesystems\[0\]\.used_bytes: expected a non-empty value, got null/));
  it(`${fs} fails without inodes_used`, () =>
    expectCheckFails(fs, [{ rpc: 'ImageFsInfo', mutate: (res: Msg) => { res.image_filesystems[0].inodes_used = null; } }],
      /ImageFsInfo: image_filesystems\[0\]\.inodes_used: expected a non-empty value, got null/));
  it(`${fs} fails on a timestamp in seconds`, () =>
    expectCheckFails(fs, [{ rpc: 'ImageFsInfo', mutate: (res: Msg) => { res.image_filesystems[0].timestamp = String(Math.floor(Date.now() / 1000)); } }],
      /ImageFsInfo: image_filesystems\[0\]\.timestamp \(ns since the epoch\): expected between \d+ and \d+, got "\d{10}"/));
  it(`${fs} fails on zero used bytes while images are present, after polling for the usage period`, () =>
    expectCheckFails(fs, [{ rpc: 'ImageFsInfo', mutate: (res: Msg) => { res.image_filesystems[0].used_bytes = { value: '0' }; } }],
      /ImageFsInfo: image_filesystems\[0\]\.used_bytes\.value \(images are present\): expected > 0, got "0" \(polled \d+\.\d s, 3 periods: image filesystem usage/));
  it(`${fs} passes when used bytes show only after a few answers (usage computed on a timer)`, async () => {
    let calls = 0;
    const r = await runOne(fs, [{ rpc: 'ImageFsInfo', mutate: (res: Msg) => { if (++calls <= 4) res.image_filesystems[0].used_bytes = { value: '0' }; } }]);
    expect(r.status, r.message).to.equal('passed');
    expect(calls, 'ImageFsInfo calls').to.be.greaterThan(4);
  });
  it(`${fs} fails when image filesystems vanish while polling for usage`, () => {
    let calls = 0;
    return expectCheckFails(fs, [{
      rpc: 'ImageFsInfo',
      mutate: (res: Msg) => {
        // The first answer goes to version negotiation (runConformance probes ImageFsInfo), the second to the test's first read.
        if (++calls <= 2) res.image_filesystems[0].used_bytes = { value: '0' };
        else res.image_filesystems = [];
      },
    }], /ImageFsInfo: image_filesystems: expected a non-empty value, got \[\] \(polled \d+\.\d s/);
  });
  it(`${fs} fails on a malformed container filesystem`, () =>
    expectCheckFails(fs, [{ rpc: 'ImageFsInfo', version: 'v1', mutate: (res: Msg) => { res.container_filesystems = [{ ...res.image_filesystems[0], fs_id: { mountpoint: 'relative/path' } }]; } }],
      /ImageFsInfo: container_filesystems\[0\]\.fs_id\.mountpoint: expected a value matching .*, got "relative\/path"/));
});
