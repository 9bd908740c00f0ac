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
import { ginkgoCounts, summaryCounts, summaryLines, tableHeader, tableRow, type RunCounts, type SideFigures } from './bench-critest-table.js';
import { optValue, type BenchTarget } from './bench-target.js';

/** The hosts critest v1.36.0 pulls from (pkg/validate, pkg/framework), and critest-images-1.36.sh's port. */
const CRITEST_HOSTS = ['registry.k8s.io', 'k8s.gcr.io', 'gcr.io'];
const DEFAULT_CRITEST_REGISTRY = '127.0.0.1:5055';

async function timed(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Omit<SideFigures, 'ran' | 'passed'> & { output: string }> {
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

const onPath = (name: string, pathEnv: string) => pathEnv.split(':').some((d) => d && existsSync(path.join(d, name)));
const countsNote = (c: RunCounts | undefined) => (c ? `, ${c.passed} passed, ${c.failed} failed${c.known ? ` (${c.known} in the baseline)` : ''}, ${c.skipped} skipped` : '');

export async function compareWithCritest(args: string[], o: { cli: string; target: BenchTarget; version: string }): Promise<void> {
  const opt = (name: string) => optValue(args, name);
  const found = findCritest(opt('vs-critest'));
  const reps = Math.max(1, Number(opt('reps') ?? 3));
  const parallel = Math.max(1, Number(opt('critest-parallel') ?? 2));
  const scaling = (opt('scaling') ?? '1,2,4,8').split(',').map(Number).filter((n) => n > 0);
  const { runtime, baseline, labArgs } = o.target;
  const env = (await execa('node', [o.cli, 'lab', 'env', ...labArgs])).stdout;
  const socket = /CONTAINER_RUNTIME_ENDPOINT=(\S+)/.exec(env)?.[1];
  const labDir = /CRI_CONFORMANCE_LAB_DIR=(\S+)/.exec(env)?.[1];
  if (!socket || !labDir) throw new Error(`\`lab env ${labArgs.join(' ')}\` named no endpoint or lab dir:\n${env}`);

  const ours = async (jobs?: number): Promise<SideFigures> => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'crc-bench-ours-'));
    const f = await timed('node', [o.cli, 'run', '--lab', ...labArgs, '--quiet', ...(jobs ? ['--jobs', String(jobs)] : []), '--baseline', baseline, '--cri-version', o.version, '--report-dir', dir]);
    const summary = await readFile(path.join(dir, 'summary.json'), 'utf8').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    if (!summary) return { ...f, note: `${f.note}, no summary.json: ${f.output.trim().split('\n').slice(-3).join(' | ')}` };
    const c = summaryCounts(summary);
    return { ...f, ran: c.ran, passed: c.passed, note: `${f.note}${countsNote(c)}` };
  };

  if (!found) {
    console.log(`critest not found ${opt('vs-critest') ? `at ${opt('vs-critest')}` : 'on PATH'}: take critest from a cri-tools release (kubernetes-sigs/cri-tools publishes critest-<version>-linux-<arch>.tar.gz with each release), put it on PATH or pass --vs-critest DIR`);
  } else {
    const critestPath = `${found.dir}:${process.env['PATH'] ?? ''}`;
    const mirror = opt('critest-registry') ?? DEFAULT_CRITEST_REGISTRY;
    // critest -parallel=N (N > 1) runs its specs through the ginkgo CLI, looked up on PATH.
    const ready = parallel > 1 && !onPath('ginkgo', critestPath)
      ? `critest -parallel=${parallel} runs the ginkgo CLI: put ginkgo (github.com/onsi/ginkgo/v2/ginkgo at the version of cri-tools' go.mod) beside critest or on PATH, or pass --critest-parallel 1`
      : await fetch(`http://${mirror}/v2/`, { signal: AbortSignal.timeout(3000) }).then(
          () => undefined,
          () => `no registry answers at ${mirror} (--critest-registry): serve critest's images there first (README "Benchmarks")`,
        );
    if (ready) {
      console.log(`not comparing with critest: ${ready}`);
    } else {
      const version = ((await execa(found.critest, ['--version'], { reject: false })).stdout.split('\n')[0] ?? 'critest').replace('version: ', '');
      // `run --lab` (our side) rewrites the lab's certs.d, dropping the hosts.toml files critest's images
      // script wrote: put them back before each critest run (containerd reads certs.d per pull, no restart).
      const restoreHosts = async () => {
        for (const h of [...CRITEST_HOSTS, mirror]) {
          await mkdir(path.join(labDir, 'certs.d', h), { recursive: true });
          await writeFile(path.join(labDir, 'certs.d', h, 'hosts.toml'), `server = "https://${h}"\n[host."http://${mirror}"]\n  capabilities = ["pull", "resolve"]\n`);
        }
      };
      const critest = async (): Promise<SideFigures> => {
        await restoreHosts();
        const dir = await mkdtemp(path.join(os.tmpdir(), 'crc-bench-critest-'));
        const f = await timed(found.critest, [`--runtime-endpoint=${socket}`, `--image-endpoint=${socket}`, `-parallel=${parallel}`, `--report-dir=${dir}`], { ...process.env, PATH: critestPath });
        await rm(dir, { recursive: true, force: true });
        const c = ginkgoCounts(f.output);
        return { ...f, ran: c?.ran, passed: c?.passed, note: `${f.note}${countsNote(c)}` };
      };
      console.log(`ours (main job, default --jobs, baseline ${path.basename(baseline)}) vs ${version} -parallel=${parallel}, lab ${runtime} at ${labDir}, ${reps} alternating pair(s)`);
      console.log(tableHeader());
      const A: SideFigures[] = [];
      const B: SideFigures[] = [];
      for (let i = 1; i <= reps; i++) {
        const a = await ours();
        console.log(tableRow(`pair ${i} ours`, a, a.note));
        const b = await critest();
        console.log(tableRow(`pair ${i} critest`, b, b.note));
        A.push(a);
        B.push(b);
      }
      for (const line of summaryLines(A, B, os.availableParallelism())) console.log(line);
    }
  }
  if (!scaling.length) return;
  console.log(`our main job by --jobs (one run each):`);
  console.log(tableHeader());
  for (const j of scaling) {
    const f = await ours(j);
    console.log(tableRow(`--jobs ${j}`, f, f.note));
  }
}
