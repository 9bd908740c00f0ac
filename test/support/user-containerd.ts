// A second containerd "exactly as a user has it": Debian's packaged config (/etc/containerd/config.toml: only
// the CNI dirs) — no registry config_path, no mirrors, no hosts.toml — with its own root, state, socket, CNI
// network and bridge, so it never touches the system containerd or the lab. Its sandbox image is the default
// registry.k8s.io/pause:3.6, which a real node already holds; here the suite's own pause is put under that
// name with ctr, the way an air-gapped node imports it. stop() removes everything on every path.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blobPathIn, type FixtureLayout, type LayoutImage } from '../../src/images/layout.js';
import { serveRegistry } from '../../src/images/registry.js';
import { execa } from 'execa';
import { killShims, unmountAll, deleteLink, removePortmapRules, netnsUnder } from '../../src/lab/cleanup.js';
import { isAlive, stopPid } from '../../src/lab/procs.js';

export interface UserContainerd {
  endpoint: string;
  socket: string;
  dir: string;
  config: string;
  logFile: string;
  ctr(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export const USER_CTD_DIR = '/var/lib/cri-conformance/userctd-img';
const RUN_DIR = '/run/cri-conformance/userctd-img';
const BRIDGE = 'cricimg0';
const NETWORK = 'cri-conformance-userctd';
const SUBNET = '10.234.77.0/24';

/** containerd's config: Debian's file as shipped, plus only what a second instance must own. */
export function userConfig(dir: string, socket: string, debianConfig = readFileSync('/etc/containerd/config.toml', 'utf8')): string {
  // Debian's file names the CNI conf_dir /etc/cni/net.d and opt path /var/lib/containerd/opt: ours are private.
  const body = debianConfig
    .replace(/conf_dir = ".*"/, `conf_dir = "${dir}/cni/net.d"`)
    .replace(/path = "\/var\/lib\/containerd\/opt"/, `path = "${dir}/opt"`)
    .replace(/^version = 2\s*$/m, '')
    // Not registry settings: what this machine needs to run any pod (no CAP_SYS_RESOURCE, no hugetlb
    // controller), and private netns/runc state so nothing is shared with another containerd.
    .replace(
      /^(\s*)\[plugins\."io\.containerd\.grpc\.v1\.cri"\]\s*$/m,
      (h, ind: string) => `${h}\n${ind}  restrict_oom_score_adj = true\n${ind}  disable_hugetlb_controller = true\n${ind}  tolerate_missing_hugetlb_controller = true\n${ind}  netns_mounts_under_state_dir = true`,
    );
  if (/config_path|mirrors|registry/.test(body)) throw new Error('the Debian containerd config now configures registries: this test assumes it does not');
  return [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${RUN_DIR}/state"`,
    '[grpc]',
    `  address = "${socket}"`,
    '[ttrpc]',
    `  address = "${socket}.ttrpc"`,
    body.trim(),
    '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '      runtime_type = "io.containerd.runc.v2"',
    '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    `        Root = "${dir}/runc"`,
    '',
  ].join('\n');
}

function conflist(dir: string): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: NETWORK,
      plugins: [
        { type: 'bridge', bridge: BRIDGE, isGateway: true, ipMasq: false, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet: SUBNET }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: `${dir}/cni/ipam` } },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

/** A pause image of the node's own (the fixture pause with its own config, so another image id: RemoveImage of
 * the fixture pause by a test must not take the node's sandbox image with it), served once on loopback. */
async function nodePauseImage(layout: FixtureLayout): Promise<{ ref: string; close(): Promise<void> }> {
  const src = layout.images.find((i) => i.name === 'pause')!;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cri-node-pause-'));
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (buf: Buffer): string => {
    const d = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
    writeFileSync(blobPathIn(dir, d), buf);
    return d;
  };
  const manifest = JSON.parse(readFileSync(layout.blobPath(src.manifest.digest), 'utf8'));
  const config = JSON.parse(readFileSync(layout.blobPath(manifest.config.digest), 'utf8'));
  config.config.Labels = { ...(config.config.Labels ?? {}), 'io.cri-conformance.node-pause': 'true' };
  const cfg = Buffer.from(JSON.stringify(config));
  manifest.config = { ...manifest.config, digest: put(cfg), size: cfg.length };
  for (const l of manifest.layers) copyFileSync(layout.blobPath(l.digest), blobPathIn(dir, l.digest));
  const mbuf = Buffer.from(JSON.stringify(manifest));
  const md = put(mbuf);
  const img: LayoutImage = { ...src, name: 'node-pause', repository: 'node/pause', tag: '3.6', manifest: { ...src.manifest, digest: md, size: mbuf.length }, blobs: [manifest.config.digest, ...manifest.layers.map((l: { digest: string }) => l.digest)] };
  const reg = await serveRegistry({ dir, images: [img], blobPath: (d) => blobPathIn(dir, d) }, [img]);
  return {
    ref: `${reg.host}/node/pause:3.6`,
    close: async () => {
      await reg.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `pauseFrom`: the node's sandbox image (containerd's default name) is put in place with ctr before the CRI
 * plugin starts for good (containerd 1.6's CRI image cache is filled at start, not from ctr's image events), as
 * a node holds its pause image from the start. */
export async function startUserContainerd(o: { pauseFrom?: FixtureLayout; log?: (l: string) => void } = {}): Promise<UserContainerd> {
  const log = o.log ?? (() => undefined);
  const dir = USER_CTD_DIR;
  const socket = path.join(RUN_DIR, 'containerd.sock');
  await cleanupUserContainerd(log); // a crashed earlier run
  for (const d of [dir, RUN_DIR, `${dir}/cni/net.d`, `${dir}/opt`]) mkdirSync(d, { recursive: true });
  const config = path.join(dir, 'config.toml');
  writeFileSync(config, userConfig(dir, socket));
  writeFileSync(path.join(dir, 'cni', 'net.d', '10-userctd.conflist'), conflist(dir));
  const ctr = async (args: string[]) => (await execa('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args], { timeout: 120_000 })).stdout;
  const pid = await launch(dir, config, socket, log);
  if (o.pauseFrom) {
    const pause = await nodePauseImage(o.pauseFrom);
    try {
      await ctr(['images', 'pull', '--plain-http', pause.ref]);
      await ctr(['images', 'tag', pause.ref, SANDBOX_IMAGE]);
      await ctr(['images', 'rm', pause.ref]);
    } finally {
      await pause.close();
    }
    await stopPid(pid);
    await launch(dir, config, socket, log);
  }
  return { endpoint: `unix://${socket}`, socket, dir, config, logFile: path.join(dir, 'containerd.log'), ctr, stop: () => cleanupUserContainerd(log) };
}

/** containerd 1.6's default sandbox_image. */
export const SANDBOX_IMAGE = 'registry.k8s.io/pause:3.6';

async function launch(dir: string, config: string, socket: string, log: (l: string) => void): Promise<number> {
  const logFile = path.join(dir, 'containerd.log');
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn('/usr/bin/containerd', ['--config', config], { stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  child.unref();
  writeFileSync(path.join(dir, 'containerd.pid'), String(child.pid));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (existsSync(socket) && (await execa('ctr', ['--address', socket, 'version'], { reject: false, timeout: 5_000 })).exitCode === 0) break;
    if (Date.now() > deadline || !isAlive(child.pid!)) {
      await cleanupUserContainerd(log);
      throw new Error(`the user-like containerd did not start; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return child.pid!;
}

/** Stops the user-like containerd and removes its shims, mounts, network and directories. */
export async function cleanupUserContainerd(log: (l: string) => void = () => undefined): Promise<void> {
  const socket = path.join(RUN_DIR, 'containerd.sock');
  const pidFile = path.join(USER_CTD_DIR, 'containerd.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
  const cmdline = pid && existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
  if (pid && cmdline.includes(path.join(USER_CTD_DIR, 'config.toml'))) await stopPid(pid);
  await killShims(socket, log).catch(() => 0);
  for (const ns of netnsUnder(RUN_DIR)) await execa('umount', [ns], { reject: false });
  await unmountAll([USER_CTD_DIR, RUN_DIR], log).catch(() => undefined);
  await removePortmapRules(NETWORK, log).catch(() => undefined);
  await deleteLink(BRIDGE, log).catch(() => undefined);
  rmSync(USER_CTD_DIR, { recursive: true, force: true });
  rmSync(RUN_DIR, { recursive: true, force: true });
}
