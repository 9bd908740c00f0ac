#!/usr/bin/env node
// The self-tests, N files at a time (they wait on the runtime far more than they compute), then the
// per-check coverage over what every worker saw failing. Sites go through a file: workers are processes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const jobs = Number(process.env.CRI_SELFTEST_JOBS ?? Math.max(2, Math.min(4, os.cpus().length + 1)));
const dir = mkdtempSync(path.join(os.tmpdir(), 'crc-selftest-'));
const env = { ...process.env, CRI_SELFTEST_SITES: path.join(dir, 'sites.jsonl') };
const mocha = path.join(root, 'node_modules', '.bin', 'mocha');
const run = (args) => spawnSync(mocha, ['--no-config', '--timeout', '900000', ...args], { cwd: root, env, stdio: 'inherit' }).status ?? 1;

// Largest (most self-tests) first, so the long files start at once and short ones fill the gaps.
const dirOf = path.join(root, 'dist', 'test', 'selftest');
const files = readdirSync(dirOf)
  .filter((f) => f.endsWith('.test.js'))
  .sort((a, b) => statSync(path.join(dirOf, b)).size - statSync(path.join(dirOf, a)).size)
  .map((f) => path.join('dist', 'test', 'selftest', f));
const self = run(jobs > 1 ? ['--parallel', '--jobs', String(jobs), ...files] : files);
const coverage = run(['dist/test/check-coverage.test.js']);
rmSync(dir, { recursive: true, force: true });
process.exit(self || coverage);
