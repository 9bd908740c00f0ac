// The runner's orchestration, without root or a lab: synthetic suites (declarations passed in the manifest)
// run against an in-process fake runtime. Gating, --bail, job slots, skip reasons, cleanup accounting and a
// runtime that dies mid-run are judged here in well under a second each.
import { expect } from 'chai';
import { makeTimeouts } from '../src/cri/timeouts.js';
import { RpcError, UnimplementedError } from '../src/cri/errors.js';
import { HandlerError } from '../src/errors.js';
import { defineSuite, runSandbox, skip, sleep } from '../src/framework/index.js';
import { entry, runAgainst, silent } from './support/fake-run.js';
import type { RunResult, TestResult } from '../src/report/model.js';
import { closingLine, runVerdict } from '../src/report/verdict.js';
import { toSummaryJson } from '../src/report/certification.js';
import { restartable, startFake, startMiniRuntime, type MiniRuntime } from './support/fake-cri.js';
import { RESTARTED } from '../src/runner/reconnect.js';

const run = runAgainst;

const byId = (r: RunResult): Record<string, TestResult> => Object.fromEntries(r.suites.flatMap((s) => s.tests).map((t) => [t.id, t]));
const pass = defineSuite(({ describe, it }) => describe('ok', () => it('passes', async () => undefined)));
const fail = defineSuite(({ describe, it }) =>
  describe('bad', () =>
    it('fails', async () => {
      throw new Error('the runtime said no');
    }),
  ),
);

