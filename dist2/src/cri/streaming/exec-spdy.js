import { upgradeToSpdy } from './http-upgrade.js';
import { SpdyConnection } from './spdy/connection.js';
import { STEP_TIMEOUT_MS, textOf } from './exec-parts.js';
import { DEFAULT_SUBPROTOCOLS } from './types.js';
/** Resize came with v3; v2 and v1 servers would not count the stream. */
const hasResize = (p) => p === 'v3.channel.k8s.io' || /^v[4-9]\./.test(p);
export async function openSpdyExec(url, o, deadline) {
    const step = o.stepTimeoutMs ?? STEP_TIMEOUT_MS;
    const offered = o.subprotocols ?? DEFAULT_SUBPROTOCOLS.exec.spdy;
    const up = await upgradeToSpdy(url, offered, Math.min(deadline.remaining(), step));
    const conn = new SpdyConnection(up.socket, up.head, up.protocol);
    const v1 = up.protocol === 'channel.k8s.io' || up.protocol === '';
    const open = (type) => conn.openStream({ streamtype: type }, Math.min(deadline.remaining(), step));
    let error, stdin, stdout, stderr;
    let resize;
    try {
        error = await open('error');
        if (o.stdin)
            stdin = await open('stdin');
        if (o.stdout)
            stdout = await open('stdout');
        if (o.stderr && !o.tty)
            stderr = await open('stderr');
        if (o.tty && hasResize(up.protocol))
            resize = await open('resize');
    }
    catch (e) {
        conn.destroy('stream setup failed');
        throw e;
    }
    return {
        subprotocol: up.protocol,
        ...(stdin ? { stdin } : {}),
        ...(stdout ? { stdout } : {}),
        ...(stderr ? { stderr } : {}),
        stdinEof: true,
        // v1 servers reset the error stream as soon as all streams are in (kubelet 1.0 behaviour kept),
        // so there the end is the connection closing, and the exit status is never reported.
        errorText: v1 ? Promise.all([textOf(error), conn.closed]).then(([t]) => t) : textOf(error),
        statusReported: !v1,
        ...(resize ? { sendResize: (json) => new Promise((res, rej) => resize.write(json, (e) => (e ? rej(e) : res()))) } : {}),
        close: () => conn.close(),
        destroy: (reason) => conn.destroy(reason),
    };
}
//# sourceMappingURL=exec-spdy.js.map