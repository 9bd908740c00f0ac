// The offline lab: a private containerd (CRI v1 + v1alpha2) with runc and crun handlers, a CNI
// bridge of its own, and two loopback registries holding the suite's own test images, all under
// one lab dir. Never touches the system containerd's paths, socket, bridge or subnet. Which
// containerd (1.6, 1.7, 2.1) and where its binaries come from is the runtime provider's
// (src/lab/runtimes/); everything else here is shared by all of them.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { cniConflist, hostsToml, type RuntimeHandlerSpec } from './config.js';
import { cleanupPods } from './pods.js';
import { deleteLink, killShims, labMounts, removePortmapRules, unmountAll } from './cleanup.js';
import { LabError } from './errors.js';
import { buildRecipe, fixturesDir, loadImagesManifest, loadRecipes, pushImage, resolvedRefs, type BuiltImage } from './images.js';
import { MAX_SOCKET_PATH, labLayout, labMountRoots, type LabLayout } from './layout.js';
import { withLabCri } from './cri.js';
import { criPluginFailure, lastError, logSince } from './containerd-log.js';
import { isAlive, ourPid, removeFile, sleep, spawnDetached, stopPid, withLockFile } from './procs.js';
import { criReady } from './ready.js';
import { ensureCredentials, ensureRegistry, registryAnswers, runningRegistryPid, stopRegistry } from './registry.js';
import { DEFAULT_RUNTIME, runtimeProvider, type InstalledRuntime, type RuntimeName, type RuntimeProvider } from './runtimes/index.js';
import { MACHINE_RUNTIME_PACKAGES, checkDebian, checkRoot, crunNeedsHybridWorkaround, crunWrapperScript, ensurePackages, findCniPluginDir, foreignRuntimes, freePort, portOpen, probeOverlay } from './system.js';

export { LabError, type LabErrorCode } from './errors.js';
export { DEFAULT_LAB_DIR } from './layout.js';
export { DEFAULT_RUNTIME, RUNTIME_NAMES, allRuntimeProviders, runtimeProvider, type RuntimeName } from './runtimes/index.js';
export { criReady } from './ready.js';

export interface LabOptions {
  /** Lab directory (default /var/lib/cri-conformance/lab). */
  dir?: string;
  log?: (line: string) => void;
  /** apt-get install missing Debian packages (default true). */
  install?: boolean;
  /** Which containerd (default containerd-1.6, the machine's package); also picks the default dir. */
  runtime?: string;
}

export interface LabDownOptions extends LabOptions {
  /** Also delete the image cache, registry storage, containerd root and credentials. */
  purge?: boolean;
}

export interface LabInfo {
  dir: string;
  /** The lab's runtime (containerd-1.6, -1.7, -2.1) and the Debian packages it runs from (name -> version). */
  runtime: RuntimeName;
  packages: Record<string, string>;
  /** unix:///... */
  runtimeEndpoint: string;
  imageEndpoint: string;
  /** 127.0.0.1:PORT of the anonymous registry. */
  registry: string;
  authRegistry: { host: string; username: string; password: string };
  /** Logical name -> full ref incl. registry; `<name>@digest` -> ref by manifest digest. */
  images: Record<string, string>;
  runtimeHandlers: string[];
  /** Each handler's state root on the host (its runtime's --root): where its containers' state lives. */
  handlerRoots: Record<string, string>;
  cniPluginDir: string;
  /** Path of images.resolved.json (the `images` map as a file). */
  imagesFile: string;
  snapshotter: 'overlayfs' | 'native';
  logDir: string;
  /** The lab runtime's NRI socket, when it serves NRI (containerd 2.1). */
  nriSocket?: string;
}

interface LabState {
  version: 1;
  /** Absent in labs brought up before runtimes had names: those are containerd-1.6. */
  runtime?: RuntimeName;
  packages?: Record<string, string>;
  ports: { registry: number; authRegistry: number; stream: number };
  snapshotter: 'overlayfs' | 'native';
  configHash: string;
  socket: string;
  cniPluginDir: string;
}

const READY_TIMEOUT_MS = 60_000;

function readState(l: LabLayout): LabState | undefined {
  try {
    const s = JSON.parse(readFileSync(l.stateFile, 'utf8')) as LabState;
    return s.version === 1 ? s : undefined;
  } catch {
    return undefined;
  }
}

