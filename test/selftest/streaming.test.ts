// Self-tests: each streaming check fails with a useful message when the runtime, or its streaming server,
// answers wrong. CRI answers are rewritten by the fault proxy; streaming faults come from a relay
// (test/support/fake-streaming-server.ts) that the rewritten URL points at: it speaks WebSocket to the
// suite and SPDY to the lab's streaming server, so the faults run the suite's WebSocket tests (the checks
// are shared by both protocols). Hanging servers fail a test within its deadlines, with a one-line reason.
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { textLog } from '../../src/framework/streaming.js';
import { expectCheckFails, expectFailed, runOne, type Fault } from '../support/selftest.js';
import { fakeStreamingServer, streamingRelay, type RelayFault, type RelayKind, type StreamingRelay } from '../support/fake-streaming-server.js';

const SPDY = 'over SPDY/3.1 [Conformance]';
const WS = 'over WebSocket [Optional]';
const R = 'streaming/Streaming RPCs ';
const URLS = (p: string) => `${R}Exec, Attach and PortForward should answer an absolute URL on a reachable host that serves a session, ${p}`;
const FRESH = (label: string) => `${R}Exec, Attach and PortForward should answer a fresh URL on each call that serves one session only, over ${label} [Optional]`;
const GONE = `${R}Exec and Attach should answer an error, not a URL, for an unknown or removed container [Conformance]`;
const GONE_PF = `${R}PortForward should answer an error, not a URL, for an unknown or removed sandbox [Strict]`;
const TTY_STDERR = `${R}Exec should refuse tty together with stderr, as the CRI API says [Strict]`;
const E = 'streaming/Exec ';
const APART = (p: string) => `${E}exec should deliver stdout and stderr apart and report the exit code as a v4 Status, ${p}`;
const BINARY = (p: string) => `${E}exec should carry more than 1 MiB of binary data through stdin, stdout and stderr unchanged, ${p}`;
const STDIN = (p: string) => `${E}exec should deliver stdin, and closing it should end cat, ${p}`;
const TTY = (p: string) => `${E}exec with a tty should merge stderr into stdout and apply a resize, ${p}`;
const ONLY = (p: string) => `${E}exec should stream only what the request asks for: no stdin, stdout alone, stderr alone, ${p}`;
const ARGV = `${E}exec and ExecSync should run the argv as given in the container named, not in another of the pod, over SPDY/3.1 [Conformance]`;
const NOCMD = (p: string) => `${E}exec of a command that does not exist should fail with a Status that names it, ${p}`;
const V5 = `${E}exec over WebSocket v5.channel.k8s.io should close stdin with the close signal [Optional]`;
const B64 = `${E}exec over WebSocket v4.base64.channel.k8s.io should carry the same bytes and Status [Optional]`;
const A = 'streaming/Attach ';
const ATTACH = (p: string, tty = false) => `${A}attach should send what is written to a container started with stdin back on stdout${tty ? ' with a tty' : ''}, ${p}`;
const ATTACH_OUT = (p: string) => `${A}attach to a container without stdin should stream its output, ${p}`;
const P = 'streaming/PortForward ';
const PF = (p: string) => `${P}port-forward should carry an HTTP request to the webserver in the pod, ${p}`;
const PF2 = (p: string) => `${P}port-forward should forward two ports over one connection, ${p}`;
const PF_ERR = (p: string) => `${P}port-forward to a port nobody listens on should report it on that port's error stream and keep the connection, ${p}`;
const PF_HOST = (p: string) => `${P}port-forward should reach a server in a host-network pod, ${p}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = any;
type Rpc = 'Exec' | 'Attach' | 'PortForward';
const KIND: Record<Rpc, RelayKind> = { Exec: 'exec', Attach: 'attach', PortForward: 'portforward' };

/** The URLs this RPC answers (after the first `after` calls) lead to a relay with this fault. */
const through = (relay: StreamingRelay, rpc: Rpc, after = 0): Fault => ({ rpc, after, mutate: (res: Msg, req: Msg) => void (res.url = relay.wrap(KIND[rpc], res.url, req)) });

/** Runs the check through a relay with the fault (on rpc's URLs) and expects it to fail with message. */
async function relayFails(id: string, fault: RelayFault, rpc: Rpc, message: RegExp, after = 0): Promise<void> {
  const relay = await streamingRelay(fault);
  try {
    await expectCheckFails(id, [through(relay, rpc, after)], message);
  } finally {
    await relay.close();
  }
}

/** A CRI answer of success (a made-up URL) where an error is due. */
const answers = (rpc: Rpc): Fault => ({ rpc, respond: () => ({ url: 'http://127.0.0.1:1/made-up' }) });

describe('self-test: streaming', function () {
  this.timeout(600_000);

  it('textLog keeps what a stream sends between two waits (the resize race: an answer that came while the test resized was lost)', async () => {
    const r = new PassThrough();
    const log = textLog(r);
    r.write('size 31 101\r\n');
    expect(await log.waitFor(/size 31 101/, 1_000)).to.equal('size 31 101\r\n');
    r.write('size 22 77\r\n'); // while nobody waits
    await new Promise((done) => setImmediate(done));
    expect(await log.waitFor(/size 22 77/, 50)).to.match(/size 22 77/);
    expect(await log.waitFor(/never/, 50), 'a wait that times out answers what arrived').to.equal('size 31 101\r\nsize 22 77\r\n');
  });

  it('the relay is transparent: the WebSocket exec test passes through it', async () => {
    const relay = await streamingRelay('none');
    try {
      const r = await runOne(APART(WS), [through(relay, 'Exec')]);
      expect(r.status, `${r.message ?? ''} ${relay.log.join('; ')}`).to.equal('passed');
    } finally {
      await relay.close();
    }
  });

  // ---- the RPCs ----
  it(`${URLS(SPDY)} fails when Exec answers a relative URL`, () =>
    expectCheckFails(URLS(SPDY), [{ rpc: 'Exec', mutate: (r: Msg) => void (r.url = new URL(r.url).pathname) }], /Exec: url: expected a value matching .*got "\/exec\//));

  it(`${URLS(SPDY)} fails when the URL names a host nobody answers on`, () =>
    expectCheckFails(URLS(SPDY), [{ rpc: 'Exec', mutate: (r: Msg) => void (r.url = r.url.replace(/\/\/[^/]+\//, '//127.0.0.1:1/')) }],
      /Exec: url host \(TCP connect to http:\/\/127\.0\.0\.1:1\/.*\): expected "", got "127\.0\.0\.1:1: connect ECONNREFUSED/));

  it(`${FRESH('SPDY/3.1')} fails when a second Exec answers the same URL (a reused token)`, () => {
    let first = '';
    return expectCheckFails(FRESH('SPDY/3.1'), [{ rpc: 'Exec', mutate: (r: Msg) => void (first ? (r.url = first) : (first = r.url)) }], /Exec: url \(second call\): expected anything but "http/);
  });

  it(`${URLS(WS)} fails when the first connection gets the wrong output`, () =>
    relayFails(URLS(WS), 'swap-channels', 'Exec', /Exec: stdout \(first connection to the url\): expected "once\\n", got ""/));

  it(`${FRESH('WebSocket')} fails when the URL serves a second connection`, () =>
    relayFails(FRESH('WebSocket'), 'reusable', 'Exec', /Exec: second connection to the same url: expected a value matching \/\^refused: \/, got "accepted"/));

  for (const rpc of ['Exec', 'Attach', 'PortForward'] as const) {
    const id = rpc === 'PortForward' ? GONE_PF : GONE;
    it(`${id} fails when ${rpc} answers a URL for something that is not there`, () =>
      expectCheckFails(id, [answers(rpc)], new RegExp(`${rpc} \\(unknown (container|sandbox)\\): answer: expected a value matching /\\^error /, got "answered \\{\\\\"url\\\\":\\\\"http://127\\.0\\.0\\.1:1/made-up`)));
  }

  it(`${TTY_STDERR} fails when Exec accepts tty with stderr`, () =>
    expectCheckFails(TTY_STDERR, [answers('Exec')], /Exec \(tty=true, stderr=true\): answer: expected a value matching \/\^error \/, got "answered .*made-up.*" \(tty and stderr must not both be true\)/));

  // ---- exec ----
  it(`${APART(WS)} fails when stdout and stderr arrive swapped`, () =>
    relayFails(APART(WS), 'swap-channels', 'Exec', /Exec: streams \{stdout, stderr\}: expected \{ stdout: 'to-out\\n', stderr: 'to-err\\n' \}, got \{ stdout: 'to-err\\n', stderr: 'to-out\\n' \}/));

  it(`${APART(WS)} fails when exit code 3 is reported as Success`, () =>
    relayFails(APART(WS), 'wrong-status', 'Exec', /Exec: error channel Status \(exit 3\): expected "NonZeroExitCode exit code 3", got "Success"/));

  it(`${APART(WS)} fails when exit 0 is reported as a non-zero exit code`, () =>
    relayFails(APART(WS), 'wrong-status', 'Exec', /Exec: error channel Status \(exit 0\): expected "Success", got "NonZeroExitCode exit code 1"/, 1));

  it(`${BINARY(WS)} fails when the output bytes are changed`, () =>
    relayFails(BINARY(WS), 'corrupt', 'Exec', /Exec: sha256 of \{stdout, stderr\} \(1\.5 MiB random bytes in\): expected \{/));

  it(`${STDIN(WS)} fails when stdin never reaches the process (served as v5 by the relay)`, () =>
    relayFails(STDIN(WS), 'stdin-ignored', 'Exec', /Exec: stdout of cat, and its Status once stdin closed: expected "line one\\nline two\|Success", got "\|Success"/));

  it(`${TTY(WS)} fails when the output is not what the process wrote`, () =>
    relayFails(TTY(WS), 'corrupt', 'Exec', /Exec: stdout of `\[ -t 0 \] && \[ -t 1 \] && echo on-a-tty` \(tty=true\): expected a value matching .*got "ON-A-TTY/));

  it(`${TTY(WS)} fails when a resize never reaches the terminal`, () =>
    relayFails(TTY(WS), 'no-resize', 'Exec', /Exec: stty size after a resize to 101x31: expected to include "31 101", got "/));

  it(`${TTY(WS)} fails when the tty session's Success is reported as a failure`, () =>
    relayFails(TTY(WS), 'wrong-status', 'Exec', /Exec: error channel Status: expected "Success", got "NonZeroExitCode exit code 1"/));

  it(`${NOCMD(WS)} fails when a missing command is reported as Success`, () =>
    relayFails(NOCMD(WS), 'wrong-status', 'Exec', /Exec: error channel Status \(command not found\): expected a value matching \/crc-no-such-command\/, got "Success"/));

  it(`${V5} fails when the v5 close signal ends stdin but its data is lost`, () =>
    relayFails(V5, 'stdin-ignored', 'Exec', /Exec: stdout of cat, and its Status once stdin closed \(v5\): expected "closed by v5\|Success", got "\|Success"/));

  it(`${B64} fails when the base64 channels carry changed bytes`, () =>
    relayFails(B64, 'corrupt', 'Exec', /Exec: base64: \{stdout sha256, stderr, Status\}: expected \{.*stderr: 'e\\n'.*got \{.*stderr: 'E\\n'/));

  // ---- attach ----
  it(`${ATTACH(WS)} fails when stdin never reaches the container`, () =>
    relayFails(ATTACH(WS), 'stdin-ignored', 'Attach', /Attach: stdout once "hello-\w+" was written to the session's stdin \(stdin=true; the container's stdin=true\): expected to include "got:hello-\w+\\n", got "" \[rests on api\.proto AttachRequest\.stdin/));

  it(`${ATTACH(WS)} fails when stdout carries something before anything was written`, () =>
    relayFails(ATTACH(WS), 'banner', 'Attach', /Attach: stdout before anything was written to stdin \(2000 ms\): expected "", got "banner\\n" \(the container prints only what it reads\)/));

  it(`${ATTACH(WS)} fails when stdout carries more than the answer`, () =>
    relayFails(ATTACH(WS), 'echo-twice', 'Attach', /Attach: stdout after writing "hello-\w+" to stdin: expected "got:hello-\w+\\n", got "got:hello-\w+\\ngot:hello-\w+\\n"/));

  it(`${ATTACH(WS)} fails when the answer is changed`, () =>
    relayFails(ATTACH(WS), 'corrupt', 'Attach', /Attach: stdout once "hello-\w+" was written to the session's stdin \(stdin=true; the container's stdin=true\): expected to include "got:hello-\w+\\n", got "GOT:HELLO-\w+\\n"/));

  it(`${ATTACH(WS)} fails when stderr carries output`, () =>
    relayFails(ATTACH(WS), 'stderr-copy', 'Attach', /Attach: stderr \(the container wrote nothing there\): expected "", got "got:hello-\w+\\n"/));

  it(`${ATTACH(WS, true)} fails when stdin never reaches the container`, () =>
    relayFails(ATTACH(WS, true), 'stdin-ignored', 'Attach', /Attach: stdout after writing "hello-\w+" to stdin: expected to include "got:hello-\w+", got ""/));

  it(`${ATTACH_OUT(WS)} fails when the output is changed`, () =>
    relayFails(ATTACH_OUT(WS), 'corrupt', 'Attach', /Attach: stdout of a running container \(stdin=false\): expected a value matching .*got "TICK/));

  // ---- what the request names: CRI faults (the fault proxy rewrites the request the runtime sees) ----
  /** The ids of the containers CreateContainer made with CRC_WHO in their environment, in order. */
  const markedIds = (): { ids: string[]; fault: Fault; other: (id: string) => string } => {
    const ids: string[] = [];
    return {
      ids,
      fault: { rpc: 'CreateContainer', mutate: (res: Msg, req: Msg) => { if ((req.config?.envs ?? []).some((e: Msg) => e.key === 'CRC_WHO')) ids.push(res.container_id); } },
      other: (id) => (ids.includes(id) ? ids[(ids.indexOf(id) + 1) % ids.length]! : id),
    };
  };
  for (const [rpc, idField] of [['Exec', 'ExecRequest'], ['ExecSync', 'ExecSyncRequest']] as const) {
    it(`${ARGV} fails when ${rpc} runs the command in another container of the pod`, () => {
      const m = markedIds();
      return expectCheckFails(ARGV, [m.fault, { rpc, mutateRequest: (req: Msg) => { req.container_id = m.other(req.container_id); } }],
        new RegExp(`${rpc}: stdout \\(argv .* in container crc-exec-a\\): expected "crc-exec-a\\\\n<two words><\\*><\\$HOME>", got "crc-exec-b\\\\n<two words><\\*><\\$HOME>" \\[rests on api\\.proto ${idField}\\.container_id`));
    });
    it(`${ARGV} fails when ${rpc} runs the argv through a shell`, () =>
      expectCheckFails(ARGV, [{ rpc, mutateRequest: (req: Msg) => { req.cmd = ['sh', '-c', req.cmd.join(' ')]; } }],
        new RegExp(`${rpc}: stdout \\(argv .* in container crc-exec-a\\): expected "crc-exec-a\\\\n<two words><\\*><\\$HOME>", got (?!"crc-exec-a\\\\n<two words>)`)));
  }

  /** Exec requests whose argv contains `needle` and that `when` accepts, with `edit` applied before the runtime sees them. */
  const execReq = (needle: string, when: (req: Msg) => boolean, edit: (req: Msg) => void): Fault =>
    ({ rpc: 'Exec', when: (req: Msg) => (req.cmd ?? []).join(' ').includes(needle) && when(req), mutateRequest: edit });
  it(`${ONLY(SPDY)} fails when the runtime streams stdin the request did not ask for`, () =>
    expectCheckFails(ONLY(SPDY), [execReq('stdin-ended', () => true, (req) => { req.stdin = true; })],
      /Exec: session of `cat; echo stdin-ended` \(stdin=false, stdout=true\): expected .*, got "(no end within \d+ ms|failed: .*)" \[rests on api\.proto ExecRequest\.stdin/));
  it(`${ONLY(SPDY)} fails when the runtime streams stderr the request did not ask for`, () =>
    expectCheckFails(ONLY(SPDY), [execReq('to-err', (req) => !req.stderr, (req) => { req.stderr = true; })],
      /Exec: session of `echo to-out; echo to-err >&2` \(stdout=true, stderr=false\): expected .*, got "(no end within \d+ ms|failed: .*)" \[rests on api\.proto ExecRequest\.stdout/));
  it(`${ONLY(SPDY)} fails when the runtime streams stdout the request did not ask for`, () =>
    expectCheckFails(ONLY(SPDY), [execReq('to-err', (req) => !req.stdout, (req) => { req.stdout = true; })],
      /Exec: session of `echo to-out; echo to-err >&2` \(stdout=false, stderr=true\): expected .*, got "(no end within \d+ ms|failed: .*)" \[rests on api\.proto ExecRequest\.stdout/));
  // Over SPDY a server without a tty never answers the client's resize stream, and the session fails before any
  // check; WebSocket has the resize channel whatever the server does with it.
  it(`${TTY(WS)} fails when the runtime runs the command without a tty`, () =>
    expectCheckFails(TTY(WS), [{ rpc: 'Exec', mutateRequest: (req: Msg) => { req.tty = false; } }],
      /Exec: stdout of `\[ -t 0 \] && \[ -t 1 \] && echo on-a-tty` \(tty=true\): expected a value matching .* \[rests on api\.proto ExecRequest\.tty/));

  /** CreateContainer requests of containers with stdin (the attach tests' own), with `edit` applied. */
  const stdinContainer = (edit: (config: Msg) => void): Fault => ({ rpc: 'CreateContainer', when: (req: Msg) => Boolean(req.config?.stdin), mutateRequest: (req: Msg) => { edit(req.config); } });
  it(`${ATTACH(SPDY)} fails when closing the session's stdin does not end a stdin_once container`, () =>
    expectCheckFails(ATTACH(SPDY), [stdinContainer((c) => { c.stdin_once = false; })],
      /ContainerStatus: status\.state \(the attached session closed its stdin; stdin_once=true\): expected "CONTAINER_EXITED", got "CONTAINER_RUNNING"/));
  it(`${ATTACH(SPDY, true)} fails when the container has no terminal`, () =>
    expectCheckFails(ATTACH(SPDY, true), [stdinContainer((c) => { c.tty = false; })],
      /Attach: stdout: the terminal's echo of "hello-\w+" before the answer \(ContainerConfig\.tty=true\): expected a value matching/));
  // containerd applies a resize to the container's terminal whatever the request's tty; over SPDY a server without
  // a tty does not serve the session's resize stream.
  it(`${ATTACH(SPDY, true)} fails when the runtime serves the session without a tty`, () =>
    expectCheckFails(ATTACH(SPDY, true), [{ rpc: 'Attach', mutateRequest: (req: Msg) => { req.tty = false; } }],
      /Attach: session \(tty=true: stdin, stdout and resize streams\): expected "opened", got "not opened: SPDY: waiting for SYN_REPLY to stream \d+ \(streamtype=resize\).*\[rests on api\.proto AttachRequest\.tty/));
  it(`${ATTACH(WS, true)} fails when a resize never reaches the container's terminal`, () =>
    relayFails(ATTACH(WS, true), 'no-resize', 'Attach', /Attach: stty size in the container after a resize to 77x22 \(AttachRequest\.tty=true\): expected "22 77", got "(?!22 77")[^"]*"/));
  it(`${ATTACH_OUT(SPDY)} fails when Attach streams another container of the pod`, () => {
    const m = markedIds();
    return expectCheckFails(ATTACH_OUT(SPDY), [m.fault, { rpc: 'Attach', after: 1, mutateRequest: (req: Msg) => { req.container_id = m.other(req.container_id); } }],
      /Attach: containers named in stdout \(stdout=true, stderr=false; attached to crc-tick-a\): expected \[ 'crc-tick-a' \], got \[ 'crc-tick-b' \] \[rests on api\.proto AttachRequest\.container_id/);
  });
  it(`${ATTACH_OUT(SPDY)} fails when the runtime streams stdout the request did not ask for`, () =>
    expectCheckFails(ATTACH_OUT(SPDY), [{ rpc: 'Attach', when: (req: Msg) => !req.stdout, mutateRequest: (req: Msg) => { req.stdout = true; } }],
      /Attach: stderr \(stdout=false, stderr=true; attached to crc-tick-a\): expected a value matching .*, got "" \[rests on api\.proto AttachRequest\.stdout/));

  // ---- port-forward ----
  it(`${PF(WS)} fails when the forwarded bytes are changed`, () =>
    relayFails(PF(WS), 'corrupt', 'PortForward', /PortForward: HTTP reply from port 8080: expected a value matching .*CRI-CONFORMANCE WEBSERVER OK/));

  it(`${PF2(WS)} fails when the two ports' bytes are changed`, () =>
    relayFails(PF2(WS), 'corrupt', 'PortForward', /PortForward: HTTP bodies from ports \{8080, 8081\} on one connection: expected .*got .*SECOND-PORT/));

  it(`${PF_ERR(WS)} fails when the refused port's error is lost`, () =>
    relayFails(PF_ERR(WS), 'lost-status', 'PortForward', /PortForward: port 9 error stream \(nobody listens\): expected a value matching \/9\/, got "\(error stream not closed\)"/));

  it(`${PF_ERR(WS)} fails when the good port's bytes are changed after the refused one`, () =>
    relayFails(PF_ERR(WS), 'corrupt', 'PortForward', /PortForward: HTTP reply from port 8080 after port 9 failed: expected to include "cri-conformance webserver OK"/));

  it(`${PF_HOST(WS)} fails when the forwarded bytes are changed`, () =>
    relayFails(PF_HOST(WS), 'corrupt', 'PortForward', /PortForward: HTTP reply from port \d+ in the host-network pod: expected to include/));

  // ---- servers that hang or lose the outcome: one test fails, in time, with a one-line reason ----
  const timed = async (id: string, faults: Fault[], message: RegExp, withinMs: number) => {
    const t0 = Date.now();
    const r = await runOne(id, faults);
    const took = Date.now() - t0;
    console.log(`      (${took} ms, test ${r.durationMs} ms: ${r.message ?? r.status})`);
    expectFailed(id, r, message);
    expect(r.message ?? '', 'one line').to.not.include('\n');
    expect(r.durationMs, 'failed within the deadlines').to.be.below(withinMs);
  };

  it(`${APART(SPDY)} fails at the upgrade step timeout when the streaming server never answers the upgrade`, async () => {
    const silent = await fakeStreamingServer('silent');
    try {
      await timed(APART(SPDY), [{ rpc: 'Exec', mutate: (r: Msg) => void (r.url = silent.url) }], /SPDY upgrade of 127\.0\.0\.1:\d+\/exec\/faketoken: no answer within 10000 ms/, 25_000);
    } finally {
      await silent.close();
    }
  });

  it(`${APART(SPDY)} fails at the session deadline when the server never finishes the streams`, async () => {
    const hung = await fakeStreamingServer('spdy-never-done');
    try {
      await timed(APART(SPDY), [{ rpc: 'Exec', mutate: (r: Msg) => void (r.url = hung.url) }], /waiting for the exit status \(deadline 30000 ms\): nothing after \d+ ms/, 50_000);
    } finally {
      await hung.close();
    }
  });

  it(`${APART(WS)} fails at the session deadline when the server never closes the stream`, async () => {
    const relay = await streamingRelay('never-close');
    try {
      await timed(APART(WS), [through(relay, 'Exec')], /waiting for the exit status \(deadline 30000 ms\): nothing after \d+ ms/, 50_000);
    } finally {
      await relay.close();
    }
  });

  it(`${APART(WS)} fails at once when the server drops the exit status`, async () => {
    const relay = await streamingRelay('lost-status');
    try {
      await timed(APART(WS), [through(relay, 'Exec')], /error channel ended without a Status/, 15_000);
    } finally {
      await relay.close();
    }
  });
});
