// Every streaming failure is one line that says what was being waited for and on what, so a test report
// shows the cause without a stack.

export type StreamingErrorKind = 'upgrade' | 'timeout' | 'protocol' | 'closed' | 'refused';

export class StreamingError extends Error {
  constructor(
    readonly kind: StreamingErrorKind,
    message: string,
  ) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'StreamingError';
  }
}

export const isStreamingError = (e: unknown, kind?: StreamingErrorKind): e is StreamingError =>
  e instanceof StreamingError && (kind === undefined || e.kind === kind);