function stateRuntime(s: LabState): RuntimeName {
  return s.runtime ?? DEFAULT_RUNTIME;
}

function containerdPidfile(l: LabLayout): string {
  return path.join(l.pidDir, 'containerd.pid');
}

function containerdLog(l: LabLayout): string {
  return path.join(l.logDir, 'containerd.log');
}

function runningContainerd(l: LabLayout): number | undefined {
  return ourPid(containerdPidfile(l), l.containerdConfig);
}

function crunWrapperPath(l: LabLayout): string {
  return path.join(l.dir, 'bin', 'crun-hybrid');
}

/** The lab's two handlers, runc (the default) and crun, each with its own state root. */
function handlerRoots(l: LabLayout): Record<'runc' | 'crun', string> {
  return { runc: l.runcRoot, crun: l.crunRoot };
}

/** The handlers as the runtime installed them (crun possibly behind its hybrid-cgroup wrapper). */
function runtimeHandlers(l: LabLayout, rt: InstalledRuntime, crun: string): RuntimeHandlerSpec[] {
  const shim = rt.shim ? { shim: rt.shim } : {};
  const roots = handlerRoots(l);
  return [
    { name: 'runc', binary: rt.oci.runc, root: roots.runc, ...shim },
    { name: 'crun', binary: crun, root: roots.crun, ...shim },
  ];
}

/** crun itself, or on hybrid-cgroup hosts the wrapper that hides cgroup2 from it. */
function crunBinary(l: LabLayout, crun: string, log: (s: string) => void): string {
  if (!crunNeedsHybridWorkaround()) return crun;
  const wrapper = crunWrapperPath(l);
  mkdirSync(path.dirname(wrapper), { recursive: true });
  writeIfChanged(wrapper, crunWrapperScript(crun), 0o755);
  log('hybrid cgroups with controllers on cgroup2: the crun handler runs through a wrapper that hides /sys/fs/cgroup/unified from crun');
  return wrapper;
}

function socketAnswers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function ensureDirs(l: LabLayout): void {
  for (const d of [l.dir, l.runDir, l.configDir, l.certsDir, l.cniConfDir, l.cniIpamDir, l.containerdRoot, l.containerdOpt, l.cacheDir, l.logDir, l.pidDir, l.tmpDir, l.registryPublicStorage, l.registryAuthStorage]) {
    mkdirSync(d, { recursive: true });
  }
}

/** Write a file only when its content changes, atomically (containerd watches and reads these). */
function writeIfChanged(file: string, content: string, mode?: number): void {
  try {
    if (readFileSync(file, 'utf8') === content) return;
  } catch {
    /* absent */
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, mode === undefined ? {} : { mode });
  renameSync(tmp, file);
}

function writeCertsD(l: LabLayout, hosts: string[]): void {
  mkdirSync(l.certsDir, { recursive: true });
  for (const d of readdirSync(l.certsDir)) {
    if (!hosts.includes(d)) rmSync(path.join(l.certsDir, d), { recursive: true, force: true });
  }
  for (const h of hosts) writeIfChanged(path.join(l.certsDir, h, 'hosts.toml'), hostsToml(h));
}

/** Kill what a dead lab containerd left (shims, containers), unmount, reset state and network. */
async function scrubContainerdLeftovers(l: LabLayout, log: (s: string) => void, wipeRoot: boolean): Promise<string[]> {
  await killShims(l.socket, log);
  const left = await unmountAll(labMountRoots(l), log);
  rmSync(l.containerdState, { recursive: true, force: true });
  rmSync(l.runcRoot, { recursive: true, force: true });
  rmSync(l.crunRoot, { recursive: true, force: true });
  rmSync(l.cniIpamDir, { recursive: true, force: true });
  if (wipeRoot && left.length === 0) {
    log('resetting the lab containerd root (it was not shut down cleanly)');
    rmSync(l.containerdRoot, { recursive: true, force: true });
  }
  removeFile(l.socket);
  removeFile(l.socket + '.ttrpc');
  // containerd 2.x's NRI socket (runtimes/containerd-2.1.ts puts it here); 2.1.9 leaves it behind on SIGTERM.
  removeFile(path.join(l.runDir, 'nri.sock'));
  await deleteLink(l.bridge, log);
  await removePortmapRules(l.network, log);
  return left;
}

