// Offline lab, unit level: generated configs carry the keys these machines need, the image manifest
// and recipes are consistent, layer tars and image builds are reproducible, and bad hosts get one
// clear LabError line, image pushes are confirmed by the registry and retried. Nothing here starts a daemon
// (the push tests use an in-process fake registry and a fake skopeo).
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseMountinfo, portmapLeftovers, shimSocketPath, shimsFor, unescapeMountPath } from '../src/lab/cleanup.js';
import { cniConflist, containerdConfig, containerdConfigV3, DISABLED_PLUGINS, hostsToml, registryConfig, type ContainerdConfigInput } from '../src/lab/config.js';
import { LabError } from '../src/lab/errors.js';
import {
  buildRecipe, flattenRecipe, fixturesDir, layerTar, loadImagesManifest, loadRecipes, pushImage, resolvedRefs, splitRepo,
  type BuiltImage,
} from '../src/lab/images.js';
import { labEnv, type LabInfo } from '../src/lab/index.js';
import { BRIDGE_NAME, DEFAULT_LAB_DIR, MAX_SOCKET_PATH, POD_SUBNET, labLayout } from '../src/lab/layout.js';
import { criPluginFailure, lastError } from '../src/lab/containerd-log.js';
import { checkDebian, checkRoot, crunNeedsHybridWorkaround, crunWrapperScript } from '../src/lab/system.js';
import { buildTar, withParents } from '../src/lab/tar.js';
import { machineMirror, parseMadison } from '../src/lab/runtimes/debian.js';
import { allRuntimeProviders, runtimeProvider } from '../src/lab/runtimes/index.js';

function thrown(fn: () => unknown): LabError {
  try {
    fn();
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(LabError);
    return e as LabError;
  }
  expect.fail('expected a LabError');
}

const has = (bin: string) => existsSync(bin);

