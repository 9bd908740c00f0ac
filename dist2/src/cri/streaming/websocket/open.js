// The WebSocket handshake with a deadline and a one-line reason: ws's own errors and a non-101 answer
// (whose body's first line is the server's reason) become StreamingErrors.
import WebSocket from 'ws';
import { firstBodyLine } from '../read-reason.js';
import { StreamingError } from '../errors.js';
import { ChannelSocket } from './channels.js';
const wsUrl = (url) => {
    const u = new URL(url);
    if (u.protocol === 'http:')
        u.protocol = 'ws:';
    else if (u.protocol === 'https:')
        u.protocol = 'wss:';
    return u;
};
/**
 * Resolves with the channel layer already listening: ws emits the frames that came with the 101 before
 * an awaiting caller resumes, and the port-forward prefixes and early errors travel exactly there.
 */
export function openChannelSocket(url, protocols, timeoutMs) {
    const u = wsUrl(url);
    const what = `WebSocket upgrade of ${u.host}${u.pathname}`;
    return new Promise((resolve, reject) => {
        let settled = false;
        // Self-signed when TLS streaming is on; see http-upgrade.ts.
        const ws = new WebSocket(u, [...protocols], { perMessageDeflate: false, rejectUnauthorized: false, handshakeTimeout: timeoutMs + 1000 });
        const settle = (e) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            if (e) {
                ws.terminate();
                reject(e);
            }
            else
                resolve(new ChannelSocket(ws, ws.protocol.includes('base64.')));
        };
        const timer = setTimeout(() => settle(new StreamingError('timeout', `${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
        ws.on('open', () => settle());
        ws.on('unexpected-response', (_req, res) => {
            void firstBodyLine(res).then((line) => settle(new StreamingError('refused', `${what}: HTTP ${res.statusCode}${line ? `: ${line}` : ''}`)));
        });
        // Stays attached: ws emits 'error' on terminate() and later failures; the channel layer reports those.
        ws.on('error', (e) => settle(new StreamingError('upgrade', `${what}: ${e.message}`)));
    });
}
//# sourceMappingURL=open.js.map