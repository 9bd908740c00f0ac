// Self-tests: the lab containerd (1.6.20) cannot mount image volumes, so the proxy stands in for a runtime that
// can: it turns each Mount.image into a host-path mount of an unpacked copy of the image (the "volume" fixture's
// files) and echoes the image in ContainerStatus. Shown to pass that way, each check must then fail when the
// stand-in does one thing wrong.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Status, expectCheckFails, runOne, type Fault } from '../support/selftest.js';
import { execAnswer } from '../support/faults.js';

const I = 'image-volumes/Image volumes ';
const CONTENT = `${I}runtime should mount an image at Mount.image with its content, read-only and executable [Feature:ImageVolume]`;
const SUBPATH = `${I}runtime should mount only image_sub_path of an image volume [Feature:ImageVolume] [Feature:ImageVolumeSubPath]`;
const MISSING = `${I}runtime should refuse an image volume whose image_sub_path is not in the image [Feature:ImageVolume] [Feature:ImageVolumeSubPath]`;
const RW = `${I}runtime should refuse a read-write image volume [Feature:ImageVolume] [Strict]`;
const DIGEST = `${I}runtime should report the image volume's image in ContainerStatus.mounts[].image.image_ref [Feature:ImageVolume] [Feature:ImageVolumeWithDigest]`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;

const roots: string[] = [];

/** An unpacked copy of the "volume" fixture image: /cri-conformance-volume/hello and /bin/busybox. */
function unpacked(hello: string, withBusybox: boolean): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'crc-selftest-imgvol-'));
  roots.push(root);
  mkdirSync(path.join(root, 'cri-conformance-volume'));
  writeFileSync(path.join(root, 'cri-conformance-volume', 'hello'), hello);
  if (withBusybox) {
    mkdirSync(path.join(root, 'bin'));
    copyFileSync('/bin/busybox', path.join(root, 'bin', 'busybox'));
  }
  return root;
}

interface Stand {
  hello?: string;
  noBusybox?: boolean;
  ignoreSubPath?: boolean;
  readWrite?: boolean;
  /** Echo Mount.image with its image_ref in ContainerStatus (containerd 1.6 drops the field it does not know). */
  echo?: boolean;
}

/** A runtime that mounts image volumes (as host paths), with the flaws asked for. */
function imageVolumes(o: Stand = {}): Fault[] {
  const root = unpacked(o.hello ?? 'from-image\n', !o.noBusybox);
  const images = new Map<string, Msg>();
  let volumeId = '';
  const faults: Fault[] = [
    {
      rpc: 'CreateContainer',
      mutateRequest: (req) => req.config.mounts?.filter((m: Msg) => m.image?.image).forEach((m: Msg) => {
        images.set(req.config.metadata.name, m.image);
        m.host_path = m.image_sub_path && !o.ignoreSubPath ? path.join(root, m.image_sub_path) : root;
        if (o.readWrite) m.readonly = false;
      }),
    },
    // The image id, from the answers the suite itself gets when it makes sure the image is there.
    { rpc: 'ImageStatus', mutate: (r, req) => void (req.image?.image?.includes('/volume') && r.image?.id && (volumeId = r.image.id)) },
    { rpc: 'PullImage', mutate: (r, req) => void (req.image?.image?.includes('/volume') && r.image_ref && (volumeId = r.image_ref)) },
  ];
  if (o.echo !== false) {
    faults.push({
      rpc: 'ContainerStatus',
      mutate: (r) => r.status?.mounts?.forEach((m: Msg) => {
        const image = images.get(r.status.metadata?.name);
        if (image && m.host_path.startsWith(root)) m.image = { ...image, image_ref: volumeId };
      }),
    });
  }
  return faults;
}


async function passesWith(id: string, faults: Fault[]): Promise<void> {
  const r = await runOne(id, faults);
  expect(r.status, `expected "${id}" to pass against the stand-in runtime: ${r.message ?? ''}`).to.equal('passed');
}

