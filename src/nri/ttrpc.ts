// ttrpc (containerd/ttrpc), unary calls only: what NRI uses. A message is a 10-byte header (payload length
// uint32, stream id uint32, type uint8, flags uint8; big-endian) and a protobuf payload. A client opens odd,
// increasing stream ids with a Request (type 1, flag REMOTE_CLOSED for a unary call); the server answers on
// the same id with a Response (type 2) carrying a google.rpc.Status and the reply's bytes.

import path from 'node:path';
import protobuf from 'protobufjs';
import { NRI_PROTO_ROOT } from './proto-path.js';

export const HEADER = 10;
/** ttrpc's message size limit (messageLengthMax). */
export const MAX_MESSAGE = 4 << 20;
export const TYPE_REQUEST = 1;
export const TYPE_RESPONSE = 2;
export const TYPE_DATA = 3;
export const FLAG_REMOTE_CLOSED = 0x1;

/** gRPC status codes ttrpc uses (google.rpc.Code). */
export const Code = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5,
  FAILED_PRECONDITION: 9, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14,
} as const;

const root = new protobuf.Root();
root.loadSync(path.join(NRI_PROTO_ROOT, 'ttrpc.proto'), { keepCase: true });
const RequestT = root.lookupType('ttrpc.Request');
const ResponseT = root.lookupType('ttrpc.Response');

export interface Frame { streamId: number; type: number; flags: number; payload: Buffer }

/** A byte stream as the mux gives it: 'data' and 'close' events, write(). */
export interface ByteChannel {
  on(event: 'data', fn: (b: Buffer) => void): unknown;
  on(event: 'close', fn: (err?: Error) => void): unknown;
  write(data: Uint8Array): void;
}

export class TtrpcError extends Error {
  constructor(readonly code: number, readonly detail: string) {
    super(`ttrpc status ${code}: ${detail}`);
    this.name = 'TtrpcError';
  }
}

export function encodeFrame(f: Omit<Frame, 'payload'> & { payload: Uint8Array }): Buffer {
  if (f.payload.length > MAX_MESSAGE) throw new Error(`ttrpc message of ${f.payload.length} bytes exceeds ${MAX_MESSAGE}`);
  const hdr = Buffer.alloc(HEADER);
  hdr.writeUInt32BE(f.payload.length, 0);
  hdr.writeUInt32BE(f.streamId, 4);
  hdr.writeUInt8(f.type, 8);
  hdr.writeUInt8(f.flags, 9);
  return Buffer.concat([hdr, f.payload]);
}

