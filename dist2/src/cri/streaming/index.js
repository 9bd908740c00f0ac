// The streaming client: Exec, Attach and PortForward sessions on a CRI streaming server, over SPDY/3.1
// or WebSocket. It knows nothing of tests; see README.md for what works against which server.
export { openExec, openAttach, readAll, runToCompletion } from './exec.js';
export { openPortForward } from './portforward.js';
export { parseStatus, parseJsonStatus, parseLegacyStatus, hasJsonStatus } from './status.js';
export { StreamingError, isStreamingError } from './errors.js';
export { DEFAULT_SUBPROTOCOLS } from './types.js';
//# sourceMappingURL=index.js.map