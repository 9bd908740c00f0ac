// `cri-conformance bench` against an in-process fake: the result carries every lifecycle RPC and each
// concurrency level, pod lifecycle percentiles and image pull/remove rounds, nothing is left on the runtime
// (images as found), --compare fails (exit 1) on a slowed runtime, --max-pod-lifecycle on a slow lifecycle.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchCommand } from '../src/bench/index.js';
import { pullImageSet } from '../src/bench/images.js';
import { lifecycleOverLimit, regressions, type BenchResult, type LevelResult } from '../src/bench/report.js';
import { percentiles } from '../src/bench/stats.js';
import { startBenchFake } from './support/bench-fake.js';

async function bench(o: Record<string, unknown>): Promise<{ code: number; out: string }> {
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    const code = await benchCommand({ image: 'bench/busybox:1', pods: '6', concurrency: '1,3', warmup: '1', pullRounds: '0', ...o });
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

  it('times the pod lifecycle per level, and pulls and removes each image N times, leaving the node\'s images as found', async () => {
    const fake = await startBenchFake({ images: { 'reg/alt:1': 'sha256:' + 'a'.repeat(64), 'reg/alt:one': 'sha256:' + 'a'.repeat(64) } });
    try {
      const output = path.join(dir, 'images.json');
      const r = await bench({ runtimeEndpoint: fake.endpoint.uri, output, pullRounds: '2', pullImages: 'reg/new:1,reg/alt:1,reg/missing:1' });
      expect(r.code).to.equal(0);
      const j = JSON.parse(readFileSync(output, 'utf8')) as BenchResult;
      for (const l of j.levels) {
        expect(l.podLifecycle?.n).to.equal(6);
        expect(l.podLifecycle!.p50).to.be.at.least(l.podStart.p50);
      }
      expect(j.images!.rounds).to.equal(2);
      expect(j.images!.perImage.map((i) => [i.ref, i.pull.n, i.remove.n])).to.deep.equal([['reg/new:1', 2, 2], ['reg/alt:1', 2, 2]]);
      expect([j.images!.pull.n, j.images!.remove.n]).to.deep.equal([4, 4]);
      expect(j.images!.skipped).to.have.length(1);
      expect(j.images!.skipped[0]!.ref).to.equal('reg/missing:1');
      // alt was there under two tags: removed first (untimed), then pulled back under both.
      expect(fake.imageCalls.filter((c) => c.includes('alt'))).to.deep.equal(['remove reg/alt:1', 'pull reg/alt:1', 'remove reg/alt:1', 'pull reg/alt:1', 'remove reg/alt:1', 'pull reg/alt:1', 'pull reg/alt:one']);
      expect([...fake.images.keys()].sort()).to.deep.equal(['bench/busybox:1', 'reg/alt:1', 'reg/alt:one']);
      expect(r.out).to.match(/pod lifecycle \(RunPodSandbox → CreateContainer → StartContainer → RUNNING, then StopContainer/);
      expect(r.out).to.match(/image pull and remove, ms \(2 image\(s\) × 2 round\(s\)/);
      expect(r.out).to.match(/not measured: reg\/missing:1: round 1: .*not found/);
      const html = readFileSync(path.join(dir, 'images.html'), 'utf8');
      expect(html).to.contain('Pod lifecycle').and.to.contain('Image pull and remove').and.to.contain('pull reg/new:1');
    } finally {
      await fake.close();
    }
  });

  it('never removes the bench pods\' image, even under another name', async () => {
    const fake = await startBenchFake({ images: { 'bench/busybox:latest': 'sha256:' + 'b'.repeat(64) } });
    try {
      const output = path.join(dir, 'protect.json');
      expect((await bench({ runtimeEndpoint: fake.endpoint.uri, output, pullRounds: '1', pullImages: 'bench/busybox:latest' })).code).to.equal(0);
      const j = JSON.parse(readFileSync(output, 'utf8')) as BenchResult;
      expect(j.images!.skipped).to.deep.equal([{ ref: 'bench/busybox:latest', reason: 'the bench pods run this image' }]);
      expect(fake.imageCalls).to.deep.equal([]);
    } finally {
      await fake.close();
    }
  });

  it('--max-pod-lifecycle exits 1 when the chosen percentile is over the limit at some level, 0 within it', async () => {
    const fake = await startBenchFake({ delayMs: { RemovePodSandbox: 40 } });
    try {
      const over = await bench({ runtimeEndpoint: fake.endpoint.uri, maxPodLifecycle: '20', lifecyclePercentile: 'p50' });
      expect(over.code).to.equal(1);
      expect(over.out).to.match(/pod lifecycle p50 over 20 ms: [\d.]+ ms at concurrency 1, [\d.]+ ms at concurrency 3/);
      const within = await bench({ runtimeEndpoint: fake.endpoint.uri, maxPodLifecycle: '60000' });
      expect(within.code).to.equal(0);
      expect(within.out).to.contain('pod lifecycle p99 within 60000 ms at every concurrency');
      await bench({ runtimeEndpoint: fake.endpoint.uri, lifecyclePercentile: 'p42' }).then(
        () => expect.fail('p42 accepted'),
        (e: Error) => expect(e.message).to.match(/p50, p90, p99, max/),
      );
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
      expect(r.out).to.match(/pod lifecycle \(c=1\) p50/);
    } finally {
      await slow.close();
    }
  });
});

describe('bench: which images to pull, the lifecycle limit, regressions of the new figures', () => {
  const lab = {
    pause: 'r/pause:3.9',
    'pause@digest': 'r/pause@sha256:p',
    busybox: 'r/busybox:1.0',
    'busybox@digest': 'r/busybox@sha256:b',
    'busybox-latest': 'r/busybox:latest',
    'busybox-latest@digest': 'r/busybox@sha256:b',
    'busybox-tag1': 'r/busybox-tags:1',
    'busybox-tag1@digest': 'r/busybox-tags@sha256:t',
    'busybox-tag2': 'r/busybox-tags:2',
    'busybox-tag2@digest': 'r/busybox-tags@sha256:t',
    alt1: 'r/alt:1',
    'alt1@digest': 'r/alt@sha256:a1',
    mirror: 'r/mirror:1.0',
    'mirror@digest': 'r/mirror@sha256:m',
    'mirror-auth': 'a/mirror:1.0',
    'mirror-auth@digest': 'a/mirror@sha256:m',
    private: 'a/private:1.0',
  };
  it('one ref per distinct image, without pause nor any name of the bench image', () => {
    expect(pullImageSet(lab, ['r/busybox:1.0'])).to.deep.equal(['r/busybox-tags:1', 'r/alt:1', 'r/mirror:1.0', 'a/private:1.0']);
    expect(pullImageSet(lab, ['elsewhere/img:1'])).to.deep.equal(['r/busybox:1.0', 'r/busybox-tags:1', 'r/alt:1', 'r/mirror:1.0', 'a/private:1.0']);
    expect(pullImageSet({ x: 'r/x@sha256:1', y: 'r/y:1', z: 'r/x@sha256:1' }, ['r/y:1'])).to.deep.equal(['r/x@sha256:1']);
    expect(pullImageSet({}, ['r/busybox:1.0'])).to.deep.equal([]);
  });

  const level = (concurrency: number, lifecycle?: number[]): LevelResult => ({
    concurrency,
    pods: 4,
    wallMs: 1000,
    podStart: percentiles([10, 10, 10, 10]),
    ...(lifecycle ? { podLifecycle: percentiles(lifecycle) } : {}),
    rpcs: {},
  });
  it('--max-pod-lifecycle names each level over the limit at the chosen percentile; results without lifecycle pass', () => {
    const levels = [level(1, [100, 110, 120, 500]), level(4, [300, 310, 320, 330]), level(16)];
    expect(lifecycleOverLimit(levels, 'p99', 400).exceeded).to.deep.equal([{ concurrency: 1, ms: 500 }]);
    expect(lifecycleOverLimit(levels, 'p50', 200).exceeded).to.deep.equal([{ concurrency: 4, ms: 310 }]);
    expect(lifecycleOverLimit(levels, 'max', 1000).exceeded).to.deep.equal([]);
  });

  it('--compare judges pod lifecycle and image pull/remove percentiles, and skips them in an older base', () => {
    const mk = (lifecycle: number[] | undefined, pull: number[]): BenchResult => ({
      schema: 'cri-conformance/bench/v1',
      startedAt: '',
      endpoint: 'unix:///x',
      image: 'i',
      levels: [level(1, lifecycle)],
      ...(pull.length ? { images: { rounds: 1, pull: percentiles(pull), remove: percentiles([5]), perImage: [], skipped: [] } } : {}),
    });
    const what = (b: BenchResult, c: BenchResult) => regressions(b, c, 10, 2).map((r) => r.what);
    expect(what(mk([100], [200]), mk([150], [300]))).to.include.members(['pod lifecycle (c=1) p50', 'image PullImage p50']);
    expect(what(mk(undefined, []), mk([150], [300]))).to.deep.equal([]);
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
