// Debian packages into a private prefix: a private apt configuration (its own sources list, lists and
// cache under the lab dir) downloads packages by name from the machine's own Debian mirror, and
// `dpkg -x` unpacks them under the lab dir. The machine's apt setup and installed packages are never
// changed: nothing is installed, no sources file is written outside the lab dir.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors.js';
import { CommandError, run } from '../exec.js';
import { readOsRelease } from '../system.js';

const DEFAULT_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

export interface AptMirror {
  uri: string;
  signedBy: string;
}

/**
 * The Debian mirror the machine already uses: the first `deb` source of its main archive (not the
 * security archive), from deb822 `.sources` files or one-line `sources.list` entries.
 */
export function machineMirror(files: { name: string; text: string }[]): AptMirror | undefined {
  for (const f of files) {
    if (f.name.endsWith('.sources')) {
      for (const stanza of f.text.split(/\n\s*\n/)) {
        const field = (k: string) => new RegExp(`^${k}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim();
        if (!(field('Types') ?? '').split(/\s+/).includes('deb')) continue;
        if (/^no$/i.test(field('Enabled') ?? 'yes')) continue;
        const uri = (field('URIs') ?? '').split(/\s+/).find((u) => /^https?:\/\//.test(u) && !/security/.test(u));
        if (uri) return { uri, signedBy: field('Signed-By') ?? DEFAULT_KEYRING };
      }
    } else {
      for (const line of f.text.split('\n')) {
        const m = /^\s*deb\s+(?:\[([^\]]*)\]\s+)?(https?:\/\/\S+)\s+\S+/.exec(line);
        if (!m || /security/.test(m[2]!)) continue;
        const signed = /signed-by=(\S+)/.exec(m[1] ?? '')?.[1];
        return { uri: m[2]!, signedBy: signed ?? DEFAULT_KEYRING };
      }
    }
  }
  return undefined;
}

function readMachineSources(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const dir = '/etc/apt/sources.list.d';
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.sources') || n.endsWith('.list')).sort() : [];
  // debian.sources first: it is the image's own archive on Debian 12+.
  names.sort((a, b) => Number(b === 'debian.sources') - Number(a === 'debian.sources'));
  for (const n of names) out.push({ name: n, text: readFileSync(path.join(dir, n), 'utf8') });
  if (existsSync('/etc/apt/sources.list')) out.push({ name: 'sources.list', text: readFileSync('/etc/apt/sources.list', 'utf8') });
  return out;
}

/** One package to fetch: by name from a suite, or the newest version in any suite starting with `version`. */
export interface PackageSpec {
  name: string;
  suite?: string;
  version?: string;
}

export interface PrivateApt {
  dir: string;
  /** apt-get / apt-cache options that point every path at the private configuration. */
  options: string[];
  suites: string[];
}

/**
 * A private apt configuration under `dir` with the machine's mirror and `suites` (with `withHostSuite`,
 * the machine's own suite first: for tools that must run on the machine's glibc).
 */
export function privateApt(dir: string, suites: string[], withHostSuite = false, mirror?: AptMirror): PrivateApt {
  const m = mirror ?? machineMirror(readMachineSources());
  if (!m) {
    throw new LabError('APT_FAILED', 'no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list: the lab downloads newer runtimes from the mirror the machine uses');
  }
  const host = readOsRelease().VERSION_CODENAME;
  const all = [...new Set([...(host && withHostSuite ? [host] : []), ...suites])];
  const etc = path.join(dir, 'etc');
  mkdirSync(path.join(etc, 'sources.list.d'), { recursive: true });
  mkdirSync(path.join(etc, 'preferences.d'), { recursive: true });
  mkdirSync(path.join(dir, 'lists', 'partial'), { recursive: true });
  mkdirSync(path.join(dir, 'cache', 'archives', 'partial'), { recursive: true });
  const list = all.map((s) => `deb [signed-by=${m.signedBy}] ${m.uri} ${s} main`).join('\n') + '\n';
  const listFile = path.join(etc, 'sources.list');
  if (!existsSync(listFile) || readFileSync(listFile, 'utf8') !== list) writeFileSync(listFile, list);
  return {
    dir,
    suites: all,
    options: [
      `-o`, `Dir::Etc::SourceList=${listFile}`,
      `-o`, `Dir::Etc::SourceParts=${path.join(etc, 'sources.list.d')}`,
      `-o`, `Dir::Etc::Preferences=${path.join(etc, 'preferences')}`,
      `-o`, `Dir::Etc::PreferencesParts=${path.join(etc, 'preferences.d')}`,
      `-o`, `Dir::State::Lists=${path.join(dir, 'lists')}`,
      `-o`, `Dir::Cache=${path.join(dir, 'cache')}`,
      // No installed-package state: `download` needs none, and the machine's must not steer choices.
      `-o`, `Dir::State::status=/dev/null`,
      `-o`, `Acquire::Languages=none`,
      `-o`, `APT::Sandbox::User=root`,
    ],
  };
}

async function apt(a: PrivateApt, tool: 'apt-get' | 'apt-cache', args: string[], cwd?: string): Promise<string> {
  try {
    const r = await run(tool, [...a.options, ...args], { cwd, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LANG: 'C' }, timeoutMs: 900_000 });
    return r.stdout;
  } catch (err) {
    const why = err instanceof CommandError ? err.message : (err as Error).message;
    throw new LabError('APT_FAILED', `${tool} ${args.join(' ')} failed with the lab's private apt config in ${a.dir} (${why}): check that the machine reaches its Debian mirror`);
  }
}

export async function aptUpdate(a: PrivateApt): Promise<void> {
  await apt(a, 'apt-get', ['update', '-q']);
}

/** `apt-cache madison` lines -> package, version, suite (newest first per package, as apt prints them). */
export function parseMadison(text: string): { name: string; version: string; suite: string }[] {
  const out: { name: string; version: string; suite: string }[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('|').map((s) => s.trim());
    if (f.length < 3) continue;
    // "<uri> <suite>/<component> <arch> Packages"
    const suite = (f[2]!.split(/\s+/)[1] ?? '').split('/')[0]!;
    out.push({ name: f[0]!, version: f[1]!, suite });
  }
  return out;
}

/** The version each spec resolves to (one apt-cache call for all: each call reads every list). */
export async function resolvePackages(a: PrivateApt, specs: PackageSpec[]): Promise<{ spec: PackageSpec; arg: string; version: string; suite: string }[]> {
  const rows = parseMadison(await apt(a, 'apt-cache', ['madison', ...new Set(specs.map((p) => p.name))]));
  return specs.map((p) => {
    const mine = rows.filter((r) => r.name === p.name);
    const pick = mine.find((r) => (p.suite === undefined || r.suite === p.suite) && (p.version === undefined || r.version.startsWith(p.version)));
    if (!pick) {
      const want = [p.version && `version ${p.version}*`, p.suite && `suite ${p.suite}`].filter(Boolean).join(' in ');
      const have = mine.map((r) => `${r.version} (${r.suite})`).join(', ') || 'none';
      throw new LabError('APT_FAILED', `Debian package ${p.name} has no ${want} on the machine's mirror (found: ${have})`);
    }
    return { spec: p, arg: `${p.name}=${pick.version}`, version: pick.version, suite: pick.suite };
  });
}

export interface FetchedPackage {
  name: string;
  version: string;
  suite: string;
  deb: string;
}

/** Download the packages (no dependencies: the caller names every one) into `debDir`. */
export async function downloadPackages(a: PrivateApt, specs: PackageSpec[], debDir: string): Promise<FetchedPackage[]> {
  const chosen = await resolvePackages(a, specs);
  rmSync(debDir, { recursive: true, force: true });
  mkdirSync(debDir, { recursive: true });
  await apt(a, 'apt-get', ['download', '-q', ...chosen.map((c) => c.arg)], debDir);
  const debs = readdirSync(debDir).filter((f) => f.endsWith('.deb'));
  return chosen.map((c) => {
    const deb = debs.find((d) => d.startsWith(`${c.spec.name}_`));
    if (!deb) throw new LabError('APT_FAILED', `apt-get download ${c.arg} left no ${c.spec.name}_*.deb in ${debDir}`);
    return { name: c.spec.name, version: c.version, suite: c.suite, deb: path.join(debDir, deb) };
  });
}

/** Unpack every package under `root` (dpkg -x: files only, no maintainer scripts, no dpkg database). */
export async function extractPackages(pkgs: FetchedPackage[], root: string): Promise<void> {
  mkdirSync(root, { recursive: true });
  for (const p of pkgs) {
    try {
      await run('dpkg-deb', ['-x', p.deb, root]);
    } catch (err) {
      throw new LabError('APT_FAILED', `dpkg-deb -x ${p.deb} failed (${(err as Error).message})`);
    }
  }
}
