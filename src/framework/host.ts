// The node's side of isolation tests: what the host itself sees (its own namespaces, processes, SysV
// segments, listening sockets), so a test can compare the container's view with the truth. These only make
// sense when the runtime runs on this machine (the lab); callers skip otherwise.
import { spawn, execFile } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';
import { RpcError } from '../cri/errors.js';
import type { TestContext } from './context.js';
import { skip } from './skip.js';

const execFileP = promisify(execFile);

/** `net:[4026531840]`: the namespace of this process (the node's, for the harness). */
export const hostNamespace = (kind: 'pid' | 'net' | 'ipc' | 'uts' | 'mnt'): string => readlinkSync(`/proc/self/ns/${kind}`);

/** Host pids whose argv is exactly `argv` (e.g. a container's unique `sleep` command seen from the node). */
export function hostPidsRunning(argv: string[]): number[] {
  const want = `${argv.join('\0')}\0`;
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8') === want) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A unique `sleep` duration: its argv is a marker no other process on the node has. */
export const uniqueSleep = (): string => `${3000 + Math.floor(Math.random() * 999)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;

/** Starts `sleep <unique>` on the node; killed after the test. */
export async function hostProcess(t: TestContext): Promise<{ pid: number; argv: string[] }> {
  const argv = ['sleep', uniqueSleep()];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  await new Promise<void>((ok, fail) => {
    child.once('spawn', ok);
    child.once('error', fail);
  });
  const exited = new Promise((done) => child.once('exit', done));
  t.defer(`host process ${child.pid} (${argv.join(' ')})`, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { pid: child.pid!, argv };
}

/** A TCP server of the node on 127.0.0.1 (any free port); closed after the test. */
export async function hostListener(t: TestContext): Promise<number> {
  const srv: Server = createServer((s) => s.end());
  await new Promise<void>((ok, fail) => {
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', ok);
  });
  t.defer('host TCP listener', () => new Promise<void>((done) => srv.close(() => done())));
  const addr = srv.address();
  if (!addr || typeof addr === 'string') throw new Error('host listener: no TCP address');
  return addr.port;
}

export interface ShmSegment {
  key: string;
  shmid: string;
  size: string;
}

/** Rows of /proc/sysvipc/shm (the text of the file, from the node or from a container). */
export function parseSysvShm(text: string): ShmSegment[] {
  return text.split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((w) => w.length >= 4 && /^\d+$/.test(w[1]!))
    .map((w) => ({ key: w[0]!, shmid: w[1]!, size: w[3]! }));
}

/** A size no other segment has: it identifies the segment in /proc/sysvipc/shm whatever its id in a namespace. */
const uniqueSize = (): number => 40_000 + Math.floor(Math.random() * 60_000);

/**
 * Makes a SysV shared memory segment with util-linux `ipcmk`, in the node's IPC namespace or (nsenterPid) in
 * that process's; removed after the test. Skips when the node lacks ipcmk/nsenter.
 */
export async function makeShmSegment(t: TestContext, nsenterPid?: number): Promise<{ shmid: string; size: string }> {
  const size = uniqueSize();
  const prefix = nsenterPid ? ['nsenter', `--ipc=/proc/${nsenterPid}/ns/ipc`, '--'] : [];
  const cmd = [...prefix, 'ipcmk', '-M', String(size)];
  let out: string;
  try {
    out = (await execFileP(cmd[0]!, cmd.slice(1))).stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') skip(`the node has no ${cmd[0]} (util-linux) to make a SysV shared memory segment`);
    throw new Error(`${cmd.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
  }
  const m = /(\d+)\s*$/.exec(out.trim());
  if (!m) throw new Error(`${cmd.join(' ')}: no segment id in ${JSON.stringify(out)}`);
  const shmid = m[1]!;
  t.defer(`SysV segment ${shmid}${nsenterPid ? ` in the IPC namespace of pid ${nsenterPid}` : ''}`, async () => {
    const rm = [...prefix, 'ipcrm', '-m', shmid];
    await execFileP(rm[0]!, rm.slice(1)).catch(() => undefined);
  });
  return { shmid, size: String(size) };
}

