// Reading a process's identity and privileges from inside a container: /proc/<pid>/status lines
// (Uid, Gid, Groups, CapBnd/CapEff/CapPrm, NoNewPrivs) and capability masks, as the kernel reports them.
import { readFileSync } from 'node:fs';
import type { TestContext } from './context.js';
import { execSync } from './resources.js';

/** The fields of one /proc/<pid>/status text: "Uid:\t1 1 1 1" -> { Uid: ['1','1','1','1'] }. */
export function parseStatus(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s*(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim().split(/\s+/).filter(Boolean);
  }
  return out;
}

/** `cat /proc/<pid>/status` in the container; throws (not a check) when the exec itself fails. */
export async function procStatus(t: TestContext, id: string, pid: string | number = 1): Promise<Record<string, string[]>> {
  const r = await execSync(t, id, ['cat', `/proc/${pid}/status`]);
  if (r.exitCode !== 0) throw new Error(`ExecSync: cat /proc/${pid}/status exited ${r.exitCode}: ${r.stderr.trim()}`);
  return parseStatus(r.stdout);
}

/** Capability numbers of the kernel (linux/capability.h), by CRI name (without CAP_). */
export const CAP = {
  CHOWN: 0, DAC_OVERRIDE: 1, FOWNER: 3, KILL: 5, SETGID: 6, SETUID: 7, NET_BIND_SERVICE: 10, NET_ADMIN: 12, NET_RAW: 13,
  SYS_MODULE: 16, SYS_CHROOT: 18, SYS_PTRACE: 19, SYS_ADMIN: 21, SYS_TIME: 25, MKNOD: 27, AUDIT_WRITE: 29, SETFCAP: 31,
} as const;
export type CapName = keyof typeof CAP;

/** A hex capability mask ("000001fffeffffff") as a bigint; NaN-safe: anything else is -1n. */
export const capMask = (hex: string | undefined): bigint => (hex && /^[0-9a-f]+$/i.test(hex) ? BigInt(`0x${hex}`) : -1n);
export const hasCap = (mask: bigint, cap: number): boolean => mask >= 0n && (mask & (1n << BigInt(cap))) !== 0n;
export const hex16 = (mask: bigint): string => mask.toString(16).padStart(16, '0');

/** Names of the known capabilities set in a mask, for messages. */
export function capNames(mask: bigint): string[] {
  return Object.entries(CAP).filter(([, n]) => hasCap(mask, n)).map(([k]) => k);
}

/** The bounding set of this (root) process on the node: every capability the runtime itself can hand out. */
export function hostBoundingSet(): bigint {
  return capMask(parseStatus(readFileSync('/proc/self/status', 'utf8'))['CapBnd']?.[0]);
}

/** Mount points of a /proc/<pid>/mountinfo text -> the per-mount options of the topmost mount there. */
export function parseMountinfo(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 6) continue;
    // Octal escapes (\040 for a space) as the kernel writes them.
    const point = f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.set(point, f[5]!.split(','));
  }
  return out;
}

/** `cat /proc/<pid>/mountinfo` in the container, parsed. */
export async function mountinfo(t: TestContext, id: string, pid: string | number = 1): Promise<Map<string, string[]>> {
  const r = await execSync(t, id, ['cat', `/proc/${pid}/mountinfo`]);
  if (r.exitCode !== 0) throw new Error(`ExecSync: cat /proc/${pid}/mountinfo exited ${r.exitCode}: ${r.stderr.trim()}`);
  return parseMountinfo(r.stdout);
}
