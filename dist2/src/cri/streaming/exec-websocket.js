import { ChannelStream } from './websocket/channels.js';
import { openChannelSocket } from './websocket/open.js';
import { STEP_TIMEOUT_MS, textOf } from './exec-parts.js';
import { DEFAULT_SUBPROTOCOLS } from './types.js';
const STDIN = 0, STDOUT = 1, STDERR = 2, ERROR = 3, RESIZE = 4;
export async function openWebSocketExec(url, o, deadline) {
    const offered = o.subprotocols ?? DEFAULT_SUBPROTOCOLS.exec.websocket;
    const sock = await openChannelSocket(url, offered, Math.min(deadline.remaining(), o.stepTimeoutMs ?? STEP_TIMEOUT_MS));
    const subprotocol = sock.ws.protocol;
    const v5 = subprotocol.startsWith('v5.');
    const stream = (ch) => new ChannelStream(sock, ch, { onEnd: ch === STDIN && v5 ? 'v5-close' : 'none' });
    const error = stream(ERROR);
    const resize = o.tty ? stream(RESIZE) : undefined;
    return {
        subprotocol,
        ...(o.stdin ? { stdin: stream(STDIN) } : {}),
        ...(o.stdout ? { stdout: stream(STDOUT) } : {}),
        ...(o.stderr && !o.tty ? { stderr: stream(STDERR) } : {}),
        stdinEof: v5,
        errorText: textOf(error),
        statusReported: true,
        ...(resize ? { sendResize: (json) => sock.send(RESIZE, json) } : {}),
        close: () => sock.close(),
        destroy: (reason) => sock.destroy(reason),
    };
}
//# sourceMappingURL=exec-websocket.js.map