/** Reassembles frames from a byte stream cut anywhere. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= HEADER) {
      const len = this.buf.readUInt32BE(0);
      if (len > MAX_MESSAGE) throw new Error(`ttrpc message of ${len} bytes exceeds ${MAX_MESSAGE}`);
      if (this.buf.length < HEADER + len) break;
      out.push({
        streamId: this.buf.readUInt32BE(4), type: this.buf.readUInt8(8), flags: this.buf.readUInt8(9),
        payload: Buffer.from(this.buf.subarray(HEADER, HEADER + len)),
      });
      this.buf = this.buf.subarray(HEADER + len);
    }
    return out;
  }
}

export interface TtrpcRequest { service: string; method: string; payload: Buffer; timeout_nano: string; metadata: { key: string; value: string }[] }

export function encodeRequest(r: { service: string; method: string; payload: Uint8Array; timeoutMs?: number }): Buffer {
  return Buffer.from(RequestT.encode(RequestT.fromObject({
    service: r.service, method: r.method, payload: r.payload,
    timeout_nano: r.timeoutMs ? String(BigInt(Math.round(r.timeoutMs)) * 1_000_000n) : '0',
  })).finish());
}

export function decodeRequest(b: Buffer): TtrpcRequest {
  return RequestT.toObject(RequestT.decode(b), { longs: String, bytes: Buffer, defaults: true, arrays: true }) as TtrpcRequest;
}

export function encodeResponse(r: { code?: number; message?: string; payload?: Uint8Array }): Buffer {
  const status = r.code ? { code: r.code, message: r.message ?? '' } : undefined;
  return Buffer.from(ResponseT.encode(ResponseT.fromObject({ status, payload: r.payload ?? Buffer.alloc(0) })).finish());
}

export function decodeResponse(b: Buffer): { code: number; message: string; payload: Buffer } {
  const o = ResponseT.toObject(ResponseT.decode(b), { bytes: Buffer, defaults: true }) as { status?: { code: number; message: string }; payload: Buffer };
  return { code: o.status?.code ?? 0, message: o.status?.message ?? '', payload: o.payload };
}

/** The calling side of one ttrpc connection. */
export class TtrpcClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }>();
  private readonly reader = new FrameReader();
  private closedWith: Error | undefined;

  constructor(private readonly ch: ByteChannel) {
    ch.on('data', (b) => {
      let frames: Frame[];
      try { frames = this.reader.push(b); } catch (e) { this.fail(e as Error); return; }
      for (const f of frames) {
        const w = this.waiting.get(f.streamId);
        if (!w || f.type !== TYPE_RESPONSE) continue;
        this.waiting.delete(f.streamId);
        clearTimeout(w.timer);
        try {
          const r = decodeResponse(f.payload);
          if (r.code !== Code.OK) w.reject(new TtrpcError(r.code, r.message)); else w.resolve(r.payload);
        } catch (e) { w.reject(e as Error); }
      }
    });
    ch.on('close', (err) => this.fail(err ?? new Error('ttrpc connection closed')));
  }

  call(service: string, method: string, payload: Uint8Array, timeoutMs = 10_000): Promise<Buffer> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId;
    this.nextId += 2;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new TtrpcError(Code.DEADLINE_EXCEEDED, `${service}/${method}: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.ch.write(encodeFrame({
        streamId: id, type: TYPE_REQUEST, flags: FLAG_REMOTE_CLOSED,
        payload: encodeRequest({ service, method, payload, timeoutMs }),
      }));
    });
  }

  private fail(err: Error): void {
    this.closedWith ??= err;
    for (const [id, w] of this.waiting) { clearTimeout(w.timer); w.reject(err); this.waiting.delete(id); }
  }
}

/** A handler answers the request's payload with the reply's bytes, or throws (a TtrpcError keeps its code). */
export type TtrpcHandler = (payload: Buffer, req: TtrpcRequest) => Promise<Uint8Array> | Uint8Array;

/** The serving side of one ttrpc connection: unary methods by "service/method". */
export class TtrpcServer {
  private readonly reader = new FrameReader();
  private lastStreamId = 0;
  /** Protocol errors seen (bad stream ids, undecodable requests), for tests and diagnostics. */
  readonly protocolErrors: string[] = [];

  constructor(private readonly ch: ByteChannel, private readonly handlers: Map<string, TtrpcHandler>) {
    ch.on('data', (b) => {
      let frames: Frame[];
      try { frames = this.reader.push(b); } catch (e) { this.protocolErrors.push((e as Error).message); return; }
      for (const f of frames) this.onFrame(f);
    });
  }

  private onFrame(f: Frame): void {
    const reply = (r: { code?: number; message?: string; payload?: Uint8Array }) =>
      this.ch.write(encodeFrame({ streamId: f.streamId, type: TYPE_RESPONSE, flags: 0, payload: encodeResponse(r) }));
    if (f.type !== TYPE_REQUEST) return;
    if (f.streamId % 2 !== 1 || f.streamId <= this.lastStreamId) {
      this.protocolErrors.push(`bad stream id ${f.streamId}`);
      reply({ code: Code.INVALID_ARGUMENT, message: `bad stream id ${f.streamId}` });
      return;
    }
    this.lastStreamId = f.streamId;
    let req: TtrpcRequest;
    try { req = decodeRequest(f.payload); } catch (e) {
      this.protocolErrors.push(`undecodable request: ${(e as Error).message}`);
      reply({ code: Code.INVALID_ARGUMENT, message: 'unmarshal request error' });
      return;
    }
    const h = this.handlers.get(`${req.service}/${req.method}`);
    if (!h) { reply({ code: Code.UNIMPLEMENTED, message: `method ${req.method}` }); return; }
    Promise.resolve()
      .then(() => h(req.payload, req))
      .then((payload) => reply({ payload }),
        (e: unknown) => reply({ code: e instanceof TtrpcError ? e.code : Code.UNKNOWN, message: e instanceof TtrpcError ? e.detail : String((e as Error)?.message ?? e) }));
  }
}
