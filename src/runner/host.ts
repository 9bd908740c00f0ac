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
}

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
  return { seccomp, apparmor, selinux, loadAppArmorProfiles: (text) => apparmorParser(text, '-r'), unloadAppArmorProfiles: (text) => apparmorParser(text, '-R') };
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
