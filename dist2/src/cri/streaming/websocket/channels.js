// The Kubernetes channel protocol over one WebSocket: every message is one channel byte then payload
// (binary), or '0'+channel then base64 (text, for *.base64.channel.k8s.io). v5 adds a close signal:
// channel 255 carrying the number of the channel that will send no more.
import { Duplex } from 'node:stream';
import { StreamingError } from '../errors.js';
export const CLOSE_CHANNEL = 255;
const MAX_MESSAGE = 64 * 1024;
export class ChannelSocket {
    ws;
    base64;
    listeners = new Map();
    early = new Map();
    closedBy;
    resolveClosed;
    /** Settles with a short reason once the socket is gone. */
    closed = new Promise((r) => (this.resolveClosed = r));
    constructor(ws, base64) {
        this.ws = ws;
        this.base64 = base64;
        ws.on('message', (data, isBinary) => this.onMessage(toBuffer(data), isBinary));
        ws.on('close', (code, reason) => this.shutdown(`WebSocket closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`));
        ws.on('error', (e) => this.shutdown(`WebSocket error: ${e.message}`));
    }
    get isClosed() {
        return this.closedBy !== undefined;
    }
    /** One consumer per channel; what arrived before it subscribed is replayed first. */
    subscribe(channel, fn) {
        this.listeners.set(channel, fn);
        for (const b of this.early.get(channel) ?? [])
            fn(b);
        this.early.delete(channel);
    }
    async send(channel, data) {
        let off = 0;
        do {
            const part = data.subarray(off, off + MAX_MESSAGE);
            off += part.length;
            await this.sendOne(channel, part);
        } while (off < data.length);
    }
    /** v5 only: tells the server this channel (stdin) is done, like a half-close. */
    sendClose(channel) {
        return this.sendRaw(Buffer.from([CLOSE_CHANNEL, channel]), true);
    }
    close() {
        if (this.closedBy)
            return;
        this.ws.close(1000);
        setTimeout(() => this.ws.terminate(), 1000).unref();
    }
    destroy(reason) {
        this.shutdown(reason);
    }
    sendOne(channel, part) {
        if (this.base64)
            return this.sendRaw(Buffer.from(String.fromCharCode(48 + channel) + part.toString('base64'), 'latin1'), false);
        return this.sendRaw(Buffer.concat([Buffer.from([channel]), part]), true);
    }
    sendRaw(msg, binary) {
        if (this.closedBy)
            return Promise.reject(this.closedBy);
        return new Promise((resolve, reject) => this.ws.send(msg, { binary }, (e) => (e ? reject(new StreamingError('closed', `WebSocket send: ${e.message}`)) : resolve())));
    }
    onMessage(msg, isBinary) {
        if (msg.length === 0)
            return;
        let channel = msg[0];
        let payload = msg.subarray(1);
        if (this.base64 && !isBinary) {
            channel -= 48;
            payload = Buffer.from(payload.toString('latin1'), 'base64');
        }
        if (payload.length === 0)
            return; // the server's "streams are ready" message carries nothing
        const fn = this.listeners.get(channel);
        if (fn)
            fn(payload);
        else
            this.early.set(channel, [...(this.early.get(channel) ?? []), payload]);
    }
    shutdown(why) {
        if (this.closedBy)
            return;
        this.closedBy = new StreamingError('closed', why);
        this.ws.terminate();
        this.resolveClosed(why);
    }
}
function toBuffer(d) {
    if (Buffer.isBuffer(d))
        return d;
    if (Array.isArray(d))
        return Buffer.concat(d);
    return Buffer.from(d);
}
/** One channel as a Duplex: reads what the server sends on it, writes to it; ends when the socket closes. */
export class ChannelStream extends Duplex {
    sock;
    channel;
    o;
    skip;
    prefix = [];
    constructor(sock, channel, o = {}) {
        super({ allowHalfOpen: true });
        this.sock = sock;
        this.channel = channel;
        this.o = o;
        this.skip = o.prefixBytes ?? 0;
        sock.subscribe(channel, (d) => this.onData(d));
        void sock.closed.then(() => {
            this.flushPrefix();
            this.push(null);
        });
    }
    _read() {
        // Pushed as messages arrive.
    }
    _write(chunk, _enc, cb) {
        this.sock.send(this.channel, chunk).then(() => cb(), cb);
    }
    _final(cb) {
        if (this.o.onEnd === 'v5-close')
            this.sock.sendClose(this.channel).then(() => cb(), cb);
        else
            cb();
    }
    onData(d) {
        if (this.skip > 0) {
            const n = Math.min(this.skip, d.length);
            this.prefix.push(d.subarray(0, n));
            this.skip -= n;
            d = d.subarray(n);
            if (this.skip === 0)
                this.flushPrefix();
        }
        if (d.length)
            this.push(d);
    }
    flushPrefix() {
        if (!this.prefix.length)
            return;
        this.o.onPrefix?.(Buffer.concat(this.prefix));
        this.prefix = [];
    }
}
//# sourceMappingURL=channels.js.map