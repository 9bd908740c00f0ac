// Streaming: Exec, Attach and PortForward driven end to end over the runtime's streaming server. Every
// behaviour runs over SPDY/3.1 (what the kubelet and API server use toward runtimes: [Conformance]) and
// over WebSocket ([Optional]: skipped with the server's reason when refused). Every upgrade, stream and
// exit status has a deadline (src/framework/streaming.ts), so a server that hangs fails one test, in time.
import { createHash, randomBytes } from 'node:crypto';
import {
  defineSuite, check, skip, runSandbox, containerPod, runContainer, createContainer, testImage, podSandboxConfig, containerConfig, eventually, execSync,
  withShell, withCommand, withStdin, withTty, withHostNetwork, withHostname, randomSuffix, removeContainer, removePodSandbox,
  stopPodSandbox, containerStatus, type TestContext, type Sandbox,
} from '../src/framework/index.js';
import { cri, kubelet, opinion, type Basis } from '../src/framework/contract.js';
import {
  PROTOCOLS, openSession, openForward, tryAgain, probeHost, collect, readUntil, textLog, freeHostPort, stepTimeoutMs, rpcOutcome, type StreamProtocol, type StreamFlags,
} from '../src/framework/streaming.js';
import { runToCompletion, type ExecStatus, type ExecSession } from '../src/cri/streaming/index.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex').slice(0, 16);
/** How the error channel described the outcome, in one comparable value. */
const outcome = (s: ExecStatus) => (s.success ? 'Success' : `${s.reason ?? 'Failure'} exit code ${s.exitCode ?? 'none'}`);
const GET = 'GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n';
const WEB_PAGE = 'cri-conformance webserver OK';

// What the checks rest on. api.proto says only that each RPC answers the URL of a streaming server; what flows
// over that URL is what the kubelet passes through to it unchanged (pkg/kubelet/server/server.go proxyStream, an
// upgrade-aware proxy), so the runtime must serve the session kubectl and the API server open.
const EXEC_URL = cri('ExecResponse.url', 'Fully qualified URL of the exec streaming server.');
const ATTACH_URL = cri('AttachResponse.url', 'Fully qualified URL of the attach streaming server.');
const PF_URL = cri('PortForwardResponse.url', 'Fully qualified URL of the port-forward streaming server.');
const URL_OF: Record<'Exec' | 'Attach' | 'PortForward', Basis> = { Exec: EXEC_URL, Attach: ATTACH_URL, PortForward: PF_URL };
const DIALED = kubelet('server.go getExec/getAttach/getPortForward → proxyStream', 'parses the URL the runtime answered and dials it to pass the client\'s upgrade through');
const SESSION = kubelet('server.go getExec/getAttach → proxyStream', 'passes kubectl\'s exec/attach session through as is: stdin, stdout and stderr on their own channels, the outcome as a Status on the error channel');
const FORWARD_INTO = cri('PortForwardRequest.pod_sandbox_id', 'ID of the container to which to forward the port.', 'effect');
const FORWARD_PORTS = cri('PortForwardRequest.port', 'Port to forward.', 'effect');
const PORTS = kubelet('server.go getPortForward → proxyStream', 'passes kubectl port-forward\'s data and error streams, one pair per forwarded port, through as is');
const RESIZE = kubelet('server.go getExec → proxyStream', 'passes kubectl\'s terminal size messages (the resize channel of a tty session) through as is');
const TTY_STDERR = cri('ExecRequest.stderr', 'If `tty` is true, `stderr` MUST be false. Multiplexing is not supported in this case. The output of stdout and stderr will be combined to a single stream.');
// The request's fields, judged where they act: in the container (its env, argv, terminal) and on the wire (a runtime
// that serves a stream the request did not ask for waits for it, and the session never ends).
const EXEC_IN = cri('ExecRequest.container_id', 'ID of the container in which to execute the command. … Command to execute.', 'effect', ['ExecRequest.cmd']);
const EXEC_SYNC_IN = cri('ExecSyncRequest.container_id', 'ID of the container. … Command to execute.', 'effect', ['ExecSyncRequest.cmd']);
const EXEC_TTY = cri('ExecRequest.tty', 'Whether to exec the command in a TTY.', 'effect');
const EXEC_STDIN = cri('ExecRequest.stdin', 'Whether to stream stdin. One of `stdin`, `stdout`, and `stderr` MUST be true.', 'effect');
const EXEC_STREAMS = cri('ExecRequest.stdout', 'Whether to stream stdout. One of `stdin`, `stdout`, and `stderr` MUST be true.', 'effect', ['ExecRequest.stderr']);
const ATTACH_TO = cri('AttachRequest.container_id', 'ID of the container to which to attach.', 'effect');
const ATTACH_STREAMS = cri('AttachRequest.stdout', 'Whether to stream stdout. One of `stdin`, `stdout`, and `stderr` MUST be true.', 'effect', ['AttachRequest.stderr']);
const ATTACH_STDIN = cri('AttachRequest.stdin', 'Whether to stream stdin. One of `stdin`, `stdout`, and `stderr` MUST be true.', 'effect', ['ContainerConfig.stdin']);
const ATTACH_TTY = cri('AttachRequest.tty', 'Whether the process being attached is running in a TTY. This must match the TTY setting in the ContainerConfig.', 'effect');
const CONTAINER_TTY = cri('ContainerConfig.tty', 'Variables for interactive containers, these have very specialized use-cases (e.g. debugging).', 'effect');
/** stdin_once has no words of its own: the kubelet sets it from the pod spec (`kubectl run -i`), whose meaning is
 * Docker's: the container's stdin is closed once the first attached session closes its stdin. */
