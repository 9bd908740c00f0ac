// The fixture images as ONE OCI image layout (blobs shared): what `run` serves from its own registry, what
// `images export` copies and `images push` uploads. Each index entry carries the image's repository path
// (org.opencontainers.image.ref.name = "cri-conformance/busybox:1.0") and its logical name.
//
// Where it comes from: `npm pack` builds it into dist/images/oci (shipped in the package, `files`); a git
// checkout builds it on first use with the lab's recipe builder (umoci, gcc, busybox-static: Debian packages),
// and fixtures/images/digests.json pins every manifest digest so a test sees the build reproduce exactly.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../version.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const LOGICAL_NAME = 'io.cri-conformance.image.name';
export const AUTH_ANNOTATION = 'io.cri-conformance.image.registry';
export const SHIPPED_LAYOUT = path.join(REPO_ROOT, 'dist', 'images', 'oci');
export const DIGESTS_FILE = path.join(REPO_ROOT, 'fixtures', 'images', 'digests.json');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export interface LayoutImage {
  /** Logical name (fixtures/images.json), e.g. busybox-tag2. */
  name: string;
  /** Repository path without host, e.g. cri-conformance/busybox-tags. */
  repository: string;
  tag: string;
  registry: 'public' | 'auth';
  manifest: Descriptor;
  /** Digests of the manifest's config and layers. */
  blobs: string[];
  architecture: string;
}

export interface FixtureLayout {
  dir: string;
  images: LayoutImage[];
  blobPath(digest: string): string;
}

export function blobPathIn(dir: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  if (alg !== 'sha256' || !/^[0-9a-f]{64}$/.test(hex ?? '')) throw new Error(`not a sha256 digest: ${digest}`);
  return path.join(dir, 'blobs', 'sha256', hex!);
}

/** Reads a layout written by buildFixtureLayout (or any layout whose entries carry our annotations). */
export function readFixtureLayout(dir: string): FixtureLayout {
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const images: LayoutImage[] = [];
  for (const d of index.manifests) {
    const ref = d.annotations?.[REF_NAME];
    const name = d.annotations?.[LOGICAL_NAME];
    if (!ref || !name) continue;
    const colon = ref.lastIndexOf(':');
    const m = JSON.parse(readFileSync(blobPathIn(dir, d.digest), 'utf8')) as { config: Descriptor; layers: Descriptor[] };
    const config = JSON.parse(readFileSync(blobPathIn(dir, m.config.digest), 'utf8')) as { architecture?: string };
    images.push({
      name,
      repository: ref.slice(0, colon),
      tag: ref.slice(colon + 1),
      registry: d.annotations?.[AUTH_ANNOTATION] === 'auth' ? 'auth' : 'public',
      manifest: d,
      blobs: [m.config.digest, ...m.layers.map((l) => l.digest)],
      architecture: config.architecture ?? 'unknown',
    });
  }
  return { dir, images, blobPath: (digest) => blobPathIn(dir, digest) };
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(`sha256:${h.digest('hex')}`))
      .on('error', reject);
  });
}

/** Every blob of the layout hashes to its name; returns the problems (empty: sound). */
export async function verifyLayout(l: FixtureLayout): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const img of l.images) {
    for (const d of [img.manifest.digest, ...img.blobs]) {
      if (seen.has(d)) continue;
      seen.add(d);
      const file = l.blobPath(d);
      if (!existsSync(file)) problems.push(`${img.name}: blob ${d} missing`);
      else if ((await sha256File(file)) !== d) problems.push(`${img.name}: blob ${d} does not hash to its name`);
    }
  }
  return problems;
}

/** The committed manifest digests, per architecture: { amd64: { busybox: "sha256:…", … } }. */
export function pinnedDigests(): Record<string, Record<string, string>> {
  return (JSON.parse(readFileSync(DIGESTS_FILE, 'utf8')) as { digests: Record<string, Record<string, string>> }).digests;
}

/** Node's arch name as OCI says it. */
export function ociArch(arch = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
}

