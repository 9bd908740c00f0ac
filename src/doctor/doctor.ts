// Preflight: can this runtime be tested at all? One line per check, with the fix; the first failing class
// decides the exit code (3 cannot connect / not CRI, 4 no CRI version, 7 runtime or network not ready,
// 8 test images not pullable). Host features the isolation suites look for are reported, never fatal.
import { existsSync, readFileSync } from 'node:fs';
import type { Endpoint } from '../config.js';
import { closeAllChannels, makeCri, type Cri } from '../cri/client.js';
import { negotiate, type VersionMode } from '../cri/negotiate.js';
import type { Timeouts } from '../cri/timeouts.js';
import { CliError, EXIT } from '../errors.js';
import { detectHostLimits, type HostLimits } from '../runner/host.js';

export type CheckState = 'ok' | 'FAIL' | 'warn' | 'info';
export interface CheckLine {
  state: CheckState;
  check: string;
  detail: string;
  fix?: string;
}

export interface DoctorResult {
  lines: CheckLine[];
  exitCode: number;
  /** Negotiated client, when the endpoint speaks CRI (closed by the caller via closeAllChannels). */
  cri?: Cri;
}

export interface DoctorOptions {
  runtime: Endpoint;
  image: Endpoint;
  /** --cri-version of the run (default auto). */
  mode?: VersionMode;
  timeouts: Timeouts;
  /** Logical name -> reference of the images to try pulling (one small one is pulled, then removed if new);
   * undefined: no image check (a run that needs none). */
  images?: Record<string, string>;
  /** Why there are no images, when there are none. */
  noImagesReason?: string;
  auth?: { username: string; password: string; host: string };
  /** Skip the host-feature lines (run's brief preflight). */
  brief?: boolean;
}

export const line = (l: CheckLine): string => `${l.state.padEnd(4)}  ${l.check}: ${l.detail}${l.fix ? ` — fix: ${l.fix}` : ''}`;

