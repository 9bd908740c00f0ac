// One run of synthetic suites against an in-process fake runtime, with the defaults the runner tests share
// (2 s RPC deadlines, 5 s per test, no images, silent progress); each test overrides what it judges.
import { makeTimeouts } from '../../src/cri/timeouts.js';
import type { SuiteSpec } from '../../src/framework/index.js';
import { runConformance, type RunOptions } from '../../src/runner/run.js';
import type { SuiteEntry } from '../../src/runner/manifest.js';
import type { RunResult } from '../../src/report/model.js';
import type { FakeServer } from './fake-cri.js';

export const silent = { info: () => undefined, suiteStart: () => undefined, testEnd: () => undefined, done: () => undefined };

/** A manifest entry for a synthetic suite. */
export const entry = (name: string, spec: SuiteSpec, needs: string[] = []): SuiteEntry => ({ name, title: name, file: `none-${name}`, needs, spec });

export function runAgainst(fake: Pick<FakeServer, 'endpoint'>, manifest: SuiteEntry[], o: Partial<RunOptions> = {}): Promise<RunResult> {
  return runConformance({
    endpoints: { runtime: fake.endpoint, image: fake.endpoint, notes: [] },
    criVersion: 'auto',
    timeouts: makeTimeouts(2),
    testTimeoutMs: 5_000,
    kubernetes: '1.36',
    focus: [],
    skip: [],
    bail: false,
    images: {},
    progress: silent,
    signal: new AbortController().signal,
    manifest,
    ...o,
  });
}
