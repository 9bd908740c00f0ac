// The runner's orchestration, without root or a lab: synthetic suites (declarations passed in the manifest)
// run against an in-process fake runtime. Gating, --bail, job slots, skip reasons, cleanup accounting and a
// runtime that dies mid-run are judged here in well under a second each.
import { expect } from 'chai';
import { makeTimeouts } from '../src/cri/timeouts.js';
import { RpcError, UnimplementedError } from '../src/cri/errors.js';
import { defineSuite, runSandbox, skip, sleep } from '../src/framework/index.js';
import { runConformance } from '../src/runner/run.js';
import { startMiniRuntime } from './support/fake-cri.js';
const silent = { info: () => undefined, suiteStart: () => undefined, testEnd: () => undefined, done: () => undefined };
const entry = (name, spec, needs = []) => ({ name, title: name, file: `none-${name}`, needs, spec });
async function run(fake, manifest, o = {}) {
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
const byId = (r) => Object.fromEntries(r.suites.flatMap((s) => s.tests).map((t) => [t.id, t]));
const pass = defineSuite(({ describe, it }) => describe('ok', () => it('passes', async () => undefined)));
const fail = defineSuite(({ describe, it }) => describe('bad', () => it('fails', async () => {
    throw new Error('the runtime said no');
})));
describe('runner (fake runtime, no root)', function () {
    this.timeout(20_000);
    let fake;
    beforeEach(async () => (fake = await startMiniRuntime()));
    afterEach(async () => fake.close());
    it('reports suites in manifest order whatever order they finish in, and overlaps them only with --jobs > 1', async () => {
        const spans = {};
        const timed = (name, ms) => defineSuite(({ describe, it }) => describe('d', () => it('t', async () => {
            const start = Date.now();
            await sleep(ms);
            spans[name] = [start, Date.now()];
        })));
        const manifest = () => [entry('slow', timed('slow', 300)), entry('fast', timed('fast', 10))];
        const parallel = await run(fake, manifest(), { jobs: 2 });
        expect(parallel.suites.map((s) => s.name)).to.deep.equal(['slow', 'fast']);
        expect(spans['fast'][0], 'fast starts before slow ends with --jobs 2').to.be.lessThan(spans['slow'][1]);
        const serial = await run(fake, manifest(), { jobs: 1 });
        expect(serial.suites.map((s) => s.name)).to.deep.equal(['slow', 'fast']);
        expect(spans['fast'][0], 'fast starts after slow ends with --jobs 1').to.be.at.least(spans['slow'][1]);
    });
    it('skips a suite whose needed suite failed, with that reason', async () => {
        const r = await run(fake, [entry('a', fail), entry('b', pass, ['a'])], { jobs: 4 });
        const b = r.suites.find((s) => s.name === 'b');
        expect(b.skippedReason).to.equal('needs suite "a", which had 1 failure(s)');
        expect(b.tests.map((t) => t.status)).to.deep.equal(['skipped']);
    });
    it('--bail: after the first failure, later suites are not run and say why', async () => {
        const r = await run(fake, [entry('a', fail), entry('b', pass)], { bail: true, jobs: 1 });
        expect(byId(r)['b/ok passes']).to.include({ status: 'skipped', message: 'not run: --bail after a failure' });
    });
    it('a skip carries its reason: skip(), a feature the release lacks, UNIMPLEMENTED of an optional RPC', async () => {
        const spec = defineSuite(({ describe, it }) => describe('s', () => {
            it('asks to skip', async () => skip('the host has no such thing'));
            it('needs a newer release [Feature:ContainerEvents]', async () => undefined);
            it('calls an optional RPC', async (t) => void (await t.cri.runtime.call('RuntimeConfig', {})));
            it('calls a required RPC', async (t) => void (await t.cri.runtime.call('ContainerStatus', { container_id: 'x' })));
        }));
        const r = byId(await run(fake, [entry('s', spec)], { kubernetes: '1.24' }));
        expect(r['s/s asks to skip']).to.include({ status: 'skipped', message: 'the host has no such thing' });
        expect(r['s/s needs a newer release [Feature:ContainerEvents]']).to.include({ status: 'skipped', message: 'Feature:ContainerEvents is not part of kubelet 1.24' });
        expect(r['s/s calls an optional RPC'].status).to.equal('skipped');
        expect(r['s/s calls an optional RPC'].message).to.match(/^RuntimeConfig answered UNIMPLEMENTED: /);
        expect(r['s/s calls a required RPC'].status).to.equal('failed');
        expect(r['s/s calls a required RPC'].message).to.match(/^ContainerStatus answered UNIMPLEMENTED, but /);
    });
    it('RPC errors reach tests as instances of the client layer\'s classes (one module graph)', async () => {
        let seen;
        const spec = defineSuite(({ describe, it }) => describe('e', () => it('catches', async (t) => {
            await t.cri.runtime.call('ContainerStatus', { container_id: 'x' }).catch((e) => (seen = e));
        })));
        await run(fake, [entry('e', spec)]);
        expect(seen).to.be.instanceOf(UnimplementedError);
        expect(seen).to.be.instanceOf(RpcError);
    });
    it('a cleanup that fails turns a passing test into a failure naming it', async () => {
        const spec = defineSuite(({ describe, it }) => describe('c', () => it('leaves a mess', async (t) => t.defer('the mess', async () => {
            throw new Error('cannot tidy');
        }))));
        expect(byId(await run(fake, [entry('c', spec)]))['c/c leaves a mess']).to.include({ status: 'failed', message: 'cleanup of the mess failed: cannot tidy' });
    });
    it('cleanup registered by a test after its timeout is still done before the run returns', async () => {
        const spec = defineSuite(({ describe, it }) => describe('late', () => it('outlives its timeout', async (t) => {
            await sleep(400);
            await runSandbox(t); // created after the test was already failed and cleaned up
        })));
        const r = await run(fake, [entry('late', spec)], { testTimeoutMs: 100 });
        expect(byId(r)['late/late outlives its timeout'].status).to.equal('failed');
        expect(fake.mutations.filter((m) => m.startsWith('RunPodSandbox'))).to.have.length(1);
        expect([...fake.sandboxes.keys()], 'sandboxes left on the runtime').to.deep.equal([]);
    });
    it('stops with one reason when the runtime stops answering, and runs nothing after', async () => {
        const spec = defineSuite(({ describe, it }) => describe('d', () => {
            it('kills the runtime', async (t) => {
                await fake.close();
                await t.cri.runtime.call('Status', {});
            });
            it('would run after', async () => undefined);
        }));
        const r = await run(fake, [entry('d', spec), entry('later', pass)], { jobs: 1 });
        expect(r.aborted).to.match(/^the runtime stopped answering during "d\/d kills the runtime"/);
        expect(byId(r)['later/ok passes'].message).to.match(/^not run: the runtime stopped answering/);
    });
});
//# sourceMappingURL=runner.test.js.map