import { StreamingError } from './errors.js';
import { STEP_TIMEOUT_MS, textOf } from './exec-parts.js';
import { ChannelStream } from './websocket/channels.js';
import { openChannelSocket } from './websocket/open.js';
import { DEFAULT_SUBPROTOCOLS } from './types.js';
export async function openWebSocketPortForward(url, o, deadline) {
    const offered = o.subprotocols ?? DEFAULT_SUBPROTOCOLS.portForward.websocket;
    const sock = await openChannelSocket(url, offered, Math.min(deadline.remaining(), o.stepTimeoutMs ?? STEP_TIMEOUT_MS));
    const streamErrors = [];
    const checkPrefix = (port, what) => (prefix) => {
        const got = prefix.length === 2 ? prefix.readUInt16LE(0) : -1;
        if (got !== port)
            streamErrors.push(`port ${port} ${what}: server opened the channel with port ${got}`);
    };
    // Built at once, so nothing the server sends is read before its consumer exists.
    const conns = o.ports.map((port, i) => {
        const data = new ChannelStream(sock, 2 * i, { prefixBytes: 2, onPrefix: checkPrefix(port, 'data') });
        const error = new ChannelStream(sock, 2 * i + 1, { prefixBytes: 2, onPrefix: checkPrefix(port, 'error') });
        data.on('error', (e) => streamErrors.push(`port ${port} data: ${e.message}`));
        return { port, data, halfClose: false, error: textOf(error) };
    });
    const taken = new Set();
    return {
        transport: 'websocket',
        subprotocol: sock.ws.protocol,
        streamErrors,
        closed: sock.closed.then(() => undefined),
        close: () => sock.close(),
        async connect(port) {
            const i = o.ports.indexOf(port);
            if (i < 0)
                throw new StreamingError('refused', `WebSocket port-forward: port ${port} was not in the request (${o.ports.join(', ')})`);
            if (taken.has(i))
                throw new StreamingError('refused', `WebSocket port-forward: port ${port} carries one connection per session, already taken`);
            taken.add(i);
            return conns[i];
        },
    };
}
//# sourceMappingURL=portforward-websocket.js.map