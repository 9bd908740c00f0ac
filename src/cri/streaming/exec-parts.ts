// What a transport hands to openExec: the negotiated streams, the error channel's text once it ended,
// and how to resize and tear down. openExec adds the deadline and the Status on top.
import type { Readable, Writable } from 'node:stream';

export interface ExecParts {
  subprotocol: string;
  stdin?: Writable;
  stdout?: Readable;
  stderr?: Readable;
  stdinEof: boolean;
  /** All the error channel said, once the server ended it (or the connection went). */
  errorText: Promise<string>;
  /** False where the server never writes the outcome (SPDY channel.k8s.io). */
  statusReported: boolean;
  /** Undefined when the negotiated subprotocol has no resize channel. */
  sendResize?: (json: Buffer) => Promise<void>;
  close(): void;
  destroy(reason: string): void;
}

export const STEP_TIMEOUT_MS = 10_000;

/** Collects a readable's bytes as text until it ends. */
export function textOf(r: Readable): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    r.on('data', (b: Buffer) => parts.push(b));
    r.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    r.on('close', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}
