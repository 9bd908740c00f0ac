// The runtime process behind a local unix endpoint, and its CPU time and memory while the bench runs.
// The pid is the owner of the listening socket: its inode in /proc/net/unix, then the process whose
// /proc/PID/fd links to socket:[inode]. Linux only; anything unreadable means "not known", never an error.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export function socketOwnerPid(socketPath: string): number | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return undefined;
  }
  // Num RefCount Protocol Flags Type St Inode Path; the listening socket has the __SO_ACCEPTCON flag (1<<16).
  const inodes = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[7] === socketPath && (parseInt(f[3] ?? '0', 16) & 0x10000) !== 0) inodes.add(f[6]!);
  }
  if (!inodes.size) return undefined;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(pid);
      } catch {
        /* the fd closed meanwhile */
      }
    }
  }
  return undefined;
}

const TICKS_PER_SECOND = 100; // USER_HZ on every Linux architecture Node runs on

/** Busy (not idle or iowait) CPU seconds of the whole machine since boot, all CPUs, from /proc/stat. */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / TICKS_PER_SECOND;
}

/** user + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name: state is 3rd; utime, stime are the 14th and 15th overall.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

function rssMiB(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface ProcUsage {
  pid: number;
  /** How the pid was found: "socket owner" or "--runtime-pid". */
  found: string;
  cpuSeconds: number;
  rssStartMiB: number;
  rssPeakMiB: number;
  rssEndMiB: number;
}

/** Samples the process's RSS every 200 ms until stopped; CPU seconds are the difference start to end. */
export function watchProcess(pid: number, found: string): { stop(): ProcUsage | undefined } {
  const cpu0 = cpuSeconds(pid);
  const rss0 = rssMiB(pid);
  let peak = rss0 ?? 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid) ?? 0)), 200);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const cpu1 = cpuSeconds(pid);
      const rss1 = rssMiB(pid);
      if (cpu0 === undefined || cpu1 === undefined || rss0 === undefined || rss1 === undefined) return undefined;
      const r = (x: number) => Math.round(x * 100) / 100;
      return { pid, found, cpuSeconds: r(cpu1 - cpu0), rssStartMiB: r(rss0), rssPeakMiB: r(Math.max(peak, rss1)), rssEndMiB: r(rss1) };
    },
  };
}