const STDIN_ONCE = cri('ContainerConfig.stdin_once', 'Variables for interactive containers, these have very specialized use-cases (e.g. debugging).', 'effect');
const NO_CONTAINER_EXEC = cri('RuntimeService.Exec', 'Exec prepares a streaming endpoint to execute a command in the container.');
const NO_CONTAINER_ATTACH = cri('RuntimeService.Attach', 'Attach prepares a streaming endpoint to attach to a running container.');
const NO_SANDBOX_PF = opinion('PortForward prepares a streaming endpoint to forward ports from a PodSandbox (api.proto); for a sandbox that is not there, an error at once rather than a URL that fails at the session');
const V5_CLOSE = opinion('v5.channel.k8s.io lets a WebSocket client close stdin alone (a close signal on the stdin channel), which kubectl uses from 1.30; a runtime that serves only v4 is not wrong by the CRI');
const BASE64 = opinion('v4.base64.channel.k8s.io carries the same bytes as v4.channel.k8s.io, base64-encoded; a runtime that serves only the binary subprotocol is not wrong by the CRI');
const ONE_TIME = opinion('a streaming URL is a one-time capability: a fresh one per call, serving one session (what the kubelet\'s streaming library does with its request cache); the CRI does not say so and the kubelet does not rely on it');

/** How long an attach session is watched for output that should not come: before input, and after the answer (as critest). */
const BEFORE_MS = 2_000;
const AFTER_MS = 3_000;
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** One HTTP/1.0 GET through a forwarded connection: the reply (the server closes after it) and the error text,
 * waited for as long as any streaming step when the test judges it, else briefly. */
async function httpGet(t: TestContext, pf: Awaited<ReturnType<typeof openForward>>, port: number, judgeError = false): Promise<{ reply: string; error: string }> {
  const c = await pf.connect(port);
  c.data.write(GET);
  const reply = (await collect(c.data, stepTimeoutMs(t))).toString('utf8');
  const errorWaitMs = judgeError ? stepTimeoutMs(t) : 2_000;
  const error = await Promise.race([c.error, new Promise<string>((r) => setTimeout(() => r('(error stream not closed)'), errorWaitMs))]);
  return { reply, error };
}

/** Waits until something answers HTTP on addr inside the container (setup, not a check). */
async function serving(t: TestContext, id: string, addr: string): Promise<void> {
  await eventually(async () => {
    const r = await execSync(t, id, ['wget', '-q', '-O', '/dev/null', `http://${addr}/index.html`]);
    if (r.exitCode !== 0) throw new Error(`no HTTP server on ${addr} in container ${id}: ${r.stderr.trim()}`);
  }, { timeoutMs: 20_000, intervalMs: 200 });
}