export async function doctor(o: DoctorOptions, emit: (l: CheckLine) => void = () => undefined): Promise<DoctorResult> {
  const lines: CheckLine[] = [];
  let exitCode: number = EXIT.OK;
  const add = (l: CheckLine, code?: number) => {
    lines.push(l);
    emit(l);
    if (l.state === 'FAIL' && exitCode === EXIT.OK && code !== undefined) exitCode = code;
  };

  // 1-2. Reachable, a gRPC CRI server, and a version a kubelet would accept.
  let n;
  try {
    n = await negotiate(o.runtime, o.image, o.mode ?? 'auto', o.timeouts);
  } catch (e) {
    if (e instanceof CliError) {
      add({ state: 'FAIL', check: 'endpoint', detail: e.message.replace(/: (is the runtime running\?|point --runtime-endpoint.*|run as root.*)$/, ''), fix: fixFor(e.code) }, e.exitCode);
      return { lines, exitCode };
    }
    throw e;
  }
  add({ state: 'ok', check: 'endpoint', detail: `${o.runtime.uri} answers gRPC` });
  if (!n.runtime || !n.image) {
    add({ state: 'FAIL', check: 'CRI version', detail: n.reason ?? 'no CRI version negotiated', fix: 'the runtime must serve runtime.v1 (or v1alpha2 for kubelets before 1.26)' }, EXIT.NO_VERSION);
    return { lines, exitCode };
  }
  const v = n.version;
  add({ state: 'ok', check: 'CRI version', detail: `RuntimeService ${n.runtime}, ImageService ${n.image}${v ? ` (${v.runtime_name} ${v.runtime_version})` : ''}` });
  const cri = makeCri(o.runtime, o.image, { runtime: n.runtime, image: n.image }, o.timeouts);

  // 3. Runtime and network conditions.
  try {
    const st = await cri.runtime.call('Status', { verbose: true });
    const cond = (type: string) => st.status?.conditions?.find((c) => c.type === type);
    for (const [type, fix] of [
      ['RuntimeReady', 'look at the runtime\'s log: it reports itself not ready'],
      ['NetworkReady', 'install a CNI plugin and a network config where the runtime reads them (containerd: plugins."io.containerd.grpc.v1.cri".cni conf_dir/bin_dir)'],
    ] as const) {
      const c = cond(type);
      if (c?.status) add({ state: 'ok', check: type, detail: 'true' });
      else add({ state: 'FAIL', check: type, detail: c ? `false (${[c.reason, c.message].filter(Boolean).join(': ') || 'no reason given'})` : 'condition missing from Status', fix }, EXIT.NOT_READY);
    }
    const info = st.info ?? {};
    const cfg = JSON.stringify(info);
    const cni = /"cniconfig"|"CNI/.test(cfg) ? 'reported in Status.info' : 'not reported';
    add({ state: 'info', check: 'CNI', detail: cni });
    const driver = await cgroupDriver(cri, cfg);
    add({ state: 'info', check: 'cgroup driver', detail: driver });
    // The streaming server is only reachable once a container runs; its address is in the runtime's config.
    const stream = /"streamServerAddress":"([^"]*)","streamServerPort":"([^"]*)"/.exec(cfg.replace(/\\"/g, '"'));
    add({ state: 'info', check: 'streaming', detail: stream ? `server ${stream[1] || '(all addresses)'}:${stream[2]} (the streaming suite checks the URLs it answers)` : 'address not reported; the streaming suite checks the URLs Exec/Attach/PortForward answer' });
  } catch (e) {
    add({ state: 'FAIL', check: 'Status', detail: (e as Error).message.split('\n')[0]!, fix: 'the runtime must answer Status' }, EXIT.NOT_READY);
  }

  // 4. Test images pullable: one small image is pulled (and removed again when it was not there before).
  const images = o.images;
  const name = !images ? undefined : images['pause'] ? 'pause' : Object.keys(images).find((k) => !k.includes('@'));
  if (!images) {
    /* nothing to pull */
  } else if (!name) {
    add({ state: 'FAIL', check: 'images', detail: o.noImagesReason ?? 'no test images', fix: 'use --registry-prefix or --images, or a machine where the fixture images are shipped or buildable' }, EXIT.IMAGES);
  } else {
    const ref = images[name]!;
    try {
      // RemoveImage drops every tag of an image: remove only an image (by id) that was not there before.
      const before = new Set(((await cri.image.call('ListImages', {})).images ?? []).map((i) => i.id));
      await cri.image.call('PullImage', { image: { image: ref } });
      const id = (await cri.image.call('ImageStatus', { image: { image: ref } })).image?.id;
      if (id && !before.has(id)) await cri.image.call('RemoveImage', { image: { image: ref } }).catch(() => undefined);
      add({ state: 'ok', check: 'images', detail: `pulled ${ref}` });
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0]!;
      const http = /http: server gave HTTP response to HTTPS client|x509|tls/i.test(msg);
      add(
        { state: 'FAIL', check: 'images', detail: `cannot pull ${ref}: ${msg}`, fix: http ? 'the runtime wants HTTPS for this registry: cri-conformance images configure containerd|crio --dir … --port P, then run --serve-port P' : 'check the runtime can reach the registry (a loopback registry needs the runtime on this host), or mirror the images: cri-conformance images push --to HOST' },
        EXIT.IMAGES,
      );
    }
  }

  if (!o.brief) for (const l of hostFeatures()) add(l);
  return { lines, exitCode, cri };
}

async function cgroupDriver(cri: Cri, statusInfo: string): Promise<string> {
  try {
    const rc = await cri.runtime.call('RuntimeConfig', {});
    const d = rc.linux?.cgroup_driver;
    if (d !== undefined && d !== null) return `${d} (RuntimeConfig)`;
  } catch {
    /* older runtimes: no RuntimeConfig */
  }
  const sd = /SystemdCgroup\\?":\s*(true|false)/.exec(statusInfo)?.[1];
  if (sd) return sd === 'true' ? 'systemd (Status.info: SystemdCgroup true)' : 'cgroupfs (Status.info: SystemdCgroup false)';
  return 'not reported (RuntimeConfig unimplemented); the kubelet then uses its own setting';
}

function fixFor(code: string): string {
  switch (code) {
    case 'NO_SOCKET':
    case 'REFUSED':
      return 'start the runtime, or pass --runtime-endpoint with its CRI socket';
    case 'PERMISSION':
      return 'run as root, or as a user allowed on the socket';
    case 'NOT_GRPC':
    case 'NOT_SOCKET':
      return "point --runtime-endpoint at the runtime's CRI socket";
    case 'TIMEOUT':
      return 'the endpoint hangs: check the runtime, or raise --timeout';
    default:
      return 'check the endpoint';
  }
}

/** What the isolation suites look for on the host, and the host's limits (never fatal: those tests skip with the reason). */
export function hostFeatures(limits: HostLimits = detectHostLimits()): CheckLine[] {
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined);
  const out: CheckLine[] = [];
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  out.push({ state: 'info', check: 'cgroups', detail: v2 ? `v2 (controllers: ${read('/sys/fs/cgroup/cgroup.controllers')})` : 'v1' });
  const userns = read('/proc/sys/user/max_user_namespaces');
  out.push({ state: userns && userns !== '0' ? 'info' : 'warn', check: 'user namespaces', detail: userns ? `max_user_namespaces ${userns}` : 'not available (user-namespace tests will skip)' });
  const seccomp = /Seccomp:\s*(\d)/.exec(read('/proc/self/status') ?? '')?.[1];
  out.push({ state: seccomp !== undefined ? 'info' : 'warn', check: 'seccomp', detail: seccomp !== undefined ? 'supported by the kernel' : 'not available (seccomp tests will skip)' });
  const apparmor = read('/sys/module/apparmor/parameters/enabled');
  out.push({ state: 'info', check: 'AppArmor', detail: apparmor === 'Y' ? 'enabled' : 'not enabled (AppArmor tests will skip)' });
  const selinux = existsSync('/sys/fs/selinux/enforce');
  out.push({ state: 'info', check: 'SELinux', detail: selinux ? 'present' : 'not present (SELinux tests will skip)' });
  return [...out, ...hostLimitLines(limits)];
}

