// Host checks and provisioning: root, Debian/Ubuntu, the Debian packages the lab needs, free
// loopback ports, the snapshotter that works here, and any system containerd already running.

import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { LabError } from './errors.js';
import { CommandError, run } from './exec.js';
import { listProcs } from './procs.js';

/** Debian package -> a file it installs that the lab uses (checked with existsSync). */
export const REQUIRED_PACKAGES: Record<string, string> = {
  containerd: '/usr/bin/containerd',
  runc: '/usr/sbin/runc',
  crun: '/usr/bin/crun',
  'containernetworking-plugins': '/usr/lib/cni/bridge',
  'docker-registry': '/usr/bin/docker-registry',
  skopeo: '/usr/bin/skopeo',
  umoci: '/usr/bin/umoci',
  'busybox-static': '/bin/busybox',
  'apache2-utils': '/usr/bin/htpasswd',
  gcc: '/usr/bin/gcc',
  'libc6-dev': '/usr/include/stdio.h',
  iptables: '/usr/sbin/iptables',
  iproute2: '/usr/sbin/ip',
};

export function checkRoot(uid: number | undefined = process.getuid?.(), platform: string = process.platform): void {
  if (platform !== 'linux') {
    throw new LabError('NOT_LINUX', `the lab needs Linux (this is ${platform}): run it on a Debian 12 machine or VM`);
  }
  if (uid !== undefined && uid !== 0) {
    throw new LabError(
      'NOT_ROOT',
      'the lab must run as root (it starts containerd, mounts overlays and creates network namespaces): re-run with sudo',
    );
  }
}

export function readOsRelease(file = '/etc/os-release'): Record<string, string> {
  const out: Record<string, string> = {};
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^["']|["']$/g, '');
  }
  return out;
}

export function checkDebian(osRelease = readOsRelease()): string {
  const ids = [osRelease.ID ?? '', ...(osRelease.ID_LIKE ?? '').split(/\s+/)];
  const ok = ids.some((id) => id === 'debian' || id === 'ubuntu');
  if (!ok || !existsSync('/usr/bin/apt-get')) {
    throw new LabError(
      'NOT_DEBIAN',
      `the lab provisions itself with apt-get and supports Debian/Ubuntu only (found ${osRelease.PRETTY_NAME ?? 'an unknown OS'}): ` +
        'use a Debian 12 machine, or point --runtime-endpoint at a runtime you started yourself',
    );
  }
  return osRelease.PRETTY_NAME ?? osRelease.ID ?? 'debian';
}

async function dpkgInstalled(pkg: string): Promise<boolean> {
  const r = await run('dpkg-query', ['-W', '-f=${Status}', pkg], { allowFail: true });
  return r.code === 0 && r.stdout.includes('install ok installed');
}

/** The machine's own runtime packages: a lab whose runtime brings its own does not need them. */
export const MACHINE_RUNTIME_PACKAGES = ['containerd', 'runc', 'crun'];

export async function missingPackages(exclude: string[] = []): Promise<string[]> {
  const missing: string[] = [];
  for (const [pkg, file] of Object.entries(REQUIRED_PACKAGES)) {
    if (exclude.includes(pkg) || existsSync(file)) continue;
    if (!(await dpkgInstalled(pkg))) missing.push(pkg);
  }
  return missing;
}

export async function ensurePackages(install: boolean, log: (l: string) => void, exclude: string[] = []): Promise<void> {
  const missing = await missingPackages(exclude);
  if (missing.length === 0) return;
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!install) {
    throw new LabError('TOOLS_MISSING', `missing Debian packages ${missing.join(', ')}: run \`${cmd}\` or call labUp with install enabled`);
  }
  log(`installing missing packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update'], { env, timeoutMs: 600_000 });
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env, timeoutMs: 1_200_000 });
  } catch (err) {
    const why = err instanceof CommandError ? err.message : (err as Error).message;
    throw new LabError('APT_FAILED', `apt-get could not install ${missing.join(' ')} (${why}): fix the apt sources or install them by hand with \`${cmd}\``);
  }
  const still = await missingPackages(exclude);
  if (still.length) {
    throw new LabError('APT_FAILED', `apt-get ran but ${still.join(', ')} is still missing: install by hand with \`${cmd}\``);
  }
}