describe('runner (fake runtime, no root)', function () {
  this.timeout(20_000);
  let fake: MiniRuntime;
  beforeEach(async () => (fake = await startMiniRuntime()));
  afterEach(async () => fake.close());

  it('reports suites in manifest order whatever order they finish in, and overlaps them only with --jobs > 1', async () => {
    const spans: Record<string, [number, number]> = {};
    const timed = (name: string, ms: number) =>
      defineSuite(({ describe, it }) =>
        describe('d', () =>
          it('t', async () => {
            const start = Date.now();
            await sleep(ms);
            spans[name] = [start, Date.now()];
          }),
        ),
      );
    const manifest = () => [entry('slow', timed('slow', 300)), entry('fast', timed('fast', 10))];
    const parallel = await run(fake, manifest(), { jobs: 2 });
    expect(parallel.suites.map((s) => s.name)).to.deep.equal(['slow', 'fast']);
    expect(spans['fast']![0], 'fast starts before slow ends with --jobs 2').to.be.lessThan(spans['slow']![1]);
    const serial = await run(fake, manifest(), { jobs: 1 });
    expect(serial.suites.map((s) => s.name)).to.deep.equal(['slow', 'fast']);
    expect(spans['fast']![0], 'fast starts after slow ends with --jobs 1').to.be.at.least(spans['slow']![1]);
  });

  it('--jobs N runs tests of one suite side by side; results, terminal lines and reports keep manifest order whatever order tests end in', async () => {
    const ended: string[] = [];
    const lines: string[] = [];
    const timed = (ms: number[]) =>
      defineSuite(({ describe, it }) =>
        describe('d', () => {
          for (const [i, m] of ms.entries())
            it(`t${i}`, async () => {
              await sleep(m);
              ended.push(`t${i}/${m}`);
            });
        }),
      );
    const progress = { ...silent, suiteStart: (n: string) => void lines.push(`== ${n}`), testEnd: (r: TestResult) => void lines.push(r.id) };
    const r = await run(fake, [entry('a', timed([300, 10, 150])), entry('b', timed([20]))], { jobs: 4, progress });
    expect(ended[0], 'a short test ended first').to.not.equal('t0/300');
    const ids = ['a/d t0', 'a/d t1', 'a/d t2', 'b/d t0'];
    expect(r.suites.flatMap((s) => s.tests.map((t) => t.id))).to.deep.equal(ids);
    expect(lines).to.deep.equal(['== a', 'a/d t0', 'a/d t1', 'a/d t2', '== b', 'b/d t0']);
    expect(JSON.parse(toSummaryJson(r)).tests.map((t: { id: string }) => t.id)).to.deep.equal(ids);
    const tests = r.suites.flatMap((s) => s.tests);
    expect(new Set(tests.map((t) => t.slot)).size, 'four tests in four slots').to.equal(4);
    for (const t of tests) expect(t.startOffsetMs, `${t.id} started at once`).to.be.lessThan(250);
  });

  it('a [Serial] test runs alone: it waits for the tests in flight, and none starts beside it', async () => {
    const spans: Record<string, [number, number]> = {};
    const spec = defineSuite(({ describe, it }) =>
      describe('s', () => {
        for (const name of ['a', 'alone [Serial]', 'b', 'c'])
          it(name, async () => {
            const start = Date.now();
            await sleep(100);
            spans[name] = [start, Date.now()];
          });
      }),
    );
    const r = await run(fake, [entry('s', spec)], { jobs: 4 });
    expect(r.suites[0]!.tests.map((t) => t.status)).to.deep.equal(Array(4).fill('passed'));
    const [from, to] = spans['alone [Serial]']!;
    for (const other of ['a', 'b', 'c']) {
      const [s0, s1] = spans[other]!;
      expect(s1 <= from || s0 >= to, `${other} does not overlap the serial test`).to.equal(true);
    }
    expect(r.suites[0]!.tests.find((t) => t.title === 'alone [Serial]')!.tags).to.include('Serial');
  });

  it('skips a suite whose needed suite failed, with that reason', async () => {
    const r = await run(fake, [entry('a', fail), entry('b', pass, ['a'])], { jobs: 4 });
    const b = r.suites.find((s) => s.name === 'b')!;
    expect(b.skippedReason).to.equal('needs suite "a", which had 1 failure(s)');
    expect(b.tests.map((t) => t.status)).to.deep.equal(['notrun']);
  });

  it('--bail: after the first failure, later suites are not run and say why', async () => {
    const r = await run(fake, [entry('a', fail), entry('b', pass)], { bail: true, jobs: 1 });
    expect(byId(r)['b/ok passes']).to.include({ status: 'notrun', message: '--bail after a failure' });
  });

  it('a skip carries its reason: skip(), a feature the release lacks, UNIMPLEMENTED of an optional RPC', async () => {
    const spec = defineSuite(({ describe, it }) =>
      describe('s', () => {
        it('asks to skip', async () => skip('the host has no such thing'));
        it('needs a newer release [Feature:ContainerEvents]', async () => undefined);
        it('calls an optional RPC', async (t) => void (await t.cri.runtime.call('RuntimeConfig', {})));
        it('calls a required RPC', async (t) => void (await t.cri.runtime.call('ContainerStatus', { container_id: 'x' })));
      }),
    );
    const r = byId(await run(fake, [entry('s', spec)], { kubernetes: '1.24' }));
    expect(r['s/s asks to skip']).to.include({ status: 'skipped', message: 'the host has no such thing' });
    expect(r['s/s needs a newer release [Feature:ContainerEvents]']).to.include({ status: 'skipped', message: 'Feature:ContainerEvents is not part of kubelet 1.24' });
    expect(r['s/s calls an optional RPC']!.status).to.equal('skipped');
    expect(r['s/s calls an optional RPC']!.message).to.match(/^RuntimeConfig answered UNIMPLEMENTED: /);
    expect(r['s/s calls a required RPC']!.status).to.equal('failed');
    expect(r['s/s calls a required RPC']!.message).to.match(/^ContainerStatus answered UNIMPLEMENTED, but /);
  });

  it('RPC errors reach tests as instances of the client layer\'s classes (one module graph)', async () => {
    let seen: unknown;
    const spec = defineSuite(({ describe, it }) =>
      describe('e', () =>
        it('catches', async (t) => {
          await t.cri.runtime.call('ContainerStatus', { container_id: 'x' }).catch((e: unknown) => (seen = e));
        }),
      ),
    );
    await run(fake, [entry('e', spec)]);
    expect(seen).to.be.instanceOf(UnimplementedError);
    expect(seen).to.be.instanceOf(RpcError);
  });

  it('a cleanup that fails turns a passing test into a failure naming it', async () => {
    const spec = defineSuite(({ describe, it }) =>
      describe('c', () =>
        it('leaves a mess', async (t) =>
          t.defer('the mess', async () => {
            throw new Error('cannot tidy');
          })),
      ),
    );
    expect(byId(await run(fake, [entry('c', spec)]))['c/c leaves a mess']).to.include({ status: 'failed', message: 'cleanup of the mess failed: cannot tidy' });
  });

  it('cleanup registered by a test after its timeout is still done before the run returns', async () => {
    const spec = defineSuite(({ describe, it }) =>
      describe('late', () =>
        it('outlives its timeout', async (t) => {
          await sleep(400);
          await runSandbox(t); // created after the test was already failed and cleaned up
        }),
      ),
    );
    const r = await run(fake, [entry('late', spec)], { testTimeoutMs: 100 });
    expect(byId(r)['late/late outlives its timeout']!.status).to.equal('failed');
    expect(fake.mutations.filter((m) => m.startsWith('RunPodSandbox'))).to.have.length(1);
    expect([...fake.sandboxes.keys()], 'sandboxes left on the runtime').to.deep.equal([]);
  });

  it('--reconnect-timeout 0: stops with one reason when the runtime stops answering, and runs nothing after', async () => {
    const spec = defineSuite(({ describe, it }) =>
      describe('d', () => {
        it('kills the runtime', async (t) => {
          await fake.close();
          await t.cri.runtime.call('Status', {});
        });
        it('would run after', async () => undefined);
      }),
    );
    const r = await run(fake, [entry('d', spec), entry('later', pass)], { jobs: 1, reconnectTimeoutMs: 0 });
    expect(r.aborted).to.match(/^the runtime stopped answering during "d\/d kills the runtime"/);
    expect(byId(r)['later/ok passes']).to.include({ status: 'notrun' });
    expect(byId(r)['later/ok passes']!.message).to.match(/^the runtime stopped answering/);
  });

  it('objects the final sweep could not remove are leftovers: listed with the cleanup command, and they fail the run', async () => {
    const f = await startMiniRuntime({ refuseRemove: true });
    try {
      const spec = defineSuite(({ describe, it }) => describe('l', () => it('runs a pod', async (t) => void (await runSandbox(t)))));
      const r = await run(f, [entry('l', spec)], { runId: 'leftover-1' });
      expect(r.leftovers).to.deep.equal({ ids: ['pod sandbox sb1'], command: 'cri-conformance cleanup --run-id leftover-1' });
      const v = runVerdict(r);
      expect(v.result).to.equal('failed');
      expect(v.reasons).to.include('1 object of the run left on the runtime (remove with: cri-conformance cleanup --run-id leftover-1)');
      expect(closingLine(v)).to.match(/^conformance: 0 passed, 1 failed, 0 skipped, 0 not run, 1 leftover — FAILED: /);
      expect(JSON.parse(toSummaryJson(r)).leftovers).to.deep.equal(r.leftovers);
    } finally {
      await f.close();
    }
  });

  it('a runtime that lists a pod it says is NOT_FOUND on removal fails a check, and the pod is a counted leftover', async () => {
    const f = await startMiniRuntime({ ghost: true });
    try {
      const spec = defineSuite(({ describe, it }) => describe('g', () => it('runs a pod', async (t) => void (await runSandbox(t)))));
      const r = await run(f, [entry('g', spec)], { runId: 'ghost-1' });
      const t = byId(r)['g/g runs a pod']!;
      expect(t.status).to.equal('failed');
      expect(t.message).to.equal(
        `cleanup of pod sandbox sb1 failed: ListPodSandbox: items[].id (filter id, after RemovePodSandbox answered NOT_FOUND: get sandbox info: sandbox sb1 not found): expected not to include "sb1", got [ 'sb1' ] (a runtime must not list a pod sandbox it cannot remove)`,
      );
      expect(r.leftovers).to.deep.equal({ ids: ['pod sandbox sb1'], command: 'cri-conformance cleanup --run-id ghost-1' });
      expect(closingLine(runVerdict(r))).to.match(/^conformance: 0 passed, 1 failed, 0 skipped, 0 not run, 1 leftover — FAILED: /);
    } finally {
      await f.close();
    }
  });

  it('a hung RPC trips its breaker after 3 deadline expiries: later calls fail at once, not called', async () => {
    const f = await startMiniRuntime({ hang: ['ContainerStatus'] });
    try {
      const spec = defineSuite(({ describe, it }) =>
        describe('h', () => {
          for (let i = 1; i <= 6; i++) it(`asks ${i}`, async (t) => void (await t.cri.runtime.call('ContainerStatus', { container_id: 'x' })));
        }),
      );
      const r = await run(f, [entry('h', spec)], { timeouts: makeTimeouts(0.3) });
      const tests = r.suites[0]!.tests;
      expect(tests.map((t) => t.status)).to.deep.equal(Array(6).fill('failed'));
      expect(tests.slice(0, 3).map((t) => t.message)).to.deep.equal(Array(3).fill(tests[0]!.message));
      expect(tests[0]!.message).to.match(/^ContainerStatus failed: DEADLINE_EXCEEDED: no answer within 0.3 s/);
      for (const t of tests.slice(3)) expect(t.message).to.equal('ContainerStatus: breaker open after 3 consecutive deadline expiries (no answer within 0.3 s each); not called');
      expect(f.calls.filter((c) => c.endsWith('/ContainerStatus')), 'calls that reached the runtime').to.have.length(3);
    } finally {
      await f.close();
    }
  });

  it('--run-timeout: when the budget is spent, the test in flight fails with it, the rest are not run, cleanup still happens', async () => {
    const spec = defineSuite(({ describe, it }) =>
      describe('b', () => {
        it('is quick', async () => undefined);
        it('takes long', async (t) => {
          await runSandbox(t);
          await sleep(3_000);
        });
        it('never starts', async () => undefined);
      }),
    );
    const r = await run(fake, [entry('b', spec), entry('later', pass)], { runTimeoutMs: 300 });
    const t = byId(r);
    expect(t['b/b is quick']!.status).to.equal('passed');
    expect(t['b/b takes long']).to.include({ status: 'failed', message: 'run budget of 0.3 s exhausted' });
    expect(t['b/b never starts']).to.include({ status: 'notrun', message: 'run budget of 0.3 s exhausted' });
    expect(t['later/ok passes']).to.include({ status: 'notrun', message: 'run budget of 0.3 s exhausted' });
    expect(r.aborted).to.equal('interrupted: run budget of 0.3 s exhausted');
    expect([...fake.sandboxes.keys()], 'the in-flight test\'s sandbox is removed').to.deep.equal([]);
    const v = runVerdict(r);
    expect(v.result).to.equal('failed');
    expect(closingLine(v)).to.equal('conformance: 1 passed, 1 failed, 0 skipped, 2 not run — FAILED: stopped early: interrupted: run budget of 0.3 s exhausted; 1 test failed');
  });

  it('SIGINT: tests not reached are not run, and the run can never pass', async () => {
    const ac = new AbortController();
    const spec = defineSuite(({ describe, it }) =>
      describe('i', () => {
        it('interrupts', async () => void ac.abort());
        it('is not reached', async () => undefined);
      }),
    );
    const r = await run(fake, [entry('i', spec), entry('later', pass)], { signal: ac.signal });
    expect(byId(r)['i/i is not reached']).to.include({ status: 'notrun', message: 'interrupted' });
    expect(byId(r)['later/ok passes']).to.include({ status: 'notrun', message: 'interrupted' });
    const v = runVerdict(r);
    expect(v.counts).to.include({ passed: 0, failed: 1, notRun: 2 });
    expect(closingLine(v)).to.match(/ — FAILED: stopped early: interrupted/);
  });

  describe('--runtime-handler', () => {
    const handlerSeen = (f: MiniRuntime) => f.mutations.filter((m) => m.startsWith('RunPodSandbox'));
    const probeRun = (f: MiniRuntime, handler: string) => run(f, [entry('p', pass)], { runtimeHandler: handler });

    it('an unknown handler stops the run before any suite, from Status.runtime_handlers where advertised', async () => {
      const f = await startMiniRuntime({ handlers: ['', 'crun'], advertise: true });
      try {
        const err = await probeRun(f, 'kata').then(() => undefined, (e: unknown) => e);
        expect(err).to.be.instanceOf(HandlerError);
        expect((err as Error).message).to.equal('the runtime does not have the runtime handler "kata": Status.runtime_handlers lists "(default)", "crun"');
        expect(handlerSeen(f), 'no pod was tried').to.deep.equal([]);
      } finally {
        await f.close();
      }
    });

    it('else from the answer to a first RunPodSandbox, which leaves nothing behind', async () => {
      const f = await startMiniRuntime({ handlers: ['', 'crun'] });
      try {
        const err = await probeRun(f, 'kata').then(() => undefined, (e: unknown) => e);
        expect((err as Error).message).to.match(/^the runtime refused a pod with runtime handler "kata" \(RunPodSandbox: NOT_FOUND: no runtime for "kata" is configured\)$/);
        const ok = await probeRun(f, 'crun');
        expect(ok.runtimeHandler).to.equal('crun');
        expect(byId(ok)['p/ok passes']!.status).to.equal('passed');
        expect([...f.sandboxes.keys()], 'the probe pod is removed').to.deep.equal([]);
      } finally {
        await f.close();
      }
    });

    it('every pod of the run uses the handler', async () => {
      const f = await startMiniRuntime({ handlers: ['crun'] });
      try {
        const handlers: string[] = [];
        const spec = defineSuite(({ describe, it }) =>
          describe('h', () =>
            it('runs a pod', async (t) => {
              await runSandbox(t);
              handlers.push(t.run.runtimeHandler);
            }),
          ),
        );
        const r = await run(f, [entry('h', spec)], { runtimeHandler: 'crun' });
        expect(byId(r)['h/h runs a pod']!.status, byId(r)['h/h runs a pod']!.message).to.equal('passed');
        expect(handlers).to.deep.equal(['crun']);
      } finally {
        await f.close();
      }
    });
  });

  describe('a runtime that restarts mid-run (re-dial like the kubelet)', () => {
    // The run dials a relay in front of the fake: stop() drops every connection and the socket, start()
    // brings it back on the same path, with the fake's pods kept (as containerd keeps them).
    const restartingSpec = (rt: { stop(): Promise<void>; start(): Promise<void> }, backAfterMs: number | undefined) =>
      defineSuite(({ describe, it }) =>
        describe('r', () => {
          it('before', async (t) => void (await t.cri.runtime.call('Status', {})));
          it('is running when the runtime dies', async (t) => {
            await runSandbox(t);
            await rt.stop();
            if (backAfterMs !== undefined) setTimeout(() => void rt.start(), backAfterMs);
            await t.cri.runtime.call('Status', {});
          });
          it('after', async (t) => void (await t.cri.runtime.call('Status', {})));
        }),
      );
    // In flight in another slot (--jobs 2, listed first so it starts first) while the runtime is away: it makes no
    // call then, and still fails.
    const bystander = defineSuite(({ describe, it }) =>
      describe('b', () =>
        it('spans the restart', async (t) => {
          await t.cri.runtime.call('Status', {});
          await sleep(1_000);
        }),
      ),
    );

    it('comes back: only the tests in flight fail, with the reason; the rest run and pass; cleanup and the sweep reach it', async () => {
      const rt = await restartable(fake);
      try {
        const lines: string[] = [];
        const r = await run({ ...fake, endpoint: rt.endpoint }, [entry('b', bystander), entry('r', restartingSpec(rt, 300)), entry('later', pass)], {
          jobs: 2,
          reconnectTimeoutMs: 5_000,
          progress: { ...silent, info: (l: string) => void lines.push(l) },
        });
        const t = byId(r);
        expect(r.aborted).to.equal(undefined);
        expect(t['r/r before']!.status).to.equal('passed');
        expect(t['r/r is running when the runtime dies']).to.include({ status: 'failed', message: RESTARTED });
        expect(t['r/r is running when the runtime dies']!.detail).to.match(/before the restart was handled it had failed: Status failed: UNAVAILABLE/);
        expect(t['b/b spans the restart']).to.include({ status: 'failed', message: RESTARTED });
        expect(t['r/r after']!.status, t['r/r after']!.message).to.equal('passed');
        expect(t['later/ok passes']!.status).to.equal('passed');
        expect(lines.some((l) => /^runtime back after [\d.]+ s, serving RuntimeService v1, ImageService v1 as first negotiated: the tests in flight fail/.test(l)), lines.join('\n')).to.equal(true);
        expect([...fake.sandboxes.keys()], 'the in-flight test\'s pod is removed after the re-dial').to.deep.equal([]);
        expect(r.leftovers).to.equal(undefined);
        expect(runVerdict(r).counts).to.include({ passed: 3, failed: 2, notRun: 0 });
      } finally {
        await rt.close();
      }
    });

    it('goes away during a test\'s cleanup: the cleanup step is tried again after the re-dial, and the test keeps its pass', async () => {
      const rt = await restartable(fake);
      try {
        const spec = defineSuite(({ describe, it }) =>
          describe('c', () => {
            it('cleans up across a restart', async (t) => {
              await runSandbox(t);
              // Runs first (LIFO): the runtime dies just before the pod's removal.
              t.defer('a restart', async () => {
                await rt.stop();
                setTimeout(() => void rt.start(), 300);
              });
            });
            it('after', async (t) => void (await t.cri.runtime.call('Status', {})));
          }),
        );
        const r = await run({ ...fake, endpoint: rt.endpoint }, [entry('c', spec)], { reconnectTimeoutMs: 5_000 });
        const t = byId(r);
        expect(r.aborted).to.equal(undefined);
        expect(t['c/c cleans up across a restart']!.status, t['c/c cleans up across a restart']!.message).to.equal('passed');
        expect(t['c/c after']!.status).to.equal('passed');
        expect(fake.mutations.filter((m) => m.startsWith('RemovePodSandbox')), 'removed by the retried step, not the sweep').to.deep.equal(['RemovePodSandbox sb1']);
        expect([...fake.sandboxes.keys()]).to.deep.equal([]);
      } finally {
        await rt.close();
      }
    });

    it('comes back serving another CRI version: the run stops with that reason', async () => {
      const rt = await restartable(fake);
      const other = await startFake('v1alpha2-only');
      try {
        const spec = restartingSpec({ stop: () => rt.stop(), start: () => rt.start(other) }, 200);
        const r = await run({ ...fake, endpoint: rt.endpoint }, [entry('r', spec), entry('later', pass)], { jobs: 1, reconnectTimeoutMs: 5_000 });
        expect(r.aborted).to.equal(
          'the runtime came back serving RuntimeService v1alpha2, ImageService v1alpha2, not RuntimeService v1, ImageService v1 as first negotiated (it restarted during "r/r is running when the runtime dies")',
        );
        expect(byId(r)['r/r after']).to.include({ status: 'notrun', message: r.aborted });
        expect(byId(r)['later/ok passes']).to.include({ status: 'notrun', message: r.aborted });
        expect(closingLine(runVerdict(r))).to.match(/ — FAILED: stopped early: the runtime came back serving RuntimeService v1alpha2/);
      } finally {
        await rt.close();
        await other.close();
      }
    });

    it('never comes back: the run stops once --reconnect-timeout is spent, with that reason', async () => {
      const rt = await restartable(fake);
      try {
        const started = Date.now();
        const r = await run({ ...fake, endpoint: rt.endpoint }, [entry('r', restartingSpec(rt, undefined)), entry('later', pass)], { jobs: 1, reconnectTimeoutMs: 800 });
        const took = Date.now() - started;
        expect(r.aborted).to.match(/^the runtime stopped answering during "r\/r is running when the runtime dies" \(Status failed: UNAVAILABLE: .*\) and did not come back within 0.8 s \(--reconnect-timeout\): /);
        expect(byId(r)['later/ok passes']).to.include({ status: 'notrun', message: r.aborted });
        expect(took, 'waited the bound, not much more').to.be.within(800, 4_000);
      } finally {
        await rt.close();
      }
    });
  });
});
