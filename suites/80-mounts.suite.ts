// Mounts: propagation (PRIVATE, HOST_TO_CONTAINER, BIDIRECTIONAL) judged by real mount events crossing (or not)
// between the host and the container, what ContainerStatus.mounts echoes, and the SELinux relabel flag.
// The plain host-path mount tests (read-write, readonly, recursive readonly) live in 40-container.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import {
  defineSuite, check, failWith, skip, runSandbox, containerPod, runContainer, containerStatus, execSync, tempDir, podSandboxConfig,
  containerConfig, withShell, type ContainerOption, type SandboxOption, type TestContext, testImage, cri, type Basis,
} from '../src/framework/index.js';
import { withKubeletNamespaces, withKubeletSandboxNamespaces } from '../src/framework/container.js';
import { startWithinHostLimits } from '../src/framework/host.js';
import type { Mount } from '../src/gen/v1/runtime/v1/Mount.js';
import type { MountPropagation } from '../src/gen/v1/runtime/v1/MountPropagation.js';

type Propagation = Exclude<MountPropagation, number>;

// What the checks rest on (api.proto of cri-api v0.36).
const PROPAGATION_BASIS: Record<Propagation, Basis> = {
  PROPAGATION_PRIVATE: cri('MountPropagation.PROPAGATION_PRIVATE', 'No mount propagation ("rprivate" in Linux terminology).', 'effect'),
  PROPAGATION_HOST_TO_CONTAINER: cri('MountPropagation.PROPAGATION_HOST_TO_CONTAINER', 'Mounts get propagated from the host to the container ("rslave" in Linux).', 'effect'),
  PROPAGATION_BIDIRECTIONAL: cri('MountPropagation.PROPAGATION_BIDIRECTIONAL', 'Mounts get propagated from the host to the container and from the container to the host ("rshared" in Linux).', 'effect'),
};
const PRIVILEGED_BASIS = cri('LinuxContainerSecurityContext.privileged', 'Privileged mode implies … 1. All capabilities are added.', 'effect');
const ECHO_BASIS = cri('ContainerStatus.mounts', 'Mounts for the container.', 'echo');
const CONTAINER_PATH = cri('Mount.container_path', 'Path of the mount within the container.', 'effect');
const READONLY_BASIS = cri('Mount.readonly', 'If set, the mount is read-only.', 'effect');
const RELABEL_BASIS = cri('Mount.selinux_relabel', 'If set, the mount needs SELinux relabeling.', 'effect');
const SELINUX_BASIS = cri('LinuxContainerSecurityContext.selinux_options', 'SELinux context to be optionally applied.', 'effect');

