// The HTTP/1.1 upgrade to SPDY/3.1 that the Kubernetes streaming server expects: POST with
// Connection/Upgrade and one X-Stream-Protocol-Version per offered subprotocol; 101 names the chosen one.
import http from 'node:http';
import https from 'node:https';
import { firstBodyLine } from './read-reason.js';
import { StreamingError } from './errors.js';
const where = (u) => `${u.host}${u.pathname}`;
export function upgradeToSpdy(url, protocols, timeoutMs) {
    const u = new URL(url);
    const what = `SPDY upgrade of ${where(u)}`;
    return new Promise((resolve, reject) => {
        let settled = false;
        const settle = (e, v) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            if (e) {
                req.destroy();
                reject(e);
            }
            else
                resolve(v);
        };
        // The streaming server's certificate is self-signed when TLS streaming is on; the kubelet does not
        // verify it either, and the URL came from the runtime over the CRI socket.
        const req = (u.protocol === 'https:' ? https : http).request(u, {
            method: 'POST',
            agent: false,
            rejectUnauthorized: false,
            headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': [...protocols] },
        });
        const timer = setTimeout(() => settle(new StreamingError('timeout', `${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
        req.on('upgrade', (res, socket, head) => {
            const chosen = String(res.headers['x-stream-protocol-version'] ?? '');
            const upg = String(res.headers['upgrade'] ?? '').toLowerCase();
            if (settled)
                socket.destroy();
            else if (upg !== 'spdy/3.1') {
                socket.destroy();
                settle(new StreamingError('protocol', `${what}: server switched to "${upg}", not SPDY/3.1`));
            }
            else if (protocols.length > 0 && !protocols.includes(chosen)) {
                socket.destroy();
                settle(new StreamingError('protocol', `${what}: server chose subprotocol "${chosen}", offered ${protocols.join(', ')}`));
            }
            else
                settle(undefined, { socket, head, protocol: chosen });
        });
        req.on('response', (res) => {
            void firstBodyLine(res).then((line) => settle(new StreamingError('refused', `${what}: HTTP ${res.statusCode}${line ? `: ${line}` : ''}`)));
        });
        req.on('error', (e) => settle(new StreamingError('upgrade', `${what}: ${e.message}`)));
        req.end();
    });
}
//# sourceMappingURL=http-upgrade.js.map