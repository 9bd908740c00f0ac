// The streaming client (src/cri/streaming) on its own: its framing and status parsing, its deadlines
// against local fake servers that never answer or never finish, and Exec, Attach and PortForward
// against the lab's containerd over SPDY and WebSocket. The lab part skips with the reason when not
// root or when the lab is not up; it creates one pod per transport and removes it even on failure.
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { isStreamingError, openAttach, openExec, openPortForward, parseJsonStatus, parseLegacyStatus, readAll, runToCompletion, } from '../src/cri/streaming/index.js';
import { SPDY3_DICTIONARY } from '../src/cri/streaming/spdy/dictionary.js';
import { FrameReader, dataFrame, ping } from '../src/cri/streaming/spdy/frames.js';
import { HeaderDeflater, HeaderInflater, decodePairs } from '../src/cri/streaming/spdy/header-block.js';
import { fakeStreamingServer } from './support/fake-streaming-server.js';
import { LabPod, closeLab, openLab } from './support/streaming-lab.js';
const sha = (b) => createHash('sha256').update(b).digest('hex').slice(0, 16);
/** Reads r until its text matches re, within ms. */
function waitForText(r, re, ms) {
    return new Promise((resolve, reject) => {
        let text = '';
        const onData = (b) => {
            text += b.toString('utf8');
            if (re.test(text))
                finish();
        };
        const finish = (e) => {
            clearTimeout(t);
            r.off('data', onData);
            if (e)
                reject(e);
            else
                resolve(text);
        };
        const t = setTimeout(() => finish(new Error(`no ${re} within ${ms} ms; got ${JSON.stringify(text.slice(-200))}`)), ms);
        r.on('data', onData);
    });
}
describe('streaming client: framing and status', () => {
    it('builds the 1423-byte SPDY/3 dictionary', () => {
        expect(SPDY3_DICTIONARY.length).to.equal(1423);
        expect(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1')).to.equal('\0\0\0\x07options');
        expect(SPDY3_DICTIONARY.subarray(-6).toString('latin1')).to.equal('enq=0.');
    });
    it('header blocks form one zlib stream that zlib inflates with the dictionary, block by block', () => {
        const d = new HeaderDeflater();
        const a = d.compress({ streamType: 'error' });
        const b = d.compress({ streamtype: 'data', port: '8080', requestid: '7' });
        const opts = { dictionary: SPDY3_DICTIONARY, finishFlush: 2 /* Z_SYNC_FLUSH */ };
        const first = inflateSync(a, opts);
        expect(decodePairs(first)).to.deep.equal({ streamtype: 'error' });
        expect(decodePairs(inflateSync(Buffer.concat([a, b]), opts).subarray(first.length))).to.deep.equal({ streamtype: 'data', port: '8080', requestid: '7' });
        const inf = new HeaderInflater();
        expect(inf.decompress(a)).to.deep.equal({ streamtype: 'error' });
        expect(inf.decompress(b)).to.deep.equal({ streamtype: 'data', port: '8080', requestid: '7' });
    });
    it('splits frames across arbitrary chunk boundaries', () => {
        const bytes = Buffer.concat([dataFrame(3, 1, Buffer.from('hello')), ping(2), dataFrame(5, 0, Buffer.alloc(0))]);
        const r = new FrameReader();
        const frames = [...bytes].flatMap((_, i) => r.push(bytes.subarray(i, i + 1)));
        expect(frames.map((f) => (f.control ? `ctl ${f.type}` : `data ${f.streamId} ${f.flags} ${f.payload.toString()}`))).to.deep.equal([
            'data 3 1 hello', 'ctl 6', 'data 5 0 ',
        ]);
    });
    it('parses v4 Status: Success, NonZeroExitCode with its ExitCode cause, and other failures', () => {
        expect(parseJsonStatus('{"metadata":{},"status":"Success"}')).to.include({ success: true, exitCode: 0 });
        const nz = parseJsonStatus('{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}');
        expect(nz).to.include({ success: false, exitCode: 3, reason: 'NonZeroExitCode' });
        const internal = parseJsonStatus('{"status":"Failure","message":"error executing command in container: boom","reason":"InternalError","code":500}');
        expect(internal).to.include({ success: false, reason: 'InternalError' });
        expect(internal.exitCode).to.equal(undefined);
        expect(() => parseJsonStatus('')).to.throw(/without a Status/);
        expect(() => parseJsonStatus('not json')).to.throw(/not a JSON Status/);
        expect(parseLegacyStatus('')).to.include({ success: true, exitCode: 0 });
        expect(parseLegacyStatus('command terminated with non-zero exit code: error executing command [sh], exit code 42')).to.include({ success: false, exitCode: 42 });
    });
});
describe('streaming client: deadlines against fake servers', function () {
    this.timeout(30_000);
    const servers = [];
    const fake = async (b) => {
        const s = await fakeStreamingServer(b);
        servers.push(s);
        return s;
    };
    afterEach(async () => {
        while (servers.length)
            await servers.pop().close();
    });
    /** Asserts p rejects with a one-line StreamingError of that kind, near the expected time. */
    async function expectFailure(p, kind, re, withinMs) {
        const t = Date.now();
        const e = await p.then(() => undefined, (err) => err);
        const took = Date.now() - t;
        expect(isStreamingError(e), `expected a StreamingError, got ${String(e)}`).to.equal(true);
        const err = e;
        expect(err.kind, err.message).to.equal(kind);
        expect(err.message).to.match(re).and.not.include('\n');
        expect(took, err.message).to.be.below(withinMs);
        return err;
    }
    for (const protocol of ['spdy', 'websocket']) {
        it(`${protocol}: an upgrade that is never answered fails at the step timeout`, async () => {
            const s = await fake('silent');
            await expectFailure(openExec(s.url, { protocol, stdout: true, deadlineMs: 20_000, stepTimeoutMs: 800 }), 'timeout', /upgrade .*no answer within 800 ms/, 3000);
        });
        it(`${protocol}: a refused upgrade fails at once with the first line of the server's reason`, async () => {
            const s = await fake('refuse');
            const e = await expectFailure(openExec(s.url, { protocol, stdout: true, deadlineMs: 5000 }), 'refused', /HTTP 403: unable to upgrade: unable to negotiate/, 2000);
            expect(e.message).to.not.match(/second line/);
        });
    }
    it('spdy: a stream the server never replies to fails at the step timeout and says which', async () => {
        const s = await fake('spdy-no-reply');
        await expectFailure(openExec(s.url, { protocol: 'spdy', stdout: true, deadlineMs: 20_000, stepTimeoutMs: 700 }), 'timeout', /SYN_REPLY to stream 1 \(streamtype=error\).*700 ms/, 3000);
        expect(s.seen).to.deep.equal(['stream 1']);
    });
    it('spdy: a session that never ends fails its status at the deadline and closes the connection', async () => {
        const s = await fake('spdy-never-done');
        const session = await openExec(s.url, { protocol: 'spdy', stdin: true, stdout: true, stderr: true, deadlineMs: 1500 });
        expect(s.seen).to.deep.equal(['stream 1', 'stream 3', 'stream 5', 'stream 7']);
        await expectFailure(session.status, 'timeout', /waiting for the exit status.*1500 ms/, 3000);
        await readAll(session.stdout, 2000, 'stdout after the deadline'); // ended, not hanging
    });
    it('websocket: a session that never ends fails its status at the deadline and closes the socket', async () => {
        const s = await fake('ws-never-done');
        const session = await openExec(s.url, { protocol: 'websocket', stdout: true, deadlineMs: 1500 });
        expect(session.subprotocol).to.equal('v5.channel.k8s.io'); // the fake takes the first offered
        await expectFailure(session.status, 'timeout', /waiting for the exit status.*1500 ms/, 3000);
        await readAll(session.stdout, 2000, 'stdout after the deadline');
    });
    it('port-forward: the session deadline closes a connection that never ends', async () => {
        const s = await fake('spdy-never-done');
        const pf = await openPortForward(s.url, { protocol: 'spdy', ports: [80], deadlineMs: 1500 });
        const c = await pf.connect(80);
        const t = Date.now();
        await readAll(c.data, 5000, 'port 80 data');
        expect(Date.now() - t).to.be.within(1000, 4000);
    });
});
describe('streaming client against the lab containerd', function () {
    this.timeout(300_000);
    let lab;
    before(async function () {
        const l = await openLab();
        if (typeof l === 'string') {
            console.log(`      (lab streaming tests skipped: ${l})`);
            this.skip();
        }
        lab = l;
    });
    after(() => {
        if (lab)
            closeLab(lab);
    });
    for (const protocol of ['spdy', 'websocket']) {
        describe(`over ${protocol}`, () => {
            let pod;
            let sleeper = '';
            let webserver = '';
            before(async function () {
                if (!lab)
                    this.skip();
                pod = new LabPod(lab);
                await pod.start();
                sleeper = await pod.run('busybox', { command: ['sleep', '3600'] });
                webserver = await pod.run('webserver');
            });
            after(async () => {
                const errors = (await pod?.cleanup()) ?? [];
                if (errors.length)
                    console.log(`      (cleanup: ${errors.join('; ')})`);
            });
            const exec = async (cmd, o) => {
                const { url } = await lab.cri.runtime.call('Exec', {
                    container_id: sleeper, cmd, tty: o.tty ?? false, stdin: o.stdin ?? false, stdout: o.stdout ?? false, stderr: o.stderr ?? false,
                });
                return openExec(url, { protocol, deadlineMs: 30_000, ...o });
            };
            it('exec: stdout and stderr stay apart and exit code 3 is reported as NonZeroExitCode', async () => {
                const s = await exec(['sh', '-c', 'echo to-out; echo to-err >&2; exit 3'], { stdout: true, stderr: true });
                const r = await runToCompletion(s);
                expect(r.stdout.toString()).to.equal('to-out\n');
                expect(r.stderr.toString()).to.equal('to-err\n');
                expect(r.status).to.include({ success: false, exitCode: 3, reason: 'NonZeroExitCode' });
                console.log(`      (${protocol} negotiated ${s.subprotocol})`);
            });
            it('exec: exit 0 is reported as Success', async () => {
                const r = await runToCompletion(await exec(['true'], { stdout: true }));
                expect(r.status).to.include({ success: true, exitCode: 0 });
            });
            it('exec: a 1.5 MiB binary payload goes through stdin and back out unchanged', async () => {
                const payload = randomBytes(1536 * 1024 + 7);
                // head -c ends the command without needing stdin EOF, which WebSocket v4 cannot send.
                const s = await exec(['head', '-c', String(payload.length)], { stdin: true, stdout: true, stderr: true });
                const r = await runToCompletion(s, payload);
                expect(r.stdout.length).to.equal(payload.length);
                expect(sha(r.stdout)).to.equal(sha(payload));
                expect(r.status.success, r.status.raw).to.equal(true);
            });
            it('exec: a 1.5 MiB binary payload produced in the container arrives unchanged', async () => {
                const r = await runToCompletion(await exec(['sh', '-c', 'head -c 1572871 /dev/urandom > /tmp/blob; cat /tmp/blob; sha256sum /tmp/blob >&2'], { stdout: true, stderr: true }));
                expect(r.stdout.length).to.equal(1572871);
                expect(r.stderr.toString().split(' ')[0]).to.equal(createHash('sha256').update(r.stdout).digest('hex'));
            });
            it('exec: stdin EOF ends cat', async function () {
                const s = await exec(['cat'], { stdin: true, stdout: true, stderr: true });
                if (!s.stdinEof) {
                    s.close();
                    // The WebSocket channel protocol before v5 has no way to close stdin alone.
                    this.skip();
                }
                const r = await runToCompletion(s, 'line one\nline two');
                expect(r.stdout.toString()).to.equal('line one\nline two');
                expect(r.status).to.include({ success: true, exitCode: 0 });
            });
            if (protocol === 'websocket') {
                it('exec: v5.channel.k8s.io, when served, half-closes stdin; otherwise the upgrade is refused with a reason', async () => {
                    const s = await exec(['cat'], { stdin: true, stdout: true, subprotocols: ['v5.channel.k8s.io'] }).catch((e) => e);
                    if (s instanceof Error) {
                        expect(s.message).to.match(/^WebSocket upgrade of .*: HTTP 4\d\d/);
                        console.log(`      (v5 not served: ${s.message})`);
                        return;
                    }
                    const r = await runToCompletion(s, 'eof please');
                    expect(r.stdout.toString()).to.equal('eof please');
                });
                it('exec: the base64 variant carries the same bytes and status', async () => {
                    const payload = randomBytes(200_000);
                    const s = await exec(['sh', '-c', `head -c ${payload.length}; echo e >&2; exit 5`], {
                        stdin: true, stdout: true, stderr: true, subprotocols: ['v4.base64.channel.k8s.io'],
                    });
                    expect(s.subprotocol).to.equal('v4.base64.channel.k8s.io');
                    const r = await runToCompletion(s, payload);
                    expect(sha(r.stdout)).to.equal(sha(payload));
                    expect(r.stderr.toString()).to.equal('e\n');
                    expect(r.status).to.include({ exitCode: 5, reason: 'NonZeroExitCode' });
                });
            }
            else {
                for (const sub of ['v3.channel.k8s.io', 'v2.channel.k8s.io']) {
                    it(`exec: ${sub} reports the exit code through its text error stream`, async () => {
                        const s = await exec(['sh', '-c', 'echo hi; exit 4'], { stdout: true, stderr: true, subprotocols: [sub] });
                        expect(s.subprotocol).to.equal(sub);
                        const r = await runToCompletion(s);
                        expect(r.stdout.toString()).to.equal('hi\n');
                        expect(r.status).to.include({ success: false, exitCode: 4 });
                    });
                }
            }
            it('exec with a tty: resize changes what stty size reports', async () => {
                const s = await exec(['sh', '-c', 'read a; stty size; read b; stty size'], { stdin: true, stdout: true, tty: true });
                const out = s.stdout;
                await s.resize(101, 31);
                await new Promise((r) => setTimeout(r, 300)); // resize and stdin travel on different channels
                s.stdin.write('x\n');
                await waitForText(out, /31 101/, 10_000);
                await s.resize(77, 22);
                await new Promise((r) => setTimeout(r, 300));
                s.stdin.write('y\n');
                await waitForText(out, /22 77/, 10_000);
                expect(await s.status).to.include({ success: true });
            });
            it('attach: stdin reaches the container started with stdin, and its stdout comes back', async () => {
                const id = await pod.run('busybox', { command: ['sh', '-c', 'while read l; do echo "got:$l"; echo "err:$l" >&2; done'], stdin: true, stdin_once: true });
                const { url } = await lab.cri.runtime.call('Attach', { container_id: id, stdin: true, stdout: true, stderr: true });
                const s = await openAttach(url, { protocol, stdin: true, stdout: true, stderr: true, deadlineMs: 30_000 });
                const errText = waitForText(s.stderr, /err:hello/, 10_000);
                s.stdin.write('hello\n');
                expect(await waitForText(s.stdout, /got:hello\n/, 10_000)).to.equal('got:hello\n');
                await errText;
                if (s.stdinEof) {
                    s.stdin.end(); // stdin_once: EOF ends the loop, the container exits, attach reports Success
                    expect(await s.status).to.include({ success: true });
                }
                else
                    s.close();
            });
            const get = 'GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n';
            it('port-forward: an HTTP GET to the webserver on 8080 answers 200 with its page', async () => {
                expect(webserver).to.not.equal('');
                const { url } = await lab.cri.runtime.call('PortForward', { pod_sandbox_id: pod.sandboxId, port: [8080] });
                const pf = await openPortForward(url, { protocol, ports: [8080], deadlineMs: 30_000 });
                try {
                    const c = await pf.connect(8080);
                    c.data.write(get);
                    const reply = (await readAll(c.data, 20_000, 'port 8080')).toString();
                    expect(reply).to.match(/^HTTP\/1\.[01] 200 /);
                    expect(reply).to.include('cri-conformance webserver OK');
                    expect(await c.error).to.equal('');
                    if (protocol === 'spdy') {
                        // SPDY carries a new connection per request id on the same session.
                        const again = await pf.connect(8080);
                        again.data.write(get);
                        expect((await readAll(again.data, 20_000, 'port 8080 again')).toString()).to.include('cri-conformance webserver OK');
                    }
                    expect(pf.streamErrors).to.deep.equal([]);
                }
                finally {
                    pf.close();
                }
            });
            it('port-forward: a port nobody listens on is reported on the error stream', async () => {
                const { url } = await lab.cri.runtime.call('PortForward', { pod_sandbox_id: pod.sandboxId, port: [9] });
                const pf = await openPortForward(url, { protocol, ports: [9], deadlineMs: 30_000 });
                try {
                    const c = await pf.connect(9);
                    const [data, error] = await Promise.all([readAll(c.data, 20_000, 'port 9'), c.error]);
                    expect(data.length).to.equal(0);
                    expect(error).to.match(/port 9/).and.match(/refused/i);
                }
                finally {
                    pf.close();
                }
            });
        });
    }
});
//# sourceMappingURL=streaming-client.test.js.map