import { failWith } from './expect.js';
/** ImageStatus of `ref`: the whole answer (image is null when the runtime does not have it). */
export async function imageStatus(t, ref, verbose = false) {
    return t.cri.image.call('ImageStatus', { image: { image: ref }, verbose });
}
/** Every image the runtime lists. */
export async function listImages(t) {
    const res = await t.cri.image.call('ListImages', {});
    return res.images ?? [];
}
/** `host/repo:tag` or `host/repo@sha256:...` -> `host/repo` (a port's colon is not a tag). */
export function repoOf(ref) {
    const at = ref.indexOf('@');
    if (at >= 0)
        return ref.slice(0, at);
    const slash = ref.lastIndexOf('/');
    const colon = ref.lastIndexOf(':');
    return colon > slash ? ref.slice(0, colon) : ref;
}
/**
 * A reference the way runtimes report it in repo_tags / repo_digests (docker normalisation):
 * `busybox` -> `docker.io/library/busybox:latest`, `host:5000/x` -> `host:5000/x:latest`.
 */
export function normalizeRef(ref) {
    const first = ref.split('/')[0];
    const hasHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
    let full = hasHost ? ref : `docker.io/${ref.includes('/') ? ref : `library/${ref}`}`;
    if (!full.includes('@') && repoOf(full) === full)
        full += ':latest';
    return full;
}
/**
 * The digest reference of a logical test image: the manifest's `<name>@digest` (lab) or `<name>-digest`
 * entry when there is one, else the repo digest the runtime reports for `ref` (which must be pulled),
 * choosing the one in the same repository.
 */
export async function digestRef(t, name) {
    const images = t.run.images;
    const listed = images[`${name}@digest`] ?? images[`${name}-digest`];
    if (listed)
        return listed;
    const ref = t.image(name);
    const st = await imageStatus(t, ref);
    const digests = st.image?.repo_digests ?? [];
    const same = digests.find((d) => repoOf(d) === repoOf(ref)) ?? digests[0];
    if (!same)
        failWith(`ImageStatus: image.repo_digests: expected a repo digest of ${ref} (to pull it by digest), got ${JSON.stringify(digests)}`);
    return same;
}
//# sourceMappingURL=images.js.map