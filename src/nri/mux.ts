// NRI's connection multiplexer (containerd/nri pkg/net/multiplex): one unix socket carries several logical
// byte streams. Every frame is an 8-byte header (connection id, payload length; both uint32 big-endian) and
// the payload. Opening a connection sends nothing: both ends simply agree on the ids.

import type { Socket } from 'node:net';
import { EventEmitter } from 'node:events';

/** The runtime calls the plugin's Plugin service on this connection (the plugin serves ttrpc). */
export const PLUGIN_SERVICE_CONN = 1;
/** The plugin calls the runtime's Runtime service on this connection (the plugin is the ttrpc client). */
export const RUNTIME_SERVICE_CONN = 2;

const HEADER = 8;
/** The largest payload the Go mux accepts: a ttrpc header plus ttrpc's 4 MiB message limit. */
export const MAX_PAYLOAD = 10 + (4 << 20);
/**
 * The largest frame we write. The Go side reads each frame whole into the free space of a 4096-byte
 * bufio.Reader and fails with ENOMEM when it does not fit, so we never send more than that in one frame.
 */
export const MAX_WRITE_FRAME = 4096;

/** One logical connection: emits 'data' (Buffer) in order and 'close' (Error | undefined) once. */
export class MuxConn extends EventEmitter {
  constructor(readonly id: number, private readonly mux: Mux) { super(); }
  write(data: Uint8Array): void { this.mux.write(this.id, data); }
}

export class Mux extends EventEmitter {
  private readonly conns = new Map<number, MuxConn>();
  private pending: Buffer = Buffer.alloc(0);
  private closed = false;
  /** Frames received for a connection id nobody opened (the Go mux drops them too). */
  droppedFrames = 0;

  constructor(readonly trunk: Socket) {
    super();
    trunk.on('data', (chunk: Buffer) => this.onData(chunk));
    trunk.on('error', (err) => this.close(err));
    trunk.on('close', () => this.close());
  }

  open(id: number): MuxConn {
    if (id === 0) throw new Error('mux connection id 0 is reserved');
    let c = this.conns.get(id);
    if (!c) { c = new MuxConn(id, this); this.conns.set(id, c); }
    return c;
  }

  write(id: number, data: Uint8Array): void {
    if (this.closed) throw new Error('mux is closed');
    let off = 0;
    do {
      const part = data.subarray(off, off + MAX_WRITE_FRAME);
      const hdr = Buffer.alloc(HEADER);
      hdr.writeUInt32BE(id, 0);
      hdr.writeUInt32BE(part.length, 4);
      this.trunk.write(Buffer.concat([hdr, part]));
      off += part.length;
    } while (off < data.length);
  }

  close(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.conns.values()) c.emit('close', err);
    this.trunk.destroy();
    this.emit('close', err);
  }

  get isClosed(): boolean { return this.closed; }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= HEADER) {
      const id = this.pending.readUInt32BE(0);
      const len = this.pending.readUInt32BE(4);
      if (len > MAX_PAYLOAD) {
        this.close(new Error(`mux frame of ${len} bytes on connection ${id} exceeds ${MAX_PAYLOAD}`));
        return;
      }
      if (this.pending.length < HEADER + len) return;
      const payload = this.pending.subarray(HEADER, HEADER + len);
      this.pending = this.pending.subarray(HEADER + len);
      const c = this.conns.get(id);
      if (c) c.emit('data', Buffer.from(payload)); else this.droppedFrames++;
    }
  }
}
