import { Deadline, withTimeout } from './deadline.js';
import { StreamingError } from './errors.js';
import { openSpdyExec } from './exec-spdy.js';
import { openWebSocketExec } from './exec-websocket.js';
import { parseStatus } from './status.js';
const shortUrl = (url) => {
    const u = new URL(url);
    return `${u.host}${u.pathname.replace(/[^/]+$/, '…')}`;
};
export async function openExec(url, o) {
    const what = `${o.protocol} session on ${shortUrl(url)}`;
    const deadline = new Deadline(o.deadlineMs, what);
    const parts = await (o.protocol === 'spdy' ? openSpdyExec : openWebSocketExec)(url, o, deadline);
    const streamErrors = [];
    for (const [name, s] of [['stdin', parts.stdin], ['stdout', parts.stdout], ['stderr', parts.stderr]]) {
        s?.on('error', (e) => streamErrors.push(`${name}: ${e.message}`));
    }
    let closedByClient = false;
    const status = deadline
        .race(parts.errorText, `waiting for the exit status (deadline ${o.deadlineMs} ms)`, Infinity, () => parts.destroy(`${what}: deadline passed`))
        .then((raw) => {
        if (closedByClient)
            throw new StreamingError('closed', `${what}: closed by the client before the exit status`);
        const st = parseStatus(raw, parts.subprotocol);
        return parts.statusReported || !st.success ? st : { success: true, unreported: true, raw };
    });
    status.catch(() => undefined); // the caller may never ask; an unobserved rejection must not end the process
    void status.finally(() => parts.close()).catch(() => undefined);
    return {
        transport: o.protocol,
        subprotocol: parts.subprotocol,
        ...(parts.stdin ? { stdin: parts.stdin } : {}),
        ...(parts.stdout ? { stdout: parts.stdout } : {}),
        ...(parts.stderr ? { stderr: parts.stderr } : {}),
        stdinEof: parts.stdinEof,
        status,
        streamErrors,
        resize: async (width, height) => {
            if (!parts.sendResize)
                throw new StreamingError('refused', `${what}: no resize channel (tty off, or subprotocol ${parts.subprotocol || '(none)'} has none)`);
            await withTimeout(parts.sendResize(Buffer.from(JSON.stringify({ Width: width, Height: height }))), deadline.remaining(), `${what}: sending a resize`);
        },
        close: () => {
            closedByClient = true;
            parts.destroy(`${what}: closed by the client`);
        },
    };
}
/** Attach uses the same streams and status as Exec. */
export const openAttach = openExec;
function collect(r, what) {
    return new Promise((resolve, reject) => {
        const parts = [];
        r.on('data', (b) => parts.push(b));
        r.on('end', () => resolve(Buffer.concat(parts)));
        r.on('error', (e) => reject(new StreamingError('closed', `${what}: ${e.message}`)));
    });
}
/** Reads a stream to its end within ms, or fails naming it. */
export const readAll = (r, ms, what) => withTimeout(collect(r, what), ms, `${what}: waiting for its end`);
/** Feeds stdin (then ends it), collects stdout and stderr, and waits for the status. */
export async function runToCompletion(s, input, graceMs = 10_000) {
    const out = s.stdout ? collect(s.stdout, 'stdout') : Promise.resolve(Buffer.alloc(0));
    const err = s.stderr ? collect(s.stderr, 'stderr') : Promise.resolve(Buffer.alloc(0));
    if (s.stdin && input !== undefined)
        s.stdin.end(input);
    const status = await s.status;
    // Output is on the wire before the status; once the status is in, the streams end at once.
    const [stdout, stderr] = await withTimeout(Promise.all([out, err]), graceMs, 'stdout/stderr after the status');
    return { stdout, stderr, status };
}
//# sourceMappingURL=exec.js.map