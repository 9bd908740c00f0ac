// Port-forward over SPDY: each connection to a port is a pair of streams (error, then data) sharing a
// requestID, as kubectl makes them; the server dials the port when both are there. We never write to
// the error stream, so its write side is closed at once.
import type { Deadline } from './deadline.js';
import { upgradeToSpdy } from './http-upgrade.js';
import { SpdyConnection } from './spdy/connection.js';
import { STEP_TIMEOUT_MS, textOf } from './exec-parts.js';
import { DEFAULT_SUBPROTOCOLS, type PortConnection, type PortForwardOptions, type PortForwardSession } from './types.js';

export async function openSpdyPortForward(url: string, o: PortForwardOptions, deadline: Deadline): Promise<PortForwardSession> {
  const step = o.stepTimeoutMs ?? STEP_TIMEOUT_MS;
  const up = await upgradeToSpdy(url, o.subprotocols ?? DEFAULT_SUBPROTOCOLS.portForward.spdy, Math.min(deadline.remaining(), step));
  const conn = new SpdyConnection(up.socket, up.head, up.protocol);
  const streamErrors: string[] = [];
  let nextRequest = 0;
  return {
    transport: 'spdy',
    subprotocol: up.protocol,
    streamErrors,
    closed: conn.closed,
    close: () => conn.close(),
    async connect(port: number): Promise<PortConnection> {
      const headers = { port: String(port), requestid: String(nextRequest++) };
      const t = Math.min(deadline.remaining(), step);
      const error = await conn.openStream({ streamtype: 'error', ...headers }, t);
      error.on('error', (e: Error) => streamErrors.push(`port ${port} error stream: ${e.message}`));
      error.end();
      const data = await conn.openStream({ streamtype: 'data', ...headers }, Math.min(deadline.remaining(), step));
      data.on('error', (e: Error) => streamErrors.push(`port ${port} data: ${e.message}`));
      return { port, data, halfClose: true, error: textOf(error) };
    },
  };
}