function removeEmptyDirs(dirs: string[]): void {
  for (const d of dirs) {
    try {
      if (readdirSync(d).length === 0) rmdirSync(d);
    } catch {
      /* absent or busy: leave it */
    }
  }
}

function hadSandboxes(l: LabLayout): boolean {
  try {
    return readdirSync(path.join(l.containerdState, 'io.containerd.grpc.v1.cri', 'sandboxes')).length > 0;
  } catch {
    return false;
  }
}

/** Stop our containerd: remove its pods through CRI first, then SIGTERM, then scrub leftovers. */
async function stopContainerd(l: LabLayout, log: (s: string) => void): Promise<string[]> {
  const pid = runningContainerd(l);
  let clean = true;
  if (pid) {
    const r = await cleanupPods(`unix://${l.socket}`, log);
    clean = r.ok;
    log(`stopping containerd (pid ${pid})`);
    await stopPid(pid, 10_000);
  } else {
    // Dead containerd: if it left pod sandboxes behind, its metadata still lists pods that can no
    // longer be stopped cleanly, so its root is reset too.
    clean = !hadSandboxes(l);
  }
  removeFile(containerdPidfile(l));
  return scrubContainerdLeftovers(l, log, !clean);
}

async function waitReady(l: LabLayout, pid: number, timeoutMs: number, logOffset: number): Promise<void> {
  const endpoint = `unix://${l.socket}`;
  const deadline = Date.now() + timeoutMs;
  let reason = 'no answer';
  const fail = async (why: string): Promise<never> => {
    const t = logSince(containerdLog(l), logOffset).trim().split('\n').slice(-15).join('\n');
    await stopPid(pid, 5000);
    throw new LabError('START_FAILED', `${why}: see ${containerdLog(l)}`, t);
  };
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return fail(`containerd exited during startup (${lastError(logSince(containerdLog(l), logOffset))})`);
    const pluginErr = criPluginFailure(logSince(containerdLog(l), logOffset));
    if (pluginErr) return fail(`containerd started without its CRI plugin (${pluginErr})`);
    if (existsSync(l.socket)) {
      const r = await criReady(endpoint, 2000);
      if (r.ready) return;
      reason = r.reason ?? reason;
    }
    await sleep(200);
  }
  return fail(`containerd did not become CRI-ready within ${Math.round(timeoutMs / 1000)} s (${reason})`);
}

function labInfo(l: LabLayout, st: LabState, creds: { username: string; password: string }, images: Record<string, string>): LabInfo {
  return {
    dir: l.dir,
    runtime: stateRuntime(st),
    packages: st.packages ?? {},
    runtimeEndpoint: `unix://${l.socket}`,
    imageEndpoint: `unix://${l.socket}`,
    registry: `127.0.0.1:${st.ports.registry}`,
    authRegistry: { host: `127.0.0.1:${st.ports.authRegistry}`, username: creds.username, password: creds.password },
    images,
    runtimeHandlers: Object.keys(handlerRoots(l)),
    handlerRoots: handlerRoots(l),
    cniPluginDir: st.cniPluginDir,
    imagesFile: l.resolvedImages,
    snapshotter: st.snapshotter,
    logDir: l.logDir,
    ...(existsSync(path.join(l.runDir, 'nri.sock')) ? { nriSocket: path.join(l.runDir, 'nri.sock') } : {}),
  };
}

