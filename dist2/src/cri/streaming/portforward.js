// openPortForward: a session on the URL a CRI PortForward answered. Its deadline bounds the whole
// session: when it passes, every connection is closed.
import { Deadline } from './deadline.js';
import { openSpdyPortForward } from './portforward-spdy.js';
import { openWebSocketPortForward } from './portforward-websocket.js';
export async function openPortForward(url, o) {
    const deadline = new Deadline(o.deadlineMs, `${o.protocol} port-forward on ${new URL(url).host}`);
    const s = await (o.protocol === 'spdy' ? openSpdyPortForward : openWebSocketPortForward)(url, o, deadline);
    const timer = setTimeout(() => s.close(), deadline.remaining());
    void s.closed.finally(() => clearTimeout(timer));
    return s;
}
//# sourceMappingURL=portforward.js.map