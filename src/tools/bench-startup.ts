// Start-up benchmark (prints figures, asserts nothing): wall time of the CLI paths that should load little
// (--help, run --help, a bad flag, list) against bare `node -e ""` on the same machine, median of N runs.
// Usage: npm run bench:startup [-- --runs 9]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../version.js';

const i = process.argv.indexOf('--runs');
const runs = Math.max(1, Number(i >= 0 ? process.argv[i + 1] : 7));
const cli = path.join(REPO_ROOT, 'dist', 'src', 'cli.js');
const cases: [string, string[]][] = [
  ['node -e "" (floor)', ['-e', '']],
  ['cri-conformance --help', [cli, '--help']],
  ['cri-conformance run --help', [cli, 'run', '--help']],
  ['cri-conformance run --bogus', [cli, 'run', '--bogus']],
  ['cri-conformance list', [cli, 'list']],
];
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
console.log(`start-up wall time, median of ${runs} (min..max), target for --help: < 0.3 s`);
let floor = 0;
for (const [name, args] of cases) {
  const times: number[] = [];
  const cpus: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = process.hrtime.bigint();
    // CPU seconds (user+system) through GNU time where present: unlike wall time, barely moved by a busy machine.
    const r = timeBin ? spawnSync(timeBin, ['-f', '%U %S', process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] }) : spawnSync(process.execPath, args, { stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const cpu = timeBin ? String(r.stderr).trim().split('\n').pop()!.split(' ').map(Number) : [];
    if (cpu.length === 2) cpus.push(cpu[0]! + cpu[1]!);
  }
  const m = median(times);
  if (!floor) floor = m;
  const over = name.includes('floor') ? '' : `  (+${(m - floor).toFixed(3)} s over bare node)`;
  const cpu = cpus.length ? `, CPU ${median(cpus).toFixed(2)} s` : '';
  console.log(`  ${name.padEnd(30)} ${m.toFixed(3)} s  (${Math.min(...times).toFixed(3)}..${Math.max(...times).toFixed(3)})${cpu}${over}`);
}
