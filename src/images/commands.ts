// `cri-conformance images list|push|export|configure|build`: the fixture images outside a run.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { EXIT, UsageError, CliError } from '../errors.js';
import { buildFixtureLayout, fixtureLayout, ociArch, REF_NAME, SHIPPED_LAYOUT, type FixtureLayout } from './layout.js';
import { RegistryClient, pushImage } from './push.js';
import { containerdHostsFiles, crioRegistriesFile, writeFiles } from './configure.js';

type Opts = Record<string, unknown>;
const str = (o: Opts, k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
const out = (l: string) => process.stdout.write(l + '\n');
const err = (l: string) => process.stderr.write(l + '\n');

async function layoutOrFail(): Promise<FixtureLayout> {
  const { layout, reason } = await fixtureLayout(err);
  if (!layout) throw new CliError(`no fixture images: ${reason}`, EXIT.USAGE, 'NO_IMAGES');
  return layout;
}

export async function imagesCommand(action: string, arg: string | undefined, o: Opts): Promise<number> {
  switch (action) {
    case 'list': {
      const l = await layoutOrFail();
      const w = Math.max(...l.images.map((i) => i.name.length));
      const rw = Math.max(...l.images.map((i) => `${i.repository}:${i.tag}`.length));
      for (const i of l.images) out(`${i.name.padEnd(w)}  ${`${i.repository}:${i.tag}`.padEnd(rw)}  ${i.manifest.digest}  ${i.architecture}${i.registry === 'auth' ? '  (basic auth when served)' : ''}`);
      err(`${l.images.length} images from ${l.dir}`);
      return EXIT.OK;
    }
    case 'build': {
      const l = await buildFixtureLayout(SHIPPED_LAYOUT, err);
      err(`built ${l.images.length} ${ociArch()} images into ${l.dir}`);
      return EXIT.OK;
    }
    case 'export': {
      if (!arg) throw new UsageError('images export needs a directory: cri-conformance images export DIR');
      const l = await layoutOrFail();
      const dir = path.resolve(arg);
      const oci = path.join(dir, 'oci');
      mkdirSync(path.join(oci, 'blobs', 'sha256'), { recursive: true });
      const seen = new Set<string>();
      for (const i of l.images) {
        for (const d of [i.manifest.digest, ...i.blobs]) {
          if (seen.has(d)) continue;
          seen.add(d);
          copyFileSync(l.blobPath(d), path.join(oci, 'blobs', 'sha256', d.slice(7)));
        }
      }
      // ctr import names an image by io.containerd.image.name; skopeo and CRI-O use the layout's ref name.
      const manifests = l.images.map((i) => ({ ...i.manifest, annotations: { ...i.manifest.annotations, 'io.containerd.image.name': `localhost/${i.repository}:${i.tag}`, [REF_NAME]: `${i.repository}:${i.tag}` } }));
      writeFileSync(path.join(oci, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
      writeFileSync(path.join(oci, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }, null, 1) + '\n');
      const tar = path.join(dir, 'fixture-images.tar');
      await execa('tar', ['-cf', tar, '-C', oci, '.']);
      const map = Object.fromEntries(l.images.map((i) => [i.name, `localhost/${i.repository}:${i.tag}`]));
      writeFileSync(path.join(dir, 'images.json'), JSON.stringify(map, null, 2) + '\n');
      out(`wrote ${l.images.length} images (${l.images[0]?.architecture}) to ${oci} and ${tar}, and the images map ${path.join(dir, 'images.json')}`);
      out('import them where the runtime cannot reach a registry:');
      out(`  containerd: ctr -n k8s.io images import ${tar}`);
      out(`  CRI-O:      for r in ${[...new Set(l.images.map((i) => `${i.repository}:${i.tag}`))].slice(0, 2).join(' ')} …; do skopeo copy oci:${oci}:$r containers-storage:localhost/$r; done`);
      out(`then: cri-conformance run --images ${path.join(dir, 'images.json')} --allow-missing-images   (tests that pull from a registry need one: prefer push --to)`);
      return EXIT.OK;
    }
    case 'push': {
      const to = str(o, 'to');
      if (!to) throw new UsageError('images push needs --to HOST[:PORT]');
      let username = str(o, 'username');
      let password = str(o, 'password');
      const creds = str(o, 'creds');
      if (creds) {
        const c = creds.indexOf(':');
        if (c < 0) throw new UsageError('--creds takes USER:PASSWORD');
        username = creds.slice(0, c);
        password = creds.slice(c + 1);
      }
      if ((username === undefined) !== (password === undefined)) throw new UsageError('--username and --password go together');
      const l = await layoutOrFail();
      const c = new RegistryClient({ host: to, username, password, ...(o['insecure'] ? { scheme: 'http' as const } : {}) });
      for (const i of l.images) {
        try {
          const d = await pushImage(c, l, i);
          out(`pushed ${to}/${i.repository}:${i.tag} ${d}`);
        } catch (e) {
          throw new CliError(`push of ${i.repository}:${i.tag} to ${to} failed: ${(e as Error).message}`, EXIT.CONNECT, 'PUSH');
        }
      }
      err(`${l.images.length} images pushed; run with: cri-conformance run --registry-prefix ${to}`);
      return EXIT.OK;
    }
    case 'configure': {
      const runtime = arg;
      const dir = str(o, 'dir');
      const port = Number(o['port']);
      if (runtime !== 'containerd' && runtime !== 'crio') throw new UsageError('images configure takes containerd or crio');
      if (!dir) throw new UsageError(`images configure ${runtime} needs --dir DIR (${runtime === 'containerd' ? 'the registry config_path, e.g. /etc/containerd/certs.d' : 'e.g. /etc/containers/registries.conf.d'})`);
      if (!Number.isInteger(port) || port < 1 || port > 65534) throw new UsageError('images configure needs --port P (1-65534): run then serves on P and P+1 with --serve-port P');
      const files = runtime === 'containerd' ? containerdHostsFiles(dir, port) : crioRegistriesFile(dir, port);
      writeFiles(files);
      for (const f of files) out(`wrote ${f.file}:\n${f.text.replace(/^/gm, '  ')}`);
      if (runtime === 'containerd') out('containerd reads hosts.toml only when its CRI registry config_path names this directory (Debian\'s default config has none and already pulls from 127.0.0.1 over plain HTTP).');
      else out('CRI-O reads registries.conf.d only when it starts or reloads: reload it now (systemctl reload crio, or kill -HUP $(pidof crio)); until then its pulls from these ports fail with "http: server gave HTTP response to HTTPS client".');
      out(`then: cri-conformance run --serve-port ${port}`);
      return EXIT.OK;
    }
    default:
      throw new UsageError(`unknown images action "${action}": use list, push, export, configure or build`);
  }
}

