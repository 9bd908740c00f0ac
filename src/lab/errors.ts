// LabError: every failure of the offline lab is one clear line naming the cause and the fix.

export type LabErrorCode =
  | 'NOT_ROOT'
  | 'NOT_LINUX'
  | 'NOT_DEBIAN'
  | 'APT_FAILED'
  | 'TOOLS_MISSING'
  | 'PORT_IN_USE'
  | 'SOCKET_IN_USE'
  | 'START_FAILED'
  | 'IMAGE_BUILD_FAILED'
  | 'IMAGE_PUSH_FAILED'
  | 'NOT_RUNNING'
  | 'STOP_FAILED'
  | 'BUSY'
  | 'BAD_RUNTIME'
  | 'RUNTIME_MISMATCH';

export class LabError extends Error {
  readonly code: LabErrorCode;
  /** Multi-line diagnostic (e.g. the tail of a log) kept apart from the one-line message. */
  readonly detail?: string;

  constructor(code: LabErrorCode, message: string, detail?: string) {
    super(message.replace(/\s*\n\s*/g, ' ').trim());
    this.name = 'LabError';
    this.code = code;
    if (detail !== undefined) this.detail = detail;
  }
}