describe('lab', () => {
  const l = labLayout(DEFAULT_LAB_DIR);
  const input: ContainerdConfigInput = {
    root: l.containerdRoot,
    state: l.containerdState,
    optDir: l.containerdOpt,
    socket: l.socket,
    sandboxImage: '127.0.0.1:5000/cri-conformance/pause:3.9',
    snapshotter: 'overlayfs',
    streamPort: 41234,
    cniBinDir: '/usr/lib/cni',
    cniConfDir: l.cniConfDir,
    certsDir: l.certsDir,
    runtimes: [
      { name: 'runc', binary: '/usr/sbin/runc', root: l.runcRoot },
      { name: 'crun', binary: '/usr/bin/crun', root: l.crunRoot },
    ],
    defaultRuntime: 'runc',
  };
  const toml = containerdConfig(input);

  describe('layout', () => {
    it('keeps every path private and the socket path short', () => {
      expect(l.socket).to.equal('/run/cri-conformance/containerd.sock');
      for (const p of [l.containerdRoot, l.containerdState, l.containerdConfig, l.certsDir, l.cniConfDir, l.runcRoot, l.crunRoot]) {
        expect(p.startsWith(DEFAULT_LAB_DIR + '/'), p).to.equal(true);
      }
      const long = labLayout('/var/lib/' + 'x'.repeat(200));
      expect(Buffer.byteLength(long.socket)).to.be.at.most(MAX_SOCKET_PATH);
      expect(long.socket).to.match(/^\/run\/cri-conformance\/[0-9a-f]{10}\/containerd\.sock$/);
    });

    it('gives every lab its own bridge (<= 15 bytes) and subnet, never cni0 / 10.88', () => {
      expect(l.bridge).to.equal(BRIDGE_NAME);
      expect(l.subnet).to.equal(POD_SUBNET);
      const other = labLayout('/tmp/some-lab');
      expect(other.bridge).to.not.equal(l.bridge);
      expect(other.bridge.length).to.be.at.most(15);
      expect(other.subnet).to.match(/^10\.233\.\d{1,3}\.0\/24$/);
      for (const x of [l, other]) {
        expect(x.bridge).to.not.equal('cni0');
        expect(x.subnet.startsWith('10.88.')).to.equal(false);
      }
    });
  });

  describe('containerd config', () => {
    it('is a version 2 config on our own root, state, socket and opt dir', () => {
      expect(toml).to.match(/^version = 2$/m);
      expect(toml).to.include(`root = "${l.containerdRoot}"`);
      expect(toml).to.include(`state = "${l.containerdState}"`);
      expect(toml).to.match(new RegExp(`\\[grpc\\]\\n  address = "${l.socket}"`));
      expect(toml).to.include(`address = "${l.socket}.ttrpc"`);
      expect(toml).to.include(`path = "${l.containerdOpt}"`);
      expect(toml).to.not.match(/\/var\/lib\/containerd|\/run\/containerd|\/etc\/containerd|\/etc\/cni/);
    });

    it('sets restrict_oom_score_adj, cgroupfs, the pause image and a loopback stream server', () => {
      expect(toml).to.match(/^\s*restrict_oom_score_adj = true$/m);
      expect(toml).to.match(/^\s*systemd_cgroup = false$/m);
      expect(toml.match(/^\s*SystemdCgroup = false$/gm)).to.have.length(2);
      expect(toml).to.not.match(/SystemdCgroup = true/);
      expect(toml).to.include('sandbox_image = "127.0.0.1:5000/cri-conformance/pause:3.9"');
      expect(toml).to.include('stream_server_address = "127.0.0.1"');
      expect(toml).to.include('stream_server_port = "41234"');
      expect(toml).to.match(/^\s*netns_mounts_under_state_dir = true$/m);
    });

    it('declares runc as default and crun as a second runc-v2 handler', () => {
      expect(toml).to.include('default_runtime_name = "runc"');
      const crun = toml.split('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]')[1];
      expect(crun, 'crun handler table').to.be.a('string');
      expect(crun).to.match(/runtime_type = "io.containerd.runc.v2"/);
      expect(crun).to.match(/BinaryName = "\/usr\/bin\/crun"/);
      expect(crun).to.include(`Root = "${l.crunRoot}"`);
      expect(toml).to.include('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]');
    });

    it('points the registry config_path and CNI at lab dirs, and disables unused snapshotters', () => {
      expect(toml).to.include(`config_path = "${l.certsDir}"`);
      expect(toml).to.include(`conf_dir = "${l.cniConfDir}"`);
      expect(toml).to.include('bin_dir = "/usr/lib/cni"');
      expect(toml).to.include('snapshotter = "overlayfs"');
      for (const p of ['aufs', 'btrfs', 'zfs', 'devmapper']) expect(DISABLED_PLUGINS).to.include(`io.containerd.snapshotter.v1.${p}`);
      expect(DISABLED_PLUGINS, 'the 1.6 tasks service needs it').to.not.include('io.containerd.runtime.v1.linux');
    });

    it('is accepted by the installed containerd (config dump)', function () {
      if (!has('/usr/bin/containerd')) this.skip();
      const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-cfg-'));
      try {
        const file = path.join(dir, 'containerd.toml');
        writeFileSync(file, toml);
        const out = execFileSync('/usr/bin/containerd', ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
        expect(out).to.match(/restrict_oom_score_adj = true/);
        expect(out).to.match(/BinaryName = "\/usr\/bin\/crun"/);
        expect(out).to.include(`config_path = "${l.certsDir}"`);
        expect(out).to.include(`address = "${l.socket}"`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('containerd 2.x config (version 3)', () => {
    const shim = '/var/lib/x/runtime/root/usr/bin/containerd-shim-runc-v2';
    const v3 = containerdConfigV3({
      ...input,
      runtimes: input.runtimes.map((r) => ({ ...r, shim })),
      nri: { socket: `${l.runDir}/nri.sock`, pluginDir: `${l.dir}/nri/plugins`, configDir: `${l.dir}/nri/conf.d` },
      tempDir: `${l.tmpDir}/containerd`,
    });

    it("uses 2.x's split CRI plugins, with the same private paths, pause image and stream server", () => {
      expect(v3).to.match(/^version = 3$/m);
      expect(v3).to.include(`root = "${l.containerdRoot}"`);
      expect(v3).to.include(`state = "${l.containerdState}"`);
      expect(v3).to.include("[plugins.'io.containerd.cri.v1.images'.pinned_images]\n      sandbox = \"127.0.0.1:5000/cri-conformance/pause:3.9\"");
      expect(v3).to.include(`[plugins.'io.containerd.cri.v1.images'.registry]\n      config_path = "${l.certsDir}"`);
      expect(v3).to.match(/\[plugins\.'io\.containerd\.cri\.v1\.runtime'\]\n(.*\n)*?    restrict_oom_score_adj = true/);
      expect(v3).to.include(`bin_dirs = ["/usr/lib/cni"]`);
      expect(v3).to.include("[plugins.'io.containerd.grpc.v1.cri']\n    stream_server_address = \"127.0.0.1\"\n    stream_server_port = \"41234\"");
      expect(v3).to.not.match(/sandbox_image|plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd/);
      expect(v3).to.not.match(/\/var\/lib\/containerd|\/run\/containerd|\/etc\/containerd|\/etc\/cni|\/var\/run\/nri|\/opt\/nri/);
    });

    it('runs both handlers through the private shim, and keeps NRI on a socket of the lab', () => {
      for (const h of ['runc', 'crun']) {
        const t = v3.split(`[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.${h}]`)[1];
        expect(t, `${h} handler table`).to.be.a('string');
        expect(t).to.match(new RegExp(`^        runtime_path = "${shim}"`, 'm'));
      }
      expect(v3).to.include(`socket_path = "${l.runDir}/nri.sock"`);
    });

    it('is accepted by the lab containerd 2.1 (config dump), when one is installed', function () {
      const base = '/var/lib/cri-conformance/lab-containerd-2.1/runtime';
      const bin = existsSync(base) ? readdirSync(base).map((d) => path.join(base, d, 'root/usr/bin/containerd')).find(has) : undefined;
      if (!bin) this.skip();
      const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-cfg-'));
      try {
        const file = path.join(dir, 'containerd.toml');
        writeFileSync(file, v3);
        const out = execFileSync(bin!, ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
        expect(out).to.match(/restrict_oom_score_adj = true/);
        expect(out).to.match(/sandbox = '127\.0\.0\.1:5000\/cri-conformance\/pause:3\.9'/);
        expect(out).to.include(`runtime_path = '${shim}'`);
        expect(out).to.include(`config_path = '${l.certsDir}'`);
        expect(out).to.match(/stream_server_port = '41234'/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('runtimes', () => {
    it('containerd-1.6 is the default, on the default lab dir; each other runtime has a dir, socket, bridge and subnet of its own', () => {
      expect(runtimeProvider().name).to.equal('containerd-1.6');
      expect(runtimeProvider().defaultDir).to.equal(DEFAULT_LAB_DIR);
      const layouts = allRuntimeProviders().map((p) => labLayout(p.defaultDir));
      for (const k of ['dir', 'socket', 'bridge', 'subnet', 'network'] as const) {
        expect(new Set(layouts.map((x) => x[k])).size, k).to.equal(layouts.length);
      }
      for (const x of layouts) expect(x.bridge.length).to.be.at.most(15);
    });

    it('an unknown runtime is one clear LabError naming the choices', () => {
      const e = thrown(() => runtimeProvider('containerd-9'));
      expect(e.code).to.equal('BAD_RUNTIME');
      expect(e.message).to.include('containerd-1.6, containerd-1.7, containerd-2.1');
    });

    it("reads the machine's Debian mirror from deb822 or one-line sources, never the security archive", () => {
      const deb822 = [
        'Types: deb',
        'URIs: http://mirror.example/debian-security',
        'Suites: bookworm-security',
        '',
        'Types: deb-src',
        'URIs: http://src.example/debian',
        '',
        'Types: deb',
        'URIs: http://mirror.example/debian',
        'Suites: bookworm bookworm-updates',
        'Signed-By: /usr/share/keyrings/k.gpg',
      ].join('\n');
      expect(machineMirror([{ name: 'debian.sources', text: deb822 }])).to.deep.equal({ uri: 'http://mirror.example/debian', signedBy: '/usr/share/keyrings/k.gpg' });
      const oneLine = '# comment\ndeb http://sec.example/debian-security bookworm-security main\ndeb [arch=amd64 signed-by=/k.gpg] https://m.example/debian bookworm main\n';
      expect(machineMirror([{ name: 'sources.list', text: oneLine }])).to.deep.equal({ uri: 'https://m.example/debian', signedBy: '/k.gpg' });
      expect(machineMirror([{ name: 'x.list', text: '# nothing\n' }])).to.equal(undefined);
    });

    it('parses apt-cache madison into package, version and suite', () => {
      const text = [
        'containerd | 2.1.9+ds1-5 | http://m.example/debian sid/main amd64 Packages',
        'containerd | 1.7.24~ds1-6+deb13u1 | http://m.example/debian trixie/main amd64 Packages',
        '      runc | 1.3.6+ds1-1 | http://m.example/debian sid/main amd64 Packages',
      ].join('\n');
      expect(parseMadison(text)).to.deep.equal([
        { name: 'containerd', version: '2.1.9+ds1-5', suite: 'sid' },
        { name: 'containerd', version: '1.7.24~ds1-6+deb13u1', suite: 'trixie' },
        { name: 'runc', version: '1.3.6+ds1-1', suite: 'sid' },
      ]);
    });
  });

  describe('registry and network configs', () => {
    it('hosts.toml sends a loopback host to plain http with pull and resolve', () => {
      const h = hostsToml('127.0.0.1:5123');
      expect(h).to.match(/^server = "http:\/\/127\.0\.0\.1:5123"$/m);
      expect(h).to.include('[host."http://127.0.0.1:5123"]');
      expect(h).to.include('capabilities = ["pull", "resolve"]');
    });

    it('CNI conflist: own bridge, host-local in a private dataDir, portmap, no masquerade', () => {
      const c = JSON.parse(cniConflist({ ipamDataDir: l.cniIpamDir })) as {
        cniVersion: string;
        plugins: { type: string; bridge?: string; ipMasq?: boolean; ipam?: { type: string; dataDir: string; ranges: { subnet: string }[][] } }[];
      };
      const bridge = c.plugins.find((p) => p.type === 'bridge')!;
      expect(bridge.bridge).to.equal('cricf0');
      expect(bridge.ipMasq).to.equal(false);
      expect(bridge.ipam!.type).to.equal('host-local');
      expect(bridge.ipam!.dataDir).to.equal(l.cniIpamDir);
      expect(bridge.ipam!.ranges[0]![0]!.subnet).to.equal('10.233.0.0/24');
      expect(c.plugins.map((p) => p.type)).to.include('portmap');
    });

    it('docker-registry config listens on loopback only; the auth one uses htpasswd', () => {
      const pub = registryConfig({ storage: '/x/pub', port: 5001 });
      expect(pub).to.include('addr: 127.0.0.1:5001');
      expect(pub).to.include('rootdirectory: "/x/pub"');
      expect(pub).to.not.include('htpasswd');
      const auth = registryConfig({ storage: '/x/auth', port: 5002, htpasswd: '/x/htpasswd' });
      expect(auth).to.match(/auth:\n  htpasswd:\n    realm: cri-conformance\n    path: "\/x\/htpasswd"/);
    });
  });

  describe('images manifest and recipes', () => {
    const manifest = loadImagesManifest();
    const recipes = loadRecipes();

    it('every logical name has a recipe and a valid repository path', () => {
      for (const [name, e] of Object.entries(manifest.images)) {
        expect(recipes, `recipe of ${name}`).to.have.property(e.recipe);
        expect(() => splitRepo(e.repo), name).to.not.throw();
        expect(e.repo, `${name}: no registry host in the manifest`).to.not.match(/^[^/]*[.:][^/]*\//);
        expect(['public', 'auth']).to.include(e.registry);
        expect(() => flattenRecipe(e.recipe, recipes)).to.not.throw();
      }
    });

    it('has the images the suites use', () => {
      const want = [
        'pause', 'busybox', 'busybox-latest', 'busybox-tag1', 'busybox-tag2', 'busybox-tag3', 'alt1', 'alt2', 'alt3',
        'user-uid', 'user-name', 'user-uid-gid', 'nonroot', 'webserver', 'private',
      ];
      expect(Object.keys(manifest.images)).to.include.members(want);
      expect(manifest.images['private']!.registry).to.equal('auth');
      const tags = ['busybox-tag1', 'busybox-tag2', 'busybox-tag3'].map((n) => manifest.images[n]!);
      expect(new Set(tags.map((t) => t.recipe)).size, 'tag1..3 share one image').to.equal(1);
      expect(new Set(tags.map((t) => splitRepo(t.repo).name)).size).to.equal(1);
      const alts = ['alt1', 'alt2', 'alt3'].map((n) => manifest.images[n]!);
      expect(new Set(alts.map((t) => t.recipe)).size, 'alt1..3 are different images').to.equal(3);
      // One image from two registries: the same recipe and repository path, one public and one basic-auth.
      const [pub, auth] = [manifest.images['mirror']!, manifest.images['mirror-auth']!];
      expect([pub.recipe, pub.repo, pub.registry]).to.deep.equal([auth.recipe, auth.repo, 'public']);
      expect(auth.registry).to.equal('auth');
    });

    it('recipes give the user each user image promises', () => {
      const user = (r: string) => flattenRecipe(r, recipes).config.user;
      expect(user('user-uid')).to.equal('1002');
      expect(user('user-name')).to.equal('cruser');
      expect(user('user-uid-gid')).to.equal('1003:1004');
      expect(user('user-name-group')).to.equal('cruser:crgroup');
      expect(user('nonroot')).to.match(/^[1-9]\d*$/);
      expect(user('busybox')).to.equal(undefined);
      expect(flattenRecipe('webserver', recipes).config.entrypoint).to.include('httpd');
      expect(flattenRecipe('webserver', recipes).config.exposedPorts).to.deep.equal(['8080/tcp']);
      const passwd = readFileSync(path.join(fixturesDir(), 'images', 'files', 'passwd'), 'utf8');
      expect(passwd).to.match(/^cruser:x:1001:1001:/m);
      expect(passwd).to.match(/^root:x:0:0:/m);
      expect(passwd).to.match(/^nobody:x:65534:/m);
    });

    it('resolves to full refs and digest refs', () => {
      const r = resolvedRefs([{ name: 'busybox', host: '127.0.0.1:5000', repo: 'cri-conformance/busybox:1.0', digest: 'sha256:' + 'a'.repeat(64) }]);
      expect(r['busybox']).to.equal('127.0.0.1:5000/cri-conformance/busybox:1.0');
      expect(r['busybox@digest']).to.equal(`127.0.0.1:5000/cri-conformance/busybox@sha256:${'a'.repeat(64)}`);
    });
  });

  describe('reproducible layers and images', () => {
    it('tar writer: same entries in any order give the same bytes, with valid headers', function () {
      const entries = withParents([
        { type: 'file', path: '/etc/x/y', mode: 0o644, content: Buffer.from('hello\n') },
        { type: 'symlink', path: '/bin/sh', target: '/bin/busybox' },
        { type: 'dir', path: '/home/cruser', mode: 0o755, uid: 1001, gid: 1001 },
      ]);
      const a = buildTar(entries);
      const b = buildTar([...entries].reverse());
      expect(a.equals(b)).to.equal(true);
      expect(a.length % 512).to.equal(0);
      if (!has('/usr/bin/tar') && !has('/bin/tar')) return;
      const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-tar-'));
      try {
        writeFileSync(path.join(dir, 'l.tar'), a);
        const list = spawnSync('tar', ['-tvf', path.join(dir, 'l.tar'), '--numeric-owner'], { encoding: 'utf8' });
        expect(list.status, list.stderr).to.equal(0);
        expect(list.stdout).to.match(/1001\/1001 .* home\/cruser\//);
        expect(list.stdout).to.match(/bin\/sh -> \/bin\/busybox/);
        expect(list.stdout).to.match(/1970-01-01/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('busybox layer holds every applet as a symlink and the passwd/group files', async function () {
      if (!has('/bin/busybox')) this.skip();
      const tar = await layerTar({ kind: 'busybox' }, { fixtures: fixturesDir(), tmpDir: os.tmpdir() });
      const text = tar.toString('latin1');
      for (const p of ['bin/busybox', 'etc/passwd', 'etc/group', 'bin/sh', 'home/cruser/']) expect(text).to.include(p);
    });

    it('c layer: suid-id.c is built static and installed setuid root (the suid image)', async function () {
      if (!has('/usr/bin/gcc') || !has('/usr/bin/tar') && !has('/bin/tar')) this.skip();
      this.timeout(60_000);
      const layer = flattenRecipe('suid', loadRecipes()).layers.find((l) => l.kind === 'c');
      expect(layer, 'the suid recipe has a c layer').to.not.equal(undefined);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'lab-c-'));
      try {
        writeFileSync(path.join(dir, 'l.tar'), await layerTar(layer!, { fixtures: fixturesDir(), tmpDir: dir }));
        const list = spawnSync('tar', ['-tvf', path.join(dir, 'l.tar'), '--numeric-owner'], { encoding: 'utf8' });
        expect(list.status, list.stderr).to.equal(0);
        expect(list.stdout).to.match(/-rwsr-xr-x 0\/0 .* usr\/local\/bin\/crc-suid-id/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('building a recipe twice from scratch gives the same manifest digest', async function () {
      if (!has('/usr/bin/umoci') || !has('/usr/bin/gcc') || !has('/bin/busybox')) this.skip();
      this.timeout(120_000);
      const dirs = [mkdtempSync(path.join(os.tmpdir(), 'lab-img-a-')), mkdtempSync(path.join(os.tmpdir(), 'lab-img-b-'))];
      try {
        for (const recipe of ['pause', 'user-name']) {
          const built = [];
          for (const d of dirs) built.push(await buildRecipe(recipe, { cacheDir: path.join(d, 'cache'), tmpDir: path.join(d, 'tmp') }));
          expect(built[0]!.manifestDigest, recipe).to.match(/^sha256:[0-9a-f]{64}$/);
          expect(built[1]!.manifestDigest, recipe).to.equal(built[0]!.manifestDigest);
          // and the cache answers the second time without rebuilding
          const again = await buildRecipe(recipe, { cacheDir: path.join(dirs[0]!, 'cache'), tmpDir: path.join(dirs[0]!, 'tmp') });
          expect(again.manifestDigest).to.equal(built[0]!.manifestDigest);
        }
      } finally {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      }
    });
  });

  describe('host checks and cleanup helpers', () => {
    it('not root, not Linux and not Debian are one clear LabError line each', () => {
      const e1 = thrown(() => checkRoot(1000, 'linux'));
      expect(e1.code).to.equal('NOT_ROOT');
      expect(e1.message).to.match(/root/).and.match(/sudo/);
      expect(thrown(() => checkRoot(0, 'darwin')).code).to.equal('NOT_LINUX');
      expect(() => checkRoot(0, 'linux')).to.not.throw();
      const e2 = thrown(() => checkDebian({ ID: 'fedora', PRETTY_NAME: 'Fedora Linux 40' }));
      expect(e2.code).to.equal('NOT_DEBIAN');
      expect(e2.message).to.include('Fedora Linux 40');
      for (const e of [e1, e2]) expect(e.message).to.not.include('\n');
      expect(new LabError('START_FAILED', 'a\nb', 'tail').message).to.equal('a b');
    });

    it('finds only mounts under the lab dir, decoding mountinfo escapes', () => {
      const info = [
        '100 1 0:50 / /var/lib/cri-conformance/lab/containerd/state/x/rootfs rw - overlay overlay rw',
        '101 1 0:51 / /var/lib/cri-conformance/lab2/other rw - tmpfs tmpfs rw',
        '102 1 0:52 / /var/lib/cri-conformance/lab/with\\040space rw - tmpfs tmpfs rw',
        '103 1 0:53 / /run/netns/cni-1234 rw - nsfs nsfs rw',
      ].join('\n');
      expect(parseMountinfo(info, ['/var/lib/cri-conformance/lab'])).to.deep.equal([
        '/var/lib/cri-conformance/lab/containerd/state/x/rootfs',
        '/var/lib/cri-conformance/lab/with space',
      ]);
      expect(unescapeMountPath('a\\011b')).to.equal('a\tb');
    });

    it('matches only shims serving our containerd address', () => {
      const sock = '/run/cri-conformance/containerd.sock';
      const procs = [
        { pid: 10, ppid: 1, argv: ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', 'abc', '-address', sock] },
        { pid: 11, ppid: 1, argv: ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', 'def', '-address', '/run/containerd/containerd.sock'] },
        { pid: 12, ppid: 1, argv: ['/usr/bin/containerd', '--config', sock] },
      ];
      expect(shimsFor(sock, procs).map((p) => p.pid)).to.deep.equal([10]);
      expect(shimSocketPath(sock, 'k8s.io', 'abc')).to.match(/^\/run\/containerd\/s\/[0-9a-f]{64}$/);
    });

    it('finds only the hostPort rules portmap made for our CNI network', () => {
      const rules = [
        '-N CNI-HOSTPORT-DNAT',
        '-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"cri-conformance\\" id: \\"aaa\\"" -m multiport --dports 18081 -j CNI-DN-0123abcd',
        '-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"cri-conformance-x\\" id: \\"bbb\\"" -m multiport --dports 18082 -j CNI-DN-4567ef01',
        '-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"cbr0\\" id: \\"ccc\\"" -m multiport --dports 80 -j CNI-DN-89abcdef',
      ].join('\n');
      const ours = portmapLeftovers(rules, 'cri-conformance');
      expect(ours.chains).to.deep.equal(['CNI-DN-0123abcd']);
      expect(ours.rules).to.have.length(1);
      expect(portmapLeftovers(rules, 'cri-conformance-x').chains).to.deep.equal(['CNI-DN-4567ef01']);
    });

    it('detects the hybrid-cgroup host on which crun needs its wrapper', () => {
      const hybrid = [
        '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
        '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
      ].join('\n');
      expect(crunNeedsHybridWorkaround(hybrid, 'hugetlb\n')).to.equal(true);
      expect(crunNeedsHybridWorkaround(hybrid, '')).to.equal(false);
      expect(crunNeedsHybridWorkaround('31 23 0:28 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw', 'cpu memory')).to.equal(false);
      expect(crunWrapperScript('/usr/bin/crun')).to.match(/^#!\/bin\/sh\n/).and.include('unshare --mount').and.include('/usr/bin/crun "$@"');
      // Host-shared pod mounts must stay in the host's peer group; only the cgroup tree is cut off.
      expect(crunWrapperScript()).to.include('--propagation unchanged').and.include('mount --make-rslave /sys/fs/cgroup &&').and.not.include('--propagation private');
    });

    it('names the cause of a failed containerd start from its log', () => {
      const log = [
        'time="2026-11-22T15:40:55Z" level=info msg="loading plugin \\"io.containerd.grpc.v1.cri\\"..." type=io.containerd.grpc.v1',
        'time="2026-11-22T15:40:55Z" level=warning msg="failed to load plugin io.containerd.grpc.v1.cri" error="failed to get services: no plugins registered for io.containerd.runtime.v1: not found"',
        'time="2026-11-22T15:40:55Z" level=info msg="containerd successfully booted in 0.029440s"',
      ].join('\n');
      expect(criPluginFailure(log)).to.equal('failed to get services: no plugins registered for io.containerd.runtime.v1: not found');
      expect(lastError(log)).to.match(/^failed to load plugin io.containerd.grpc.v1.cri: failed to get services/);
      expect(lastError('time="x" level=fatal msg="failed to listen" error="address in use"')).to.equal('failed to listen: address in use');
      expect(criPluginFailure('level=info msg="ok"')).to.equal(undefined);
    });

  });

  describe('image push', () => {
    const built: BuiltImage = { recipe: 'busybox', hash: 'h', layout: '/nowhere/oci', tag: 'busybox', manifestDigest: 'sha256:' + 'a'.repeat(64) };
    const other = 'sha256:' + 'b'.repeat(64);
    // The fake registry serves `served` for any manifest HEAD: a digest, or an HTTP status without one.
    let served: string | number = 404;
    let auth: (string | undefined)[] = [];
    let server: http.Server;
    let host = '';

    before(async () => {
      server = http.createServer((req, res) => {
        auth.push(req.headers.authorization);
        if (req.method === 'HEAD' && /^\/v2\/cri-conformance\/busybox\/manifests\/1\.0$/.test(req.url ?? '') && typeof served === 'string') {
          res.writeHead(200, { 'Docker-Content-Digest': served }).end();
        } else {
          res.writeHead(typeof served === 'number' ? served : 404).end();
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));
    beforeEach(() => {
      served = 404;
      auth = [];
    });

    /** A skopeo that answers each call with the next step: 'ok', an error, or a digest the registry serves next. */
    const fakeSkopeo = (steps: (string | Error)[]) => {
      const calls: string[][] = [];
      const skopeo = async (args: string[]) => {
        calls.push(args);
        const step = steps.shift() ?? 'ok';
        if (step instanceof Error) throw step;
        if (step !== 'ok') served = step;
      };
      return { calls, skopeo };
    };

    it('does not push when the registry already serves the built digest', async () => {
      served = built.manifestDigest;
      const f = fakeSkopeo([]);
      expect(await pushImage(built, host, 'cri-conformance/busybox:1.0', { skopeo: f.skopeo })).to.equal(built.manifestDigest);
      expect(f.calls).to.have.length(0);
    });

    it('retries a failed push and returns once the registry serves the built digest', async () => {
      const f = fakeSkopeo([new Error('skopeo exited 1: received unexpected HTTP status: 500 Internal Server Error'), built.manifestDigest]);
      const logs: string[] = [];
      const digest = await pushImage(built, host, 'cri-conformance/busybox:1.0', { skopeo: f.skopeo, backoffMs: 0, log: (l) => logs.push(l) });
      expect(digest).to.equal(built.manifestDigest);
      expect(f.calls).to.have.length(2);
      expect(f.calls[0]).to.deep.equal(f.calls[1]);
      expect(f.calls[0]!.slice(-2)).to.deep.equal([`oci:/nowhere/oci:busybox`, `docker://${host}/cri-conformance/busybox:1.0`]);
      expect(logs.join('\n')).to.match(/retrying the push of cri-conformance\/busybox:1\.0 .*attempt 2 of 3.*500 Internal Server Error; registry answers HTTP 404/);
    });

    it('retries when skopeo succeeds but the registry serves another digest, and names it in the error', async () => {
      const f = fakeSkopeo([other, other, other, built.manifestDigest]);
      const err = await pushImage(built, host, 'cri-conformance/busybox:1.0', { skopeo: f.skopeo, backoffMs: 0 }).then(
        () => expect.fail('expected the push to fail'),
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(LabError);
      expect((err as LabError).code).to.equal('IMAGE_PUSH_FAILED');
      expect((err as LabError).message).to.equal(
        `pushing cri-conformance/busybox:1.0 to the lab registry ${host} failed 3 times (last: skopeo succeeded but the registry ` +
          `answers HTTP 200, digest ${other}, expected ${built.manifestDigest}): see the registry log under the lab dir logs/`,
      );
      expect(f.calls).to.have.length(3);
    });

    it('gives up after the given attempts with the last skopeo error and registry answer, never the password', async () => {
      served = 500;
      const creds = { username: 'crilab', password: 's3cret' };
      const f = fakeSkopeo([0, 1].map(() => new Error('skopeo copy --dest-creds crilab:s3cret oci:x docker://y exited 1: blob upload unknown')));
      const err = await pushImage(built, host, 'cri-conformance/busybox:1.0', { creds, skopeo: f.skopeo, attempts: 2, backoffMs: 0 }).then(
        () => expect.fail('expected the push to fail'),
        (e: unknown) => e as LabError,
      );
      expect(err.message).to.match(/failed 2 times \(last: .*crilab:\*\*\* .*blob upload unknown; registry answers HTTP 500\)/);
      expect(err.message).not.to.include('s3cret');
      expect(f.calls).to.have.length(2);
      expect(f.calls[0]).to.include.members(['--dest-creds', 'crilab:s3cret']);
      expect(auth.every((a) => a === 'Basic ' + Buffer.from('crilab:s3cret').toString('base64')), 'basic auth on every HEAD').to.equal(true);
    });

    it('says when the registry does not answer at all', async () => {
      const closed = http.createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const gone = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
      await new Promise<void>((r) => closed.close(() => r()));
      const f = fakeSkopeo([new Error('skopeo exited 1: connection refused')]);
      const err = await pushImage(built, gone, 'cri-conformance/busybox:1.0', { skopeo: f.skopeo, attempts: 1 }).then(
        () => expect.fail('expected the push to fail'),
        (e: unknown) => e as LabError,
      );
      expect(err.message).to.match(/failed 1 time \(last: skopeo exited 1: connection refused; registry answers nothing \(ECONNREFUSED\)\)/);
    });
  });

  it('labEnv exports the endpoints, images file and registry credentials (shell-safe values)', () => {
    const info: LabInfo = {
      dir: DEFAULT_LAB_DIR,
      runtime: 'containerd-1.6',
      packages: { containerd: '1.6.20~ds1-1+deb12u1' },
      runtimeEndpoint: 'unix:///run/cri-conformance/containerd.sock',
      imageEndpoint: 'unix:///run/cri-conformance/containerd.sock',
      registry: '127.0.0.1:5000',
      authRegistry: { host: '127.0.0.1:5001', username: 'crilab', password: '0123abcd' },
      images: {},
      runtimeHandlers: ['runc', 'crun'],
      handlerRoots: { runc: `${DEFAULT_LAB_DIR}/containerd/runc`, crun: `${DEFAULT_LAB_DIR}/containerd/crun` },
      cniPluginDir: '/usr/lib/cni',
      imagesFile: `${DEFAULT_LAB_DIR}/images.resolved.json`,
      snapshotter: 'overlayfs',
      logDir: `${DEFAULT_LAB_DIR}/logs`,
    };
    const env = labEnv(info);
    expect(env).to.include({
      CONTAINER_RUNTIME_ENDPOINT: info.runtimeEndpoint,
      IMAGE_SERVICE_ENDPOINT: info.imageEndpoint,
      CRI_CONFORMANCE_IMAGES: info.imagesFile,
      CRI_CONFORMANCE_RUNTIME_HANDLERS: 'runc,crun',
      CRI_CONFORMANCE_LAB_RUNTIME: 'containerd-1.6',
    });
    for (const v of Object.values(env)) expect(v).to.match(/^[A-Za-z0-9_./:,@-]+$/);
  });
});
