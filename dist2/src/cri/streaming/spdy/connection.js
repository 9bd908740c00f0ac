// A SPDY/3.1 client session over an upgraded socket, as much of it as the Kubernetes streaming server
// (moby/spdystream) uses: client streams with SYN_STREAM/SYN_REPLY, DATA with FIN for half-close,
// RST_STREAM, PING echo, GOAWAY. spdystream keeps no flow-control window (it never sends WINDOW_UPDATE),
// so neither do we: writes are paced by the socket alone.
import { Duplex } from 'node:stream';
import { withTimeout } from '../deadline.js';
import { StreamingError } from '../errors.js';
import { FLAG_FIN, FrameReader, FrameType, MAX_DATA_PAYLOAD, RST_CANCEL, RST_REFUSED, RST_STATUS, dataFrame, goAway, ping, rstStream, streamIdOf, synStream, } from './frames.js';
import { HeaderDeflater, HeaderInflater } from './header-block.js';
const describe = (h) => Object.entries(h).map(([k, v]) => `${k}=${v}`).join(' ');
/** One SPDY stream: readable = the server's DATA, writable = ours; end() sends FIN (half-close). */
export class SpdyStream extends Duplex {
    id;
    headers;
    conn;
    replyHeaders = {};
    /** Set when the server reset the stream (e.g. "CANCEL", which is how it tears down a finished exec). */
    resetBy;
    remoteEnded = false;
    localEnded = false;
    constructor(id, headers, conn) {
        super({ allowHalfOpen: true });
        this.id = id;
        this.headers = headers;
        this.conn = conn;
    }
    _read() {
        // Frames are pushed as they arrive; the server keeps no window for us to open.
    }
    _write(chunk, _enc, cb) {
        this.conn.sendData(this, chunk, false).then(() => cb(), cb);
    }
    _final(cb) {
        this.localEnded = true;
        this.conn.sendData(this, Buffer.alloc(0), true).then(() => cb(), cb);
    }
    _destroy(err, cb) {
        if (!(this.remoteEnded && this.localEnded) && !this.resetBy)
            this.conn.reset(this, RST_CANCEL);
        cb(err);
    }
    /** @internal */
    remoteData(b) {
        if (!this.remoteEnded)
            this.push(b);
    }
    /** @internal */
    remoteEnd() {
        if (this.remoteEnded)
            return;
        this.remoteEnded = true;
        this.push(null);
    }
    describe() {
        return `stream ${this.id} (${describe(this.headers)})`;
    }
}
export class SpdyConnection {
    socket;
    protocol;
    reader = new FrameReader();
    deflater = new HeaderDeflater();
    inflater = new HeaderInflater();
    streams = new Map();
    replies = new Map();
    nextId = 1;
    closedBy;
    resolveClosed;
    /** Settles once the socket is gone, whoever closed it. */
    closed = new Promise((r) => (this.resolveClosed = r));
    goAwayReceived = false;
    constructor(socket, head, protocol) {
        this.socket = socket;
        this.protocol = protocol;
        socket.setNoDelay(true);
        socket.on('data', (d) => this.onBytes(d));
        socket.on('error', (e) => this.shutdown(new StreamingError('closed', `SPDY: connection error: ${e.message}`)));
        socket.on('close', () => this.shutdown(new StreamingError('closed', 'SPDY: connection closed')));
        if (head.length)
            this.onBytes(head);
    }
    get isClosed() {
        return this.closedBy !== undefined;
    }
    /** Sends SYN_STREAM and waits for the SYN_REPLY; a RST_STREAM, a timeout or a closed connection fail it. */
    async openStream(headers, timeoutMs) {
        if (this.closedBy)
            throw this.closedBy;
        if (this.goAwayReceived)
            throw new StreamingError('closed', `SPDY: server sent GOAWAY; no new stream (${describe(headers)})`);
        const id = this.nextId;
        this.nextId += 2;
        const s = new SpdyStream(id, headers, this);
        this.streams.set(id, s);
        const replied = new Promise((resolve, reject) => this.replies.set(id, { resolve, reject }));
        this.write(synStream(id, this.deflater.compress(headers)));
        await withTimeout(replied, timeoutMs, `SPDY: waiting for SYN_REPLY to ${s.describe()}`, () => {
            this.replies.delete(id);
            this.reset(s, RST_CANCEL);
        });
        return s;
    }
    /** @internal DATA frames for one write, FIN on the last; resolves when the socket took them. */
    sendData(s, chunk, fin) {
        if (this.closedBy)
            return Promise.reject(this.closedBy);
        if (s.resetBy)
            return Promise.reject(new StreamingError('closed', `SPDY: ${s.describe()} was reset by the server (${s.resetBy})`));
        if (chunk.length === 0 && !fin)
            return Promise.resolve();
        const frames = [];
        let off = 0;
        do {
            const part = chunk.subarray(off, off + MAX_DATA_PAYLOAD);
            off += part.length;
            frames.push(dataFrame(s.id, fin && off >= chunk.length ? FLAG_FIN : 0, part));
        } while (off < chunk.length);
        return new Promise((resolve, reject) => this.socket.write(Buffer.concat(frames), (e) => (e ? reject(new StreamingError('closed', `SPDY: writing to ${s.describe()}: ${e.message}`)) : resolve())));
    }
    /** @internal */
    reset(s, status) {
        this.streams.delete(s.id);
        s.remoteEnd();
        if (!this.closedBy)
            this.write(rstStream(s.id, status));
    }
    /** GOAWAY, then end the socket; destroyed outright if the server does not close its side soon. */
    close() {
        if (this.closedBy)
            return;
        this.write(goAway(0));
        this.socket.end();
        setTimeout(() => this.socket.destroy(), 1000).unref();
    }
    destroy(reason) {
        this.shutdown(new StreamingError('closed', reason));
    }
    write(b) {
        if (!this.socket.destroyed)
            this.socket.write(b);
    }
    onBytes(d) {
        let frames;
        try {
            frames = this.reader.push(d);
            for (const f of frames)
                this.onFrame(f);
        }
        catch (e) {
            this.shutdown(e instanceof StreamingError ? e : new StreamingError('protocol', `SPDY: ${e.message}`));
        }
    }
    onFrame(f) {
        if (!f.control) {
            const s = this.streams.get(f.streamId);
            if (!s)
                return; // reset or unknown: spdystream drops these too
            if (f.payload.length)
                s.remoteData(Buffer.from(f.payload));
            if (f.flags & FLAG_FIN)
                s.remoteEnd();
            return;
        }
        const id = streamIdOf(f.payload);
        switch (f.type) {
            case FrameType.SynReply: {
                const s = this.streams.get(id);
                const headers = this.inflater.decompress(f.payload.subarray(4));
                if (!s)
                    return;
                s.replyHeaders = headers;
                this.replies.get(id)?.resolve();
                this.replies.delete(id);
                if (f.flags & FLAG_FIN)
                    s.remoteEnd();
                return;
            }
            case FrameType.RstStream: {
                const status = f.payload.length >= 8 ? f.payload.readUInt32BE(4) : 0;
                const name = RST_STATUS[status] ?? `status ${status}`;
                const s = this.streams.get(id);
                if (!s)
                    return;
                s.resetBy = name;
                this.streams.delete(id);
                this.replies.get(id)?.reject(new StreamingError('refused', `SPDY: server reset ${s.describe()} with ${name}`));
                this.replies.delete(id);
                s.remoteEnd();
                return;
            }
            case FrameType.Headers: {
                this.inflater.decompress(f.payload.subarray(4)); // keeps the shared inflate history whole
                if (f.flags & FLAG_FIN)
                    this.streams.get(id)?.remoteEnd();
                return;
            }
            case FrameType.SynStream: {
                this.inflater.decompress(f.payload.subarray(10));
                this.write(rstStream(id, RST_REFUSED)); // a client accepts no server-initiated streams
                return;
            }
            case FrameType.Ping: {
                if (f.payload.length >= 4 && f.payload.readUInt32BE(0) % 2 === 0)
                    this.write(ping(f.payload.readUInt32BE(0)));
                return;
            }
            case FrameType.GoAway:
                this.goAwayReceived = true;
                return;
            default:
                return; // SETTINGS, WINDOW_UPDATE: nothing for us to honour (see the file comment)
        }
    }
    shutdown(err) {
        if (this.closedBy)
            return;
        this.closedBy = err;
        for (const r of this.replies.values())
            r.reject(err);
        this.replies.clear();
        for (const s of this.streams.values())
            s.remoteEnd();
        this.streams.clear();
        this.socket.destroy();
        this.resolveClosed();
    }
}
//# sourceMappingURL=connection.js.map