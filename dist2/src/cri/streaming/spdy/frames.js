// SPDY/3 framing: an 8-byte header, then the payload. Control frames carry a version and a type, data
// frames a stream id; both carry flags and a 24-bit length.
import { StreamingError } from '../errors.js';
export const SPDY_VERSION = 3;
export const FrameType = {
    SynStream: 1,
    SynReply: 2,
    RstStream: 3,
    Settings: 4,
    Ping: 6,
    GoAway: 7,
    Headers: 8,
    WindowUpdate: 9,
};
export const FLAG_FIN = 0x01;
/** RST_STREAM status codes, by name for messages. */
export const RST_STATUS = {
    1: 'PROTOCOL_ERROR', 2: 'INVALID_STREAM', 3: 'REFUSED_STREAM', 4: 'UNSUPPORTED_VERSION', 5: 'CANCEL',
    6: 'INTERNAL_ERROR', 7: 'FLOW_CONTROL_ERROR', 8: 'STREAM_IN_USE', 9: 'STREAM_ALREADY_CLOSED',
    10: 'INVALID_CREDENTIALS', 11: 'FRAME_TOO_LARGE',
};
export const RST_CANCEL = 5;
export const RST_REFUSED = 3;
/** Stays well under the 24-bit limit; spdystream has no flow-control window to respect. */
export const MAX_DATA_PAYLOAD = 64 * 1024;
const MAX_FRAME_PAYLOAD = 0xffffff;
/** Splits a byte stream into frames; bytes of an unfinished frame wait for the next push. */
export class FrameReader {
    buf = Buffer.alloc(0);
    push(chunk) {
        this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
        const out = [];
        while (this.buf.length >= 8) {
            const len = this.buf.readUIntBE(5, 3);
            if (this.buf.length < 8 + len)
                break;
            const flags = this.buf[4];
            const payload = this.buf.subarray(8, 8 + len);
            if (this.buf[0] & 0x80) {
                const version = this.buf.readUInt16BE(0) & 0x7fff;
                if (version !== SPDY_VERSION)
                    throw new StreamingError('protocol', `SPDY: server sent a version ${version} control frame, expected ${SPDY_VERSION}`);
                out.push({ control: true, type: this.buf.readUInt16BE(2), flags, payload });
            }
            else {
                out.push({ control: false, streamId: this.buf.readUInt32BE(0) & 0x7fffffff, flags, payload });
            }
            this.buf = this.buf.subarray(8 + len);
        }
        return out;
    }
}
export function controlFrame(type, flags, payload) {
    if (payload.length > MAX_FRAME_PAYLOAD)
        throw new RangeError(`SPDY control frame payload too large: ${payload.length}`);
    const h = Buffer.alloc(8);
    h.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
    h.writeUInt16BE(type, 2);
    h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
    return Buffer.concat([h, payload]);
}
export function dataFrame(streamId, flags, data) {
    if (data.length > MAX_FRAME_PAYLOAD)
        throw new RangeError(`SPDY data frame payload too large: ${data.length}`);
    const h = Buffer.alloc(8);
    h.writeUInt32BE(streamId & 0x7fffffff, 0);
    h.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4);
    return Buffer.concat([h, data]);
}
const u32 = (...values) => {
    const b = Buffer.alloc(4 * values.length);
    values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
    return b;
};
/** SYN_STREAM: stream id, no associated stream, priority 0, slot 0, then the compressed header block. */
export const synStream = (streamId, headerBlock, flags = 0) => controlFrame(FrameType.SynStream, flags, Buffer.concat([u32(streamId, 0), Buffer.from([0, 0]), headerBlock]));
export const rstStream = (streamId, status) => controlFrame(FrameType.RstStream, 0, u32(streamId, status));
export const ping = (id) => controlFrame(FrameType.Ping, 0, u32(id));
export const goAway = (lastGoodStreamId, status = 0) => controlFrame(FrameType.GoAway, 0, u32(lastGoodStreamId, status));
/** The first 31-bit word of a control payload: the stream id of SYN_REPLY, RST_STREAM, HEADERS, ... */
export const streamIdOf = (payload) => (payload.length >= 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0);
//# sourceMappingURL=frames.js.map