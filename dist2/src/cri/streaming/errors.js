// Every streaming failure is one line that says what was being waited for and on what, so a test report
// shows the cause without a stack.
export class StreamingError extends Error {
    kind;
    constructor(kind, message) {
        super(message.replace(/\s*\n\s*/g, ' '));
        this.kind = kind;
        this.name = 'StreamingError';
    }
}
export const isStreamingError = (e, kind) => e instanceof StreamingError && (kind === undefined || e.kind === kind);
//# sourceMappingURL=errors.js.map