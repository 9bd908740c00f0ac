// The public shapes of the streaming client: a transport, the options of a session and what it gives.
import type { Readable, Writable, Duplex } from 'node:stream';
import type { ExecStatus } from './status.js';

export type Transport = 'spdy' | 'websocket';

export const DEFAULT_SUBPROTOCOLS = {
  exec: {
    spdy: ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'],
    websocket: ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'],
  },
  portForward: {
    spdy: ['portforward.k8s.io'],
    websocket: ['v4.channel.k8s.io'],
  },
} as const;

/** Exec and Attach speak the same protocol; the streams must match the CRI request's stdin/stdout/stderr/tty. */
export interface ExecOptions {
  protocol: Transport;
  /** Offered in order of preference; the server picks the first it knows. Defaults above. */
  subprotocols?: readonly string[];
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  tty?: boolean;
  /** Bounds the whole session: upgrade, stream creation and the wait for the exit status. */
  deadlineMs: number;
  /** Bounds the upgrade and each stream creation (default 10 s), within deadlineMs. */
  stepTimeoutMs?: number;
}

export interface ExecSession {
  readonly transport: Transport;
  readonly subprotocol: string;
  readonly stdin?: Writable;
  readonly stdout?: Readable;
  readonly stderr?: Readable;
  /** Whether stdin.end() reaches the process as EOF: SPDY's FIN does; WebSocket needs v5's close signal. */
  readonly stdinEof: boolean;
  /** Settles when the server has reported how the command ended; rejects on deadline or lost connection. */
  readonly status: Promise<ExecStatus>;
  /** Errors the streams raised (kept here so an unobserved one cannot crash the process). */
  readonly streamErrors: string[];
  /** tty only (and SPDY v3+ / any WebSocket subprotocol): the terminal size the process sees. */
  resize(width: number, height: number): Promise<void>;
  close(): void;
}

export interface PortForwardOptions {
  protocol: Transport;
  subprotocols?: readonly string[];
  /** The ports of the CRI PortForwardRequest, in its order: WebSocket opens one channel pair per port. */
  ports: readonly number[];
  /** Bounds the whole session; everything is closed when it passes. */
  deadlineMs: number;
  stepTimeoutMs?: number;
}

export interface PortConnection {
  readonly port: number;
  /** The TCP byte stream to the port in the pod. end() half-closes when halfClose is true. */
  readonly data: Duplex;
  readonly halfClose: boolean;
  /** The error channel's text ('' when none), once the server closed it. */
  readonly error: Promise<string>;
}

export interface PortForwardSession {
  readonly transport: Transport;
  readonly subprotocol: string;
  /** SPDY: a new connection to the port per call. WebSocket: the one connection per port. */
  connect(port: number): Promise<PortConnection>;
  readonly streamErrors: string[];
  readonly closed: Promise<void>;
  close(): void;
}
