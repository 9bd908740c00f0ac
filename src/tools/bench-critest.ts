// Our main job beside critest on the same lab, and our wall time by --jobs (part of `npm run bench`).
// Each side runs under GNU time (wall, user+system CPU of the process and the children it waited for, peak
// RSS of the largest process); A and B alternate (A B A B ...) so drift on a shared machine hits both.
// critest is the user's: --vs-critest DIR|FILE, else the first critest on PATH (cri-tools publishes it with
// each release, beside crictl); its test images must be pullable by the runtime (see README "Benchmarks").
import { execa } from 'execa';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { machineBusySeconds } from '../bench/proc.js';

interface Figures {
  wall: number;
  cpu: number;
  rssMiB: number;
  /** Busy CPU seconds of the whole machine meanwhile (/proc/stat): the harness plus what it made the runtime,
   * its shims, runc, the CNI plugins and the kernel do. */
  nodeCpu: number;
  note: string;
}


const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function timed(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Figures & { output: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crc-bench-time-'));
  const out = path.join(dir, 'time');
  const busy0 = machineBusySeconds();
  const r = await execa('/usr/bin/time', ['-f', '%e %U %S %M', '-o', out, cmd, ...argv], { reject: false, all: true, env });
  const nodeCpu = machineBusySeconds() - busy0;
  const [e, u, s, m] = (await readFile(out, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
  await rm(dir, { recursive: true, force: true });
  return { wall: e!, cpu: u! + s!, rssMiB: m! / 1024, nodeCpu, note: `exit ${r.exitCode}`, output: r.all ?? '' };
}

/** --vs-critest DIR (holding critest) or FILE; without it, the first critest on PATH. */
export function findCritest(p: string | undefined, pathEnv = process.env['PATH'] ?? ''): { critest: string; dir: string } | undefined {
  const candidates = p ? [existsSync(p) && statSync(p).isDirectory() ? path.join(p, 'critest') : p] : pathEnv.split(':').filter(Boolean).map((d) => path.join(d, 'critest'));
  const critest = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  return critest ? { critest, dir: path.dirname(critest) } : undefined;
}

export async function compareWithCritest(args: string[], o: { cli: string; baseline: string; version: string }): Promise<void> {
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const found = findCritest(opt('vs-critest'));
  const reps = Math.max(1, Number(opt('reps') ?? 3));
  const scaling = (opt('scaling') ?? '1,2,4,8').split(',').map(Number).filter((n) => n > 0);
  const env = (await execa('node', [o.cli, 'lab', 'env'])).stdout;
  const socket = /CONTAINER_RUNTIME_ENDPOINT=(\S+)/.exec(env)?.[1] ?? 'unix:///run/cri-conformance/containerd.sock';

  const ours = async (jobs?: number) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'crc-bench-ours-'));
    const f = await timed('node', [o.cli, 'run', '--lab', '--quiet', ...(jobs ? ['--jobs', String(jobs)] : []), '--baseline', o.baseline, '--cri-version', o.version, '--report-dir', dir]);
    const summary = await readFile(path.join(dir, 'summary.json'), 'utf8').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    if (!summary) return { ...f, note: `${f.note}, no summary.json: ${f.output.trim().split('\n').slice(-3).join(' | ')}` };
    const t = (JSON.parse(summary) as { totals: { passed: number; failed: number; skipped: number } }).totals;
    return { ...f, note: `${f.note}, ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped` };
  };

  if (!found) {
    console.log(`critest not found ${opt('vs-critest') ? `at ${opt('vs-critest')}` : 'on PATH'}: take critest from a cri-tools release (kubernetes-sigs/cri-tools publishes critest-<version>-linux-<arch>.tar.gz with each release), put it on PATH or pass --vs-critest DIR`);
  } else {
    // `run --lab` (our side) rewrites the lab's certs.d, dropping the hosts.toml files critest-images.sh
    // wrote for critest's registries: put them back before each critest run (same content, no restart:
    // containerd reads certs.d per pull).
    const labDir = /CRI_CONFORMANCE_LAB_DIR=(\S+)/.exec(env)?.[1] ?? '/var/lib/cri-conformance/lab';
    const mirror = opt('critest-registry') ?? '127.0.0.1:5000';
    const restoreHosts = async () => {
      for (const h of ['registry.k8s.io', 'gcr.io', mirror]) {
        await mkdir(path.join(labDir, 'certs.d', h), { recursive: true });
        await writeFile(path.join(labDir, 'certs.d', h, 'hosts.toml'), `server = "https://${h}"\n[host."http://${mirror}"]\n  capabilities = ["pull", "resolve"]\n`);
      }
    };
    const critest = async () => {
      await restoreHosts();
      const dir = await mkdtemp(path.join(os.tmpdir(), 'crc-bench-critest-'));
      const f = await timed(found.critest, [`--runtime-endpoint=${socket}`, `--image-endpoint=${socket}`, '-parallel=2', `--report-dir=${dir}`], { ...process.env, PATH: `${found.dir}:${process.env['PATH']}` });
      await rm(dir, { recursive: true, force: true });
      // ginkgo's closing line: "Ran 80 of 86 Specs ... FAIL! -- 59 Passed | 21 Failed | 0 Pending | 6 Skipped"
      const plain = f.output.replace(/\u001b\[[0-9;]*m/g, '');
      const ran = /Ran (\d+) of (\d+) Specs/.exec(plain);
      const counts = /(\d+) Passed \| (\d+) Failed(?: \| \d+ Flaked)? \| \d+ Pending \| (\d+) Skipped/.exec(plain);
      return { ...f, note: `${f.note}${ran ? `, ran ${ran[1]} of ${ran[2]} specs` : ''}${counts ? `, ${counts[1]} passed, ${counts[2]} failed, ${counts[3]} skipped` : ''}` };
    };
    const A: Figures[] = [];
    const B: Figures[] = [];
    for (let i = 1; i <= reps; i++) {
      const a = await ours();
      console.log(`pair ${i} A ours (main job, default --jobs): wall ${a.wall.toFixed(1)} s, CPU ${a.cpu.toFixed(1)} s, peak RSS ${a.rssMiB.toFixed(0)} MiB, node CPU ${a.nodeCpu.toFixed(0)} s (${a.note})`);
      const b = await critest();
      console.log(`pair ${i} B critest -parallel=2:            wall ${b.wall.toFixed(1)} s, CPU ${b.cpu.toFixed(1)} s, peak RSS ${b.rssMiB.toFixed(0)} MiB, node CPU ${b.nodeCpu.toFixed(0)} s (${b.note})`);
      console.log(`pair ${i} ours/critest: wall ${(a.wall / b.wall).toFixed(2)}, CPU ${(a.cpu / b.cpu).toFixed(2)}, peak RSS ${(a.rssMiB / b.rssMiB).toFixed(2)}, node CPU ${(a.nodeCpu / b.nodeCpu).toFixed(2)}`);
      A.push(a);
      B.push(b);
    }
    const row = (name: string, k: keyof Omit<Figures, 'note'>, unit: string) => {
      const ratios = A.map((a, i) => a[k] / B[i]![k]);
      console.log(`  ${name.padEnd(10)} ours ${median(A.map((a) => a[k])).toFixed(1).padStart(7)} ${unit.padEnd(4)} critest ${median(B.map((b) => b[k])).toFixed(1).padStart(7)} ${unit.padEnd(4)} ratio (median of pairs) ${median(ratios).toFixed(2)}  [${ratios.map((r) => r.toFixed(2)).join(', ')}]`);
    };
    console.log(`ours vs critest, medians of ${reps} alternating pair(s):`);
    row('wall', 'wall', 's');
    row('CPU', 'cpu', 's');
    row('peak RSS', 'rssMiB', 'MiB');
    row('node CPU', 'nodeCpu', 's');
    // A run cannot end sooner than the CPU work it causes spread over every CPU: the floor each side has here.
    const cpus = os.availableParallelism();
    const floor = (f: Figures[]) => median(f.map((x) => x.nodeCpu)) / cpus;
    const util = (f: Figures[]) => median(f.map((x) => x.nodeCpu / (x.wall * cpus))) * 100;
    console.log(`  node CPU / ${cpus} CPUs = the wall time each side could at best reach here: ours ${floor(A).toFixed(1)} s (its runs kept the CPUs ${util(A).toFixed(0)}% busy), critest ${floor(B).toFixed(1)} s (${util(B).toFixed(0)}% busy); floor ratio ${(floor(A) / median(B.map((b) => b.wall))).toFixed(2)} of critest's wall`);
  }
  if (!scaling.length) return;
  console.log(`our main job's wall time by --jobs (one run each):`);
  for (const j of scaling) {
    const f = await ours(j);
    console.log(`  --jobs ${String(j).padEnd(2)} wall ${f.wall.toFixed(1).padStart(6)} s, CPU ${f.cpu.toFixed(1).padStart(5)} s, peak RSS ${f.rssMiB.toFixed(0).padStart(4)} MiB, node CPU ${f.nodeCpu.toFixed(0).padStart(4)} s (${f.note})`);
  }
}