/** The node's default-route interface and its MAC, else any non-loopback one; undefined when there is none. */
export function hostInterface(): { name: string; mac: string } | undefined {
  const macOf = (n: string): string | undefined => {
    try {
      return readFileSync(`/sys/class/net/${n}/address`, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const routes = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  const names = [...routes.filter((r) => r[1] === '00000000').map((r) => r[0]!), ...readdirSync('/sys/class/net').filter((n) => n !== 'lo')];
  for (const n of names) {
    const mac = macOf(n);
    if (mac && mac !== '00:00:00:00:00:00') return { name: n, mac };
  }
  return undefined;
}

/**
 * A node port no one listens on now, below the kernel's ephemeral range (32768+), where client sockets of this
 * very run (gRPC, registries) would otherwise hold it: a port mapping to it must reach the pod, nothing else.
 */
export async function freeNodePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((done) => {
      const s = createServer();
      s.once('error', () => done(false));
      s.listen(port, '0.0.0.0', () => s.close(() => done(true)));
    });
    if (free) return port;
  }
  throw new Error('no free node port found in 20000-31999 after 50 tries');
}

/** What runc ("unable to apply caps: …") and crun ("capset: …") answer when a container asks for a capability the
 * node's bounding set does not hold. */
const CAPS_REFUSED = /unable to apply caps|apply capabilities|capset/i;
/** What an OCI runtime answers when it may not lower a process's oom_score_adj (no CAP_SYS_RESOURCE). */
const OOM_ADJ_REFUSED = /oom_score_adj: Permission denied/;
/** The calls that start it: a privileged sandbox's own container may get every capability too. */
const STARTS = new Set(['RunPodSandbox', 'CreateContainer', 'StartContainer']);

/**
 * Starts what the node's capability bounding set may forbid: a container that gets every capability (privileged,
 * or add_capabilities ALL), or a sandbox process a runtime gives a lower oom_score_adj. A runtime may grant every
 * capability the kernel knows (0..cap_last_cap, as CRI-O does) rather than those of its own bounding set; on a node
 * whose bounding set lacks some, the OCI runtime cannot apply them and the start fails. That is the node's limit,
 * not the runtime's fault, and the test cannot judge: it skips naming the host fact. On a node with the complete
 * set, or for any other error, the error stands and the test fails.
 */
export async function startWithinHostLimits<T>(t: TestContext, what: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    const b = t.run.hostFeatures.limits.boundingSet;
    const msg = e instanceof RpcError && STARTS.has(e.rpc) ? e.message : '';
    const shown = msg.split('\n')[0]!.slice(0, 300);
    if (b.limited && CAPS_REFUSED.test(msg)) {
      skip(`host limit: the node's capability bounding set lacks ${b.missing.join(', ')} (${b.evidence}), and the runtime could not start ${what} with every capability here (${shown}); a runtime that grants every capability up to cap_last_cap cannot be judged on this node`);
    }
    // A sandbox's own process may get a lower oom_score_adj (CRI-O's infra container), which takes CAP_SYS_RESOURCE.
    if (b.missing.includes('SYS_RESOURCE') && OOM_ADJ_REFUSED.test(msg)) {
      skip(`host limit: the node's capability bounding set lacks SYS_RESOURCE (${b.evidence}), so the runtime could not give ${what} the lower oom_score_adj it wanted (${shown}); this cannot be judged on this node`);
    }
    throw e;
  }
}

/**
 * The node's own address on the route to `ip` (`ip route get` → src): for a pod on a CNI bridge of this machine,
 * the bridge's gateway address, a local address of the node. Undefined, with the reason, when the pod is not on a
 * network directly attached here (reached through a gateway, or the source is not one of this machine's
 * addresses): then the runtime does not run on this machine and nothing here may be dialled.
 */
export async function nodeAddressToward(ip: string): Promise<{ address?: string; why: string }> {
  let out: string;
  try {
    out = (await execFileP('ip', ['route', 'get', ip])).stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    return { why: err.code === 'ENOENT' ? 'the node has no `ip` (iproute2) to find its address on the route to the pod' : `ip route get ${ip}: ${err.stderr?.trim() || err.message}` };
  }
  const line = out.split('\n')[0]!.trim();
  if (/\bvia\b/.test(line)) return { why: `the pod ${ip} is reached through a gateway (${line}): not on a network of this machine` };
  const src = /\bsrc\s+(\S+)/.exec(line)?.[1];
  const local = Object.values(networkInterfaces()).flat().map((a) => a?.address);
  if (!src || !local.includes(src)) return { why: `no local source address on the route to the pod ${ip} (${line})` };
  return { address: src, why: line };
}
