// Port-forward over WebSocket: the server dials every port of the CRI request at once and gives port i
// channels 2i (data) and 2i+1 (error), each opened by the port number as two little-endian bytes.
// One connection per port for the socket's life, and no half-close before v5.
import type { Deadline } from './deadline.js';
import { StreamingError } from './errors.js';
import { STEP_TIMEOUT_MS, textOf } from './exec-parts.js';
import { ChannelStream } from './websocket/channels.js';
import { openChannelSocket } from './websocket/open.js';
import { DEFAULT_SUBPROTOCOLS, type PortConnection, type PortForwardOptions, type PortForwardSession } from './types.js';

/**
 * A channel has no end of its own before v5, so waiting for the error channel to end waits for the whole
 * socket, which other ports keep open. The server writes a port's error in one message and is then done
 * with that port: its first message is the error, and it ends the port's data stream.
 */
function firstMessage(error: ChannelStream, data: ChannelStream, atClose: Promise<string>): Promise<string> {
  return new Promise((resolve) => {
    error.once('data', (b: Buffer) => {
      resolve(b.toString('utf8'));
      data.push(null);
    });
    void atClose.then(resolve);
  });
}

export async function openWebSocketPortForward(url: string, o: PortForwardOptions, deadline: Deadline): Promise<PortForwardSession> {
  const offered = o.subprotocols ?? DEFAULT_SUBPROTOCOLS.portForward.websocket;
  const sock = await openChannelSocket(url, offered, Math.min(deadline.remaining(), o.stepTimeoutMs ?? STEP_TIMEOUT_MS));
  const streamErrors: string[] = [];
  const checkPrefix = (port: number, what: string) => (prefix: Buffer) => {
    const got = prefix.length === 2 ? prefix.readUInt16LE(0) : -1;
    if (got !== port) streamErrors.push(`port ${port} ${what}: server opened the channel with port ${got}`);
  };
  // Built at once, so nothing the server sends is read before its consumer exists.
  const conns = o.ports.map((port, i): PortConnection => {
    const data = new ChannelStream(sock, 2 * i, { prefixBytes: 2, onPrefix: checkPrefix(port, 'data') });
    const error = new ChannelStream(sock, 2 * i + 1, { prefixBytes: 2, onPrefix: checkPrefix(port, 'error') });
    data.on('error', (e: Error) => streamErrors.push(`port ${port} data: ${e.message}`));
    return { port, data, halfClose: false, error: firstMessage(error, data, textOf(error)) };
  });
  const taken = new Set<number>();
  return {
    transport: 'websocket',
    subprotocol: sock.ws.protocol,
    streamErrors,
    closed: sock.closed.then(() => undefined),
    close: () => sock.close(),
    async connect(port: number): Promise<PortConnection> {
      const i = o.ports.indexOf(port);
      if (i < 0) throw new StreamingError('refused', `WebSocket port-forward: port ${port} was not in the request (${o.ports.join(', ')})`);
      if (taken.has(i)) throw new StreamingError('refused', `WebSocket port-forward: port ${port} carries one connection per session, already taken`);
      taken.add(i);
      return conns[i]!;
    },
  };
}
