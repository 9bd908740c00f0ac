// Test images from recipes (fixtures/images/recipes.json): reproducible OCI layouts built with
// umoci from layer tars the lab writes itself, cached by recipe hash, pushed with skopeo into the
// lab's loopback registries, and resolved to full references with digests.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { LabError } from './errors.js';
import { run } from './exec.js';
import { buildTar, withParents, type TarEntry } from './tar.js';
import { httpRequest } from '../http.js';

/** Bump when the way layouts are built changes: invalidates every cached layout. */
export const BUILDER_VERSION = 'cri-conformance-lab-images/1';
export const EPOCH = '1970-01-01T00:00:00Z';

export interface ImageConfigSpec {
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  exposedPorts?: string[];
  volumes?: string[];
  labels?: Record<string, string>;
  stopSignal?: string;
}

export interface FileSpec {
  path: string;
  /** Asset path relative to fixtures/images/. */
  src?: string;
  content?: string;
  /** Octal string, e.g. "0644". */
  mode?: string;
  uid?: number;
  gid?: number;
}

/** `c`: one C file (relative to fixtures/images/) built like pause.c and installed at `path` with `mode` (e.g. "4755" for setuid). */
export type CProgramSpec = { kind: 'c'; src: string; path: string; mode?: string };

export type LayerSpec = { kind: 'busybox' } | { kind: 'pause' } | { kind: 'files'; files?: FileSpec[]; dirs?: FileSpec[] } | CProgramSpec;

export interface Recipe {
  description: string;
  from?: string;
  layers?: LayerSpec[];
  config?: ImageConfigSpec;
}

export interface ImageEntry {
  repo: string;
  recipe: string;
  registry: 'public' | 'auth';
  notes?: string;
}

export interface ImagesManifest {
  images: Record<string, ImageEntry>;
}

export function fixturesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'fixtures', 'images.json'))) return path.join(dir, 'fixtures');
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find fixtures/images.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function loadImagesManifest(fixtures = fixturesDir()): ImagesManifest {
  const m = JSON.parse(readFileSync(path.join(fixtures, 'images.json'), 'utf8')) as ImagesManifest;
  for (const [name, e] of Object.entries(m.images)) {
    if (!e.repo || !e.recipe || (e.registry !== 'public' && e.registry !== 'auth')) {
      throw new Error(`fixtures/images.json: entry ${name} needs repo, recipe and registry public|auth`);
    }
    splitRepo(e.repo);
  }
  return m;
}

export function loadRecipes(fixtures = fixturesDir()): Record<string, Recipe> {
  const raw = JSON.parse(readFileSync(path.join(fixtures, 'images', 'recipes.json'), 'utf8')) as { recipes: Record<string, Recipe> };
  return raw.recipes;
}

/** "a/b:tag" -> { name: "a/b", tag: "tag" }; a tag is required. */
export function splitRepo(repo: string): { name: string; tag: string } {
  const m = /^([a-z0-9]+(?:[._/-][a-z0-9]+)*):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(repo);
  if (!m) throw new Error(`bad repository path "${repo}": want name:tag without a registry host`);
  return { name: m[1]!, tag: m[2]! };
}

