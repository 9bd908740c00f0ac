// The Kubernetes channel protocol over one WebSocket: every message is one channel byte then payload
// (binary), or '0'+channel then base64 (text, for *.base64.channel.k8s.io). v5 adds a close signal:
// channel 255 carrying the number of the channel that will send no more.
import { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import { StreamingError } from '../errors.js';

export const CLOSE_CHANNEL = 255;
const MAX_MESSAGE = 64 * 1024;

export class ChannelSocket {
  private readonly listeners = new Map<number, (data: Buffer) => void>();
  private readonly early = new Map<number, Buffer[]>();
  private closedBy?: StreamingError;
  private resolveClosed!: (why: string) => void;
  /** Settles with a short reason once the socket is gone. */
  readonly closed = new Promise<string>((r) => (this.resolveClosed = r));

  constructor(
    readonly ws: WebSocket,
    readonly base64: boolean,
  ) {
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => this.onMessage(toBuffer(data), isBinary));
    ws.on('close', (code: number, reason: Buffer) => this.shutdown(`WebSocket closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`));
    ws.on('error', (e: Error) => this.shutdown(`WebSocket error: ${e.message}`));
  }

  get isClosed(): boolean {
    return this.closedBy !== undefined;
  }

  /** One consumer per channel; what arrived before it subscribed is replayed first. */
  subscribe(channel: number, fn: (data: Buffer) => void): void {
    this.listeners.set(channel, fn);
    for (const b of this.early.get(channel) ?? []) fn(b);
    this.early.delete(channel);
  }

  async send(channel: number, data: Buffer): Promise<void> {
    let off = 0;
    do {
      const part = data.subarray(off, off + MAX_MESSAGE);
      off += part.length;
      await this.sendOne(channel, part);
    } while (off < data.length);
  }

  /** v5 only: tells the server this channel (stdin) is done, like a half-close. */
  sendClose(channel: number): Promise<void> {
    return this.sendRaw(Buffer.from([CLOSE_CHANNEL, channel]), true);
  }

  close(): void {
    if (this.closedBy) return;
    this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  destroy(reason: string): void {
    this.shutdown(reason);
  }

  private sendOne(channel: number, part: Buffer): Promise<void> {
    if (this.base64) return this.sendRaw(Buffer.from(String.fromCharCode(48 + channel) + part.toString('base64'), 'latin1'), false);
    return this.sendRaw(Buffer.concat([Buffer.from([channel]), part]), true);
  }

  private sendRaw(msg: Buffer, binary: boolean): Promise<void> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    return new Promise((resolve, reject) =>
      this.ws.send(msg, { binary }, (e) => (e ? reject(new StreamingError('closed', `WebSocket send: ${e.message}`)) : resolve())),
    );
  }

  private onMessage(msg: Buffer, isBinary: boolean): void {
    if (msg.length === 0) return;
    let channel = msg[0]!;
    let payload = msg.subarray(1);
    if (this.base64 && !isBinary) {
      channel -= 48;
      payload = Buffer.from(payload.toString('latin1'), 'base64');
    }
    if (payload.length === 0) return; // the server's "streams are ready" message carries nothing
    const fn = this.listeners.get(channel);
    if (fn) fn(payload);
    else this.early.set(channel, [...(this.early.get(channel) ?? []), payload]);
  }

  private shutdown(why: string): void {
    if (this.closedBy) return;
    this.closedBy = new StreamingError('closed', why);
    this.ws.terminate();
    this.resolveClosed(why);
  }
}

function toBuffer(d: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(d)) return d;
  if (Array.isArray(d)) return Buffer.concat(d);
  return Buffer.from(d);
}

export interface ChannelStreamOptions {
  /** Bytes the server puts first on the read side (port-forward's 2-byte port); handed to onPrefix. */
  prefixBytes?: number;
  onPrefix?: (prefix: Buffer) => void;
  /** What end() does: 'v5-close' sends the close signal; 'none' cannot tell the server (v4 and older). */
  onEnd?: 'v5-close' | 'none';
}

/** One channel as a Duplex: reads what the server sends on it, writes to it; ends when the socket closes. */
export class ChannelStream extends Duplex {
  private skip: number;
  private prefix: Buffer[] = [];

  constructor(
    private readonly sock: ChannelSocket,
    readonly channel: number,
    private readonly o: ChannelStreamOptions = {},
  ) {
    super({ allowHalfOpen: true });
    this.skip = o.prefixBytes ?? 0;
    sock.subscribe(channel, (d) => this.onData(d));
    void sock.closed.then(() => {
      this.flushPrefix();
      this.push(null);
    });
  }

  override _read(): void {
    // Pushed as messages arrive.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.sock.send(this.channel, chunk).then(() => cb(), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.o.onEnd === 'v5-close') this.sock.sendClose(this.channel).then(() => cb(), cb);
    else cb();
  }

  private onData(d: Buffer): void {
    if (this.skip > 0) {
      const n = Math.min(this.skip, d.length);
      this.prefix.push(d.subarray(0, n));
      this.skip -= n;
      d = d.subarray(n);
      if (this.skip === 0) this.flushPrefix();
    }
    if (d.length) this.push(d);
  }

  private flushPrefix(): void {
    if (!this.prefix.length) return;
    this.o.onPrefix?.(Buffer.concat(this.prefix));
    this.prefix = [];
  }
}
