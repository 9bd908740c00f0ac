// Exec/Attach over SPDY: one stream per role, created in kubectl's order (error, stdin, stdout, stderr,
// resize) and each confirmed by SYN_REPLY before the next, because the server counts the streams it
// expects from the CRI request and only starts the command once all of them are there.
import type { Deadline } from './deadline.js';
import { upgradeToSpdy } from './http-upgrade.js';
import { SpdyConnection, type SpdyStream } from './spdy/connection.js';
import { STEP_TIMEOUT_MS, textOf, type ExecParts } from './exec-parts.js';
import { DEFAULT_SUBPROTOCOLS, type ExecOptions } from './types.js';

/** Resize came with v3; v2 and v1 servers would not count the stream. */
const hasResize = (p: string) => p === 'v3.channel.k8s.io' || /^v[4-9]\./.test(p);

export async function openSpdyExec(url: string, o: ExecOptions, deadline: Deadline): Promise<ExecParts> {
  const step = o.stepTimeoutMs ?? STEP_TIMEOUT_MS;
  const offered = o.subprotocols ?? DEFAULT_SUBPROTOCOLS.exec.spdy;
  const up = await upgradeToSpdy(url, offered, Math.min(deadline.remaining(), step));
  const conn = new SpdyConnection(up.socket, up.head, up.protocol);
  const v1 = up.protocol === 'channel.k8s.io' || up.protocol === '';
  const open = (type: string) => conn.openStream({ streamtype: type }, Math.min(deadline.remaining(), step));
  let error: SpdyStream, stdin: SpdyStream | undefined, stdout: SpdyStream | undefined, stderr: SpdyStream | undefined;
  let resize: SpdyStream | undefined;
  try {
    error = await open('error');
    if (o.stdin) stdin = await open('stdin');
    if (o.stdout) stdout = await open('stdout');
    if (o.stderr && !o.tty) stderr = await open('stderr');
    if (o.tty && hasResize(up.protocol)) resize = await open('resize');
  } catch (e) {
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
    ...(resize ? { sendResize: (json: Buffer) => new Promise<void>((res, rej) => resize.write(json, (e) => (e ? rej(e) : res()))) } : {}),
    close: () => conn.close(),
    destroy: (reason) => conn.destroy(reason),
  };
}
