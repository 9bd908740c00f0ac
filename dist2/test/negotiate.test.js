// Kubelet-style CRI version negotiation against small in-test gRPC servers (test/support/fake-cri.ts):
// v1 first, v1alpha2 only on UNIMPLEMENTED, any other error means no version, the image service is
// negotiated on its own, and transport failures are ConnectErrors (exit 3), never "no version".
import { expect } from 'chai';
import { checkSocket, negotiate } from '../src/cri/negotiate.js';
import { closeAllChannels, RpcLedger } from '../src/cri/client.js';
import { makeTimeouts } from '../src/cri/timeouts.js';
import { ConnectError, EXIT } from '../src/errors.js';
import { missingSocket, regularFile, startFake, startHttpServer, startSilentSocket, } from './support/fake-cri.js';
/** connectMs is 1 s: hangs and silences must cost about one second, not twenty. */
const T = makeTimeouts(1);
/** "RuntimeService v1 Version OK" per probe, the outcome cut to its status code. */
const probes = (n) => n.probes.map((p) => `${p.service} ${p.version} ${p.rpc} ${p.outcome.split(':')[0]}`);
async function rejected(p) {
    try {
        await p;
    }
    catch (e) {
        expect(e, String(e)).to.be.instanceOf(ConnectError);
        return e;
    }
    expect.fail('expected a ConnectError');
}
describe('negotiate', function () {
    this.timeout(10_000);
    const open = [];
    const fake = async (f) => {
        const s = await startFake(f);
        open.push(s);
        return s;
    };
    const run = (rt, img = rt, mode = 'auto', ledger) => negotiate(rt, img, mode, T, ledger);
    afterEach(async () => {
        closeAllChannels();
        for (const s of open.splice(0))
            await s.close();
    });
    it('makeTimeouts(1) gives a 1 s connect deadline', () => {
        expect(T.connectMs).to.equal(1000);
    });
    describe('versions', () => {
        it('v1-only: runtime v1 and image v1, without touching v1alpha2', async () => {
            const s = await fake('v1-only');
            const n = await run(s.endpoint);
            expect(n.runtime).to.equal('v1');
            expect(n.image).to.equal('v1');
            expect(n.reason).to.equal(undefined);
            expect(n.version).to.deep.equal({ version: '0.1.0', runtime_name: 'fake-cri', runtime_version: '0.0.1', runtime_api_version: 'v1' });
            expect(probes(n)).to.deep.equal(['RuntimeService v1 Version OK', 'ImageService v1 ImageFsInfo OK']);
            expect(s.calls).to.deep.equal(['v1.RuntimeService/Version', 'v1.ImageService/ImageFsInfo']);
        });
        it('records every probe in the RPC ledger, UNIMPLEMENTED ones included', async () => {
            const s = await fake('v1alpha2-only');
            const ledger = new RpcLedger();
            await run(s.endpoint, s.endpoint, 'auto', ledger);
            // Both Version probes went out; the v1 one was UNIMPLEMENTED.
            expect(ledger.seen['Version']).to.deep.equal({ calls: 2, unimplemented: 1, errors: 0 });
            expect(ledger.seen['ImageFsInfo']).to.deep.equal({ calls: 2, unimplemented: 1, errors: 0 });
        });
        it('v1alpha2-only: both services fall back to v1alpha2 after UNIMPLEMENTED on v1', async () => {
            const s = await fake('v1alpha2-only');
            const n = await run(s.endpoint);
            expect(n.runtime).to.equal('v1alpha2');
            expect(n.image).to.equal('v1alpha2');
            expect(n.reason).to.equal(undefined);
            expect(n.version?.runtime_api_version).to.equal('v1alpha2');
            expect(probes(n)).to.deep.equal([
                'RuntimeService v1 Version UNIMPLEMENTED',
                'RuntimeService v1alpha2 Version OK',
                'ImageService v1 ImageFsInfo UNIMPLEMENTED',
                'ImageService v1alpha2 ImageFsInfo OK',
            ]);
        });
        it('split: runtime v1, image only v1alpha2', async () => {
            const s = await fake('split');
            const n = await run(s.endpoint);
            expect(n.runtime).to.equal('v1');
            expect(n.image).to.equal('v1alpha2');
            expect(n.reason).to.equal(undefined);
            expect(probes(n)).to.deep.equal([
                'RuntimeService v1 Version OK',
                'ImageService v1 ImageFsInfo UNIMPLEMENTED',
                'ImageService v1alpha2 ImageFsInfo OK',
            ]);
        });
        it('separate image endpoint: each service is negotiated at its own endpoint', async () => {
            const rt = await fake('v1alpha2-only');
            const img = await fake('v1-only');
            const n = await run(rt.endpoint, img.endpoint);
            expect(n.runtime).to.equal('v1alpha2');
            expect(n.image).to.equal('v1');
            expect(rt.calls).to.deep.equal(['v1alpha2.RuntimeService/Version']);
            expect(img.calls).to.deep.equal(['v1.ImageService/ImageFsInfo']);
        });
        it('neither: a gRPC server without CRI has no version, and the reason says it is not a CRI runtime', async () => {
            const s = await fake('neither');
            const n = await run(s.endpoint);
            expect(n.runtime).to.equal(null);
            expect(n.image).to.equal(null);
            expect(n.version).to.equal(undefined);
            expect(probes(n)).to.deep.equal([
                'RuntimeService v1 Version UNIMPLEMENTED',
                'RuntimeService v1alpha2 Version UNIMPLEMENTED',
                'ImageService v1 ImageFsInfo UNIMPLEMENTED',
                'ImageService v1alpha2 ImageFsInfo UNIMPLEMENTED',
            ]);
            expect(n.reason).to.include(s.endpoint.uri);
            expect(n.reason).to.include('is a gRPC server but serves no CRI version');
            expect(n.reason).to.include('not a CRI runtime');
            expect(n.reason).not.to.include('\n');
        });
        it('error: v1 Version answering INTERNAL means no runtime version, and NO fallback to v1alpha2', async () => {
            const s = await fake('error');
            const n = await run(s.endpoint);
            expect(n.runtime).to.equal(null);
            // The fake serves v1alpha2 perfectly: a fallback would have found it.
            expect(probes(n)).to.deep.equal(['RuntimeService v1 Version INTERNAL', 'ImageService v1 ImageFsInfo OK']);
            expect(n.probes.some((p) => p.version === 'v1alpha2')).to.equal(false);
            expect(s.calls.filter((c) => c.startsWith('v1alpha2'))).to.deep.equal([]);
            expect(n.probes[0].outcome).to.equal('INTERNAL: the fake runtime is broken');
            expect(n.image).to.equal('v1');
            expect(n.reason).to.equal('no CRI version negotiated (runtime.v1.RuntimeService/Version: INTERNAL)');
        });
        it('forced v1 against a v1alpha2-only runtime: no version, v1alpha2 never probed', async () => {
            const s = await fake('v1alpha2-only');
            const n = await run(s.endpoint, s.endpoint, 'v1');
            expect(n.runtime).to.equal(null);
            expect(n.image).to.equal(null);
            expect(probes(n)).to.deep.equal(['RuntimeService v1 Version UNIMPLEMENTED', 'ImageService v1 ImageFsInfo UNIMPLEMENTED']);
            expect(s.calls).to.deep.equal([]);
            expect(n.reason).to.match(/serves no CRI version/);
        });
        it('forced v1alpha2 against a v1-only runtime: no version', async () => {
            const s = await fake('v1-only');
            const n = await run(s.endpoint, s.endpoint, 'v1alpha2');
            expect(n.runtime).to.equal(null);
            expect(n.image).to.equal(null);
            expect(probes(n)).to.deep.equal(['RuntimeService v1alpha2 Version UNIMPLEMENTED', 'ImageService v1alpha2 ImageFsInfo UNIMPLEMENTED']);
        });
        it('forced v1alpha2 against a v1alpha2-only runtime: v1 never probed', async () => {
            const s = await fake('v1alpha2-only');
            const n = await run(s.endpoint, s.endpoint, 'v1alpha2');
            expect(n.runtime).to.equal('v1alpha2');
            expect(n.image).to.equal('v1alpha2');
            expect(n.probes.map((p) => p.version)).to.deep.equal(['v1alpha2', 'v1alpha2']);
        });
    });
    describe('transport failures are ConnectErrors (exit 3)', () => {
        const oneLine = (e) => {
            expect(e.exitCode).to.equal(EXIT.CONNECT).and.to.equal(3);
            expect(e.message).not.to.include('\n');
        };
        it('hangs: TIMEOUT within the connect deadline', async () => {
            const s = await fake('hangs');
            const t0 = Date.now();
            const e = await rejected(run(s.endpoint));
            const ms = Date.now() - t0;
            expect(e.code).to.equal('TIMEOUT');
            oneLine(e);
            expect(e.message).to.include(s.endpoint.uri);
            expect(e.message).to.include('did not answer within 1s');
            expect(e.message).to.include('--timeout');
            expect(ms).to.be.within(900, 3000);
            expect(s.calls).to.deep.equal(['v1.RuntimeService/Version']);
        });
        it('a socket that accepts and never speaks: TIMEOUT within the connect deadline', async () => {
            const s = await startSilentSocket();
            open.push(s);
            const t0 = Date.now();
            const e = await rejected(run(s.endpoint));
            expect(Date.now() - t0).to.be.below(3000);
            expect(e.code).to.equal('TIMEOUT');
            oneLine(e);
            expect(s.calls.length).to.be.greaterThan(0);
        });
        it('an HTTP/1.1 server: NOT_GRPC, not "no version"', async () => {
            const s = await startHttpServer();
            open.push(s);
            const t0 = Date.now();
            const e = await rejected(run(s.endpoint));
            expect(Date.now() - t0).to.be.below(3000);
            expect(e.code).to.equal('NOT_GRPC');
            oneLine(e);
            expect(e.message).to.include(s.endpoint.uri);
            expect(e.message).to.include('not as a gRPC server');
        });
        it('a missing socket: NO_SOCKET before dialling', async () => {
            const m = missingSocket();
            open.push(m);
            const e = await rejected(run(m.endpoint));
            expect(e.code).to.equal('NO_SOCKET');
            oneLine(e);
            expect(e.message).to.include(m.endpoint.uri);
            expect(e.message).to.include('does not exist');
        });
        it('a regular file instead of a socket: NOT_SOCKET', async () => {
            const f = regularFile();
            open.push(f);
            const e = await rejected(run(f.endpoint));
            expect(e.code).to.equal('NOT_SOCKET');
            oneLine(e);
            expect(e.message).to.include('is not a unix socket');
        });
        it('a missing separate image socket is found before any RPC', async () => {
            const s = await fake('v1-only');
            const m = missingSocket();
            open.push(m);
            const e = await rejected(run(s.endpoint, m.endpoint));
            expect(e.code).to.equal('NO_SOCKET');
            expect(e.message).to.include(m.endpoint.uri);
            expect(s.calls).to.deep.equal([]);
        });
        it('nothing listening on a TCP port: REFUSED, quickly', async () => {
            // Bind and close to get a free port nobody listens on.
            const net = await import('node:net');
            const port = await new Promise((resolve) => {
                const srv = net.createServer().listen(0, '127.0.0.1', () => {
                    const p = srv.address().port;
                    srv.close(() => resolve(p));
                });
            });
            const ep = { uri: `tcp://127.0.0.1:${port}`, target: `127.0.0.1:${port}`, kind: 'tcp', source: 'flag' };
            const t0 = Date.now();
            const e = await rejected(run(ep));
            expect(Date.now() - t0).to.be.below(3000);
            expect(e.code).to.be.oneOf(['REFUSED', 'UNAVAILABLE']);
            oneLine(e);
        });
        it('checkSocket leaves tcp endpoints alone', () => {
            expect(() => checkSocket({ uri: 'tcp://127.0.0.1:1', target: '127.0.0.1:1', kind: 'tcp', source: 'flag' })).not.to.throw();
        });
    });
});
//# sourceMappingURL=negotiate.test.js.map