/** CRI-ready at some point within ms (rides out a CNI config reload or a busy moment). */
async function readyWithin(l: LabLayout, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if ((await criReady(`unix://${l.socket}`, 2000)).ready) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

/** Build every recipe the manifest uses and push each logical image; returns the resolved map. */
async function provisionImages(
  l: LabLayout,
  hosts: { public: string; auth: string },
  creds: { username: string; password: string },
  log: (s: string) => void,
): Promise<Record<string, string>> {
  const fixtures = fixturesDir();
  const manifest = loadImagesManifest(fixtures);
  const recipes = loadRecipes(fixtures);
  const built = new Map<string, BuiltImage>();
  const names = Object.keys(manifest.images);
  const entries: { name: string; host: string; repo: string; digest: string }[] = new Array(names.length);
  // Builds run one at a time (umoci per layout); pushes overlap with the next builds but run one at a time
  // per registry: docker-registry 2.8 answers 500 to concurrent pushes that share blobs.
  const pushes: Promise<void>[] = [];
  const queues = new Map<string, Promise<void>>();
  const queued = (host: string, fn: () => Promise<void>): Promise<void> => {
    const p = (queues.get(host) ?? Promise.resolve()).then(fn);
    queues.set(host, p.catch(() => undefined));
    return p;
  };
  for (const [i, name] of names.entries()) {
    const e = manifest.images[name]!;
    let b = built.get(e.recipe);
    if (!b) {
      b = await buildRecipe(e.recipe, { fixtures, recipes, cacheDir: l.cacheDir, tmpDir: l.tmpDir, log });
      built.set(e.recipe, b);
    }
    const host = e.registry === 'auth' ? hosts.auth : hosts.public;
    const image = b;
    const p = queued(host, async () => {
      const digest = await pushImage(image, host, e.repo, { creds: e.registry === 'auth' ? creds : undefined, log });
      entries[i] = { name, host, repo: e.repo, digest };
    });
    p.catch(() => undefined); // observed by Promise.all below
    pushes.push(p);
  }
  await Promise.all(pushes);
  return resolvedRefs(entries);
}

const LOCK_TIMEOUT_MS = 10 * 60_000;

/** Serialize up/down of one lab dir across processes (other test runs may share the machine). */
async function locked<T>(l: LabLayout, log: (s: string) => void, fn: () => Promise<T>): Promise<T> {
  mkdirSync(l.dir, { recursive: true });
  try {
    return await withLockFile(path.join(l.dir, '.lock'), LOCK_TIMEOUT_MS, (owner) => log(`waiting for another lab up/down (pid ${owner}) to finish`), fn);
  } catch (err) {
    if (err instanceof LabError) throw err;
    if (/^lock .* is held by pid/.test((err as Error).message)) {
      throw new LabError('BUSY', `${(err as Error).message} for over ${LOCK_TIMEOUT_MS / 60_000} min: wait for that lab up/down to finish, or kill it and retry`);
    }
    throw err;
  }
}

/** Bring the lab up (idempotent: healthy parts are reused). */
export async function labUp(o: LabOptions = {}): Promise<LabInfo> {
  const log = o.log ?? (() => {});
  const provider = runtimeProvider(o.runtime);
  checkRoot();
  const os = checkDebian();
  const l = labLayout(o.dir ?? provider.defaultDir);
  return locked(l, log, () => labUpLocked(l, provider, o, os, log));
}

/**
 * The steps of `lab up`, each reusing what is already healthy: host checks, the runtime's binaries,
 * registries and network, the containerd daemon, the test images, the pause image.
 */
async function labUpLocked(l: LabLayout, provider: RuntimeProvider, o: LabOptions, os: string, log: (s: string) => void): Promise<LabInfo> {
  const t0 = Date.now();
  const prev = readState(l);
  checkSameRuntime(l, prev, provider);
  await preflight(l, provider, o, log);
  const rt = await provider.install({ l, log });
  const cniPluginDir = await findCniPluginDir();
  const creds = await ensureCredentials(l);
  const hosts = await ensureRegistries(l, prev, log);
  const pauseRef = `${hosts.public}/${loadImagesManifest().images['pause']!.repo}`;
  const daemon = await ensureContainerd(l, provider, rt, { prev, hosts, pauseRef, cniPluginDir, os }, log);
  const state: LabState = {
    version: 1,
    runtime: provider.name,
    packages: rt.packages,
    ports: { registry: daemon.ports.registry, authRegistry: daemon.ports.authRegistry, stream: daemon.ports.stream },
    snapshotter: daemon.snapshotter,
    configHash: daemon.configHash,
    socket: l.socket,
    cniPluginDir,
  };
  writeIfChanged(l.stateFile, JSON.stringify(state, null, 2) + '\n');

  // Images build/push while containerd starts.
  // (A reused containerd was just found ready: only a fresh one is waited for, and only a fresh one
  // is stopped again if it fails to become ready.)
  const [images] = await Promise.all([
    provisionImages(l, hosts, creds, log),
    daemon.reused ? Promise.resolve() : waitReady(l, daemon.pid, READY_TIMEOUT_MS, daemon.logOffset),
  ]);
  writeIfChanged(l.resolvedImages, JSON.stringify(images, null, 2) + '\n');
  await prepullPause(l, pauseRef);
  log(`lab up (${provider.name}) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${l.socket}, registry ${hosts.public}, auth registry ${hosts.auth}`);
  return labInfo(l, state, creds, images);
}

/** A lab dir holds one runtime's containerd root: another runtime gets its own dir. */
function checkSameRuntime(l: LabLayout, prev: LabState | undefined, provider: RuntimeProvider): void {
  const had = prev ? stateRuntime(prev) : undefined;
  if (had && had !== provider.name) {
    throw new LabError(
      'RUNTIME_MISMATCH',
      `${l.dir} holds a ${had} lab, not ${provider.name}: use another --lab-dir (default for ${provider.name}: ${provider.defaultDir}), or \`lab down --lab-dir ${l.dir} --purge\` first`,
    );
  }
}

/** Host checks and the lab's directories; notes any other container runtime left untouched. */
async function preflight(l: LabLayout, provider: RuntimeProvider, o: LabOptions, log: (s: string) => void): Promise<void> {
  if (Buffer.byteLength(l.socket) > MAX_SOCKET_PATH) {
    throw new LabError('START_FAILED', `socket path ${l.socket} is longer than ${MAX_SOCKET_PATH} bytes: use a shorter lab dir`);
  }
  await ensurePackages(o.install ?? true, log, provider.machinePackages ? [] : MACHINE_RUNTIME_PACKAGES);
  ensureDirs(l);
  for (const f of foreignRuntimes(l.containerdConfig)) {
    const what = f.argv.some((a) => a.includes('/cri-conformance/')) ? "another cri-conformance lab's containerd" : 'a system container runtime';
    log(
      `note: ${what} is running (pid ${f.pid}: ${f.argv.slice(0, 3).join(' ')}); the lab leaves it untouched and uses its own socket ${l.socket}, bridge ${l.bridge} and paths under ${l.dir}`,
    );
  }
}

/** The two loopback registries, their certs.d entries and the lab's CNI network. */
async function ensureRegistries(l: LabLayout, prev: LabState | undefined, log: (s: string) => void): Promise<{ public: string; auth: string }> {
  // Registries first: containerd's config names the pause image by registry port.
  const regPort = await ensureRegistry(l, 'public', prev?.ports.registry, [], log);
  const authPort = await ensureRegistry(l, 'auth', prev?.ports.authRegistry, [regPort], log);
  const hosts = { public: `127.0.0.1:${regPort}`, auth: `127.0.0.1:${authPort}` };
  writeCertsD(l, [hosts.public, hosts.auth]);
  writeIfChanged(path.join(l.cniConfDir, '10-cri-conformance.conflist'), cniConflist({ ipamDataDir: l.cniIpamDir, name: l.network, bridge: l.bridge, subnet: l.subnet }));
  return hosts;
}

interface DaemonPlan {
  prev: LabState | undefined;
  hosts: { public: string; auth: string };
  pauseRef: string;
  cniPluginDir: string;
  os: string;
}

interface Daemon {
  pid: number;
  reused: boolean;
  logOffset: number;
  configHash: string;
  snapshotter: 'overlayfs' | 'native';
  ports: LabState['ports'];
}

/** containerd: reuse it if ours, healthy and configured identically; else (re)start it. */
async function ensureContainerd(l: LabLayout, provider: RuntimeProvider, rt: InstalledRuntime, plan: DaemonPlan, log: (s: string) => void): Promise<Daemon> {
  const { prev, hosts } = plan;
  const regPort = Number(hosts.public.split(':')[1]);
  const authPort = Number(hosts.auth.split(':')[1]);
  let pid = runningContainerd(l);
  const snapshotter = prev?.snapshotter ?? ((await probeOverlay(l.tmpDir)) ? 'overlayfs' : 'native');
  if (!prev?.snapshotter) log(`snapshotter: ${snapshotter}`);
  let streamPort = prev?.ports.stream;
  if (!pid && (!streamPort || (await portOpen(streamPort)))) streamPort = await freePort([regPort, authPort]);
  const handlers = runtimeHandlers(l, rt, crunBinary(l, rt.oci.crun, log));
  const makeConfig = (port: number) =>
    provider.config({
      root: l.containerdRoot,
      state: l.containerdState,
      optDir: l.containerdOpt,
      socket: l.socket,
      sandboxImage: plan.pauseRef,
      snapshotter,
      streamPort: port,
      cniBinDir: plan.cniPluginDir,
      cniConfDir: l.cniConfDir,
      certsDir: l.certsDir,
      runtimes: handlers,
      defaultRuntime: 'runc',
      ...provider.configExtras?.(l),
    });
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');
  let configText = makeConfig(streamPort!);
  const ports = () => ({ registry: regPort, authRegistry: authPort, stream: streamPort! });
  if (pid) {
    const sameConfig = prev?.configHash === hash(configText);
    if (sameConfig && (await readyWithin(l, 5000))) {
      log(`containerd already running and ready (pid ${pid}) on ${l.socket}`);
      return { pid, reused: true, logOffset: 0, configHash: hash(configText), snapshotter, ports: ports() };
    }
    const why = sameConfig ? `it is not CRI-ready (${(await criReady(`unix://${l.socket}`)).reason})` : 'its config changed';
    log(`restarting the lab containerd (pid ${pid}): ${why}`);
    await stopContainerd(l, log);
    pid = undefined;
    streamPort = await freePort([regPort, authPort]);
    configText = makeConfig(streamPort);
  }
  if (existsSync(l.socket) && (await socketAnswers(l.socket))) {
    throw new LabError(
      'SOCKET_IN_USE',
      `${l.socket} is served by a process the lab did not start: stop it (or run \`cri-conformance lab down\`) and retry`,
    );
  }
  await stopContainerd(l, log);
  writeIfChanged(l.containerdConfig, configText);
  const started = startContainerd(l, rt, plan.os, log);
  return { ...started, reused: false, configHash: hash(configText), snapshotter, ports: ports() };
}

/** Start the runtime's containerd on the lab's config, its output in a fresh log. */
function startContainerd(l: LabLayout, rt: InstalledRuntime, os: string, log: (s: string) => void): { pid: number; logOffset: number } {
  log(`starting ${rt.containerd} (${os}) with ${l.containerdConfig}`);
  // One log per start (the previous one kept as .1): failure detection reads only this start.
  if (existsSync(containerdLog(l))) renameSync(containerdLog(l), `${containerdLog(l)}.1`);
  writeFileSync(containerdLog(l), `--- lab up ${new Date().toISOString()} ---\n`);
  const logOffset = statSync(containerdLog(l)).size;
  const pid = spawnDetached({
    file: rt.containerd,
    args: ['--config', l.containerdConfig],
    logFile: containerdLog(l),
    pidFile: containerdPidfile(l),
    env: { PATH: rt.path, HOME: '/root', LANG: 'C' },
  });
  return { pid, logOffset };
}

/** Pull the sandbox image through CRI: proves containerd -> registry works and speeds the first pod. */
async function prepullPause(l: LabLayout, pauseRef: string): Promise<void> {
  try {
    await withLabCri(`unix://${l.socket}`, (cri) => cri.image.call('PullImage', { image: { image: pauseRef } }, { timeoutMs: 60_000 }));
  } catch (err) {
    throw new LabError('START_FAILED', `containerd could not pull the pause image ${pauseRef} (${(err as Error).message}): see ${containerdLog(l)}`);
  }
}

/** Stop everything labUp started; leaves no process, mount or netns. Keeps caches unless purge. */
export async function labDown(o: LabDownOptions = {}): Promise<void> {
  const log = o.log ?? (() => {});
  checkRoot();
  const l = labLayout(o.dir ?? runtimeProvider(o.runtime).defaultDir);
  if (!existsSync(l.dir)) {
    log(`no lab at ${l.dir}`);
    return;
  }
  await locked(l, log, () => labDownLocked(l, o, log));
}

async function labDownLocked(l: LabLayout, o: LabDownOptions, log: (s: string) => void): Promise<void> {
  const left = await stopContainerd(l, log);
  for (const kind of ['public', 'auth'] as const) {
    if (await stopRegistry(l, kind)) log(`stopped registry (${kind})`);
  }
  if (left.length) {
    throw new LabError('STOP_FAILED', `could not unmount ${left.length} path(s) under ${l.dir} (first: ${left[0]}): check \`grep ${l.dir} /proc/self/mountinfo\` and unmount by hand`);
  }
  if (o.purge) {
    log(`purging ${l.dir}`);
    rmSync(l.dir, { recursive: true, force: true });
  }
  removeEmptyDirs([l.runDir]);
  // containerd 1.6 puts every shim socket in /run/containerd/s whatever its config says: drop that
  // dir if we left it empty and no other containerd is around.
  if (foreignRuntimes(l.containerdConfig).length === 0) removeEmptyDirs(['/run/containerd/s', '/run/containerd']);
  log('lab down');
}

/** Whether the lab is up and healthy, with the problems found otherwise. */
export async function labStatus(o: LabOptions = {}): Promise<{ running: boolean; info?: LabInfo; problems: string[] }> {
  const l = labLayout(o.dir ?? runtimeProvider(o.runtime).defaultDir);
  const problems: string[] = [];
  const st = readState(l);
  if (!st) return { running: false, problems: [`no lab state at ${l.stateFile}: run \`cri-conformance lab up${o.runtime ? ` --runtime ${o.runtime}` : ''}\``] };
  if (o.runtime && stateRuntime(st) !== o.runtime) problems.push(`${l.dir} holds a ${stateRuntime(st)} lab, not ${o.runtime}`);
  const pid = runningContainerd(l);
  if (!pid) problems.push('containerd is not running');
  else {
    const r = await criReady(`unix://${l.socket}`);
    if (!r.ready) problems.push(`containerd (pid ${pid}) is not CRI-ready: ${r.reason}`);
  }
  for (const [kind, port] of [['public', st.ports.registry], ['auth', st.ports.authRegistry]] as const) {
    if (!runningRegistryPid(l, kind)) problems.push(`registry (${kind}) is not running`);
    else if (!(await registryAnswers(port, kind))) problems.push(`registry (${kind}) does not answer on 127.0.0.1:${port}`);
  }
  let images: Record<string, string> = {};
  try {
    images = JSON.parse(readFileSync(l.resolvedImages, 'utf8')) as Record<string, string>;
  } catch {
    problems.push(`no resolved images at ${l.resolvedImages}`);
  }
  let creds = { username: '', password: '' };
  try {
    creds = JSON.parse(readFileSync(l.authFile, 'utf8')) as typeof creds;
  } catch {
    problems.push(`no registry credentials at ${l.authFile}`);
  }
  const running = problems.length === 0;
  if (!pid) {
    const mounts = labMounts(labMountRoots(l));
    if (mounts.length) problems.push(`${mounts.length} mount(s) left under ${l.dir}: run \`cri-conformance lab down\``);
  }
  return running ? { running, info: labInfo(l, st, creds, images), problems } : { running, problems };
}

/** Environment for a run against the lab (values are shell-safe). */
export function labEnv(info: LabInfo): Record<string, string> {
  return {
    CONTAINER_RUNTIME_ENDPOINT: info.runtimeEndpoint,
    IMAGE_SERVICE_ENDPOINT: info.imageEndpoint,
    CRI_CONFORMANCE_IMAGES: info.imagesFile,
    CRI_CONFORMANCE_LAB_DIR: info.dir,
    CRI_CONFORMANCE_LAB_RUNTIME: info.runtime,
    ...(info.nriSocket ? { CRI_CONFORMANCE_NRI_SOCKET: info.nriSocket } : {}),
    CRI_CONFORMANCE_REGISTRY: info.registry,
    CRI_CONFORMANCE_AUTH_REGISTRY: info.authRegistry.host,
    CRI_CONFORMANCE_AUTH_USERNAME: info.authRegistry.username,
    CRI_CONFORMANCE_AUTH_PASSWORD: info.authRegistry.password,
    CRI_CONFORMANCE_RUNTIME_HANDLERS: info.runtimeHandlers.join(','),
    CRI_CONFORMANCE_CNI_PLUGIN_DIR: info.cniPluginDir,
  };
}
