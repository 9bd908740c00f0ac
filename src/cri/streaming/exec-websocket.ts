// Exec/Attach over WebSocket: fixed channels 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize on one
// socket. The error channel has no end of its own: it is complete when the server closes the socket.
import type { Deadline } from './deadline.js';
import { ChannelStream } from './websocket/channels.js';
import { openChannelSocket } from './websocket/open.js';
import { STEP_TIMEOUT_MS, textOf, type ExecParts } from './exec-parts.js';
import { DEFAULT_SUBPROTOCOLS, type ExecOptions } from './types.js';

const STDIN = 0, STDOUT = 1, STDERR = 2, ERROR = 3, RESIZE = 4;

export async function openWebSocketExec(url: string, o: ExecOptions, deadline: Deadline): Promise<ExecParts> {
  const offered = o.subprotocols ?? DEFAULT_SUBPROTOCOLS.exec.websocket;
  const sock = await openChannelSocket(url, offered, Math.min(deadline.remaining(), o.stepTimeoutMs ?? STEP_TIMEOUT_MS));
  const subprotocol = sock.ws.protocol;
  const v5 = subprotocol.startsWith('v5.');
  const stream = (ch: number) => new ChannelStream(sock, ch, { onEnd: ch === STDIN && v5 ? 'v5-close' : 'none' });
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
    ...(resize ? { sendResize: (json: Buffer) => sock.send(RESIZE, json) } : {}),
    close: () => sock.close(),
    destroy: (reason) => sock.destroy(reason),
  };
}