/** The URL an RPC answered is absolute: the kubelet dials it as is. */
function absoluteUrl(rpc: string, url: string, basis: Basis): void {
  check(rpc, 'url', url, basis).matches(/^https?:\/\/[^/]+\//, 'the kubelet dials it as is: an absolute http(s) URL');
}

/** How an exec session ended, in one comparable value: its streams and Status, or that it did not end in time
 * (a server waiting for a stream the request did not ask for never starts the command). */
async function ended(t: TestContext, s: ExecSession): Promise<string> {
  const limit = 2 * stepTimeoutMs(t);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((r) => { timer = setTimeout(() => r(`no end within ${limit} ms`), limit); });
  const done = runToCompletion(s).then(
    (r) => JSON.stringify({ stdout: r.stdout.toString(), stderr: r.stderr.toString(), status: outcome(r.status) }),
    (e: Error) => `failed: ${e.message}`,
  );
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A busybox container with CRC_WHO=`who` in its environment, that sleeps (or runs `script`). */
async function marked(t: TestContext, sb: Sandbox, who: string, script = 'exec sleep 3600'): Promise<string> {
  const cfg = containerConfig(who, await testImage(t), withShell(script));
  cfg.envs = [{ key: 'CRC_WHO', value: who }];
  return runContainer(t, sb, cfg);
}

/** Asks each RPC for a URL: Exec runs `echo once`, Attach joins the container's output, PortForward port 8080. */
function askUrls(t: TestContext, sb: Sandbox, id: string): Record<'Exec' | 'Attach' | 'PortForward', () => Promise<string>> {
  return {
    Exec: () => execUrl(t, id, ['echo', 'once'], { stdout: true }),
    Attach: async () => (await t.cri.runtime.call('Attach', { container_id: id, stdin: false, tty: false, stdout: true, stderr: false })).url,
    PortForward: () => portForwardUrl(t, sb.id, [8080]),
  };
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
      it(`Exec, Attach and PortForward should answer an absolute URL on a reachable host that serves a session, over ${p.label} ${p.tag}`, async (t) => {
        const sb = await containerPod(t);
        const id = await runContainer(t, sb, containerConfig('url', await testImage(t), withStdin(), withShell('while read l; do echo "got:$l"; done')));
        const ask = askUrls(t, sb, id);
        for (const rpc of ['Exec', 'Attach', 'PortForward'] as const) {
          const url = await ask[rpc]();
          absoluteUrl(rpc, url, URL_OF[rpc]);
          check(rpc, `url host (TCP connect to ${url})`, await probeHost(url, stepTimeoutMs(t)), DIALED).equals('', 'the kubelet must reach the streaming server');
          if (rpc === 'PortForward') (await openForward(t, p, url, [8080])).close();
          else {
            const s = await openSession(t, p, url, rpc, { stdout: true });
            if (rpc === 'Exec') check('Exec', 'stdout (first connection to the url)', (await runToCompletion(s)).stdout.toString(), SESSION).equals('once\n');
            s.close();
          }
        }
      });

      it(`Exec, Attach and PortForward should answer a fresh URL on each call that serves one session only, over ${p.label} [Optional]`, async (t) => {
        const sb = await containerPod(t);
        const id = await runContainer(t, sb, containerConfig('url', await testImage(t), withStdin(), withShell('while read l; do echo "got:$l"; done')));
        const ask = askUrls(t, sb, id);
        for (const rpc of ['Exec', 'Attach', 'PortForward'] as const) {
          const url = await ask[rpc]();
          check(rpc, 'url (second call)', await ask[rpc](), ONE_TIME).notEquals(url, 'each call answers a URL of its own');
          if (rpc === 'PortForward') (await openForward(t, p, url, [8080])).close();
          else (await openSession(t, p, url, rpc, { stdout: true })).close();
          check(rpc, 'second connection to the same url', await tryAgain(t, p, url, rpc), ONE_TIME).matches(/^refused: /, 'a streaming URL serves one session');
        }
      });
    }

    it('Exec and Attach should answer an error, not a URL, for an unknown or removed container [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const gone = await createContainer(t, sb, containerConfig('gone', await testImage(t), withCommand('sleep', '3600')));
      await removeContainer(t, gone);
      const unknown = `crc-no-such-${randomSuffix(12)}`;
      const rt = t.cri.runtime;
      for (const [what, cid] of [['unknown', unknown], ['removed', gone]] as const) {
        check(`Exec (${what} container)`, 'answer', await rpcOutcome(() => rt.call('Exec', { container_id: cid, cmd: ['true'], stdout: true })), NO_CONTAINER_EXEC).matches(/^error /, 'there is nothing to exec in');
        check(`Attach (${what} container)`, 'answer', await rpcOutcome(() => rt.call('Attach', { container_id: cid, stdout: true })), NO_CONTAINER_ATTACH).matches(/^error /, 'there is nothing to attach to');
      }
    });

    // The CRI does not say when an unknown sandbox must be refused: CRI-O 1.36 answers a URL and refuses at the
    // session. The kubelet only asks for sandboxes it runs, so refusing at the RPC is our opinion.
    it('PortForward should answer an error, not a URL, for an unknown or removed sandbox [Strict]', async (t) => {
      const goneSb = await runSandbox(t, podSandboxConfig('stream-gone-sb'));
      await stopPodSandbox(t, goneSb.id);
      await removePodSandbox(t, goneSb.id);
      const unknown = `crc-no-such-${randomSuffix(12)}`;
      for (const [what, sid] of [['unknown', unknown], ['removed', goneSb.id]] as const) {
        check(`PortForward (${what} sandbox)`, 'answer', await rpcOutcome(() => t.cri.runtime.call('PortForward', { pod_sandbox_id: sid, port: [8080] })), NO_SANDBOX_PF).matches(/^error /, 'there is no network namespace to forward into');
      }
    });

    it('Exec should refuse tty together with stderr, as the CRI API says [Strict]', async (t) => {
      const sb = await containerPod(t);
      const id = await sleeper(t, sb);
      // api.proto, ExecRequest.stderr: "If `tty` is true, `stderr` MUST be false": a MUST on the request, which the
      // kubelet never breaks; refusing such a request is what the contract implies, merging stderr is tolerated.
      const answer = await rpcOutcome(() => t.cri.runtime.call('Exec', { container_id: id, cmd: ['true'], tty: true, stdout: true, stderr: true }));
      check('Exec (tty=true, stderr=true)', 'answer', answer, TTY_STDERR).matches(/^error /, 'tty and stderr must not both be true');
    });
  });

  describe('Exec', () => {
    for (const p of PROTOCOLS) {
      it(`exec should deliver stdout and stderr apart and report the exit code as a v4 Status, over ${p.label} ${p.tag}`, async (t) => {
        const id = await sleeper(t, await containerPod(t));
        const r = await runToCompletion(await exec(t, p, id, ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3'], { stdout: true, stderr: true }));
        check('Exec', 'streams {stdout, stderr}', { stdout: r.stdout.toString(), stderr: r.stderr.toString() }, SESSION).equals({ stdout: 'to-out\n', stderr: 'to-err\n' });
        check('Exec', 'error channel Status (exit 3)', outcome(r.status), SESSION).equals('NonZeroExitCode exit code 3', r.status.raw);
        const ok = await runToCompletion(await exec(t, p, id, ['true'], { stdout: true }));
        check('Exec', 'error channel Status (exit 0)', outcome(ok.status), SESSION).equals('Success', ok.status.raw);
      });

      it(`exec should stream only what the request asks for: no stdin, stdout alone, stderr alone, over ${p.label} ${p.tag}`, async (t) => {
        const id = await sleeper(t, await containerPod(t));
        // stdin=false: the command reads end of file at once (nothing is attached to its stdin).
        const noStdin = await ended(t, await exec(t, p, id, ['sh', '-c', 'cat; echo stdin-ended'], { stdout: true }));
        check('Exec', 'session of `cat; echo stdin-ended` (stdin=false, stdout=true)', noStdin, EXEC_STDIN)
          .equals(JSON.stringify({ stdout: 'stdin-ended\n', stderr: '', status: 'Success' }));
        // One output stream each: the session streams it and does not wait for the other.
        const both = ['sh', '-c', 'echo to-out; echo to-err >&2'];
        check('Exec', 'session of `echo to-out; echo to-err >&2` (stdout=true, stderr=false)', await ended(t, await exec(t, p, id, both, { stdout: true })), EXEC_STREAMS)
          .equals(JSON.stringify({ stdout: 'to-out\n', stderr: '', status: 'Success' }));
        check('Exec', 'session of `echo to-out; echo to-err >&2` (stdout=false, stderr=true)', await ended(t, await exec(t, p, id, both, { stderr: true })), EXEC_STREAMS)
          .equals(JSON.stringify({ stdout: '', stderr: 'to-err\n', status: 'Success' }));
      });

      it(`exec should carry more than 1 MiB of binary data through stdin, stdout and stderr unchanged, over ${p.label} ${p.tag}`, async (t) => {
        const id = await sleeper(t, await containerPod(t));
        const payload = randomBytes(1536 * 1024 + 7);
        // head -c ends without stdin EOF, which WebSocket before v5 cannot send; stderr gets the first 100000 bytes.
        const cmd = ['sh', '-c', `head -c ${payload.length} > /tmp/p; cat /tmp/p; head -c 100000 /tmp/p >&2`];
        const r = await runToCompletion(await exec(t, p, id, cmd, { stdin: true, stdout: true, stderr: true }), payload);
        check('Exec', 'sha256 of {stdout, stderr} (1.5 MiB random bytes in)', { stdout: sha(r.stdout), stderr: sha(r.stderr), bytes: r.stdout.length }, SESSION)
          .equals({ stdout: sha(payload), stderr: sha(payload.subarray(0, 100_000)), bytes: payload.length });
      });

      it(`exec should deliver stdin, and closing it should end cat, over ${p.label} ${p.tag}`, async (t) => {
        const id = await sleeper(t, await containerPod(t));
        const s = await exec(t, p, id, ['cat'], { stdin: true, stdout: true, stderr: true });
        if (!s.stdinEof) skip(`${p.label} subprotocol ${s.subprotocol} cannot close stdin alone (v5.channel.k8s.io can; the server did not choose it)`);
        const r = await runToCompletion(s, 'line one\nline two');
        check('Exec', 'stdout of cat, and its Status once stdin closed', `${r.stdout.toString()}|${outcome(r.status)}`, SESSION).equals('line one\nline two|Success');
      });

      it(`exec with a tty should merge stderr into stdout and apply a resize, over ${p.label} ${p.tag}`, async (t) => {
        const id = await sleeper(t, await containerPod(t));
        // The shell watches its own terminal: it prints the size whenever it changes (stty size every 50 ms) and
        // ends once it is 22x77. The resize travels on a stream of its own and is applied when it arrives (the
        // kubelet streaming library's handleResizing), so the test waits for the size the container sees, on a
        // log of stdout that misses nothing, within the step timeout of every streaming step.
        const script = '[ -t 0 ] && [ -t 1 ] && echo on-a-tty; echo to-out; echo to-err >&2; last=; while :; do s=$(stty size); if [ "$s" != "$last" ]; then echo "size $s"; last=$s; fi; [ "$s" = "22 77" ] && exit 0; sleep 0.05; done';
        const s = await exec(t, p, id, ['sh', '-c', script], { stdin: true, stdout: true, tty: true });
        const out = textLog(s.stdout);
        const first = await out.waitFor(/to-err/, stepTimeoutMs(t));
        // One check: the terminal, and stderr merged into stdout (a tty has one stream), as the process wrote them.
        check('Exec', 'stdout of `[ -t 0 ] && [ -t 1 ] && echo on-a-tty` (tty=true)', first, EXEC_TTY).matches(/^on-a-tty\r?\nto-out[^]*to-err/, 'a terminal on stdin and stdout; stderr merged into stdout');
        for (const [cols, rows] of [[101, 31], [77, 22]] as const) {
          await s.resize(cols, rows);
          const want = new RegExp(`size ${rows} ${cols}\\b`);
          const seen = await out.waitFor(want, stepTimeoutMs(t));
          check('Exec', `stty size after a resize to ${cols}x${rows}`, (seen.match(want)?.[0] ?? seen.slice(-200)).trim(), RESIZE).includes(`${rows} ${cols}`);
        }
        check('Exec', 'error channel Status', outcome(await s.status), SESSION).equals('Success');
      });

      it(`exec of a command that does not exist should fail with a Status that names it, over ${p.label} ${p.tag}`, async (t) => {
        const id = await sleeper(t, await containerPod(t));
        const r = await runToCompletion(await exec(t, p, id, ['crc-no-such-command'], { stdout: true, stderr: true }));
        check('Exec', 'error channel Status (command not found)', r.status.success ? 'Success' : `${r.status.message ?? ''} ${r.stderr.toString()}`, SESSION)
          .matches(/crc-no-such-command/, `a Failure naming the command; raw: ${r.status.raw}`);
      });
    }

    it('exec and ExecSync should run the argv as given in the container named, not in another of the pod, over SPDY/3.1 [Conformance]', async (t) => {
      const sb = await containerPod(t);
      const ids = [await marked(t, sb, 'crc-exec-a'), await marked(t, sb, 'crc-exec-b')];
      // Words, a glob and a variable reach the command as given: no shell between the request and the process.
      const argv = ['sh', '-c', 'echo "$CRC_WHO"; printf "<%s>" "$@"', 'sh', 'two words', '*', '$HOME'];
      for (const [i, who] of ['crc-exec-a', 'crc-exec-b'].entries()) {
        const want = `${who}\n<two words><*><$HOME>`;
        const r = await runToCompletion(await exec(t, PROTOCOLS[0], ids[i]!, argv, { stdout: true }));
        check('Exec', `stdout (argv ${JSON.stringify(argv)} in container ${who})`, r.stdout.toString(), EXEC_IN).equals(want);
        const sync = await execSync(t, ids[i]!, argv);
        check('ExecSync', `stdout (argv ${JSON.stringify(argv)} in container ${who})`, sync.stdout, EXEC_SYNC_IN).equals(want);
      }
    });

    it('exec over WebSocket v5.channel.k8s.io should close stdin with the close signal [Optional]', async (t) => {
      const id = await sleeper(t, await containerPod(t));
      const s = await exec(t, PROTOCOLS[1], id, ['cat'], { stdin: true, stdout: true, subprotocols: ['v5.channel.k8s.io'] });
      const r = await runToCompletion(s, 'closed by v5');
      check('Exec', 'stdout of cat, and its Status once stdin closed (v5)', `${r.stdout.toString()}|${outcome(r.status)}`, V5_CLOSE).equals('closed by v5|Success');
    });

    it('exec over WebSocket v4.base64.channel.k8s.io should carry the same bytes and Status [Optional]', async (t) => {
      const id = await sleeper(t, await containerPod(t));
      const payload = randomBytes(200_000);
      const s = await exec(t, PROTOCOLS[1], id, ['sh', '-c', `head -c ${payload.length}; echo e >&2; exit 5`], { stdin: true, stdout: true, stderr: true, subprotocols: ['v4.base64.channel.k8s.io'] });
      const r = await runToCompletion(s, payload);
      check('Exec', 'base64: {stdout sha256, stderr, Status}', { stdout: sha(r.stdout), stderr: r.stderr.toString(), status: outcome(r.status) }, BASE64)
        .equals({ stdout: sha(payload), stderr: 'e\n', status: 'NonZeroExitCode exit code 5' });
    });
  });

  describe('Attach', () => {
    for (const p of PROTOCOLS) {
      for (const tty of [false, true]) {
        it(`attach should send what is written to a container started with stdin back on stdout${tty ? ' with a tty' : ''}, over ${p.label} ${p.tag}`, async (t) => {
          const sb = await containerPod(t);
          // With a tty each answer also tells the size of the container's terminal.
          const script = tty ? 'while read l; do echo "got:$l size $(stty size)"; done' : 'while read l; do echo "got:$l"; done';
          const opts = [withStdin(), withShell(script), ...(tty ? [withTty()] : [])];
          const cfg = containerConfig('attach', await testImage(t), ...opts);
          cfg.stdin_once = true;
          const id = await runContainer(t, sb, cfg);
          let s: ExecSession;
          try {
            s = await attach(t, p, id, { stdin: true, stdout: true, stderr: !tty, tty });
          } catch (e) {
            // A tty session carries a resize stream beside stdin and stdout: a server that took the request as tty=false
            // does not serve it (SPDY: no reply to that stream), and the session never opens.
            if (!tty || (e as Error).name === 'SkipError') throw e;
            check('Attach', 'session (tty=true: stdin, stdout and resize streams)', `not opened: ${(e as Error).message}`, ATTACH_TTY).equals('opened');
            throw e;
          }
          const word = `hello-${randomSuffix(6)}`;
          if (tty) {
            // The terminal echoes what is typed: stdout holds the input line as well as the answer.
            const out = textLog(s.stdout);
            s.stdin!.write(`${word}\n`);
            const seen = await out.waitFor(new RegExp(`got:${word} size`), stepTimeoutMs(t));
            check('Attach', `stdout after writing "${word}" to stdin`, seen, SESSION).includes(`got:${word}`);
            check('Attach', `stdout: the terminal's echo of "${word}" before the answer (ContainerConfig.tty=true)`, seen, CONTAINER_TTY).matches(new RegExp(`${word}\\r?\\n[^]*got:${word}`));
            // The session's resize reaches the container's terminal: the attached process runs in a TTY. The resize
            // is applied when it arrives, so the line is written again until the answer shows it (or the step ends).
            await s.resize(77, 22);
            const until = Date.now() + stepTimeoutMs(t);
            let size = '';
            for (let i = 0; size !== '22 77' && Date.now() < until; i++) {
              s.stdin!.write(`${word}-${i}\n`);
              const answer = new RegExp(`got:${word}-${i} size ([^\\r\\n]*)`);
              size = ((await out.waitFor(answer, until - Date.now())).match(answer)?.[1] ?? '').trim();
              if (size !== '22 77') await quiet(100);
            }
            check('Attach', 'stty size in the container after a resize to 77x22 (AttachRequest.tty=true)', size, ATTACH_TTY).equals('22 77');
            return;
          }
          // As critest's attach spec: the shell prints only what it reads, so the session's stdout holds nothing until
          // stdin is written, then exactly the answer and nothing after it; stderr stays empty.
          const out = textLog(s.stdout);
          const err = textLog(s.stderr);
          await quiet(BEFORE_MS);
          check('Attach', `stdout before anything was written to stdin (${BEFORE_MS} ms)`, out.text, SESSION).equals('', 'the container prints only what it reads');
          s.stdin!.write(`${word}\n`);
          const answered = await out.waitFor(new RegExp(`got:${word}\n`), stepTimeoutMs(t));
          check('Attach', `stdout once "${word}" was written to the session's stdin (stdin=true; the container's stdin=true)`, answered, ATTACH_STDIN).includes(`got:${word}\n`);
          await quiet(AFTER_MS);
          check('Attach', `stdout after writing "${word}" to stdin`, out.text, SESSION).equals(`got:${word}\n`, `exactly the answer, and nothing in the ${AFTER_MS} ms after it`);
          check('Attach', 'stderr (the container wrote nothing there)', err.text, SESSION).equals('');
          // stdin_once: the first session to close its stdin closes the container's, so `read` ends and so does the
          // container. Only a session that can close stdin alone shows it (WebSocket before v5 cannot).
          if (!s.stdinEof) return;
          s.stdin!.end();
          let state = '';
          await eventually(async () => {
            state = (await containerStatus(t, id)).state;
            if (state !== 'CONTAINER_EXITED') throw new Error(`container ${id} is ${state}`);
          }, { timeoutMs: stepTimeoutMs(t), intervalMs: 200 }).catch(() => undefined);
          check('ContainerStatus', 'status.state (the attached session closed its stdin; stdin_once=true)', state, STDIN_ONCE).equals('CONTAINER_EXITED', 'the container read end of file and ended');
        });
      }

      it(`attach to a container without stdin should stream its output, over ${p.label} ${p.tag}`, async (t) => {
        const sb = await containerPod(t);
        const script = 'i=0; while true; do i=$((i+1)); echo "tick $i $CRC_WHO"; echo "err $i $CRC_WHO" >&2; sleep 0.2; done';
        const ids = [await marked(t, sb, 'crc-tick-a', script), await marked(t, sb, 'crc-tick-b', script)];
        // ContainerConfig.stdin is false: there is no stdin to attach, but stdout must stream live.
        const s = await attach(t, p, ids[0]!, { stdout: true, stderr: true });
        check('Attach', 'stdout of a running container (stdin=false)', await readUntil(s.stdout, /tick \d+ .*\n[^]*tick \d+ .*\n/, stepTimeoutMs(t)), SESSION).matches(/tick \d+ crc-tick-a\n/);
        // Each session streams the container it names, and only what the request asks for: a server that waited for
        // a stream not asked for would stream nothing.
        for (const [i, who] of ['crc-tick-a', 'crc-tick-b'].entries()) {
          const text = await readUntil((await attach(t, p, ids[i]!, { stdout: true })).stdout, /(tick \d+ \S+\n[^]*){3}/, stepTimeoutMs(t));
          check('Attach', `containers named in stdout (stdout=true, stderr=false; attached to ${who})`, [...new Set(text.match(/crc-tick-[ab]/g) ?? [])], ATTACH_TO).equals([who]);
        }
        const errOnly = await readUntil((await attach(t, p, ids[0]!, { stderr: true })).stderr, /(err \d+ \S+\n[^]*){2}/, stepTimeoutMs(t));
        check('Attach', 'stderr (stdout=false, stderr=true; attached to crc-tick-a)', errOnly, ATTACH_STREAMS).matches(/^(err \d+ crc-tick-a\n){2,}/);
      });
    }
  });

  describe('PortForward', () => {
    for (const p of PROTOCOLS) {
      it(`port-forward should carry an HTTP request to the webserver in the pod, over ${p.label} ${p.tag}`, async (t) => {
        const sb = await webPod(t);
        const pf = await openForward(t, p, await portForwardUrl(t, sb.id, [8080]), [8080]);
        const { reply } = await httpGet(t, pf, 8080);
        check('PortForward', 'HTTP reply from port 8080', reply, FORWARD_INTO).matches(new RegExp(`^HTTP/1\\.[01] 200 [^]*${WEB_PAGE}`));
      });

      it(`port-forward should forward two ports over one connection, over ${p.label} ${p.tag}`, async (t) => {
        const sb = await webPod(t, true);
        const pf = await openForward(t, p, await portForwardUrl(t, sb.id, [8080, 8081]), [8080, 8081]);
        const [a, b] = await Promise.all([httpGet(t, pf, 8080), httpGet(t, pf, 8081)]);
        check('PortForward', 'HTTP bodies from ports {8080, 8081} on one connection', { 8080: a.reply.split('\r\n\r\n')[1], 8081: b.reply.split('\r\n\r\n')[1] }, FORWARD_PORTS)
          .equals({ 8080: `${WEB_PAGE}\n`, 8081: 'second-port\n' });
      });

      it(`port-forward to a port nobody listens on should report it on that port's error stream and keep the connection, over ${p.label} ${p.tag}`, async (t) => {
        const sb = await webPod(t);
        const pf = await openForward(t, p, await portForwardUrl(t, sb.id, [9, 8080]), [9, 8080]);
        const dead = await httpGet(t, pf, 9, true);
        check('PortForward', 'port 9 error stream (nobody listens)', dead.error, PORTS).matches(/9/, 'the error names the port');
        const { reply } = await httpGet(t, pf, 8080);
        check('PortForward', 'HTTP reply from port 8080 after port 9 failed', reply, PORTS).includes(WEB_PAGE);
      });

      it(`port-forward should reach a server in a host-network pod, over ${p.label} ${p.tag}`, async (t) => {
        const sb = await runSandbox(t, podSandboxConfig('stream-pf-host', withHostNetwork(), withHostname('')));
        const port = await freeHostPort();
        const web = await runContainer(t, sb, containerConfig('web', await testImage(t, 'webserver'), withCommand('/bin/busybox', 'httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', '/www')));
        await serving(t, web, `127.0.0.1:${port}`);
        const pf = await openForward(t, p, await portForwardUrl(t, sb.id, [port]), [port]);
        const { reply } = await httpGet(t, pf, port);
        check('PortForward', `HTTP reply from port ${port} in the host-network pod`, reply, PORTS).includes(WEB_PAGE);
      });
    }
  });
});