/** The layers and merged config of a recipe after following its `from` chain. */
export function flattenRecipe(name: string, recipes: Record<string, Recipe>, seen: string[] = []): { layers: LayerSpec[]; config: ImageConfigSpec } {
  const r = recipes[name];
  if (!r) throw new Error(`unknown image recipe "${name}"`);
  if (seen.includes(name)) throw new Error(`recipe cycle: ${[...seen, name].join(' -> ')}`);
  const base = r.from ? flattenRecipe(r.from, recipes, [...seen, name]) : { layers: [], config: {} };
  const config: ImageConfigSpec = { ...base.config, ...(r.config ?? {}) };
  if (base.config.labels || r.config?.labels) config.labels = { ...(base.config.labels ?? {}), ...(r.config?.labels ?? {}) };
  return { layers: [...base.layers, ...(r.layers ?? [])], config };
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const BUSYBOX = '/bin/busybox';

let gcc: Promise<string> | undefined;
function gccVersion(): Promise<string> {
  gcc ??= run('gcc', ['--version'], { allowFail: true }).then((r) => r.stdout.split('\n')[0] ?? 'unknown');
  return gcc;
}

/** sha256 of a file, kept while its size and mtime stay: every image built on busybox hashes its 2 MB binary,
 * which, read whole per layer, left ~30 MB of buffers at the start of every run that checks the lab (issue 26). */
const fileDigests = new Map<string, { key: string; digest: string }>();
function fileDigest(file: string): string {
  const st = statSync(file);
  const key = `${st.size}:${st.mtimeMs}`;
  const hit = fileDigests.get(file);
  if (hit?.key === key) return hit.digest;
  const digest = sha256(readFileSync(file));
  fileDigests.set(file, { key, digest });
  return digest;
}

function mode(s: string | undefined, dflt: number): number {
  return s ? parseInt(s, 8) : dflt;
}

interface LayerCtx {
  fixtures: string;
  tmpDir: string;
}

/** Content hash of everything a layer is built from. */
export async function layerHash(layer: LayerSpec, ctx: LayerCtx): Promise<string> {
  const h = createHash('sha256').update(BUILDER_VERSION).update(JSON.stringify(layer));
  if (layer.kind === 'busybox') {
    h.update(fileDigest(BUSYBOX));
    for (const f of ['passwd', 'group', 'nsswitch.conf']) h.update(fileDigest(path.join(ctx.fixtures, 'images', 'files', f)));
  } else if (layer.kind === 'pause') {
    h.update(fileDigest(path.join(ctx.fixtures, 'images', 'pause.c')));
    h.update(await gccVersion());
  } else if (layer.kind === 'c') {
    h.update(fileDigest(path.join(ctx.fixtures, 'images', layer.src)));
    h.update(await gccVersion());
  } else {
    for (const f of [...(layer.files ?? []), ...(layer.dirs ?? [])]) {
      if (f.src) h.update(fileDigest(path.join(ctx.fixtures, 'images', f.src)));
    }
  }
  return h.digest('hex');
}

async function busyboxEntries(ctx: LayerCtx): Promise<TarEntry[]> {
  const list = (await run(BUSYBOX, ['--list-full'])).stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  const files = path.join(ctx.fixtures, 'images', 'files');
  const entries: TarEntry[] = [
    { type: 'dir', path: 'bin', mode: 0o755 },
    { type: 'dir', path: 'sbin', mode: 0o755 },
    { type: 'dir', path: 'usr', mode: 0o755 },
    { type: 'dir', path: 'usr/bin', mode: 0o755 },
    { type: 'dir', path: 'usr/sbin', mode: 0o755 },
    { type: 'dir', path: 'etc', mode: 0o755 },
    { type: 'dir', path: 'root', mode: 0o700 },
    { type: 'dir', path: 'home', mode: 0o755 },
    { type: 'dir', path: 'home/cruser', mode: 0o755, uid: 1001, gid: 1001 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'dir', path: 'var', mode: 0o755 },
    { type: 'dir', path: 'var/tmp', mode: 0o1777 },
    { type: 'dir', path: 'proc', mode: 0o555 },
    { type: 'dir', path: 'sys', mode: 0o555 },
    { type: 'dir', path: 'dev', mode: 0o755 },
    { type: 'dir', path: 'run', mode: 0o755 },
    { type: 'file', path: 'bin/busybox', mode: 0o755, content: readFileSync(BUSYBOX) },
    { type: 'file', path: 'etc/passwd', mode: 0o644, content: readFileSync(path.join(files, 'passwd')) },
    { type: 'file', path: 'etc/group', mode: 0o644, content: readFileSync(path.join(files, 'group')) },
    { type: 'file', path: 'etc/nsswitch.conf', mode: 0o644, content: readFileSync(path.join(files, 'nsswitch.conf')) },
  ];
  const taken = new Set(entries.map((e) => e.path));
  for (const applet of list) {
    const p = applet.replace(/^\/+/, '');
    if (taken.has(p)) continue;
    taken.add(p);
    entries.push({ type: 'symlink', path: p, target: '/bin/busybox' });
  }
  return entries;
}

/** A static binary from one C file of fixtures/images/ (pause.c, suid-id.c). */
async function cProgramEntries(ctx: LayerCtx, src: string, dest: string, fileMode: number): Promise<TarEntry[]> {
  mkdirSync(ctx.tmpDir, { recursive: true });
  const out = path.join(ctx.tmpDir, `${path.basename(src, '.c')}-${process.pid}-${Date.now()}`);
  try {
    await run('gcc', ['-static', '-Os', '-s', '-Wl,--build-id=none', '-o', out, path.join(ctx.fixtures, 'images', src)]);
    return [{ type: 'file', path: dest.replace(/^\/+/, ''), mode: fileMode, content: readFileSync(out) }];
  } finally {
    rmSync(out, { force: true });
  }
}

const pauseEntries = (ctx: LayerCtx): Promise<TarEntry[]> => cProgramEntries(ctx, 'pause.c', 'pause', 0o755);

function filesEntries(layer: { files?: FileSpec[]; dirs?: FileSpec[] }, ctx: LayerCtx): TarEntry[] {
  const out: TarEntry[] = [];
  for (const d of layer.dirs ?? []) out.push({ type: 'dir', path: d.path, mode: mode(d.mode, 0o755), uid: d.uid ?? 0, gid: d.gid ?? 0 });
  for (const f of layer.files ?? []) {
    const content = f.src ? readFileSync(path.join(ctx.fixtures, 'images', f.src)) : Buffer.from(f.content ?? '', 'utf8');
    out.push({ type: 'file', path: f.path, mode: mode(f.mode, 0o644), uid: f.uid ?? 0, gid: f.gid ?? 0, content });
  }
  return out;
}

export async function layerTar(layer: LayerSpec, ctx: LayerCtx): Promise<Buffer> {
  const entries =
    layer.kind === 'busybox' ? await busyboxEntries(ctx)
      : layer.kind === 'pause' ? await pauseEntries(ctx)
        : layer.kind === 'c' ? await cProgramEntries(ctx, layer.src, layer.path, mode(layer.mode, 0o755))
          : filesEntries(layer, ctx);
  return buildTar(withParents(entries));
}

export interface BuiltImage {
  recipe: string;
  hash: string;
  layout: string;
  /** Tag inside the OCI layout. */
  tag: string;
  manifestDigest: string;
}

export interface BuildOptions {
  fixtures?: string;
  cacheDir: string;
  tmpDir: string;
  log?: (l: string) => void;
  recipes?: Record<string, Recipe>;
}

/** Hash of everything that determines a recipe's image. */
export async function recipeHash(name: string, opts: BuildOptions): Promise<string> {
  const fixtures = opts.fixtures ?? fixturesDir();
  const recipes = opts.recipes ?? loadRecipes(fixtures);
  const flat = flattenRecipe(name, recipes);
  const h = createHash('sha256').update(BUILDER_VERSION).update(JSON.stringify(flat.config));
  for (const l of flat.layers) h.update(await layerHash(l, { fixtures, tmpDir: opts.tmpDir }));
  return h.digest('hex');
}

function umociConfigArgs(c: ImageConfigSpec): string[] {
  const a: string[] = ['--no-history', '--created', EPOCH, '--author', 'cri-conformance'];
  if (c.user !== undefined) a.push('--config.user', c.user);
  for (const e of c.env ?? []) a.push('--config.env', e);
  for (const e of c.entrypoint ?? []) a.push('--config.entrypoint', e);
  for (const e of c.cmd ?? []) a.push('--config.cmd', e);
  if (c.workingDir) a.push('--config.workingdir', c.workingDir);
  for (const p of c.exposedPorts ?? []) a.push('--config.exposedports', p);
  for (const v of c.volumes ?? []) a.push('--config.volume', v);
  for (const k of Object.keys(c.labels ?? {}).sort()) a.push('--config.label', `${k}=${c.labels![k]}`);
  if (c.stopSignal) a.push('--config.stopsignal', c.stopSignal);
  return a;
}

/** Build (or take from cache) the OCI layout of one recipe. */
export async function buildRecipe(name: string, opts: BuildOptions): Promise<BuiltImage> {
  const fixtures = opts.fixtures ?? fixturesDir();
  const recipes = opts.recipes ?? loadRecipes(fixtures);
  const ctx: LayerCtx = { fixtures, tmpDir: opts.tmpDir };
  const hash = await recipeHash(name, { ...opts, fixtures, recipes });
  const final = path.join(opts.cacheDir, 'layouts', `${name}-${hash.slice(0, 16)}`);
  const stamp = path.join(final, 'built.json');
  if (existsSync(stamp)) {
    const b = JSON.parse(readFileSync(stamp, 'utf8')) as BuiltImage;
    if (b.hash === hash && existsSync(path.join(final, 'oci', 'index.json'))) return { ...b, layout: path.join(final, 'oci') };
  }
  opts.log?.(`building image recipe ${name}`);
  const flat = flattenRecipe(name, recipes);
  const work = `${final}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const layout = path.join(work, 'oci');
  const img = `${layout}:${name}`;
  try {
    await run('umoci', ['init', '--layout', layout]);
    await run('umoci', ['new', '--image', img]);
    const layerDir = path.join(opts.cacheDir, 'layers');
    mkdirSync(layerDir, { recursive: true });
    for (const layer of flat.layers) {
      const lh = await layerHash(layer, ctx);
      const tarFile = path.join(layerDir, `${lh}.tar`);
      if (!existsSync(tarFile)) {
        const tmp = `${tarFile}.tmp-${process.pid}`;
        writeFileSync(tmp, await layerTar(layer, ctx));
        renameSync(tmp, tarFile);
      }
      await run('umoci', [
        'raw', 'add-layer', '--image', img,
        '--history.created', EPOCH,
        '--history.created_by', `cri-conformance ${layer.kind} layer`,
        tarFile,
      ]);
    }
    await run('umoci', ['config', '--image', img, ...umociConfigArgs(flat.config)]);
    await run('umoci', ['gc', '--layout', layout]);
    const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
      manifests: { digest: string; annotations?: Record<string, string> }[];
    };
    const m = index.manifests.find((x) => x.annotations?.['org.opencontainers.image.ref.name'] === name);
    if (!m) throw new Error(`umoci produced no manifest tagged ${name}`);
    const built: BuiltImage = { recipe: name, hash, layout: '', tag: name, manifestDigest: m.digest };
    writeFileSync(path.join(work, 'built.json'), JSON.stringify(built, null, 2) + '\n');
    rmSync(final, { recursive: true, force: true });
    mkdirSync(path.dirname(final), { recursive: true });
    renameSync(work, final);
    return { ...built, layout: path.join(final, 'oci') };
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw new LabError(
      'IMAGE_BUILD_FAILED',
      `building test image recipe "${name}" failed (${(err as Error).message}): check fixtures/images/recipes.json and that umoci, gcc and busybox-static are installed`,
    );
  }
}

export interface RegistryCreds {
  username: string;
  password: string;
}

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** What the registry answers for host/name:tag: the digest it serves, and the answer in words for errors. */
export interface RegistryAnswer {
  digest?: string;
  said: string;
}

export async function registryAnswer(host: string, repo: string, creds?: RegistryCreds): Promise<RegistryAnswer> {
  const { name, tag } = splitRepo(repo);
  const headers: Record<string, string> = { Accept: MANIFEST_ACCEPT };
  if (creds) headers.Authorization = 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64');
  try {
    const res = await httpRequest(`http://${host}/v2/${name}/manifests/${tag}`, { method: 'HEAD', headers, timeoutMs: 5000 });
    const d = res.headers['docker-content-digest'];
    const digest = typeof d === 'string' ? d : undefined;
    if (res.status < 200 || res.status > 299) return { said: `HTTP ${res.status}` };
    if (!digest) return { said: `HTTP ${res.status} without a Docker-Content-Digest header` };
    return { digest, said: `HTTP ${res.status}, digest ${digest}` };
  } catch (err) {
    return { said: `nothing (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
}

export interface PushOptions {
  creds?: RegistryCreds;
  log?: (l: string) => void;
  /** Runs `skopeo ARGS`, rejecting on failure; injectable so the retries can be tested without skopeo. */
  skopeo?: (args: string[]) => Promise<unknown>;
  /** Pushes tried before giving up (default 3). */
  attempts?: number;
  /** Wait before the first retry, doubled for each further one (default 500 ms). */
  backoffMs?: number;
}

const runSkopeo = (args: string[]) => run('skopeo', args, { timeoutMs: 120_000 });

/**
 * Push a built layout to host/repo unless the registry already serves that exact manifest. A push counts
 * only when the registry then serves built.manifestDigest; a failed or unconfirmed push is retried, since
 * docker-registry 2.8 can answer 500 to a blob upload that races another push sharing it.
 */
export async function pushImage(built: BuiltImage, host: string, repo: string, o: PushOptions = {}): Promise<string> {
  const { creds, log } = o;
  const skopeo = o.skopeo ?? runSkopeo;
  const attempts = Math.max(1, o.attempts ?? 3);
  const backoffMs = o.backoffMs ?? 500;
  if ((await registryAnswer(host, repo, creds)).digest === built.manifestDigest) return built.manifestDigest;
  const args = ['copy', '--insecure-policy', '--quiet', '--dest-tls-verify=false'];
  if (creds) args.push('--dest-creds', `${creds.username}:${creds.password}`);
  args.push(`oci:${built.layout}:${built.tag}`, `docker://${host}/${repo}`);
  let failure = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt === 1) log?.(`pushing ${repo} to ${host}`);
    else {
      log?.(`retrying the push of ${repo} to ${host} (attempt ${attempt} of ${attempts}) after: ${failure}`);
      await delay(backoffMs * 2 ** (attempt - 2));
    }
    let pushError: string | undefined;
    try {
      await skopeo(args);
    } catch (err) {
      // The command line carries --dest-creds; the error must not carry the password.
      pushError = creds ? (err as Error).message.split(creds.password).join('***') : (err as Error).message;
    }
    const now = await registryAnswer(host, repo, creds);
    // The registry's digest is the verdict: it only accepts a manifest whose blobs it holds.
    if (now.digest === built.manifestDigest) {
      if (pushError) log?.(`push of ${repo} to ${host} reported "${pushError}" but the registry serves ${now.digest}`);
      return now.digest;
    }
    const registrySays = `registry answers ${now.said}${now.digest ? `, expected ${built.manifestDigest}` : ''}`;
    failure = pushError ? `${pushError}; ${registrySays}` : `skopeo succeeded but the ${registrySays}`;
  }
  throw new LabError(
    'IMAGE_PUSH_FAILED',
    `pushing ${repo} to the lab registry ${host} failed ${attempts} time${attempts === 1 ? '' : 's'} (last: ${failure}): see the registry log under the lab dir logs/`,
  );
}

/** Resolved map: name -> host/repo, name@digest -> host/name@sha256:... */
export function resolvedRefs(entries: { name: string; host: string; repo: string; digest: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    out[e.name] = `${e.host}/${e.repo}`;
    out[`${e.name}@digest`] = `${e.host}/${splitRepo(e.repo).name}@${e.digest}`;
  }
  return out;
}

export { sha256 };
