// Streaming: Exec, Attach and PortForward driven end to end over the runtime's streaming server. Every
// behaviour runs over SPDY/3.1 (what the kubelet and API server use toward runtimes: [Conformance]) and
// over WebSocket ([Optional]: skipped with the server's reason when refused). Every upgrade, stream and
// exit status has a deadline (src/framework/streaming.ts), so a server that hangs fails one test, in time.
import { createHash, randomBytes } from 'node:crypto';
import {
  defineSuite, check, skip, runSandbox, containerPod, runContainer, createContainer, testImage, podSandboxConfig, containerConfig, eventually, execSync,
  withShell, withCommand, withStdin, withTty, withHostNetwork, withHostname, randomSuffix, removeContainer, removePodSandbox,
  stopPodSandbox, type TestContext, type Sandbox,
} from '../src/framework/index.js';
import {
  PROTOCOLS, openSession, openForward, tryAgain, probeHost, collect, readUntil, freeHostPort, stepTimeoutMs, rpcOutcome, type StreamProtocol, type StreamFlags,
} from '../src/framework/streaming.js';
import { runToCompletion, type ExecStatus, type ExecSession } from '../src/cri/streaming/index.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex').slice(0, 16);
/** How the error channel described the outcome, in one comparable value. */
const outcome = (s: ExecStatus) => (s.success ? 'Success' : `${s.reason ?? 'Failure'} exit code ${s.exitCode ?? 'none'}`);
const GET = 'GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n';
const WEB_PAGE = 'cri-conformance webserver OK';

/** A busybox container that sleeps, for exec. */
async function sleeper(t: TestContext, sb: Sandbox): Promise<string> {
  return runContainer(t, sb, containerConfig('sleeper', await testImage(t), withCommand('sleep', '3600')));
}

async function execUrl(t: TestContext, id: string, cmd: string[], f: StreamFlags): Promise<string> {
  const res = await t.cri.runtime.call('Exec', { container_id: id, cmd, tty: f.tty ?? false, stdin: f.stdin ?? false, stdout: f.stdout ?? false, stderr: f.stderr ?? false });
  return res.url;
}

async function exec(t: TestContext, p: StreamProtocol, id: string, cmd: string[], f: StreamFlags): Promise<ExecSession> {
  return openSession(t, p, await execUrl(t, id, cmd, f), 'Exec', f);
}

async function attach(t: TestContext, p: StreamProtocol, id: string, f: StreamFlags): Promise<ExecSession> {
  const { url } = await t.cri.runtime.call('Attach', { container_id: id, stdin: f.stdin ?? false, tty: f.tty ?? false, stdout: f.stdout ?? false, stderr: f.stderr ?? false });
  return openSession(t, p, url, 'Attach', f);
}

async function portForwardUrl(t: TestContext, sandboxId: string, ports: number[]): Promise<string> {
  return (await t.cri.runtime.call('PortForward', { pod_sandbox_id: sandboxId, port: ports })).url;
}

/** One HTTP/1.0 GET through a forwarded connection: the reply (the server closes after it) and the error text. */
async function httpGet(t: TestContext, pf: Awaited<ReturnType<typeof openForward>>, port: number): Promise<{ reply: string; error: string }> {
  const c = await pf.connect(port);
  c.data.write(GET);
  const reply = (await collect(c.data, stepTimeoutMs(t))).toString('utf8');
  const error = await Promise.race([c.error, new Promise<string>((r) => setTimeout(() => r('(error stream not closed)'), 2_000))]);
  return { reply, error };
}

/** Waits until something answers HTTP on addr inside the container (setup, not a check). */
async function serving(t: TestContext, id: string, addr: string): Promise<void> {
  await eventually(async () => {
    const r = await execSync(t, id, ['wget', '-q', '-O', '/dev/null', `http://${addr}/index.html`]);
    if (r.exitCode !== 0) throw new Error(`no HTTP server on ${addr} in container ${id}: ${r.stderr.trim()}`);
  }, { timeoutMs: 20_000, intervalMs: 200 });
}

/** A webserver in the pod on 8080 (the fixture image) and, when asked, a second one on 8081. */
async function webPod(t: TestContext, second = false): Promise<Sandbox> {
  const sb = await containerPod(t);
  const web = await runContainer(t, sb, containerConfig('web', await testImage(t, 'webserver')));
  await serving(t, web, '127.0.0.1:8080');
  if (second) {
    const id = await runContainer(t, sb, containerConfig('web2', await testImage(t), withShell('mkdir -p /w2 && echo second-port > /w2/index.html && exec httpd -f -p 8081 -h /w2')));
    await serving(t, id, '127.0.0.1:8081');
  }
  return sb;
}

