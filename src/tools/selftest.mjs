#!/usr/bin/env node
// The self-tests, N files at a time (they wait on the runtime far more than they compute), then the
// per-check coverage over what every worker saw failing. Sites go through a file: workers are processes.
// Each file runs in a mocha process of its own (not one reused worker pool): an uncaught error in one file's
// runtime or fake server then stays in that file instead of failing every later test of a shared worker.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const jobs = Number(process.env.CRI_SELFTEST_JOBS ?? Math.max(2, Math.min(4, os.cpus().length + 1)));
const dir = mkdtempSync(path.join(os.tmpdir(), 'crc-selftest-'));
const env = { ...process.env, CRI_SELFTEST_SITES: path.join(dir, 'sites.jsonl') };
const mocha = path.join(root, 'node_modules', '.bin', 'mocha');
const args = (files) => ['--no-config', '--timeout', '900000', ...files];

// The stats files first (few self-tests, but each waits out the runtime's sampling periods: 7–9 min), then the
// largest (most self-tests), so the long files start at once and short ones fill the gaps. Started last, as by
// size alone, the stats files ended a run 3 minutes after everything else.
const WAITING = ['stats.test.js', 'pod-stats.test.js'];
const dirOf = path.join(root, 'dist', 'test', 'selftest');
const files = readdirSync(dirOf)
  .filter((f) => f.endsWith('.test.js'))
  .sort((a, b) => Number(WAITING.includes(b)) - Number(WAITING.includes(a)) || statSync(path.join(dirOf, b)).size - statSync(path.join(dirOf, a)).size)
  .map((f) => path.join('dist', 'test', 'selftest', f));

/** One file in its own process; its output is printed whole when it ends, so files do not interleave. */
const runFile = (file) =>
  new Promise((done) => {
    const child = spawn(mocha, [...args([file]), '--color'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => out.push(b));
    child.on('close', (code, signal) => {
      process.stdout.write(Buffer.concat(out));
      if (signal) process.stdout.write(`${file}: killed by ${signal}\n`);
      done({ file, ok: code === 0 });
    });
  });

const queue = [...files];
const results = [];
await Promise.all(Array.from({ length: Math.max(1, jobs) }, async () => {
  for (let f = queue.shift(); f; f = queue.shift()) results.push(await runFile(f));
}));
const failed = results.filter((r) => !r.ok).map((r) => r.file);
process.stdout.write(`self-tests: ${results.length - failed.length} of ${results.length} files passed${failed.length ? `; failed: ${failed.join(', ')}` : ''}\n`);
const coverage = spawnSync(mocha, args(['dist/test/check-coverage.test.js']), { cwd: root, env, stdio: 'inherit' }).status ?? 1;
rmSync(dir, { recursive: true, force: true });
process.exit(failed.length || coverage ? 1 : 0);