/** Directory holding the CNI plugins (bridge, host-local, portmap, loopback). */
export async function findCniPluginDir(): Promise<string> {
  const candidates = ['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni'];
  const r = await run('dpkg', ['-L', 'containernetworking-plugins'], { allowFail: true });
  if (r.code === 0) {
    const bridge = r.stdout.split('\n').find((l) => l.endsWith('/bridge'));
    if (bridge) candidates.unshift(path.dirname(bridge));
  }
  for (const dir of candidates) {
    if (['bridge', 'host-local', 'portmap', 'loopback'].every((p) => existsSync(path.join(dir, p)))) return dir;
  }
  throw new LabError('TOOLS_MISSING', 'no CNI plugin dir with bridge, host-local, portmap and loopback: run `apt-get install containernetworking-plugins`');
}

/** A free TCP port on 127.0.0.1 (bound then released), avoiding `avoid`. */
export async function freePort(avoid: number[] = []): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port && !avoid.includes(port)) return port;
  }
  throw new LabError('PORT_IN_USE', 'could not find a free TCP port on 127.0.0.1: free some ports and retry');
}

/** True if something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Probe whether the overlayfs snapshotter can work here (multi-lowerdir overlay mount in dir). */
export async function probeOverlay(dir: string): Promise<boolean> {
  const base = path.join(dir, 'overlay-probe');
  rmSync(base, { recursive: true, force: true });
  for (const d of ['l1', 'l2', 'u', 'w', 'm']) mkdirSync(path.join(base, d), { recursive: true });
  const m = path.join(base, 'm');
  const opts = `lowerdir=${base}/l1:${base}/l2,upperdir=${base}/u,workdir=${base}/w`;
  const r = await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, m], { allowFail: true });
  if (r.code === 0) await run('umount', [m], { allowFail: true });
  rmSync(base, { recursive: true, force: true });
  return r.code === 0;
}

export interface ForeignRuntime {
  pid: number;
  argv: string[];
}

/** containerd / dockerd / crio processes that are not this lab's (identified by our config path). */
export function foreignRuntimes(ourMarker: string): ForeignRuntime[] {
  const names = new Set(['containerd', 'dockerd', 'crio']);
  return listProcs()
    .filter((p) => p.argv.length > 0 && names.has(path.basename(p.argv[0]!)))
    .filter((p) => !p.argv.some((a) => a.includes(ourMarker)))
    .map((p) => ({ pid: p.pid, argv: p.argv }));
}

/**
 * crun refuses to run on hybrid cgroup hosts whose cgroup2 hierarchy has controllers
 * ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2"): true when this host
 * is such a host (/sys/fs/cgroup is tmpfs, /sys/fs/cgroup/unified is cgroup2 with controllers).
 */
export function crunNeedsHybridWorkaround(mountinfo?: string, unifiedControllers?: string): boolean {
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return false;
    }
  }
  const fsAt = (mp: string) => {
    for (const line of text!.split('\n')) {
      const f = line.split(' ');
      if (f[4] !== mp) continue;
      const sep = f.indexOf('-');
      if (sep > 0) return f[sep + 1];
    }
    return undefined;
  };
  if (fsAt('/sys/fs/cgroup') !== 'tmpfs' || fsAt('/sys/fs/cgroup/unified') !== 'cgroup2') return false;
  let controllers = unifiedControllers;
  if (controllers === undefined) {
    try {
      controllers = readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8');
    } catch {
      return false;
    }
  }
  return controllers.trim().length > 0;
}

/**
 * Wrapper used as the crun handler's BinaryName on such hosts: runs crun in a mount namespace of its own
 * where /sys/fs/cgroup/unified is covered by an empty tmpfs, so crun sees a plain v1 (legacy) host and
 * uses the v1 hierarchies exactly as runc does. The namespace keeps every other mount's propagation
 * (--propagation unchanged): a mount the pod shares with the host (PROPAGATION_HOST_TO_CONTAINER,
 * BIDIRECTIONAL) stays in the host's peer group, as under runc. Only /sys/fs/cgroup is made a slave first,
 * so the covering tmpfs never propagates back. Nothing changes on the host.
 */
export function crunWrapperScript(crun = '/usr/bin/crun'): string {
  return [
    '#!/bin/sh',
    '# Generated by cri-conformance lab: crun on a hybrid-cgroup host (see src/lab/system.ts).',
    `exec unshare --mount --propagation unchanged /bin/sh -c 'mount --make-rslave /sys/fs/cgroup && mount -t tmpfs -o size=4k,mode=755 cri-conformance-hide /sys/fs/cgroup/unified && exec "$0" "$@"' ${crun} "$@"`,
    '',
  ].join('\n');
}
