// The fixture images the suite serves itself: the layout reproduces the pinned digests and every blob hashes
// to its name; the loopback registry speaks the pull side of the distribution API (content types,
// Docker-Content-Digest, HEAD, tag and digest, error codes, basic auth for the private image, read-only);
// `images configure` writes exactly the runtime's drop-in.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixtureLayout, ociArch, pinnedDigests, verifyLayout, type FixtureLayout } from '../src/images/layout.js';
import { serveFixtureImages, type ServedImages } from '../src/images/registry.js';
import { containerdHostsFiles, crioRegistriesFile } from '../src/images/configure.js';

describe('fixture images', function () {
  this.timeout(180_000);
  let layout: FixtureLayout;
  let served: ServedImages;
  before(async function () {
    const r = await fixtureLayout();
    if (!r.layout) return this.skip(); // neither shipped nor buildable here (needs umoci, gcc, busybox-static)
    layout = r.layout;
    served = await serveFixtureImages(layout);
  });
  after(async () => served?.close());

  it('reproduce the pinned manifest digests of this architecture, and every blob hashes to its name', async function () {
    const pinned = pinnedDigests()[ociArch()];
    if (!pinned) return this.skip(); // no digests pinned for this architecture yet
    const got = Object.fromEntries(layout.images.map((i) => [i.name, i.manifest.digest]));
    expect(got).to.deep.equal(pinned);
    expect(await verifyLayout(layout)).to.deep.equal([]);
  });

  describe('loopback registry', () => {
    const get = (host: string, p: string, init: RequestInit = {}) => fetch(`http://${host}${p}`, init);
    const pub = () => served.hosts.public;
    const busybox = () => layout.images.find((i) => i.name === 'busybox')!;

    it('/v2/ answers 200 with the API version header', async () => {
      const r = await get(pub(), '/v2/');
      expect(r.status).to.equal(200);
      expect(r.headers.get('docker-distribution-api-version')).to.equal('registry/2.0');
    });

    it('serves a manifest by tag and by digest, GET and HEAD, with its media type and Docker-Content-Digest', async () => {
      const b = busybox();
      for (const ref of [b.tag, b.manifest.digest]) {
        for (const method of ['GET', 'HEAD']) {
          const r = await get(pub(), `/v2/${b.repository}/manifests/${ref}`, { method });
          expect(r.status, `${method} ${ref}`).to.equal(200);
          expect(r.headers.get('content-type')).to.equal('application/vnd.oci.image.manifest.v1+json');
          expect(r.headers.get('docker-content-digest')).to.equal(b.manifest.digest);
          expect(Number(r.headers.get('content-length'))).to.equal(b.manifest.size);
          const body = Buffer.from(await r.arrayBuffer());
          expect(body.length).to.equal(method === 'GET' ? b.manifest.size : 0);
        }
      }
    });

    it('serves the blobs of a repository, and only those', async () => {
      const b = busybox();
      const layer = b.blobs[1]!;
      const r = await get(pub(), `/v2/${b.repository}/blobs/${layer}`);
      expect(r.status).to.equal(200);
      expect(r.headers.get('docker-content-digest')).to.equal(layer);
      expect(Buffer.from(await r.arrayBuffer()).equals(readFileSync(layout.blobPath(layer)))).to.equal(true);
      const alt = layout.images.find((i) => i.name === 'alt1')!;
      const own = alt.blobs.find((d) => !b.blobs.includes(d))!;
      const other = await get(pub(), `/v2/${b.repository}/blobs/${own}`);
      expect(other.status).to.equal(404);
      expect((await other.json()).errors[0].code).to.equal('BLOB_UNKNOWN');
    });

    it('answers the distribution error codes for unknown names, tags and routes', async () => {
      expect((await (await get(pub(), '/v2/cri-conformance/nope/manifests/1')).json()).errors[0].code).to.equal('NAME_UNKNOWN');
      expect((await (await get(pub(), `/v2/${busybox().repository}/manifests/nope`)).json()).errors[0].code).to.equal('MANIFEST_UNKNOWN');
      const tags = await (await get(pub(), `/v2/cri-conformance/busybox-tags/tags/list`)).json();
      expect(tags).to.deep.equal({ name: 'cri-conformance/busybox-tags', tags: ['1', '2', '3'] });
    });

    it('is read-only: a push answers 405 UNSUPPORTED', async () => {
      const r = await get(pub(), `/v2/${busybox().repository}/blobs/uploads/`, { method: 'POST' });
      expect(r.status).to.equal(405);
      expect((await r.json()).errors[0].code).to.equal('UNSUPPORTED');
    });

    it('serves the private image only with basic auth, and not from the public registry', async () => {
      const p = layout.images.find((i) => i.name === 'private')!;
      const { host, username, password } = served.privateRegistry;
      const anon = await get(host, `/v2/${p.repository}/manifests/${p.tag}`);
      expect(anon.status).to.equal(401);
      expect(anon.headers.get('www-authenticate')).to.match(/^Basic realm="/);
      const wrong = await get(host, `/v2/${p.repository}/manifests/${p.tag}`, { headers: { Authorization: `Basic ${Buffer.from(`${username}:x`).toString('base64')}` } });
      expect(wrong.status).to.equal(401);
      const ok = await get(host, `/v2/${p.repository}/manifests/${p.tag}`, { headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } });
      expect(ok.status).to.equal(200);
      expect((await get(pub(), `/v2/${p.repository}/manifests/${p.tag}`)).status).to.equal(404);
      expect(served.images['private']).to.equal(`${host}/${p.repository}:${p.tag}`);
    });
  });
});

