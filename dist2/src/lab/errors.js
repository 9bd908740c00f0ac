// LabError: every failure of the offline lab is one clear line naming the cause and the fix.
export class LabError extends Error {
    code;
    /** Multi-line diagnostic (e.g. the tail of a log) kept apart from the one-line message. */
    detail;
    constructor(code, message, detail) {
        super(message.replace(/\s*\n\s*/g, ' ').trim());
        this.name = 'LabError';
        this.code = code;
        if (detail !== undefined)
            this.detail = detail;
    }
}
//# sourceMappingURL=errors.js.map