export default defineSuite(({ describe, it }) => {
  describe('Mount propagation', () => {
    it('runtime should let no mount event cross a PROPAGATION_PRIVATE mount, either way [Conformance]', (t) =>
      judgePropagation(t, 'PROPAGATION_PRIVATE', { hostToContainer: false, containerToHost: false }));

    it('runtime should carry host mounts into a PROPAGATION_HOST_TO_CONTAINER mount and none back [Conformance]', (t) =>
      judgePropagation(t, 'PROPAGATION_HOST_TO_CONTAINER', { hostToContainer: true, containerToHost: false }));

    it('runtime should carry mounts both ways through a PROPAGATION_BIDIRECTIONAL mount of a privileged container [Conformance]', (t) =>
      judgePropagation(t, 'PROPAGATION_BIDIRECTIONAL', { hostToContainer: true, containerToHost: true }));
  });

  describe('ContainerStatus.mounts', () => {
    it('runtime should report each mount in ContainerStatus.mounts as configured, and mount it so [Conformance]', async (t) => {
      const ref = await testImage(t);
      const ro = await tempDir(t, 'mnt-ro');
      const rw = await tempDir(t, 'mnt-rw');
      const mounts: Mount[] = [
        { container_path: '/mnt/echo-ro', host_path: ro, readonly: true, propagation: 'PROPAGATION_PRIVATE' },
        { container_path: '/mnt/echo-rw', host_path: rw, readonly: false, propagation: 'PROPAGATION_PRIVATE' },
      ];
      const sb = await containerPod(t);
      const id = await runContainer(t, sb, ctr('echo', ref, withShell('sleep 3600'), (c) => void (c.mounts = mounts)));
      const s = await containerStatus(t, id);
      // What was configured must come back; a runtime may list mounts of its own beside them.
      const paths = (s.mounts ?? []).map((m) => m.container_path);
      for (const m of mounts) check('ContainerStatus', 'status.mounts[].container_path', paths, ECHO_BASIS).includes(m.container_path, 'as in ContainerConfig.mounts');
      for (const m of mounts) expectEcho(s.mounts ?? [], m);
      // The truth, by effect: a write into the readonly mount fails (EROFS whether the bind mount or its
      // superblock is read-only: runtimes do either) and one into the read-write mount works.
      const info = parseMountinfo(await readInside(t, id, '/proc/self/mountinfo', READONLY_BASIS));
      for (const m of mounts) {
        const e = info.find((x) => x.mountPoint === m.container_path);
        check('ExecSync', 'mount points in /proc/self/mountinfo', info.map((x) => x.mountPoint), CONTAINER_PATH).includes(m.container_path, `ContainerConfig.mounts[].container_path (host_path ${m.host_path})`);
        const shown = e ? `mount options ${e.options.join(',')}, super options ${e.superOptions.join(',')}` : 'not in /proc/self/mountinfo';
        const w = await execSync(t, id, ['touch', `${m.container_path}/crc-write`]);
        const out = `${w.stderr}${w.stdout}`.trim();
        if (m.readonly) {
          if (w.exitCode === 0) failWith(`ExecSync (touch ${m.container_path}/crc-write): expected the write to fail (readonly=true), got success (${shown})`, READONLY_BASIS);
          check('ExecSync', `/proc/self/mountinfo ro flag of ${m.container_path} (readonly=true): mount or super options`, e ? [...e.options, ...e.superOptions] : [], READONLY_BASIS)
            .includes('ro', `the write failed with ${JSON.stringify(out)}, but not because the mount is read-only; ${shown}`);
        } else {
          check(`ExecSync (touch ${m.container_path}/crc-write)`, 'exit_code', w.exitCode, READONLY_BASIS).equals(0, `readonly=false: the mount must take writes; output ${JSON.stringify(out)}; ${shown}`);
        }
      }
    });

    it('runtime should relabel a selinux_relabel mount with the container\'s SELinux level [Conformance]', async (t) => {
      // Host features are detected once per run (src/runner/host.ts); a self-test pretends SELinux is there.
      const se = t.run.hostFeatures.selinux;
      if (!se.present) skip(`the host has no SELinux (${se.evidence}): what selinux_relabel does cannot be judged`);
      const ref = await testImage(t);
      const dir = await tempDir(t, 'mnt-label');
      const level = 's0:c117,c893';
      const selinux = { user: '', role: '', type: '', level };
      const sb = await runSandbox(t, pod('mnt', (c) => void (c.linux!.security_context!.selinux_options = selinux)));
      const mount: Mount = { container_path: '/mnt/label', host_path: dir, selinux_relabel: true };
      const id = await runContainer(t, sb, ctr('label', ref, withShell('sleep 3600'), (c) => {
        c.mounts = [mount];
        c.linux!.security_context!.selinux_options = selinux;
      }));
      expectEcho((await containerStatus(t, id)).mounts ?? [], mount);
      const proc = (await execSync(t, id, ['cat', '/proc/self/attr/current'])).stdout.replace(/\0/g, '').trim();
      check('ExecSync', 'cat /proc/self/attr/current (SELinux label of the container process)', proc, SELINUX_BASIS).matches(/^[^:]+:[^:]+:[^:]+:s\d/, 'the container runs confined on an SELinux host');
      const procLevel = proc.split(':').slice(3).join(':');
      const hostLabel = await hostSelinuxLabel(dir);
      check('host', `${dir} security.selinux level (mounted with selinux_relabel=true)`, hostLabel.split(':').slice(3).join(':'), RELABEL_BASIS)
        .equals(procLevel, `the relabel gives the directory the container's level; label ${JSON.stringify(hostLabel)}`);
      const w = await execSync(t, id, ['touch', '/mnt/label/written']);
      check('ExecSync', 'exit_code (touch /mnt/label/written in the relabelled mount)', w.exitCode, RELABEL_BASIS).equals(0, `stderr: ${w.stderr.trim()}`);
    });
  });
});