describe('self-test: image-volumes', function () {
  this.timeout(600_000);
  after(() => roots.forEach((d) => rmSync(d, { recursive: true, force: true })));

  // The stand-in is a faithful runtime: the tests pass against it (so the faults below are what fails them).
  it(`${CONTENT} passes against a runtime that mounts image volumes`, () => passesWith(CONTENT, imageVolumes()));
  it(`${SUBPATH} passes against a runtime that mounts image volumes`, () => passesWith(SUBPATH, imageVolumes()));
  it(`${DIGEST} passes against a runtime that mounts image volumes`, () => passesWith(DIGEST, imageVolumes()));

  it(`${CONTENT} fails when the runtime refuses Mount.image`, () =>
    expectCheckFails(CONTENT, [{ rpc: 'CreateContainer', error: { code: Status.UNKNOWN, details: 'failed to mkdir ""' } }],
      /CreateContainer \(mounts\[0\]\.image \S+volume:1\.0\): expected success \(the kubelet sends Mount\.image for an image volume\), got UNKNOWN: failed to mkdir ""/));

  it(`${CONTENT} fails when the mounted content is not the image's`, () =>
    expectCheckFails(CONTENT, imageVolumes({ hello: 'other\n' }),
      /ExecSync: cat \/mnt\/image-volume\/cri-conformance-volume\/hello \(a file of the image mounted at \/mnt\/image-volume\): expected "from-image\\n", got "other\\n"/));

  it(`${CONTENT} fails when the image volume is writable`, () =>
    expectCheckFails(CONTENT, imageVolumes({ readWrite: true }),
      /ExecSync: exit_code \(touch \/mnt\/image-volume\/written, an image volume\): expected anything but 0, got 0 \(image volumes are read-only\)/));

  it(`${CONTENT} fails when only the file modes keep writes out (EACCES, not EROFS)`, () =>
    expectCheckFails(CONTENT, [...imageVolumes({ readWrite: true }), execAnswer('touch /mnt/image-volume/written', (r) => {
      r.exit_code = 1;
      r.stderr = Buffer.from('touch: /mnt/image-volume/written: Permission denied\n');
    })], /ExecSync: stderr \(touch \/mnt\/image-volume\/written, an image volume\): expected a value matching \/read-only file system\/i, got "touch: \/mnt\/image-volume\/written: Permission denied"/));

  it(`${CONTENT} fails when the mount is read-write per mount and at the superblock`, () =>
    expectCheckFails(CONTENT, [...imageVolumes({ readWrite: true }), execAnswer('touch /mnt/image-volume/written', (r) => {
      r.exit_code = 1;
      r.stderr = Buffer.from('touch: /mnt/image-volume/written: Read-only file system\n');
    })], /ExecSync: \/proc\/self\/mountinfo options of \/mnt\/image-volume \(per mount \[rw.*\], superblock \[rw.*\]\): expected to include "ro", got \[ 'rw'/));

  // CRI-O mounts the image read-only at the superblock: its mountinfo line reads rw per mount, ro in the super options.
  it(`${CONTENT} passes when the volume is read-only at the superblock only`, () =>
    passesWith(CONTENT, [...imageVolumes(), execAnswer('/proc/self/mountinfo', (r) => {
      const f = (r.stdout as Buffer).toString('utf8').trim().split('\n').pop()!.split(' ');
      const sep = f.indexOf('-', 6);
      f[5] = f[5]!.split(',').map((o) => (o === 'ro' ? 'rw' : o)).join(',');
      f[sep + 3] = ['ro', ...f[sep + 3]!.split(',').filter((o) => o !== 'rw' && o !== 'ro')].join(',');
      r.stdout = Buffer.from(`${f.join(' ')}\n`);
    })]));

  it(`${CONTENT} fails when a binary of the image volume cannot run`, () =>
    expectCheckFails(CONTENT, imageVolumes({ noBusybox: true }),
      /ExecSync: stdout \(\/mnt\/image-volume\/bin\/busybox echo, a binary of the image volume\): expected "ran-from-volume\\n", got "\(ExecSync error: UNKNOWN: .*\)"/));

  it(`${SUBPATH} fails when the runtime refuses image_sub_path`, () =>
    expectCheckFails(SUBPATH, [{ rpc: 'CreateContainer', error: { code: Status.INVALID_ARGUMENT, details: 'image_sub_path not supported' } }],
      /CreateContainer \(mounts\[0\]\.image \S+, image_sub_path cri-conformance-volume\): expected success \(.*\), got INVALID_ARGUMENT: image_sub_path not supported/));

  it(`${SUBPATH} fails when the runtime ignores image_sub_path (mounts the image root)`, () =>
    expectCheckFails(SUBPATH, imageVolumes({ ignoreSubPath: true }),
      /ExecSync: cat \/mnt\/image-volume\/hello \(image_sub_path cri-conformance-volume\): expected "from-image\\n", got "\(exit 1: .*\)"/));

  it(`${SUBPATH} fails when more than the sub path is visible`, () =>
    expectCheckFails(SUBPATH, [...imageVolumes(), execAnswer('test -e /mnt/image-volume/bin/busybox', (r) => (r.exit_code = 0))],
      /ExecSync: exit_code \(test -e \/mnt\/image-volume\/bin\/busybox, outside image_sub_path\): expected anything but 0, got 0/));

  it(`${MISSING} fails when the runtime accepts a sub path the image lacks`, () =>
    expectCheckFails(MISSING, imageVolumes(),
      /CreateContainer \(mounts\[0\] \{"readonly":true,"image_sub_path":"crc-no-such-dir"\}\): expected an error \(image_sub_path "crc-no-such-dir" does not exist in the image\), got success/));

  it(`${RW} fails when the runtime accepts a read-write image volume`, () =>
    expectCheckFails(RW, imageVolumes(),
      /CreateContainer \(mounts\[0\] \{"readonly":false,"image_sub_path":""\}\): expected an error \(image volumes are read-only: readonly=false cannot be honoured\), got success/));

  it(`${DIGEST} fails when ContainerStatus does not list the image volume`, () =>
    expectCheckFails(DIGEST, [...imageVolumes().filter((f) => f.rpc !== 'ContainerStatus'), { rpc: 'ContainerStatus', mutate: (r) => void (r.status.mounts = []) }],
      /ContainerStatus: status\.mounts: expected a mount at \/mnt\/image-volume, got \[\]/));

  it(`${DIGEST} fails when the mount carries no image_ref`, () =>
    expectCheckFails(DIGEST, imageVolumes({ echo: false }),
      /ContainerStatus: status\.mounts\[\/mnt\/image-volume\]\.image\.image_ref: expected one of "sha256:[0-9a-f]+", .*, got ""/));
});
