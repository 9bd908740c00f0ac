// The suite's container image, built offline with the fixture images' tooling (umoci, our own tar writer,
// Debian's busybox-static): a busybox layer (/bin/sh, /tmp, /etc/passwd), a Node layer (this machine's
// `node` binary and the shared libraries `ldd` lists for it, at the paths it lists), and the package layer
// (the npm tarball installed with production dependencies only under /opt/cri-conformance).

import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EPOCH, fixturesDir, layerTar } from '../lab/images.js';
import { run } from '../lab/exec.js';
import { buildTar, withParents, type TarEntry } from '../lab/tar.js';
import { IMAGE_APP_DIR, IMAGE_CLI, IMAGE_NODE } from './plugin.js';

export interface SuiteImage {
  /** OCI layout directory and the tag inside it (`oci:<layout>:<tag>` for skopeo). */
  layout: string;
  tag: string;
  manifestDigest: string;
  /** What went into the Node layer. */
  node: { binary: string; libraries: string[] };
}

/** The shared libraries the dynamic loader maps for `binary`, as `ldd` prints them (loader included). */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const out = (await run('ldd', [binary])).stdout;
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return [...new Set(libs)];
}

async function nodeEntries(binary: string): Promise<{ entries: TarEntry[]; libraries: string[] }> {
  const libraries = await sharedLibraries(binary);
  const entries: TarEntry[] = [{ type: 'file', path: IMAGE_NODE.slice(1), mode: 0o755, content: readFileSync(binary) }];
  // Each library at the path the loader looks for it, with the content of the file it resolves to.
  for (const lib of libraries) entries.push({ type: 'file', path: lib.slice(1), mode: 0o755, content: readFileSync(realpathSync(lib)) });
  return { entries, libraries };
}

/** Every file, directory and symlink under `dir`, placed under `prefix` in the image. */
function treeEntries(dir: string, prefix: string): TarEntry[] {
  const out: TarEntry[] = [{ type: 'dir', path: prefix, mode: 0o755 }];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, r);
      const st = lstatSync(full);
      const p = `${prefix}/${r}`;
      if (st.isSymbolicLink()) out.push({ type: 'symlink', path: p, target: readlinkSync(full) });
      else if (st.isDirectory()) {
        out.push({ type: 'dir', path: p, mode: 0o755 });
        walk(r);
      } else if (st.isFile()) out.push({ type: 'file', path: p, mode: st.mode & 0o111 ? 0o755 : 0o644, content: readFileSync(full) });
    }
  };
  walk('');
  return out;
}

export interface BuildImageOptions {
  /** The `npm pack` tarball of this package. */
  tarball: string;
  /** Work directory (the layout is written to `<workDir>/oci`). */
  workDir: string;
  /** Tag inside the layout (default the package version). */
  tag: string;
  nodeBinary?: string;
  log?: (l: string) => void;
}

export async function buildSuiteImage(o: BuildImageOptions): Promise<SuiteImage> {
  const log = o.log ?? (() => undefined);
  const node = realpathSync(o.nodeBinary ?? process.execPath);
  rmSync(o.workDir, { recursive: true, force: true });
  mkdirSync(o.workDir, { recursive: true });

  // The package layer: the tarball installed as a user would, production dependencies only, nothing compiled.
  const app = path.join(o.workDir, 'app');
  mkdirSync(app, { recursive: true });
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'cri-conformance-image', private: true }, null, 2) + '\n');
  log(`npm install --omit=dev ${path.basename(o.tarball)}`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=dev', '--no-package-lock', o.tarball], { cwd: app, timeoutMs: 300_000 });

  const layers: { name: string; tar: Buffer }[] = [];
  layers.push({ name: 'busybox', tar: await layerTar({ kind: 'busybox' }, { fixtures: fixturesDir(), tmpDir: o.workDir }) });
  const n = await nodeEntries(node);
  layers.push({ name: 'node', tar: buildTar(withParents(n.entries)) });
  layers.push({ name: 'cri-conformance', tar: buildTar(withParents(treeEntries(app, IMAGE_APP_DIR.slice(1)))) });

  const layout = path.join(o.workDir, 'oci');
  const img = `${layout}:${o.tag}`;
  await run('umoci', ['init', '--layout', layout]);
  await run('umoci', ['new', '--image', img]);
  for (const l of layers) {
    const file = path.join(o.workDir, `${l.name}.tar`);
    writeFileSync(file, l.tar);
    log(`layer ${l.name}: ${(l.tar.length / 1048576).toFixed(1)} MiB`);
    await run('umoci', ['raw', 'add-layer', '--image', img, '--history.created', EPOCH, '--history.created_by', `cri-conformance ${l.name} layer`, file], { timeoutMs: 300_000 });
    rmSync(file, { force: true });
  }
  const libDirs = [...new Set(n.libraries.map((l) => path.dirname(l)))].join(':');
  await run('umoci', [
    'config', '--image', img, '--no-history', '--created', EPOCH, '--author', 'cri-conformance',
    '--config.entrypoint', IMAGE_NODE, '--config.entrypoint', IMAGE_CLI, '--config.cmd', 'sonobuoy-run',
    '--config.env', 'PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    // No ld.so.cache in the image: the loader finds the copied libraries by this path.
    '--config.env', `LD_LIBRARY_PATH=${libDirs}`,
    '--config.workingdir', IMAGE_APP_DIR,
    '--config.label', 'org.opencontainers.image.title=cri-conformance',
  ]);
  await run('umoci', ['gc', '--layout', layout]);
  rmSync(app, { recursive: true, force: true });
  const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const m = index.manifests.find((x) => x.annotations?.['org.opencontainers.image.ref.name'] === o.tag);
  if (!m) throw new Error(`umoci produced no manifest tagged ${o.tag}`);
  return { layout, tag: o.tag, manifestDigest: m.digest, node: { binary: node, libraries: n.libraries } };
}
