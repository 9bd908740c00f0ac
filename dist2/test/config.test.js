// Endpoint parsing and resolution: crictl's forms, precedence (flag > env > crictl.yaml > autodetect),
// crictl.yaml validation and the autodetect order. No sockets are needed: autodetect gets socketExists.
import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AUTODETECT_SOCKETS, parseEndpoint, readCrictlConfig, resolveEndpoints, } from '../src/config.js';
import { CliError, ConnectError, EXIT, UsageError } from '../src/errors.js';
/** Runs fn and returns what it threw; fails when it does not throw. */
function thrown(fn) {
    try {
        fn();
    }
    catch (e) {
        expect(e, String(e)).to.be.instanceOf(CliError);
        return e;
    }
    expect.fail('expected an error');
}
const CONTAINERD = '/run/containerd/containerd.sock';
const CRIO = '/run/crio/crio.sock';
const DOCKERD = '/run/cri-dockerd.sock';
describe('config', () => {
    let dir;
    let n = 0;
    /** Writes a crictl.yaml with this content and returns its path. */
    const yaml = (text) => {
        const f = path.join(dir, `crictl-${++n}.yaml`);
        writeFileSync(f, text);
        return f;
    };
    before(() => {
        dir = mkdtempSync(path.join(os.tmpdir(), 'crc-config-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    describe('parseEndpoint', () => {
        it('accepts unix:///path', () => {
            const e = parseEndpoint('unix:///run/containerd/containerd.sock', 'flag');
            expect(e).to.deep.equal({
                uri: 'unix:///run/containerd/containerd.sock',
                target: 'unix:///run/containerd/containerd.sock',
                kind: 'unix',
                path: '/run/containerd/containerd.sock',
                source: 'flag',
            });
        });
        it('accepts a bare absolute path as a unix endpoint', () => {
            const e = parseEndpoint('/run/crio/crio.sock', 'env');
            expect(e).to.include({ uri: 'unix:///run/crio/crio.sock', target: 'unix:///run/crio/crio.sock', kind: 'unix', path: '/run/crio/crio.sock', source: 'env' });
        });
        it('trims surrounding whitespace (values pasted from a file)', () => {
            expect(parseEndpoint('  unix:///run/x.sock\n', 'config').path).to.equal('/run/x.sock');
        });
        it('accepts tcp://host:port, with the grpc target host:port', () => {
            const e = parseEndpoint('tcp://localhost:10010', 'flag');
            expect(e).to.include({ uri: 'tcp://localhost:10010', target: 'localhost:10010', kind: 'tcp' });
            expect(e.path).to.equal(undefined);
            expect(parseEndpoint('tcp://10.0.0.5:1234/', 'flag').target, 'trailing slash').to.equal('10.0.0.5:1234');
        });
        it('accepts tcp://[::1]:port (IPv6 literal)', () => {
            const e = parseEndpoint('tcp://[::1]:10010', 'flag');
            expect(e).to.include({ uri: 'tcp://[::1]:10010', target: '[::1]:10010', kind: 'tcp' });
        });
        const bad = [
            ['[::1]:10010', /not understood.*tcp:\/\/host:port/],
            ['localhost:10010', /not understood/],
            ['unix://run/containerd.sock', /absolute path/],
            ['unix://', /absolute path/],
            ['relative/path.sock', /not understood/],
            ['', /not understood/],
            ['http://localhost:80', /not understood/],
            ['tcp://localhost', /tcp:\/\/host:port/],
            ['tcp://:10010', /tcp:\/\/host:port/],
            ['tcp://[::1]', /tcp:\/\/host:port/],
            ['tcp://localhost:99999', /tcp:\/\/host:port/],
            ['tcp://localhost:port', /tcp:\/\/host:port/],
        ];
        for (const [raw, re] of bad) {
            it(`rejects ${JSON.stringify(raw)} with a usage error (exit 2)`, () => {
                const e = thrown(() => parseEndpoint(raw, 'flag'));
                expect(e).to.be.instanceOf(UsageError);
                expect(e.exitCode).to.equal(EXIT.USAGE).and.to.equal(2);
                expect(e.message).to.match(re);
                expect(e.message).to.include(`"${raw}"`);
                expect(e.message).not.to.include('\n');
            });
        }
    });
    describe('resolveEndpoints precedence', () => {
        let empty;
        let full;
        before(() => {
            empty = yaml('');
            full = yaml('runtime-endpoint: unix:///cfg/runtime.sock\nimage-endpoint: unix:///cfg/image.sock\ntimeout: 7\n');
        });
        const never = (p) => {
            throw new Error(`autodetect should not run, but probed ${p}`);
        };
        const inputs = (o) => ({ env: {}, socketExists: never, configFlag: empty, ...o });
        const ENV = { CONTAINER_RUNTIME_ENDPOINT: 'unix:///env/runtime.sock', IMAGE_SERVICE_ENDPOINT: 'unix:///env/image.sock' };
        it('a flag beats the environment and crictl.yaml', () => {
            const r = resolveEndpoints(inputs({ runtimeFlag: '/flag/runtime.sock', imageFlag: 'unix:///flag/image.sock', env: ENV, configFlag: full }));
            expect(r.runtime).to.include({ uri: 'unix:///flag/runtime.sock', source: 'flag' });
            expect(r.image).to.include({ uri: 'unix:///flag/image.sock', source: 'flag' });
            expect(r.notes).to.deep.equal([]);
        });
        it('the environment beats crictl.yaml', () => {
            const r = resolveEndpoints(inputs({ env: ENV, configFlag: full }));
            expect(r.runtime).to.include({ uri: 'unix:///env/runtime.sock', source: 'env' });
            expect(r.image).to.include({ uri: 'unix:///env/image.sock', source: 'env' });
        });
        it('crictl.yaml beats autodetect', () => {
            const r = resolveEndpoints(inputs({ configFlag: full }));
            expect(r.runtime).to.include({ uri: 'unix:///cfg/runtime.sock', source: 'config' });
            expect(r.image).to.include({ uri: 'unix:///cfg/image.sock', source: 'config' });
            expect(r.timeoutSeconds).to.equal(7);
        });
        it('each endpoint is resolved on its own (runtime flag, image from env)', () => {
            const r = resolveEndpoints(inputs({ runtimeFlag: '/flag/runtime.sock', env: ENV, configFlag: full }));
            expect(r.runtime.source).to.equal('flag');
            expect(r.image).to.include({ uri: 'unix:///env/image.sock', source: 'env' });
        });
        it('an empty environment variable counts as unset', () => {
            const r = resolveEndpoints(inputs({ env: { CONTAINER_RUNTIME_ENDPOINT: '', IMAGE_SERVICE_ENDPOINT: '' }, configFlag: full }));
            expect(r.runtime.source).to.equal('config');
            expect(r.image.source).to.equal('config');
        });
        it('the image endpoint defaults to the runtime endpoint', () => {
            const r = resolveEndpoints(inputs({ runtimeFlag: 'tcp://127.0.0.1:10010' }));
            expect(r.image).to.include({ uri: 'tcp://127.0.0.1:10010', target: '127.0.0.1:10010', kind: 'tcp', source: 'runtime-endpoint' });
            expect(r.runtime.source).to.equal('flag');
        });
        it('IMAGE_SERVICE_ENDPOINT alone sets only the image endpoint; the runtime is still autodetected', () => {
            const r = resolveEndpoints(inputs({ env: { IMAGE_SERVICE_ENDPOINT: '/env/image.sock' }, socketExists: (p) => p === CRIO }));
            expect(r.image).to.include({ uri: 'unix:///env/image.sock', source: 'env' });
            expect(r.runtime).to.include({ uri: `unix://${CRIO}`, source: 'autodetect' });
        });
        it('IMAGE_SERVICE_ENDPOINT alone, with no runtime anywhere, is still "no endpoint" (exit 3)', () => {
            const e = thrown(() => resolveEndpoints(inputs({ env: { IMAGE_SERVICE_ENDPOINT: '/env/image.sock' }, socketExists: () => false })));
            expect(e).to.be.instanceOf(ConnectError);
            expect(e.exitCode).to.equal(3);
        });
        it('--timeout beats crictl.yaml timeout; crictl.yaml timeout applies without the flag', () => {
            expect(resolveEndpoints(inputs({ configFlag: full, timeoutFlag: 3 })).timeoutSeconds).to.equal(3);
            expect(resolveEndpoints(inputs({ configFlag: full })).timeoutSeconds).to.equal(7);
            expect(resolveEndpoints(inputs({ runtimeFlag: '/x.sock' })).timeoutSeconds).to.equal(undefined);
        });
        it('a malformed endpoint from any source is a usage error (exit 2)', () => {
            for (const i of [
                inputs({ runtimeFlag: 'localhost:1' }),
                inputs({ imageFlag: 'unix://relative', runtimeFlag: '/x.sock' }),
                inputs({ env: { CONTAINER_RUNTIME_ENDPOINT: 'tcp://nohost' } }),
                inputs({ configFlag: yaml('runtime-endpoint: "run/containerd.sock"\n') }),
            ]) {
                const e = thrown(() => resolveEndpoints(i));
                expect(e.exitCode, e.message).to.equal(2);
            }
        });
    });
    describe('crictl.yaml', () => {
        it('reads runtime-endpoint, image-endpoint and timeout, ignoring crictl-only keys', () => {
            const f = yaml('runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: /run/img.sock\ntimeout: 10\ndebug: true\npull-image-on-create: false\n');
            expect(readCrictlConfig(f, true)).to.deep.equal({
                runtimeEndpoint: 'unix:///run/containerd/containerd.sock',
                imageEndpoint: '/run/img.sock',
                timeout: 10,
            });
        });
        it('accepts a numeric string timeout and fractional seconds', () => {
            expect(readCrictlConfig(yaml('timeout: "15"\n'), true)?.timeout).to.equal(15);
            expect(readCrictlConfig(yaml('timeout: 0.5\n'), true)?.timeout).to.equal(0.5);
        });
        it('an empty file, or only comments, is an empty config', () => {
            expect(readCrictlConfig(yaml(''), true)).to.deep.equal({});
            expect(readCrictlConfig(yaml('# nothing here\n'), true)).to.deep.equal({});
        });
        it('empty or null values count as unset', () => {
            expect(readCrictlConfig(yaml('runtime-endpoint: ""\nimage-endpoint:\ntimeout: null\n'), true)).to.deep.equal({
                runtimeEndpoint: undefined,
                imageEndpoint: undefined,
                timeout: undefined,
            });
        });
        const bad = [
            ['invalid YAML', 'runtime-endpoint: [unclosed\n', /is not valid YAML/],
            ['a tab-indented mess', 'a:\n\t- b: c\n', /is not valid YAML/],
            ['a list', '- runtime-endpoint: /x.sock\n', /must be a YAML mapping/],
            ['a scalar', 'unix:///run/containerd/containerd.sock\n', /must be a YAML mapping/],
            ['a numeric runtime-endpoint', 'runtime-endpoint: 42\n', /"runtime-endpoint" must be a string/],
            ['a mapping image-endpoint', 'image-endpoint: {path: /x}\n', /"image-endpoint" must be a string/],
            ['a non-numeric timeout', 'timeout: soon\n', /"timeout" must be a positive number/],
            ['a zero timeout', 'timeout: 0\n', /"timeout" must be a positive number/],
            ['a negative timeout', 'timeout: -5\n', /"timeout" must be a positive number/],
            ['a boolean timeout', 'timeout: true\n', /"timeout" must be a positive number/],
            ['a list timeout', 'timeout: [5]\n', /"timeout" must be a positive number/],
        ];
        for (const [what, text, re] of bad) {
            it(`rejects ${what} with a usage error naming the file (exit 2)`, () => {
                const f = yaml(text);
                const e = thrown(() => readCrictlConfig(f, false));
                expect(e).to.be.instanceOf(UsageError);
                expect(e.exitCode).to.equal(2);
                expect(e.code).to.equal('CONFIG');
                expect(e.message).to.match(re);
                expect(e.message).to.include(f);
                expect(e.message).not.to.include('\n');
            });
        }
        it('a bad crictl.yaml fails resolveEndpoints even when flags name both endpoints', () => {
            const e = thrown(() => resolveEndpoints({ runtimeFlag: '/x.sock', imageFlag: '/y.sock', configFlag: yaml('- 1\n'), env: {} }));
            expect(e.exitCode).to.equal(2);
        });
        it('an unreadable file (a directory in its place) is a usage error naming the cause', () => {
            const d = path.join(dir, 'crictl-dir.yaml');
            mkdirSync(d);
            const e = thrown(() => readCrictlConfig(d, true));
            expect(e.exitCode).to.equal(2);
            expect(e.message).to.include(`cannot read config file ${d}: EISDIR`);
        });
        it('an unreadable file (mode 000) is a usage error naming EACCES', function () {
            if (process.getuid?.() === 0) {
                // root reads mode-000 files regardless; the directory case above covers the unreadable path.
                this.test.title += ' (skipped: running as root, where chmod 000 does not block reads)';
                this.skip();
            }
            const f = yaml('timeout: 1\n');
            chmodSync(f, 0o000);
            try {
                const e = thrown(() => readCrictlConfig(f, true));
                expect(e.exitCode).to.equal(2);
                expect(e.message).to.include('EACCES');
            }
            finally {
                chmodSync(f, 0o600);
            }
        });
        it('--config pointing at a missing file is a usage error (exit 2)', () => {
            const missing = path.join(dir, 'missing.yaml');
            const e = thrown(() => resolveEndpoints({ configFlag: missing, runtimeFlag: '/x.sock', env: {} }));
            expect(e).to.be.instanceOf(UsageError);
            expect(e.exitCode).to.equal(2);
            expect(e.message).to.equal(`config file ${missing} does not exist (given with --config)`);
        });
        it('a missing default file is not an error', () => {
            expect(readCrictlConfig(path.join(dir, 'missing-default.yaml'), false)).to.equal(undefined);
        });
    });
    describe('autodetect', () => {
        let empty;
        before(() => {
            empty = yaml('');
        });
        it('knows crictl\'s sockets in crictl\'s order', () => {
            expect(AUTODETECT_SOCKETS.map((s) => s.path)).to.deep.equal([CONTAINERD, CRIO, DOCKERD]);
        });
        const cases = [
            ['all three present: containerd', [CONTAINERD, CRIO, DOCKERD], CONTAINERD, 'containerd'],
            ['CRI-O and cri-dockerd: CRI-O', [CRIO, DOCKERD], CRIO, 'CRI-O'],
            ['containerd and cri-dockerd: containerd', [DOCKERD, CONTAINERD], CONTAINERD, 'containerd'],
            ['only cri-dockerd', [DOCKERD], DOCKERD, 'cri-dockerd'],
        ];
        for (const [title, present, want, name] of cases) {
            it(title, () => {
                const probed = [];
                const r = resolveEndpoints({
                    env: {},
                    configFlag: empty,
                    socketExists: (p) => {
                        probed.push(p);
                        return present.includes(p);
                    },
                });
                expect(r.runtime).to.include({ uri: `unix://${want}`, path: want, source: 'autodetect' });
                expect(r.image).to.include({ uri: `unix://${want}`, source: 'runtime-endpoint' });
                expect(r.notes).to.deep.equal([`no endpoint configured; autodetected ${name} at unix://${want}`]);
                // Stops at the first hit, in order.
                expect(probed).to.deep.equal(AUTODETECT_SOCKETS.map((s) => s.path).slice(0, probed.length));
                expect(probed.at(-1)).to.equal(want);
            });
        }
        it('none found: ConnectError NO_ENDPOINT, exit 3, naming every path and the flag', () => {
            const e = thrown(() => resolveEndpoints({ env: {}, configFlag: empty, socketExists: () => false }));
            expect(e).to.be.instanceOf(ConnectError);
            expect(e.exitCode).to.equal(EXIT.CONNECT).and.to.equal(3);
            expect(e.code).to.equal('NO_ENDPOINT');
            for (const p of [CONTAINERD, CRIO, DOCKERD])
                expect(e.message).to.include(p);
            expect(e.message).to.include('--runtime-endpoint');
            expect(e.message).not.to.include('\n');
        });
    });
});
//# sourceMappingURL=config.test.js.map