// ---- helpers only this suite needs ----

const execFileP = promisify(execFile);

const privilegedPod: SandboxOption = (c) => void (c.linux!.security_context!.privileged = true);
const privileged: ContainerOption = (c) => void (c.linux!.security_context!.privileged = true);
const pod = (prefix: string, ...opts: SandboxOption[]) => podSandboxConfig(prefix, withKubeletSandboxNamespaces(), ...opts);
const ctr = (prefix: string, ref: string, ...opts: ContainerOption[]) => containerConfig(prefix, ref, withKubeletNamespaces(), ...opts);

/** Where the propagation tests mount the host directory in the container. */
const TARGET = '/mnt/prop';

interface Expected {
  hostToContainer: boolean;
  containerToHost: boolean;
}

/**
 * A privileged container (it must be able to mount) gets a host directory that is a shared mount (so a runtime
 * that picks the wrong mode really propagates), then: the host mounts a tmpfs under it, the container mounts
 * one under it, and each side says what it sees, from /proc/self/mountinfo and from a marker file on the tmpfs.
 */
async function judgePropagation(t: TestContext, propagation: Propagation, want: Expected): Promise<void> {
  const ref = await testImage(t);
  const dir = await sharedHostDir(t, 'prop');
  const mount: Mount = { container_path: TARGET, host_path: dir, readonly: false, propagation };
  const sb = await startWithinHostLimits(t, 'a privileged sandbox', () => runSandbox(t, pod('prop', privilegedPod)));
  const id = await startWithinHostLimits(t, 'a privileged container', () => runContainer(t, sb, ctr('prop', ref, privileged, withShell('sleep 3600'), (c) => void (c.mounts = [mount]))));
  expectEcho((await containerStatus(t, id)).mounts ?? [], mount);

  // Host -> container: a tmpfs mounted on the host after the container started.
  const hostMnt = path.join(dir, 'host-mnt');
  await mkdir(hostMnt);
  await execFileP('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'crc-host-mnt', hostMnt]);
  await writeFile(path.join(hostMnt, 'marker'), 'from-host\n');
  const basis = PROPAGATION_BASIS[propagation];
  const inside = parseMountinfo(await readInside(t, id, '/proc/self/mountinfo', basis));
  // What the container's mount of the directory says about its peers, for the failure message.
  const peers = inside.find((e) => e.mountPoint === TARGET)?.optional.join(' ') || 'no peers: private';
  const why = (yes: boolean) => `${propagation} ${yes ? 'carries' : 'must not carry'} it; ${TARGET} in the container: ${peers}`;
  check('ExecSync', `/proc/self/mountinfo has ${TARGET}/host-mnt (a tmpfs the host mounted after start)`, inside.some((e) => e.mountPoint === `${TARGET}/host-mnt`), basis)
    .equals(want.hostToContainer, why(want.hostToContainer));
  const marker = await execSync(t, id, ['cat', `${TARGET}/host-mnt/marker`]);
  check('ExecSync', `cat ${TARGET}/host-mnt/marker (written on the host's tmpfs)`, marker.exitCode === 0 ? marker.stdout : '(no such file)', basis)
    .equals(want.hostToContainer ? 'from-host\n' : '(no such file)', why(want.hostToContainer));

  // Container -> host: a tmpfs the container mounts under the same directory.
  const made = await execSync(t, id, ['sh', '-c', `mkdir -p ${TARGET}/ctr-mnt && mount -t tmpfs -o size=1m crc-ctr-mnt ${TARGET}/ctr-mnt && echo from-container > ${TARGET}/ctr-mnt/marker`]);
  check('ExecSync', `exit_code (mount -t tmpfs on ${TARGET}/ctr-mnt in the privileged container)`, made.exitCode, PRIVILEGED_BASIS).equals(0, `stderr: ${made.stderr.trim()}`);
  const ctrMnt = path.join(dir, 'ctr-mnt');
  const onHost = parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8'));
  check('host', `/proc/self/mountinfo has ${ctrMnt} (the container's tmpfs)`, onHost.some((e) => e.mountPoint === ctrMnt), basis).equals(want.containerToHost, why(want.containerToHost));
  const seen = await readFile(path.join(ctrMnt, 'marker'), 'utf8').catch(() => '(no such file)');
  check('host', `${ctrMnt}/marker (written on the container's tmpfs)`, seen, basis).equals(want.containerToHost ? 'from-container\n' : '(no such file)', why(want.containerToHost));
}

/**
 * A fresh host directory bind-mounted on itself and made a shared mount, as the kubelet's host paths for
 * HOST_TO_CONTAINER and BIDIRECTIONAL must be. Unmounted (with everything under it) before the directory goes.
 */
async function sharedHostDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await tempDir(t, prefix);
  try {
    await execFileP('mount', ['--bind', dir, dir]);
  } catch (e) {
    skip(`the host cannot bind-mount ${dir} (mount --bind: ${(e as Error).message.split('\n')[0]}); propagation needs a shared host mount`);
  }
  t.defer(`mounts under ${dir}`, async () => void (await execFileP('umount', ['-R', '-l', dir])));
  await execFileP('mount', ['--make-shared', dir]);
  return dir;
}