/** Limits of this node that make some checks impossible whatever the runtime does: a warn line each, with what
 * the affected tests do about it. */
export function hostLimitLines(l: HostLimits): CheckLine[] {
  const out: CheckLine[] = [];
  const b = l.boundingSet;
  out.push(b.limited
    ? {
      state: 'warn', check: 'capability bounding set',
      detail: `incomplete, ${b.evidence}: a runtime that grants a privileged container every capability up to cap_last_cap (CRI-O) cannot start one here ("unable to apply caps"); the privileged, add_capabilities=[ALL] and mount-propagation tests skip with this reason when the start fails so`,
      fix: 'run the runtime and the suite where the bounding set is complete (a container, or a systemd unit with CapabilityBoundingSet=, narrows it)',
    }
    : { state: 'info', check: 'capability bounding set', detail: b.evidence });
  const se = l.selinuxEnforcing;
  out.push(se.limited
    ? { state: 'warn', check: 'SELinux enforcing', detail: `${se.evidence}: a host path mounted into a container is denied to it unless relabelled: the suite sets selinux_relabel on every host path it mounts, as critest does` }
    : { state: 'info', check: 'SELinux enforcing', detail: `no (${se.evidence})` });
  const sw = l.swap;
  out.push(sw.limited
    ? { state: 'warn', check: 'swap', detail: `on (${sw.evidence}): a memory limit alone does not bound a container: the OOM test sets the swap limit as the kubelet does (memory_swap_limit_in_bytes = the memory limit on cgroup v1, memory.swap.max 0 on v2); a working-set check that meets swapped pages skips, naming it` }
    : { state: 'info', check: 'swap', detail: `off (${sw.evidence})` });
  return out;
}

export { closeAllChannels };
