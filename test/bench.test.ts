// `cri-conformance bench` against an in-process fake: the result carries every lifecycle RPC and each
// concurrency level, nothing is left on the runtime, and --compare fails (exit 1) on a slowed runtime.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchCommand } from '../src/bench/index.js';
import { startBenchFake } from './support/bench-fake.js';

async function bench(o: Record<string, unknown>): Promise<{ code: number; out: string }> {
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    const code = await benchCommand({ image: 'bench/busybox:1', pods: '6', concurrency: '1,3', warmup: '1', ...o });
    return { code, out };
  } finally {
    process.stdout.write = write;
    process.stderr.write = err;
  }
}

describe('cri-conformance bench (fake runtime)', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'crc-bench-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('times every lifecycle RPC at each concurrency, writes JSON and a chart, and leaves nothing behind', async () => {
    const fake = await startBenchFake();
    try {
      const output = path.join(dir, 'base.json');
      const r = await bench({ runtimeEndpoint: fake.endpoint.uri, output });
      expect(r.code).to.equal(0);
      const j = JSON.parse(readFileSync(output, 'utf8'));
      expect(j.levels.map((l: { concurrency: number; pods: number }) => [l.concurrency, l.pods])).to.deep.equal([[1, 6], [3, 6]]);
      for (const rpc of ['RunPodSandbox', 'CreateContainer', 'StartContainer', 'ExecSync', 'StopContainer', 'RemoveContainer', 'StopPodSandbox', 'RemovePodSandbox', 'ImageStatus', 'ListImages'])
        expect(j.levels[0].rpcs[rpc]?.n, rpc).to.equal(6);
      expect(j.levels[1].podStart.n).to.equal(6);
      expect(existsSync(path.join(dir, 'base.html'))).to.equal(true);
      expect(r.out).to.match(/pod start \(RunPodSandbox → container RUNNING\)/);
      expect(fake.sandboxes.size + fake.containers.size, 'objects left').to.equal(0);
    } finally {
      await fake.close();
    }
  });

  it('--compare exits 1 when a percentile regressed past --max-regression, naming it', async () => {
    const fast = await startBenchFake();
    const base = path.join(dir, 'fast.json');
    try {
      expect((await bench({ runtimeEndpoint: fast.endpoint.uri, output: base })).code).to.equal(0);
    } finally {
      await fast.close();
    }
    const slow = await startBenchFake({ delayMs: { StartContainer: 80 } });
    try {
      const r = await bench({ runtimeEndpoint: slow.endpoint.uri, compare: base, maxRegression: '10' });
      expect(r.code).to.equal(1);
      expect(r.out).to.match(/StartContainer \(c=1\) p50: [\d.]+ ms → [\d.]+ ms/);
      expect(r.out).to.match(/pod start \(c=1\) p50/);
    } finally {
      await slow.close();
    }
  });
});

describe('bench --vs-critest finds the user\'s critest', () => {
  it('in --vs-critest DIR, as a file, or on PATH; nowhere: undefined', async () => {
    const { findCritest } = await import('../src/tools/bench-critest.js');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'crc-critest-'));
    try {
      const bin = path.join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(path.join(bin, 'critest'), '#!/bin/sh\n', { mode: 0o755 });
      expect(findCritest(bin)?.critest).to.equal(path.join(bin, 'critest'));
      expect(findCritest(path.join(bin, 'critest'))?.dir).to.equal(bin);
      expect(findCritest(undefined, `/nonexistent:${bin}`)?.critest).to.equal(path.join(bin, 'critest'));
      expect(findCritest(undefined, '/nonexistent')).to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
