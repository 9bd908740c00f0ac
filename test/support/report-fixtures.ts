// The reporters' run fixture (test/fixtures/run-result.json), and the same run with the timings a runner records.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../src/report/model.js';

export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

export function loadFixture(): RunResult {
  return JSON.parse(readFileSync(path.join(repoRoot(), 'test', 'fixtures', 'run-result.json'), 'utf8')) as RunResult;
}

/** The fixture with the timings a runner records: tests alternate between two slots, 4 s apart. */
export function timedFixture(): RunResult {
  const run = loadFixture();
  let i = 0;
  for (const s of run.suites) {
    for (const t of s.tests) {
      if (t.status === 'notrun') continue;
      t.startOffsetMs = i * 4000;
      t.slot = i % 2;
      i++;
    }
  }
  return run;
}

