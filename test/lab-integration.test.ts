// Offline lab, for real: brings a lab up in a dir of its own (so the default lab other runs may be
// using is left alone), checks status, idempotence, a pod sandbox on both handlers, image pulls
// from the anonymous and the authenticated registry, then takes it down and checks that no process,
// mount, netns, bridge or socket is left. Runs only as root on Debian/Ubuntu with Linux; skipped
// otherwise (and when CRI_CONFORMANCE_SKIP_LAB=1). CRI_CONFORMANCE_LAB_TEST_RUNTIME picks the runtime
// (containerd-1.6 by default; containerd-1.7 and -2.1 download their Debian packages on first use).
import { expect } from 'chai';
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { parseEndpoint } from '../src/config.js';
import { closeChannel, makeCri, type Cri } from '../src/cri/client.js';
import { makeTimeouts } from '../src/cri/timeouts.js';
import { labDown, labStatus, labUp, type LabInfo } from '../src/lab/index.js';
import { labLayout } from '../src/lab/layout.js';
import { listProcs } from '../src/lab/procs.js';
import { readOsRelease } from '../src/lab/system.js';

const RUNTIME = process.env['CRI_CONFORMANCE_LAB_TEST_RUNTIME'] || undefined;
const DIR = process.env['CRI_CONFORMANCE_LAB_TEST_DIR'] ?? `/var/lib/cri-conformance/lab-itest${RUNTIME ? `-${RUNTIME}` : ''}`;

function skipReason(): string | undefined {
  if (process.env['CRI_CONFORMANCE_SKIP_LAB'] === '1') return 'CRI_CONFORMANCE_SKIP_LAB=1';
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root: the lab starts containerd, mounts and creates netns';
  const os = readOsRelease();
  if (![os.ID, ...(os.ID_LIKE ?? '').split(' ')].some((id) => id === 'debian' || id === 'ubuntu')) return 'not Debian/Ubuntu';
  return undefined;
}

function labLeftovers(): string[] {
  const l = labLayout(DIR);
  const out: string[] = [];
  for (const p of listProcs()) {
    if (p.pid === process.pid) continue;
    const cmd = p.argv.join(' ');
    if (cmd.includes(l.dir + '/') || cmd.includes(l.socket)) out.push(`process ${p.pid}: ${cmd.slice(0, 120)}`);
  }
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp && (mp === l.dir || mp.startsWith(l.dir + '/'))) out.push(`mount ${mp}`);
  }
  const netnsDir = `${l.containerdState}/io.containerd.grpc.v1.cri/netns`;
  if (existsSync(netnsDir) && readdirSync(netnsDir).length) out.push(`netns under ${netnsDir}`);
  if (existsSync(`/sys/class/net/${l.bridge}`)) out.push(`bridge ${l.bridge}`);
  if (existsSync(l.socket)) out.push(`socket ${l.socket}`);
  if (existsSync(l.runDir) && readdirSync(l.runDir).length) out.push(`files in ${l.runDir}: ${readdirSync(l.runDir).join(', ')}`);
  return out;
}

