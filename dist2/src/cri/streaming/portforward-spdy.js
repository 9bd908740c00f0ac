import { upgradeToSpdy } from './http-upgrade.js';
import { SpdyConnection } from './spdy/connection.js';
import { STEP_TIMEOUT_MS, textOf } from './exec-parts.js';
import { DEFAULT_SUBPROTOCOLS } from './types.js';
export async function openSpdyPortForward(url, o, deadline) {
    const step = o.stepTimeoutMs ?? STEP_TIMEOUT_MS;
    const up = await upgradeToSpdy(url, o.subprotocols ?? DEFAULT_SUBPROTOCOLS.portForward.spdy, Math.min(deadline.remaining(), step));
    const conn = new SpdyConnection(up.socket, up.head, up.protocol);
    const streamErrors = [];
    let nextRequest = 0;
    return {
        transport: 'spdy',
        subprotocol: up.protocol,
        streamErrors,
        closed: conn.closed,
        close: () => conn.close(),
        async connect(port) {
            const headers = { port: String(port), requestid: String(nextRequest++) };
            const t = Math.min(deadline.remaining(), step);
            const error = await conn.openStream({ streamtype: 'error', ...headers }, t);
            error.on('error', (e) => streamErrors.push(`port ${port} error stream: ${e.message}`));
            error.end();
            const data = await conn.openStream({ streamtype: 'data', ...headers }, Math.min(deadline.remaining(), step));
            data.on('error', (e) => streamErrors.push(`port ${port} data: ${e.message}`));
            return { port, data, halfClose: true, error: textOf(error) };
        },
    };
}
//# sourceMappingURL=portforward-spdy.js.map