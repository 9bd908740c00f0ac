#!/usr/bin/env node
// Build the suite's container image (the Sonobuoy plugin's image) offline from the npm package:
//   node src/tools/build-image.mjs [--out DIR] [--push REGISTRY/REPO:TAG]
// Packs the package (prepack compiles it), installs the tarball into the image with production dependencies
// only, adds this machine's node binary with its shared libraries and a busybox layer (src/sonobuoy/image.ts),
// and writes an OCI layout (default reports/image). --push copies it to a registry with skopeo (plain http ok).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const out = path.resolve(opt('--out') ?? path.join(root, 'reports', 'image'));
const push = opt('--push');
const log = (l) => process.stderr.write(`build-image: ${l}\n`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cri-conformance-image-'));
try {
  log(`npm pack in ${root}`);
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))[0];
  const { buildSuiteImage } = await import(path.join(root, 'dist', 'src', 'sonobuoy', 'image.js'));
  const { TOOL } = await import(path.join(root, 'dist', 'src', 'version.js'));
  const img = await buildSuiteImage({ tarball: path.join(tmp, packed.filename), workDir: out, tag: TOOL.version, log });
  log(`node layer: ${img.node.binary} + ${img.node.libraries.join(', ')}`);
  process.stdout.write(`oci:${img.layout}:${img.tag} ${img.manifestDigest}\n`);
  if (push) {
    execFileSync('skopeo', ['copy', '--insecure-policy', '--quiet', '--dest-tls-verify=false', `oci:${img.layout}:${img.tag}`, `docker://${push}`], { stdio: 'inherit' });
    log(`pushed to ${push}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
