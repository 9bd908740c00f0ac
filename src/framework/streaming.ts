// Streaming helpers for suites: which protocols a test runs over and how each is tagged, sessions opened
// with deadlines taken from the run's timeouts and closed by the test's cleanup, and small waits that
// return what they saw instead of throwing, so the suite's checks judge it.
import net from 'node:net';
import type { Readable } from 'node:stream';
import {
  isStreamingError, openExec, openPortForward, type ExecSession, type PortForwardSession, type Transport,
} from '../cri/streaming/index.js';
import { RpcError, UnimplementedError, codeName } from '../cri/errors.js';
import type { TestContext } from './context.js';
import { skip } from './skip.js';

/**
 * SPDY/3.1 is what reaches the runtime from every kubelet release we profile (1.23-1.36): kubectl spoke SPDY
 * end to end, and since the WebSocket transition (KEP-4006) the API server, and from 1.36 the kubelet,
 * translate WebSocket into SPDY toward the runtime. WebSocket reaches the runtime only from clients whose
 * upgrade is passed through as is, so it is optional: refused, its tests skip with the server's reason.
 */
export const PROTOCOLS = [
  { transport: 'spdy', label: 'SPDY/3.1', tag: '[Conformance]', required: true },
  { transport: 'websocket', label: 'WebSocket', tag: '[Optional]', required: false },
] as const satisfies readonly { transport: Transport; label: string; tag: string; required: boolean }[];

export type StreamProtocol = (typeof PROTOCOLS)[number];

/** A whole session (upgrade, streams, exit status) must fit in this. */
export const sessionDeadlineMs = (t: TestContext): number => Math.min(Math.round(t.run.timeouts.baseMs * 1.5), 60_000);
/** The upgrade and each stream creation. */
export const stepTimeoutMs = (t: TestContext): number => Math.min(Math.round(t.run.timeouts.baseMs / 2), 10_000);

export interface StreamFlags {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  tty?: boolean;
  subprotocols?: readonly string[];
}

/** An optional protocol the server refuses skips the test with its reason; anything else propagates. */
function refusedSkips(p: StreamProtocol, what: string) {
  return (e: unknown): never => {
    if (!p.required && isStreamingError(e, 'refused')) skip(`${p.label} not served for ${what}: ${e.message}`);
    throw e;
  };
}

/** Exec or Attach session on the URL the RPC answered; closed after the test. */
export async function openSession(t: TestContext, p: StreamProtocol, url: string, what: 'Exec' | 'Attach', f: StreamFlags): Promise<ExecSession> {
  const s = await openExec(url, {
    protocol: p.transport, deadlineMs: sessionDeadlineMs(t), stepTimeoutMs: stepTimeoutMs(t),
    stdin: f.stdin ?? false, stdout: f.stdout ?? false, stderr: f.stderr ?? false, tty: f.tty ?? false,
    ...(f.subprotocols ? { subprotocols: f.subprotocols } : {}),
  }).catch(refusedSkips(p, what));
  t.defer(`${what} session`, async () => s.close());
  return s;
}

export async function openForward(t: TestContext, p: StreamProtocol, url: string, ports: number[]): Promise<PortForwardSession> {
  const s = await openPortForward(url, { protocol: p.transport, ports, deadlineMs: sessionDeadlineMs(t), stepTimeoutMs: stepTimeoutMs(t) }).catch(refusedSkips(p, 'PortForward'));
  t.defer('PortForward session', async () => s.close());
  return s;
}

/** A second connection to a used URL: 'accepted', or `<kind>: <reason>` of the failure. */
export async function tryAgain(t: TestContext, p: StreamProtocol, url: string, what: 'Exec' | 'Attach' | 'PortForward'): Promise<string> {
  try {
    const o = { protocol: p.transport, deadlineMs: 5_000, stepTimeoutMs: Math.min(5_000, stepTimeoutMs(t)) };
    const s = what === 'PortForward' ? await openPortForward(url, { ...o, ports: [1] }) : await openExec(url, { ...o, stdout: true });
    s.close();
    return 'accepted';
  } catch (e) {
    if (isStreamingError(e)) return `${e.kind}: ${e.message}`;
    throw e;
  }
}

/** '' when a TCP connection to the URL's host and port opens within ms, else why not. */
export function probeHost(url: string, ms: number): Promise<string> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve(`not a URL: ${url}`);
  }
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port });
    const done = (why: string) => {
      clearTimeout(timer);
      s.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(`no connection to ${u.host} within ${ms} ms`), ms);
    s.on('connect', () => done(''));
    s.on('error', (e) => done(`${u.host}: ${e.message}`));
  });
}

/** Everything r sent until it ended, or until ms passed (then what arrived so far). Never throws. */
export function collect(r: Readable | undefined, ms: number): Promise<Buffer> {
  if (!r) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      r.off('data', onData);
      resolve(Buffer.concat(parts));
    };
    const onData = (b: Buffer) => parts.push(b);
    const timer = setTimeout(done, ms);
    r.on('data', onData);
    r.once('end', done);
    r.once('close', done);
    r.once('error', done);
  });
}

/** Reads r until its text (from now on) matches re or ms pass; returns the text either way. */
export function readUntil(r: Readable | undefined, re: RegExp, ms: number): Promise<string> {
  if (!r) return Promise.resolve('');
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      r.off('data', onData);
      r.off('end', done);
      resolve(text);
    };
    const onData = (b: Buffer) => {
      text += b.toString('utf8');
      if (re.test(text)) done();
    };
    const timer = setTimeout(done, ms);
    r.on('data', onData);
    r.once('end', done);
  });
}

/** Everything a stream sent since textLog() was called, kept whole: a wait reads the accumulated text. */
export interface TextLog {
  readonly text: string;
  /** Resolves with the text once it matches re, or after ms with what arrived so far. Never throws. */
  waitFor(re: RegExp, ms: number): Promise<string>;
}

/**
 * One listener for the life of the stream. Waits that each attach and detach a listener of their own lose what
 * arrives between them (a flowing stream without a 'data' listener drops its data): an answer that came while
 * the test was resizing or writing was never seen.
 */
export function textLog(r: Readable | undefined): TextLog {
  let text = '';
  let wake = (): void => undefined;
  r?.on('data', (b: Buffer) => {
    text += b.toString('utf8');
    wake();
  });
  r?.once('end', () => wake());
  return {
    get text() {
      return text;
    },
    waitFor(re, ms) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wake = () => undefined;
          resolve(text);
        };
        const timer = setTimeout(done, ms);
        wake = () => void (re.test(text) && done());
        wake();
      });
    },
  };
}

/** A TCP port free on this host right now (for a server in a host-network pod). */
export function freeHostPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** How a CRI call ended, for a check to judge: "answered <first field>" or "error CODE: details". UNIMPLEMENTED
 * and anything that is not an RPC error propagate (the runner skips or fails those per release). */
export async function rpcOutcome(call: () => Promise<object>): Promise<string> {
  try {
    const res = await call();
    return `answered ${JSON.stringify(res)}`;
  } catch (e) {
    if (e instanceof RpcError && !(e instanceof UnimplementedError)) return `error ${codeName(e.code)}: ${e.details}`;
    throw e;
  }
}
