// Host facts for the report's provenance.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export function hostFacts(): { kernel: string; cgroupVersion: string; hostname: string } {
  // cgroup v2 exposes cgroup.controllers at the root of the unified hierarchy.
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const hybrid = existsSync('/sys/fs/cgroup/unified/cgroup.controllers');
  let kernel = os.release();
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    /* keep os.release() */
  }
  return { kernel, cgroupVersion: v2 ? 'v2' : hybrid ? 'v1 (hybrid)' : 'v1', hostname: os.hostname() };
}

/** A kernel feature of the node the tests run on, with the evidence for its presence or absence. */
export interface HostFeature {
  present: boolean;
  /** What was looked at, e.g. "/sys/module/apparmor/parameters/enabled absent". */
  evidence: string;
}

/** Host features tests depend on, detected in this one place; runs (and self-tests) may override any of them. */
export interface HostFeatures {
  seccomp: HostFeature;
  apparmor: HostFeature;
  selinux: HostFeature;
  /** Loads AppArmor profiles (profile-language text) into the kernel, replacing same-named ones. */
  loadAppArmorProfiles(text: string): Promise<void>;
  /** Removes those profiles from the kernel again. */
  unloadAppArmorProfiles(text: string): Promise<void>;
  /** Limits of this node that make some checks impossible whatever the runtime does (the doctor reports them). */
  limits: HostLimits;
}

/** A limit of the node: `limited` when it holds here, with what was read. */
export interface HostLimit {
  limited: boolean;
  evidence: string;
}

export interface HostLimits {
  /** The capability bounding set lacks capabilities the kernel knows (0..cap_last_cap): a runtime that grants a
   * privileged container every capability up to cap_last_cap (CRI-O) cannot start one ("unable to apply caps"). */
  boundingSet: HostLimit & { missing: string[] };
  /** SELinux enforcing: a host path mounted into a container must be relabelled (selinux_relabel), as critest does. */
  selinuxEnforcing: HostLimit;
  /** Swap on: a memory limit alone does not bound a container, the kubelet sets the swap limit too (OOM tests). */
  swap: HostLimit;
}

/** Capability names by number (linux/capability.h), as the CRI names them (without CAP_). */
export const CAPABILITY_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
] as const;

/** The limits, from the texts of /proc/self/status, /proc/sys/kernel/cap_last_cap, /proc/swaps and
 * /sys/fs/selinux/enforce (undefined: the file is absent). Pure, so tests can feed it any node. */
export function hostLimitsFrom(texts: { status?: string; capLastCap?: string; swaps?: string; selinuxEnforce?: string }): HostLimits {
  const bnd = /^CapBnd:\s*([0-9a-f]+)/im.exec(texts.status ?? '')?.[1];
  const last = Number(texts.capLastCap?.trim());
  let boundingSet: HostLimits['boundingSet'];
  if (bnd === undefined || !Number.isInteger(last)) {
    boundingSet = { limited: false, missing: [], evidence: `not readable (CapBnd ${bnd ?? 'absent'}, cap_last_cap ${texts.capLastCap?.trim() ?? 'absent'})` };
  } else {
    const mask = BigInt(`0x${bnd}`);
    const missing = Array.from({ length: last + 1 }, (_, i) => i).filter((i) => (mask & (1n << BigInt(i))) === 0n).map((i) => CAPABILITY_NAMES[i] ?? `cap ${i}`);
    boundingSet = {
      limited: missing.length > 0, missing,
      evidence: `CapBnd ${bnd} in /proc/self/status, cap_last_cap ${last}${missing.length ? `: lacks ${missing.join(', ')}` : ': complete'}`,
    };
  }
  const enforce = texts.selinuxEnforce?.trim();
  const selinuxEnforcing: HostLimit = enforce === undefined
    ? { limited: false, evidence: '/sys/fs/selinux/enforce absent' }
    : { limited: enforce === '1', evidence: `/sys/fs/selinux/enforce reads ${JSON.stringify(enforce)}` };
  const devices = (texts.swaps ?? '').split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0]).filter((d): d is string => !!d);
  const swap: HostLimit = texts.swaps === undefined
    ? { limited: false, evidence: '/proc/swaps absent' }
    : { limited: devices.length > 0, evidence: devices.length ? `/proc/swaps lists ${devices.join(', ')}` : '/proc/swaps lists no swap device' };
  return { boundingSet, selinuxEnforcing, swap };
}

export const detectHostLimits = (): HostLimits => hostLimitsFrom({
  status: readText('/proc/self/status'), capLastCap: readText('/proc/sys/kernel/cap_last_cap'),
  swaps: readText('/proc/swaps'), selinuxEnforce: readText('/sys/fs/selinux/enforce'),
});

function readText(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

export function detectHostFeatures(): HostFeatures {
  const status = readText('/proc/self/status') ?? '';
  const actions = readText('/proc/sys/kernel/seccomp/actions_avail');
  const seccomp: HostFeature = !/^Seccomp:/m.test(status)
    ? { present: false, evidence: 'no Seccomp: line in /proc/self/status (kernel without CONFIG_SECCOMP)' }
    : actions === undefined
      ? { present: false, evidence: '/proc/sys/kernel/seccomp/actions_avail absent (kernel without CONFIG_SECCOMP_FILTER)' }
      : { present: true, evidence: `seccomp filter actions: ${actions.trim()}` };
  const enabled = readText('/sys/module/apparmor/parameters/enabled');
  const apparmor: HostFeature =
    enabled === undefined
      ? { present: false, evidence: '/sys/module/apparmor/parameters/enabled absent' }
      : { present: enabled.trim().startsWith('Y'), evidence: `/sys/module/apparmor/parameters/enabled reads ${JSON.stringify(enabled.trim())}` };
  // Like go-selinux: selinuxfs mounted, and this process has a label other than "kernel".
  const mounted = /\sselinuxfs\s/.test(readText('/proc/self/mounts') ?? '');
  const con = readText('/proc/self/attr/current')?.replace(/\0/g, '').trim();
  const selinux: HostFeature = !mounted
    ? { present: false, evidence: 'no selinuxfs mounted: /sys/fs/selinux absent' }
    : !con || con === 'kernel'
      ? { present: false, evidence: `selinuxfs mounted but this process has no SELinux label (${JSON.stringify(con ?? '')})` }
      : { present: true, evidence: `selinuxfs mounted, process label ${con}` };
  return { seccomp, apparmor, selinux, loadAppArmorProfiles: (text) => apparmorParser(text, '-r'), unloadAppArmorProfiles: (text) => apparmorParser(text, '-R'), limits: detectHostLimits() };
}

async function apparmorParser(text: string, op: '-r' | '-R'): Promise<void> {
  // Loaded only where AppArmor is present: most runs never need a process of their own here.
  const { execa } = await import('execa');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crc-apparmor-'));
  try {
    const file = path.join(dir, 'profiles');
    await writeFile(file, text);
    // -r loads, replacing profiles of the same name; -R removes them. Output on stderr means it did not work.
    const r = await execa('apparmor_parser', [op, file], { reject: false, timeout: 30_000 });
    const err = String(r.stderr ?? '').trim();
    const why = (err || String(r.message ?? '')).trim().split('\n')[0] ?? '';
    if (r.exitCode !== 0 || err) throw new Error(`apparmor_parser ${op} failed on the test profiles: ${why}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