describe('lab integration (root)', function () {
  this.timeout(600_000);
  let info: LabInfo;
  let client: Cri;
  const log: string[] = [];

  before(function () {
    const why = skipReason();
    if (why) {
      console.log(`      (lab integration skipped: ${why})`);
      this.skip();
    }
  });

  after(async function () {
    if (client) closeChannel(client.runtime.endpoint);
    if (!skipReason()) await labDown({ dir: DIR }).catch(() => undefined);
  });

  it('labUp brings containerd and both registries up with every image resolved', async () => {
    info = await labUp({ dir: DIR, runtime: RUNTIME, log: (l) => log.push(l) });
    expect(info.runtime).to.equal(RUNTIME ?? 'containerd-1.6');
    expect(info.packages['containerd'], 'the containerd package version').to.be.a('string');
    expect(info.runtimeEndpoint).to.match(/^unix:\/\/\/run\/cri-conformance\/.+\/containerd\.sock$/);
    expect(info.imageEndpoint).to.equal(info.runtimeEndpoint);
    expect(info.registry).to.match(/^127\.0\.0\.1:\d+$/);
    expect(info.authRegistry.host).to.match(/^127\.0\.0\.1:\d+$/).and.not.equal(info.registry);
    expect(info.authRegistry.username).to.be.a('string').and.not.equal('');
    expect(info.runtimeHandlers).to.deep.equal(['runc', 'crun']);
    for (const n of ['pause', 'busybox', 'busybox-tag1', 'alt1', 'alt2', 'user-uid', 'webserver']) {
      expect(info.images[n]!.startsWith(`${info.registry}/cri-conformance/`), n).to.equal(true);
      expect(info.images[`${n}@digest`], n).to.match(/@sha256:[0-9a-f]{64}$/);
    }
    expect(info.images['private']!.startsWith(info.authRegistry.host + '/')).to.equal(true);
    expect(info.images['busybox-tag1@digest']!.split('@')[1]).to.equal(info.images['busybox-tag3@digest']!.split('@')[1]);
    expect(info.images['alt1@digest']!.split('@')[1]).to.not.equal(info.images['alt2@digest']!.split('@')[1]);
    expect(JSON.parse(readFileSync(info.imagesFile, 'utf8'))).to.deep.equal(info.images);
    const ep = parseEndpoint(info.runtimeEndpoint, 'lab');
    client = makeCri(ep, ep, { runtime: 'v1', image: 'v1' }, makeTimeouts(20));
  });

  it('labStatus reports it running with no problems', async () => {
    const st = await labStatus({ dir: DIR });
    expect(st.problems).to.deep.equal([]);
    expect(st.running).to.equal(true);
    expect(st.info?.runtimeEndpoint).to.equal(info.runtimeEndpoint);
  });

  it('a second labUp reuses the running lab (same containerd, same ports, fast)', async () => {
    const l = labLayout(DIR);
    const pidBefore = readFileSync(`${l.pidDir}/containerd.pid`, 'utf8');
    // An old failure in the log must not make a warm up stop the healthy containerd.
    appendFileSync(`${l.logDir}/containerd.log`, 'time="x" level=warning msg="failed to load plugin io.containerd.grpc.v1.cri" error="old"\n');
    const t = Date.now();
    const again = await labUp({ dir: DIR, runtime: RUNTIME });
    expect(readFileSync(`${l.pidDir}/containerd.pid`, 'utf8')).to.equal(pidBefore);
    expect(process.kill(Number(pidBefore), 0)).to.equal(true);
    expect(Date.now() - t).to.be.below(10_000);
    expect(again.registry).to.equal(info.registry);
    expect(again.authRegistry).to.deep.equal(info.authRegistry);
    expect(again.images).to.deep.equal(info.images);
  });

  it('pulls through CRI from the anonymous registry, and the private image only with the right credentials', async () => {
    const pull = (image: string, auth?: object) => client.image.call('PullImage', { image: { image }, ...(auth ? { auth } : {}) }, { timeoutMs: 60_000 });
    expect((await pull(info.images['busybox']!)).image_ref).to.match(/^sha256:/);
    expect((await pull(info.images['busybox@digest']!)).image_ref).to.match(/^sha256:/);
    const priv = info.images['private']!;
    const { username, password } = info.authRegistry;
    let err = await pull(priv).then(() => undefined, (e: Error) => e);
    // containerd 1.6 names the registry's 401; 2.x's transfer service says "pull access denied … no basic auth credentials".
    expect(err?.message, 'anonymous pull of the private image must fail').to.match(/401|unauthorized|access denied/i);
    err = await pull(priv, { username, password: password + 'x' }).then(() => undefined, (e: Error) => e);
    expect(err?.message, 'wrong password must fail').to.match(/401|unauthorized/i);
    expect((await pull(priv, { username, password })).image_ref).to.match(/^sha256:/);
  });

  for (const handler of ['runc', 'crun']) {
    it(`runs a pod sandbox with the pause image on the ${handler} handler`, async () => {
      const cfg = {
        metadata: { name: `itest-${handler}`, uid: `itest-${handler}-${Date.now()}`, namespace: 'lab-itest', attempt: 0 },
        hostname: `itest-${handler}`,
        linux: {},
      };
      const { pod_sandbox_id: id } = await client.runtime.call('RunPodSandbox', { config: cfg, runtime_handler: handler }, { timeoutMs: 60_000 });
      const st = await client.runtime.call('PodSandboxStatus', { pod_sandbox_id: id });
      expect(st.status?.state).to.equal('SANDBOX_READY');
      expect(st.status?.network?.ip).to.match(/^10\.233\./);
      if (handler === 'crun') return; // left running: labDown must clean it up
      await client.runtime.call('StopPodSandbox', { pod_sandbox_id: id });
      await client.runtime.call('RemovePodSandbox', { pod_sandbox_id: id });
    });
  }

  it('labDown leaves no process, mount, netns, bridge or socket, and status says not running', async () => {

    await labDown({ dir: DIR, log: (l) => log.push(l) });
    expect(labLeftovers()).to.deep.equal([]);
    const st = await labStatus({ dir: DIR });
    expect(st.running).to.equal(false);
    expect(st.problems.join('; ')).to.match(/containerd is not running/);
  });

  it('labDown again is a no-op', async () => {
    await labDown({ dir: DIR });
    expect(labLeftovers()).to.deep.equal([]);
  });
});