export default defineSuite(({ describe, it }) => {
  describe('Streaming RPCs', () => {
    for (const p of PROTOCOLS) {
      it(`Exec, Attach and PortForward should answer a fresh absolute URL on a reachable host that serves one connection, over ${p.label} ${p.tag}`, async (t) => {
        const sb = await containerPod(t);
        const ref = await testImage(t);
        const id = await runContainer(t, sb, containerConfig('url', ref, withStdin(), withShell('while read l; do echo "got:$l"; done')));
        const ask: Record<'Exec' | 'Attach' | 'PortForward', () => Promise<string>> = {
          Exec: () => execUrl(t, id, ['echo', 'once'], { stdout: true }),
          Attach: async () => (await t.cri.runtime.call('Attach', { container_id: id, stdin: false, tty: false, stdout: true, stderr: false })).url,
          PortForward: () => portForwardUrl(t, sb.id, [8080]),
        };
        for (const rpc of ['Exec', 'Attach', 'PortForward'] as const) {
          const url = await ask[rpc]();
          check(rpc, 'url', url).matches(/^https?:\/\/[^/]+\//, 'the kubelet dials it as is: an absolute http(s) URL');
          check(rpc, `url host (TCP connect to ${url})`, await probeHost(url, stepTimeoutMs(t))).equals('', 'the kubelet must reach the streaming server');
          check(rpc, 'url (second call)', await ask[rpc]()).notEquals(url, 'each call answers a URL of its own');
          if (rpc === 'PortForward') (await openForward(t, p, url, [8080])).close();
          else {
            const s = await openSession(t, p, url, rpc, { stdout: true });
            if (rpc === 'Exec') check('Exec', 'stdout (first connection to the url)', (await runToCompletion(s)).stdout.toString()).equals('once\n');
            s.close();
          }
          check(rpc, 'second connection to the same url', await tryAgain(t, p, url, rpc)).matches(/^refused: /, 'a streaming URL serves one session');
        }
      });
    }

    it('Exec, Attach and PortForward should answer an error, not a URL, for an unknown or removed container or sandbox [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const gone = await createContainer(t, sb, containerConfig('gone', await testImage(t), withCommand('sleep', '3600')));
      await removeContainer(t, gone);
      const goneSb = await runSandbox(t, podSandboxConfig('stream-gone-sb'));
      await stopPodSandbox(t, goneSb.id);
      await removePodSandbox(t, goneSb.id);
      const unknown = `crc-no-such-${randomSuffix(12)}`;
      const rt = t.cri.runtime;
      for (const [what, cid] of [['unknown', unknown], ['removed', gone]] as const) {
        check(`Exec (${what} container)`, 'answer', await rpcOutcome(() => rt.call('Exec', { container_id: cid, cmd: ['true'], stdout: true }))).matches(/^error /, 'there is nothing to exec in');
        check(`Attach (${what} container)`, 'answer', await rpcOutcome(() => rt.call('Attach', { container_id: cid, stdout: true }))).matches(/^error /, 'there is nothing to attach to');
      }
      for (const [what, sid] of [['unknown', unknown], ['removed', goneSb.id]] as const) {
        check(`PortForward (${what} sandbox)`, 'answer', await rpcOutcome(() => rt.call('PortForward', { pod_sandbox_id: sid, port: [8080] }))).matches(/^error /, 'there is no network namespace to forward into');
      }
    });

    it('Exec should refuse tty together with stderr, as the CRI API says [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const id = await sleeper(t, sb);
      // api.proto, ExecRequest.stderr: "If `tty` is true, `stderr` MUST be false. Multiplexing is not supported".
      const answer = await rpcOutcome(() => t.cri.runtime.call('Exec', { container_id: id, cmd: ['true'], tty: true, stdout: true, stderr: true }));
      check('Exec (tty=true, stderr=true)', 'answer', answer).matches(/^error /, 'tty and stderr must not both be true');
    });
  });

  describe('Exec', () => {
    for (const p of PROTOCOLS) {
      it(`exec should deliver stdout and stderr apart and report the exit code as a v4 Status, over ${p.label} ${p.tag}`, async (t) => {
        const id = await sleeper(t, await containerPod(t));
        const r = await runToCompletion(await exec(t, p, id, ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3'], { stdout: true, stderr: true }));
        check('Exec', 'streams {stdout, stderr}', { stdout: r.stdout.toString(), stderr: r.stderr.toString() }).equals({ stdout: 'to-out\n', stderr: 'to-err\n' });
        check('Exec', 'error channel Status (exit 3)', outcome(r.status)).equals('NonZeroExitCode exit code 3', r.status.raw);
        const ok = await runToCompletion(await exec(t, p, id, ['true'], { stdout: true }));
        check('Exec', 'error channel Status (exit 0)', outcome(ok.status)).equals('Success', ok.status.raw);
      });

      it(`exec should carry more than 1 MiB of binary data through stdin, stdout and stderr unchanged, over ${p.label} ${p.tag}`, async (t) => {
        const id = await sleeper(t, await containerPod(t));
        const payload = randomBytes(1536 * 1024 + 7);
        // head -c ends without stdin EOF, which WebSocket before v5 cannot send; stderr gets the first 100000 bytes.
        const cmd = ['sh', '-c', `head -c ${payload.length} > /tmp/p; cat /tmp/p; head -c 100000 /tmp/p >&2`];
        const r = await runToCompletion(await exec(t, p, id, cmd, { stdin: true, stdout: true, stderr: true }), payload);
        check('Exec', 'sha256 of {stdout, stderr} (1.5 MiB random bytes in)', { stdout: sha(r.stdout), stderr: sha(r.stderr), bytes: r.stdout.length })
          .equals({ stdout: sha(payload), stderr: sha(payload.subarray(0, 100_000)), bytes: payload.length });
      });

      it(`exec should deliver stdin, and closing it should end cat, over ${p.label} ${p.tag}`, async (t) => {
        const id = await sleeper(t, await containerPod(t));
        const s = await exec(t, p, id, ['cat'], { stdin: true, stdout: true, stderr: true });
        if (!s.stdinEof) skip(`${p.label} subprotocol ${s.subprotocol} cannot close stdin alone (v5.channel.k8s.io can; the server did not choose it)`);
        const r = await runToCompletion(s, 'line one\nline two');
        check('Exec', 'stdout of cat, and its Status once stdin closed', `${r.stdout.toString()}|${outcome(r.status)}`).equals('line one\nline two|Success');
      });

      it(`exec with a tty should merge stderr into stdout and apply a resize, over ${p.label} ${p.tag}`, async (t) => {
        const id = await sleeper(t, await containerPod(t));
        // Each line on stdin asks for the size again, until it is the one wanted: resize and stdin travel on
        // different streams, so the first answer may predate the resize.
        const script = 'echo to-out; echo to-err >&2; for want in "31 101" "22 77"; do while read a; do s=$(stty size); echo "size $s"; [ "$s" = "$want" ] && break; done; done';
        const s = await exec(t, p, id, ['sh', '-c', script], { stdin: true, stdout: true, tty: true });
        const first = readUntil(s.stdout, /to-err/, stepTimeoutMs(t));
        check('Exec', 'stdout (tty: stderr merged into it)', await first).matches(/to-out[^]*to-err/);
        for (const [cols, rows] of [[101, 31], [77, 22]] as const) {
          await s.resize(cols, rows);
          const want = new RegExp(`size ${rows} ${cols}`);
          const deadline = Date.now() + stepTimeoutMs(t);
          let seen = '';
          do {
            const next = readUntil(s.stdout, want, 100);
            s.stdin!.write('x\n');
            seen += await next;
          } while (!want.test(seen) && Date.now() < deadline);
          check('Exec', `stty size after a resize to ${cols}x${rows}`, (seen.match(want)?.[0] ?? seen.slice(-200)).trim()).includes(`${rows} ${cols}`);
        }
        check('Exec', 'error channel Status', outcome(await s.status)).equals('Success');
      });

      it(`exec of a command that does not exist should fail with a Status that names it, over ${p.label} ${p.tag}`, async (t) => {
        const id = await sleeper(t, await containerPod(t));
        const r = await runToCompletion(await exec(t, p, id, ['crc-no-such-command'], { stdout: true, stderr: true }));
        check('Exec', 'error channel Status (command not found)', r.status.success ? 'Success' : `${r.status.message ?? ''} ${r.stderr.toString()}`)
          .matches(/crc-no-such-command/, `a Failure naming the command; raw: ${r.status.raw}`);
      });
    }

    it('exec over WebSocket v5.channel.k8s.io should close stdin with the close signal [Optional]', async (t) => {
      const id = await sleeper(t, await containerPod(t));
      const s = await exec(t, PROTOCOLS[1], id, ['cat'], { stdin: true, stdout: true, subprotocols: ['v5.channel.k8s.io'] });
      const r = await runToCompletion(s, 'closed by v5');
      check('Exec', 'stdout of cat, and its Status once stdin closed (v5)', `${r.stdout.toString()}|${outcome(r.status)}`).equals('closed by v5|Success');
    });

    it('exec over WebSocket v4.base64.channel.k8s.io should carry the same bytes and Status [Optional]', async (t) => {
      const id = await sleeper(t, await containerPod(t));
      const payload = randomBytes(200_000);
      const s = await exec(t, PROTOCOLS[1], id, ['sh', '-c', `head -c ${payload.length}; echo e >&2; exit 5`], { stdin: true, stdout: true, stderr: true, subprotocols: ['v4.base64.channel.k8s.io'] });
      const r = await runToCompletion(s, payload);
      check('Exec', 'base64: {stdout sha256, stderr, Status}', { stdout: sha(r.stdout), stderr: r.stderr.toString(), status: outcome(r.status) })
        .equals({ stdout: sha(payload), stderr: 'e\n', status: 'NonZeroExitCode exit code 5' });
    });
  });

  describe('Attach', () => {
    for (const p of PROTOCOLS) {
      for (const tty of [false, true]) {
        it(`attach should send what is written to a container started with stdin back on stdout${tty ? ' with a tty' : ''}, over ${p.label} ${p.tag}`, async (t) => {
          const sb = await containerPod(t);
          const opts = [withStdin(), withShell('while read l; do echo "got:$l"; done'), ...(tty ? [withTty()] : [])];
          const cfg = containerConfig('attach', await testImage(t), ...opts);
          cfg.stdin_once = true;
          const id = await runContainer(t, sb, cfg);
          const s = await attach(t, p, id, { stdin: true, stdout: true, stderr: !tty, tty });
          const word = `hello-${randomSuffix(6)}`;
          const seen = readUntil(s.stdout, new RegExp(`got:${word}`), stepTimeoutMs(t));
          s.stdin!.write(`${word}\n`);
          check('Attach', `stdout after writing "${word}" to stdin`, await seen).includes(`got:${word}`);
        });
      }

      it(`attach to a container without stdin should stream its output, over ${p.label} ${p.tag}`, async (t) => {
        const sb = await containerPod(t);
        const id = await runContainer(t, sb, containerConfig('ticker', await testImage(t), withShell('i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done')));
        // ContainerConfig.stdin is false: there is no stdin to attach, but stdout must stream live.
        const s = await attach(t, p, id, { stdout: true, stderr: true });
        check('Attach', 'stdout of a running container (stdin=false)', await readUntil(s.stdout, /tick \d+\n[^]*tick \d+\n/, stepTimeoutMs(t))).matches(/tick \d+\n/);
      });
    }
  });

  describe('PortForward', () => {
    for (const p of PROTOCOLS) {
      it(`port-forward should carry an HTTP request to the webserver in the pod, over ${p.label} ${p.tag}`, async (t) => {
        const sb = await webPod(t);
        const pf = await openForward(t, p, await portForwardUrl(t, sb.id, [8080]), [8080]);
        const { reply } = await httpGet(t, pf, 8080);
        check('PortForward', 'HTTP reply from port 8080', reply).matches(new RegExp(`^HTTP/1\\.[01] 200 [^]*${WEB_PAGE}`));
      });

      it(`port-forward should forward two ports over one connection, over ${p.label} ${p.tag}`, async (t) => {
        const sb = await webPod(t, true);
        const pf = await openForward(t, p, await portForwardUrl(t, sb.id, [8080, 8081]), [8080, 8081]);
        const [a, b] = await Promise.all([httpGet(t, pf, 8080), httpGet(t, pf, 8081)]);
        check('PortForward', 'HTTP bodies from ports {8080, 8081} on one connection', { 8080: a.reply.split('\r\n\r\n')[1], 8081: b.reply.split('\r\n\r\n')[1] })
          .equals({ 8080: `${WEB_PAGE}\n`, 8081: 'second-port\n' });
      });

      it(`port-forward to a port nobody listens on should report it on that port's error stream and keep the connection, over ${p.label} ${p.tag}`, async (t) => {
        const sb = await webPod(t);
        const pf = await openForward(t, p, await portForwardUrl(t, sb.id, [9, 8080]), [9, 8080]);
        const dead = await httpGet(t, pf, 9);
        check('PortForward', 'port 9 error stream (nobody listens)', dead.error).matches(/9/, 'the error names the port');
        const { reply } = await httpGet(t, pf, 8080);
        check('PortForward', 'HTTP reply from port 8080 after port 9 failed', reply).includes(WEB_PAGE);
      });

      it(`port-forward should reach a server in a host-network pod, over ${p.label} ${p.tag}`, async (t) => {
        const sb = await runSandbox(t, podSandboxConfig('stream-pf-host', withHostNetwork(), withHostname('')));
        const port = await freeHostPort();
        const web = await runContainer(t, sb, containerConfig('web', await testImage(t, 'webserver'), withCommand('/bin/busybox', 'httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', '/www')));
        await serving(t, web, `127.0.0.1:${port}`);
        const pf = await openForward(t, p, await portForwardUrl(t, sb.id, [port]), [port]);
        const { reply } = await httpGet(t, pf, port);
        check('PortForward', `HTTP reply from port ${port} in the host-network pod`, reply).includes(WEB_PAGE);
      });
    }
  });
});
