// PullImage and RemoveImage latency, as critest's benchmark mode measures them (pull, remove, again), over
// several images: each is pulled and removed `rounds` times, one call at a time, after the pod levels (so
// no pod timing shares the node with a pull). An image already on the node is removed first and pulled
// back afterwards under every tag it had (RemoveImage removes an image under all its tags), so the node
// ends as it began. Layers an image shares with images still on the node are not fetched again: a pull
// here is the manifest, config and the layers of its own.
import type { Cri } from '../cri/client.js';
import { percentiles, type Percentiles } from './stats.js';

export interface ImageLatency {
  rounds: number;
  /** Every timed PullImage / RemoveImage, all images together, ms. */
  pull: Percentiles;
  remove: Percentiles;
  perImage: { ref: string; pull: Percentiles; remove: Percentiles }[];
  /** Images not measured, and why (a pull that failed, an image the bench pods use). */
  skipped: { ref: string; reason: string }[];
}

const digestOf = (ref: string | undefined) => (ref && ref.includes('@') ? ref.slice(ref.lastIndexOf('@') + 1) : undefined);

/**
 * The images to time, from a run's image table (logical name → ref, with `<name>@digest` → the same image by
 * digest, as the lab's images.resolved.json has it): one ref per distinct image, leaving out `pause` (the
 * sandbox image) and every image that is one of `protect` (the bench pods' image) under another name.
 */
export function pullImageSet(images: Record<string, string>, protect: string[]): string[] {
  const names = Object.keys(images).filter((n) => !n.endsWith('@digest'));
  const idOf = (n: string) => digestOf(images[`${n}@digest`]) ?? digestOf(images[n]) ?? images[n]!;
  const taken = new Set<string>();
  for (const n of names) if (n === 'pause' || protect.includes(images[n]!)) taken.add(idOf(n));
  for (const r of protect) taken.add(digestOf(r) ?? r);
  const out: string[] = [];
  for (const n of names) {
    const id = idOf(n);
    if (taken.has(id)) continue;
    taken.add(id);
    out.push(images[n]!);
  }
  return out;
}

export interface ImageRoundsInput {
  cri: Cri;
  refs: string[];
  rounds: number;
  /** Image ids (ImageStatus) never to remove: the bench pods' image. */
  protectIds: Set<string>;
  /** Credentials for a ref (a lab's auth registry), else anonymous. */
  auth?: (ref: string) => { username: string; password: string } | undefined;
  signal: AbortSignal;
  log: (line: string) => void;
}

export async function imageRounds(o: ImageRoundsInput): Promise<ImageLatency> {
  const { cri } = o;
  const pulls: number[] = [];
  const removes: number[] = [];
  const result: ImageLatency = { rounds: o.rounds, pull: percentiles([]), remove: percentiles([]), perImage: [], skipped: [] };
  for (const ref of o.refs) {
    if (o.signal.aborted) break;
    const auth = o.auth?.(ref);
    const pull = (image: string) => cri.image.call('PullImage', { image: { image }, ...(auth ? { auth } : {}) });
    const before = (await cri.image.call('ImageStatus', { image: { image: ref } })).image;
    if (before && o.protectIds.has(before.id)) {
      result.skipped.push({ ref, reason: 'the bench pods run this image' });
      continue;
    }
    const restore = before ? (before.repo_tags.length ? before.repo_tags : [ref]) : [];
    const p: number[] = [];
    const r: number[] = [];
    let failed = false;
    try {
      if (before) await cri.image.call('RemoveImage', { image: { image: ref } });
      for (let i = 0; i < o.rounds && !o.signal.aborted; i++) {
        let t0 = performance.now();
        await pull(ref);
        p.push(performance.now() - t0);
        t0 = performance.now();
        await cri.image.call('RemoveImage', { image: { image: ref } });
        r.push(performance.now() - t0);
      }
    } catch (e) {
      failed = true;
      result.skipped.push({ ref, reason: `round ${p.length + 1}: ${(e as Error).message}` });
    } finally {
      for (const tag of restore) await pull(tag).catch((e: Error) => o.log(`could not pull ${tag} back: ${e.message}`));
    }
    if (failed || !p.length) continue;
    pulls.push(...p);
    removes.push(...r);
    result.perImage.push({ ref, pull: percentiles(p), remove: percentiles(r) });
  }
  result.pull = percentiles(pulls);
  result.remove = percentiles(removes);
  return result;
}
