// Start-up benchmark (prints figures, asserts nothing): wall time of the CLI paths that should load little
// (--help, run --help, a bad flag, list) against bare `node -e ""` on the same machine, median of N runs.
// Usage: npm run bench:startup [-- --runs 9]
import { spawnSync } from 'node:child_process';
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
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
console.log(`start-up wall time, median of ${runs} (min..max), target for --help: < 0.3 s`);
let floor = 0;
for (const [name, args] of cases) {
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, args, { stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const m = median(times);
  if (!floor) floor = m;
  const over = name.includes('floor') ? '' : `  (+${(m - floor).toFixed(3)} s over bare node)`;
  console.log(`  ${name.padEnd(30)} ${m.toFixed(3)} s  (${Math.min(...times).toFixed(3)}..${Math.max(...times).toFixed(3)})${over}`);
}
