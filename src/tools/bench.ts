// Benchmark: wall time and peak memory of a full conformance run against the lab, and per suite.
// Prints figures; it asserts nothing (speed targets are tracked here, not in timed tests).
// Usage: npm run bench [-- --runtime containerd-2.1 --lab-dir DIR --runs 2 --jobs 4 --cri-version v1]
//   [--vs-critest PATH --reps 3 --scaling 1,2,4,8]
// (--runs 0 skips the plain runs: only the critest comparison and the --jobs scaling; the lab is --runtime's,
// default containerd-1.6, and the baseline that runtime's file in fixtures/baselines/ unless --baseline)
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../version.js';
import { compareWithCritest } from './bench-critest.js';
import { benchTarget } from './bench-target.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const runs = Number(opt('runs', '1'));
const version = opt('cri-version', 'auto');
const jobs = opt('jobs', '4');
const target = benchTarget(args, path.join(REPO_ROOT, 'fixtures', 'baselines'));
const baseline = target.baseline;
const cli = path.join(REPO_ROOT, 'dist', 'src', 'cli.js');

interface Counts {
  tests: number;
  passed: number;
  failed: number;
  skipped: number;
  knownFailures: number;
  durationMs: number;
}
interface Summary {
  totals: Counts;
  suites: { name: string; totals: Counts }[];
}

await execa('node', [cli, 'lab', 'up', ...target.labArgs], { stdio: 'ignore' });
for (let i = 1; i <= runs; i++) {
  const dir = path.join(os.tmpdir(), `crc-bench-${process.pid}-${i}`);
  const t0 = process.hrtime.bigint();
  const sub = execa('node', [cli, 'run', '--lab', ...target.labArgs, '--quiet', '--jobs', jobs, '--baseline', baseline, '--cri-version', version, '--report-dir', dir], { reject: false, all: true });
  // Peak RSS of the harness process: sample the kernel's high-water mark while it runs.
  let peakKb = 0;
  const timer = setInterval(() => {
    readFile(`/proc/${sub.pid}/status`, 'utf8')
      .then((t) => (peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(t)?.[1] ?? 0))))
      .catch(() => undefined);
  }, 100);
  const child = await sub;
  clearInterval(timer);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const summary = JSON.parse(await readFile(path.join(dir, 'summary.json'), 'utf8')) as Summary;
  const t = summary.totals;
  console.log(`run ${i} (--jobs ${jobs}): wall ${wall.toFixed(1)} s, exit ${child.exitCode}, ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
  for (const s of summary.suites) console.log(`  ${s.name.padEnd(16)} ${(s.totals.durationMs / 1000).toFixed(1).padStart(6)} s  ${s.totals.tests} tests`);
  console.log(`  harness peak RSS ${(peakKb / 1024).toFixed(0)} MiB`);
}
await compareWithCritest(args, { cli, target, version });