describe('images configure', () => {
  it('containerd: one hosts.toml per served port, plain HTTP, pull and resolve only', () => {
    const f = containerdHostsFiles('/etc/containerd/certs.d', 35000);
    expect(f.map((x) => x.file)).to.deep.equal(['/etc/containerd/certs.d/127.0.0.1:35000/hosts.toml', '/etc/containerd/certs.d/127.0.0.1:35001/hosts.toml']);
    expect(f[0]!.text).to.include('server = "http://127.0.0.1:35000"').and.include('[host."http://127.0.0.1:35000"]').and.include('capabilities = ["pull", "resolve"]');
  });
  it('CRI-O: one registries.conf drop-in marking both ports insecure', () => {
    const [f] = crioRegistriesFile('/etc/containers/registries.conf.d', 35000);
    expect(f!.file).to.equal('/etc/containers/registries.conf.d/50-cri-conformance.conf');
    expect(f!.text.match(/\[\[registry\]\]/g)).to.have.length(2);
    expect(f!.text).to.include('location = "127.0.0.1:35001"\ninsecure = true');
  });
  it('writes nothing unless asked: the CLI writes into --dir and prints each file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cri-configure-'));
    try {
      const { execa } = await import('execa');
      const cli = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'src', 'cli.js');
      const r = await execa('node', [cli, 'images', 'configure', 'crio', '--dir', dir, '--port', '35000']);
      expect(r.stdout).to.include(`wrote ${dir}/50-cri-conformance.conf:`);
      expect(readFileSync(path.join(dir, '50-cri-conformance.conf'), 'utf8')).to.include('insecure = true');
      expect(r.stdout, 'CRI-O reads the drop-in only on start or SIGHUP').to.match(/reload it now \(systemctl reload crio, or kill -HUP/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('images push (our own push client) into CNCF Distribution', function () {
  this.timeout(180_000);
  it('copies every fixture image with the same digests', async function () {
    const { existsSync, writeFileSync } = await import('node:fs');
    const { spawn } = await import('node:child_process');
    const { freePort } = await import('../src/lab/system.js');
    const { layout } = await fixtureLayout();
    if (!layout || !existsSync('/usr/bin/docker-registry')) return this.skip(); // Debian's docker-registry (the lab installs it)
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cri-push-'));
    const port = await freePort();
    writeFileSync(path.join(dir, 'config.yml'), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    const reg = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 20_000;
      while (!(await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false))) {
        if (Date.now() > deadline) throw new Error('docker-registry did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
      const { RegistryClient, pushImage } = await import('../src/images/push.js');
      const c = new RegistryClient({ host: `127.0.0.1:${port}` });
      for (const i of layout.images) expect(await pushImage(c, layout, i), i.name).to.equal(i.manifest.digest);
      const b = layout.images.find((i) => i.name === 'busybox-tag2')!;
      const r = await fetch(`http://127.0.0.1:${port}/v2/${b.repository}/manifests/${b.tag}`, { method: 'HEAD', headers: { Accept: b.manifest.mediaType } });
      expect(r.headers.get('docker-content-digest')).to.equal(b.manifest.digest);
    } finally {
      reg.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