/** ContainerStatus.mounts must hold this mount as configured (the kubelet reads it back for the pod status). */
function expectEcho(reported: readonly Mount[], want: Mount): void {
  const got = reported.find((m) => m.container_path === want.container_path);
  if (!got) failWith(`ContainerStatus: status.mounts: expected a mount at ${want.container_path}, got ${JSON.stringify(reported.map((m) => m.container_path))}`, ECHO_BASIS);
  const fields = ['host_path', 'readonly', 'propagation', 'selinux_relabel'] as const;
  const defaults = { host_path: '', readonly: false, propagation: 'PROPAGATION_PRIVATE', selinux_relabel: false };
  for (const f of fields) {
    check('ContainerStatus', `status.mounts[${want.container_path}].${f}`, got[f] ?? defaults[f], ECHO_BASIS).equals(want[f] ?? defaults[f], 'as in ContainerConfig.mounts');
  }
}

/** ExecSync `cat file` that must succeed; returns its text. */
async function readInside(t: TestContext, id: string, file: string, basis: Basis): Promise<string> {
  const r = await execSync(t, id, ['cat', file]);
  check('ExecSync', `exit_code (cat ${file})`, r.exitCode, basis).equals(0, `stderr: ${r.stderr.trim()}`);
  return r.stdout;
}

interface MountinfoEntry {
  mountPoint: string;
  options: string[];
  /** Propagation peers: shared:N, master:N, ... (none: private). */
  optional: string[];
  fstype: string;
  /** The superblock's options (a runtime may make a mount read-only there rather than per mount). */
  superOptions: string[];
}

/** /proc/self/mountinfo lines: `id parent maj:min root mountpoint options [optional...] - fstype source superopts`. */
function parseMountinfo(text: string): MountinfoEntry[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text.split('\n').filter(Boolean).map((line) => {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    return {
      mountPoint: unescape(f[4] ?? ''), options: (f[5] ?? '').split(','), optional: f.slice(6, dash >= 0 ? dash : undefined),
      fstype: dash >= 0 ? f[dash + 1] ?? '' : '', superOptions: dash >= 0 ? (f[dash + 3] ?? '').split(',') : [],
    };
  });
}

/** The SELinux label of a host path ('' when it has none), read with the xattr call Node lacks. */
async function hostSelinuxLabel(p: string): Promise<string> {
  const py = 'import os,sys\ntry: print(os.getxattr(sys.argv[1], "security.selinux").rstrip(b"\\0").decode())\nexcept OSError: print("")';
  try {
    return (await execFileP('python3', ['-c', py, p])).stdout.trim();
  } catch (e) {
    skip(`python3 is needed to read the security.selinux attribute of ${p} (${(e as Error).message.split('\n')[0]})`);
  }
}
