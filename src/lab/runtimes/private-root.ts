// A runtime's private prefix under the lab dir: Debian packages downloaded by name with a private apt
// config (debian.ts) and unpacked with dpkg -x into <lab>/runtime/root. Binaries built for a newer
// glibc than the machine's get private copies whose ELF interpreter and library path point at the
// glibc unpacked beside them (patchelf): runc re-executes /proc/self/exe for `runc init`, so a
// wrapper that starts it through ld.so would re-execute ld.so instead; a patched binary runs as itself.

import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors.js';
import { run } from '../exec.js';
import type { LabLayout } from '../layout.js';
import { listProcs } from '../procs.js';
import { aptUpdate, downloadPackages, extractPackages, privateApt, type PackageSpec, type PrivateApt } from './debian.js';
import { readOsRelease } from '../system.js';

export interface PrivateRootSpec {
  /** Suites the private apt config lists (besides the machine's own). */
  suites: string[];
  packages: PackageSpec[];
  /** Binaries (paths inside the root) that get a private copy bound to the root's own glibc. */
  rebind?: string[];
}

export interface PrivateRoot {
  root: string;
  /** Rebound copies: basename -> path. */
  bin: Record<string, string>;
  packages: Record<string, string>;
}

interface Installed {
  spec: PrivateRootSpec;
  packages: Record<string, string>;
  seconds: number;
}

export function runtimeDir(l: LabLayout): string {
  return path.join(l.dir, 'runtime');
}

/** Each package set installs into a dir of its own: a running containerd never loses its files. */
function installDir(l: LabLayout, spec: PrivateRootSpec): string {
  return path.join(runtimeDir(l), createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 12));
}

/** Remove the other package sets' dirs that no running process executes from. */
function removeStaleInstalls(l: LabLayout, keep: string, log: (s: string) => void): void {
  const base = runtimeDir(l);
  const busy = listProcs().map((p) => p.argv[0] ?? '');
  for (const d of readdirSync(base)) {
    const dir = path.join(base, d);
    if (dir === keep || d === 'tools' || !statSync(dir).isDirectory()) continue;
    if (busy.some((a) => a.startsWith(dir + '/'))) continue;
    log(`removing the previous runtime install ${dir}`);
    rmSync(dir, { recursive: true, force: true });
  }
}

function du(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) n += statSync(p).size;
    }
  };
  if (existsSync(dir)) walk(dir);
  return n;
}

/** The dynamic loader a root's libc6 ships (usr/lib/<triplet>/ld-linux*.so.N). */
function findLoader(root: string): { loader: string; libDirs: string[] } {
  const lib = path.join(root, 'usr', 'lib');
  for (const t of existsSync(lib) ? readdirSync(lib) : []) {
    const dir = path.join(lib, t);
    if (!/-linux-gnu/.test(t)) continue;
    const ld = readdirSync(dir).find((f) => /^ld-linux.*\.so\.\d+$/.test(f));
    if (ld) return { loader: path.join(dir, ld), libDirs: [dir, path.join(root, 'lib', t)] };
  }
  throw new LabError('APT_FAILED', `no ld-linux*.so in ${lib}/*-linux-gnu: the private root needs libc6 among its packages`);
}

/** Install (or reuse) the packages of `spec` under <lab>/runtime; returns where things are. */
export async function ensurePrivateRoot(l: LabLayout, spec: PrivateRootSpec, log: (s: string) => void): Promise<PrivateRoot> {
  const dir = installDir(l, spec);
  const root = path.join(dir, 'root');
  const binDir = path.join(dir, 'bin');
  const marker = path.join(dir, 'installed.json');
  const bin = Object.fromEntries((spec.rebind ?? []).map((b) => [path.basename(b), path.join(binDir, path.basename(b))]));
  try {
    const prev = JSON.parse(readFileSync(marker, 'utf8')) as Installed;
    if (JSON.stringify(prev.spec) === JSON.stringify(spec) && Object.values(bin).every((b) => existsSync(b))) {
      removeStaleInstalls(l, dir, log);
      return { root, bin, packages: prev.packages };
    }
  } catch {
    /* not installed yet */
  }
  const t0 = Date.now();
  rmSync(marker, { force: true });
  rmSync(root, { recursive: true, force: true });
  rmSync(binDir, { recursive: true, force: true });
  const apt = privateApt(path.join(l.dir, 'apt'), spec.suites, Boolean(spec.rebind?.length));
  log(`fetching ${spec.packages.map((p) => p.name).join(' ')} from the machine's Debian mirror (${apt.suites.join(', ')}) into ${root}`);
  await aptUpdate(apt);
  const fetched = await downloadPackages(apt, spec.packages, path.join(apt.dir, 'debs'));
  await extractPackages(fetched, root);
  const packages = Object.fromEntries(fetched.map((f) => [f.name, `${f.version} (${f.suite})`]));
  if (spec.rebind?.length) {
    const patchelf = await privatePatchelf(apt, path.join(runtimeDir(l), 'tools'));
    const { loader, libDirs } = findLoader(root);
    mkdirSync(binDir, { recursive: true });
    for (const b of spec.rebind) {
      const out = bin[path.basename(b)]!;
      copyFileSync(path.join(root, b), out);
      // DT_RPATH, not RUNPATH: RPATH also serves the libraries' own dependencies (libsystemd's libm).
      await run(patchelf, ['--set-interpreter', loader, '--force-rpath', '--set-rpath', libDirs.join(':'), out]);
      const r = await run(out, ['--version'], { allowFail: true });
      if (r.code !== 0) {
        throw new LabError('APT_FAILED', `${out} (${b} bound to ${loader}) does not run: ${(r.stderr || r.stdout).trim().split('\n')[0]}: a library it needs is missing from the package list`);
      }
    }
  }
  const seconds = Math.round((Date.now() - t0) / 100) / 10;
  writeFileSync(marker, JSON.stringify({ spec, packages, seconds } satisfies Installed, null, 2) + '\n');
  // The package lists are needed only to install (each install updates them first): 40 MB less kept.
  for (const d of ['debs', 'lists', 'cache']) rmSync(path.join(apt.dir, d), { recursive: true, force: true });
  removeStaleInstalls(l, dir, log);
  log(`installed ${Object.entries(packages).map(([n, v]) => `${n} ${v}`).join(', ')} in ${seconds} s (${Math.round(du(dir) / 1e6)} MB under ${dir})`);
  return { root, bin, packages };
}

/** patchelf from the machine's own suite, unpacked privately (it runs on the machine's glibc). */
async function privatePatchelf(apt: PrivateApt, toolsDir: string): Promise<string> {
  const p = path.join(toolsDir, 'usr', 'bin', 'patchelf');
  if (existsSync(p)) return p;
  const host = readOsRelease().VERSION_CODENAME;
  const fetched = await downloadPackages(apt, [{ name: 'patchelf', ...(host ? { suite: host } : {}) }], path.join(apt.dir, 'debs-tools'));
  await extractPackages(fetched, toolsDir);
  rmSync(path.join(apt.dir, 'debs-tools'), { recursive: true, force: true });
  return p;
}