/** Builds the fixture layout into `out` with the lab's recipe builder (needs umoci, gcc, busybox-static). */
export async function buildFixtureLayout(out: string, log: (l: string) => void = () => undefined): Promise<FixtureLayout> {
  const { buildRecipe, fixturesDir, loadImagesManifest, loadRecipes } = await import('../lab/images.js');
  const fixtures = fixturesDir();
  const manifest = loadImagesManifest(fixtures);
  const recipes = loadRecipes(fixtures);
  const cache = path.join(process.env['CRI_CONFORMANCE_CACHE'] ?? path.join(os.homedir(), '.cache', 'cri-conformance'), 'images');
  const work = `${out}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.join(work, 'blobs', 'sha256'), { recursive: true });
  const index: Descriptor[] = [];
  const built = new Map<string, Awaited<ReturnType<typeof buildRecipe>>>();
  for (const [name, e] of Object.entries(manifest.images)) {
    let b = built.get(e.recipe);
    if (!b) {
      b = await buildRecipe(e.recipe, { fixtures, recipes, cacheDir: cache, tmpDir: path.join(cache, 'tmp'), log });
      built.set(e.recipe, b);
    }
    const src = readFixtureLayoutRaw(b.layout);
    const d = src.find((x) => x.digest === b!.manifestDigest)!;
    const m = JSON.parse(readFileSync(blobPathIn(b.layout, d.digest), 'utf8')) as { config: Descriptor; layers: Descriptor[] };
    for (const digest of [d.digest, m.config.digest, ...m.layers.map((x) => x.digest)]) {
      const to = blobPathIn(work, digest);
      if (!existsSync(to)) copyFileSync(blobPathIn(b.layout, digest), to);
    }
    index.push({ mediaType: d.mediaType, digest: d.digest, size: d.size, annotations: { [REF_NAME]: e.repo, [LOGICAL_NAME]: name, [AUTH_ANNOTATION]: e.registry } });
  }
  writeFileSync(path.join(work, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(path.join(work, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: index }, null, 1) + '\n');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.dirname(out), { recursive: true });
  renameSync(work, out);
  return readFixtureLayout(out);
}

function sameNames(l: FixtureLayout): boolean {
  const want = Object.keys((JSON.parse(readFileSync(path.join(REPO_ROOT, 'fixtures', 'images.json'), 'utf8')) as { images: Record<string, unknown> }).images).sort();
  const have = l.images.map((i) => i.name).sort();
  return want.length === have.length && want.every((n, i) => n === have[i]);
}

function readFixtureLayoutRaw(dir: string): Descriptor[] {
  return (JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] }).manifests;
}

/** The shipped layout, or (in a git checkout) one built now; undefined with the reason when neither can be had. */
export async function fixtureLayout(log: (l: string) => void = () => undefined): Promise<{ layout?: FixtureLayout; reason?: string }> {
  const arch = ociArch();
  let shipped: string | undefined;
  let stale = false;
  if (existsSync(path.join(SHIPPED_LAYOUT, 'index.json'))) {
    const l = readFixtureLayout(SHIPPED_LAYOUT);
    // A checkout whose fixtures gained an image since the layout was built rebuilds it.
    stale = !sameNames(l);
    if (!stale && l.images.every((i) => i.architecture === arch)) return { layout: l };
    if (!stale) shipped = l.images[0]?.architecture;
  }
  // The images hold native binaries (static busybox, pause): another architecture's cannot run here.
  const out = shipped ? path.join(os.homedir(), '.cache', 'cri-conformance', `oci-${arch}`) : SHIPPED_LAYOUT;
  if (shipped && existsSync(path.join(out, 'index.json'))) return { layout: readFixtureLayout(out) };
  log(`building the ${arch} fixture images into ${out} (${shipped ? `the shipped ones are ${shipped}` : stale ? 'fixtures/images.json changed since the last build' : 'first use in this checkout'})`);
  try {
    return { layout: await buildFixtureLayout(out, log) };
  } catch (e) {
    const why = shipped ? `the shipped fixture images are ${shipped}, this node is ${arch}` : 'the fixture images are not shipped here';
    return { reason: `${why}, and they could not be built (${(e as Error).message.split('\n')[0]})` };
  }
}
