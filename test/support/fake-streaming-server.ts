// Local stand-ins for a misbehaving streaming server, for the client's deadline tests: one that never
// answers the upgrade, one that upgrades to SPDY but never replies to a stream, one that replies to
// every stream but never finishes, a WebSocket one that never finishes, and one that refuses.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { openExec, openPortForward } from '../../src/cri/streaming/index.js';
import { FrameReader, FrameType, controlFrame, streamIdOf } from '../../src/cri/streaming/spdy/frames.js';
import { HeaderDeflater } from '../../src/cri/streaming/spdy/header-block.js';

export type FakeBehaviour = 'silent' | 'spdy-no-reply' | 'spdy-never-done' | 'ws-never-done' | 'refuse';

export interface FakeServer {
  url: string;
  /** SYN_STREAM headers or WebSocket subprotocols seen, for assertions. */
  seen: string[];
  close(): Promise<void>;
}

export async function fakeStreamingServer(behaviour: FakeBehaviour): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  // Upgrade requests never reach this handler (Node gives them to 'upgrade'); 'silent' reads and never answers.
  const server = http.createServer(() => undefined);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => [...p][0] ?? false });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    if (behaviour === 'silent') return;
    if (behaviour === 'refuse') {
      const body = 'unable to upgrade: unable to negotiate protocol: client supports [x], server accepts [y]\nsecond line\n';
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    if (behaviour === 'ws-never-done') {
      wss.handleUpgrade(req, socket, head, (ws) => seen.push(ws.protocol));
      return;
    }
    const proto = String(req.headers['x-stream-protocol-version'] ?? '').split(',')[0]!.trim();
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${proto}\r\n\r\n`);
    const reader = new FrameReader();
    const deflater = new HeaderDeflater();
    socket.on('data', (d: Buffer) => {
      for (const f of reader.push(d)) {
        if (!f.control || f.type !== FrameType.SynStream) continue;
        const id = streamIdOf(f.payload);
        seen.push(`stream ${id}`);
        if (behaviour === 'spdy-never-done') {
          const body = Buffer.concat([Buffer.alloc(4), deflater.compress({})]);
          body.writeUInt32BE(id, 0);
          socket.write(controlFrame(FrameType.SynReply, 0, body));
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/exec/faketoken`,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// A faulty streaming server in front of the real one, for the streaming suite's self-tests. The fault proxy
// rewrites the URL an Exec, Attach or PortForward answered to one of ours (relay.wrap); the client then
// speaks WebSocket to us (v5, v4 or the base64 variant for exec, v4 for port-forward) and we speak SPDY to
// the runtime's streaming server, passing everything through except what the fault changes.

export type RelayFault =
  | 'none'
  /** stdout goes out on the stderr channel and stderr on stdout. */
  | 'swap-channels'
  /** The socket closes without a Status on the error channel; a port's error text is dropped. */
  | 'lost-status'
  /** Success is reported as NonZeroExitCode 1, and any failure as Success. */
  | 'wrong-status'
  /** Stdin data is dropped (its close still passes, so the process ends). */
  | 'stdin-ignored'
  /** Resize messages are dropped. */
  | 'no-resize'
  /** Output (stdout, stderr, port data) arrives upper-cased. */
  | 'corrupt'
  /** The streams never end and the Status never comes. */
  | 'never-close'
  /** The URL serves a second connection too (a made-up Success session). */
  | 'reusable'
  /** "banner\n" on stdout as soon as the session opens, before the process wrote anything. */
  | 'banner'
  /** Every stdout chunk arrives twice. */
  | 'echo-twice'
  /** Every stdout chunk is copied onto stderr too. */
  | 'stderr-copy';

export type RelayKind = 'exec' | 'attach' | 'portforward';

export interface StreamingRelay {
  /** The URL to hand the client instead of the runtime's; req is the CRI request it answered. */
  wrap(kind: RelayKind, realUrl: string, req: { stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean; port?: number[] }): string;
  /** What happened, for test messages. */
  log: string[];
  close(): Promise<void>;
}

interface Entry {
  kind: RelayKind;
  url: string;
  req: { stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean; port?: number[] };
  used: boolean;
}

const SUCCESS = '{"metadata":{},"status":"Success"}';
const NONZERO_1 = '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit 1","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"1"}]}}';

/** Per-channel consumers; messages for a channel nobody consumes yet are kept for its consumer. */
class Handlers {
  private readonly fns = new Map<number, (b: Buffer) => void>();
  private readonly early = new Map<number, Buffer[]>();
  set(ch: number, fn: (b: Buffer) => void): void {
    this.fns.set(ch, fn);
    for (const b of this.early.get(ch) ?? []) fn(b);
    this.early.delete(ch);
  }
  deliver(ch: number, b: Buffer): void {
    const fn = this.fns.get(ch);
    if (fn) fn(b);
    else this.early.set(ch, [...(this.early.get(ch) ?? []), b]);
  }
}

export async function streamingRelay(fault: RelayFault): Promise<StreamingRelay> {
  const entries = new Map<string, Entry>();
  const log: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((_req, res) => res.writeHead(404).end('not an upgrade\n'));
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io'].find((p) => offered.has(p)) ?? false,
  });
  const upgrade = (req: http.IncomingMessage, socket: Socket, head: Buffer) =>
    new Promise<WebSocket>((resolve) => wss.handleUpgrade(req, socket, head, (ws) => resolve(ws)));

  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const token = (req.url ?? '').split('/').pop() ?? '';
    const e = entries.get(token);
    if (!e || (e.used && fault !== 'reusable')) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 15\r\nConnection: close\r\n\r\nunknown token\r\n');
      return;
    }
    const again = e.used;
    e.used = true;
    void (async () => {
      const ws = await upgrade(req, socket, head);
      const base64 = ws.protocol.includes('base64');
      const send = (ch: number, b: Buffer) => {
        if (ws.readyState !== ws.OPEN) return;
        if (base64) ws.send(String.fromCharCode(48 + ch) + b.toString('base64'));
        else ws.send(Buffer.concat([Buffer.from([ch]), b]), { binary: true });
      };
      // The client writes as soon as the socket is open; what comes before the upstream is ready waits.
      const handlers = new Handlers();
      ws.on('message', (m: Buffer, isBinary: boolean) => {
        let ch = m[0]!;
        let payload = m.subarray(1);
        if (base64 && !isBinary) {
          ch -= 48;
          payload = Buffer.from(payload.toString('latin1'), 'base64');
        }
        handlers.deliver(ch, payload);
      });
      if (again) {
        log.push(`second connection to ${e.kind} accepted (fault reusable)`);
        send(3, Buffer.from(SUCCESS));
        ws.close(1000);
        return;
      }
      try {
        if (e.kind === 'portforward') await relayPortForward(e, ws, send, handlers);
        else await relayExec(e, ws, send, handlers);
      } catch (err) {
        log.push(`relay failed: ${(err as Error).message}`);
        ws.close(1011, 'relay failed');
      }
    })();
  });

  const out = (b: Buffer) => (fault === 'corrupt' ? Buffer.from(b.toString('latin1').toUpperCase(), 'latin1') : b);

  async function relayExec(e: Entry, ws: WebSocket, send: (ch: number, b: Buffer) => void, handlers: Handlers) {
    const tty = e.req.tty ?? false;
    const up = await openExec(e.url, {
      protocol: 'spdy', stdin: e.req.stdin ?? false, stdout: e.req.stdout ?? false, stderr: (e.req.stderr ?? false) && !tty, tty, deadlineMs: 120_000,
    });
    ws.on('close', () => up.close());
    handlers.set(0, (b) => void (fault !== 'stdin-ignored' && up.stdin?.write(b)));
    handlers.set(255, (b) => void (b[0] === 0 && up.stdin?.end()));
    handlers.set(4, (b) => {
      if (fault === 'no-resize') return;
      const { Width, Height } = JSON.parse(b.toString()) as { Width: number; Height: number };
      void up.resize(Width, Height).catch(() => undefined);
    });
    const ended = (r: NodeJS.ReadableStream | undefined) => new Promise<void>((res) => (r ? (r.on('end', res), r.on('close', res)) : res()));
    if (fault === 'banner') send(1, Buffer.from('banner\n'));
    up.stdout?.on('data', (b: Buffer) => {
      send(fault === 'swap-channels' ? 2 : 1, out(b));
      if (fault === 'echo-twice') send(1, out(b));
      if (fault === 'stderr-copy') send(2, out(b));
    });
    up.stderr?.on('data', (b: Buffer) => send(fault === 'swap-channels' ? 1 : 2, out(b)));
    const st = await up.status.catch((err: Error) => ({ success: false, raw: '', message: err.message }));
    await Promise.race([Promise.all([ended(up.stdout), ended(up.stderr)]), new Promise((r) => setTimeout(r, 2000))]);
    if (fault === 'never-close') {
      log.push('exec finished upstream; never closing (fault never-close)');
      return;
    }
    if (fault === 'lost-status') {
      ws.close(1000);
      return;
    }
    const raw = fault === 'wrong-status' ? (st.success ? NONZERO_1 : SUCCESS) : st.raw || SUCCESS;
    send(3, Buffer.from(raw));
    ws.close(1000);
  }

  async function relayPortForward(e: Entry, ws: WebSocket, send: (ch: number, b: Buffer) => void, handlers: Handlers) {
    const ports = e.req.port ?? [];
    const up = await openPortForward(e.url, { protocol: 'spdy', ports, deadlineMs: 120_000 });
    ws.on('close', () => up.close());
    // Like the runtime, close the socket once every port's connection has ended.
    const ends: Promise<void>[] = [];
    await Promise.all(ports.map(async (port, i) => {
      const c = await up.connect(port);
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16LE(port, 0);
      send(2 * i, prefix);
      send(2 * i + 1, prefix);
      handlers.set(2 * i, (b) => void c.data.write(b));
      c.data.on('data', (b: Buffer) => send(2 * i, out(b)));
      c.data.on('error', () => undefined);
      ends.push(new Promise<void>((r) => (c.data.on('end', r), c.data.on('close', r))));
      const text = await c.error;
      if (text && fault !== 'lost-status') send(2 * i + 1, Buffer.from(text));
    }));
    if (fault !== 'never-close') void Promise.all(ends).then(() => ws.close(1000));
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    log,
    wrap(kind, realUrl, req) {
      const token = randomBytes(6).toString('hex');
      entries.set(token, { kind, url: realUrl, req: { ...req }, used: false });
      return `http://127.0.0.1:${port}/${kind}/${token}`;
    },
    close: async () => {
      for (const c of wss.clients) c.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
