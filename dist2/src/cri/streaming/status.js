// What the error channel says about how the command ended. v4 and later write a metav1.Status as JSON
// (always, Success included); older subprotocols write only the failure's message, as text.
import { StreamingError } from './errors.js';
/** True for the subprotocols whose error channel carries a JSON Status. */
export const hasJsonStatus = (subprotocol) => /^v[4-9]\./.test(subprotocol);
export function parseStatus(raw, subprotocol) {
    return hasJsonStatus(subprotocol) ? parseJsonStatus(raw) : parseLegacyStatus(raw);
}
export function parseJsonStatus(raw) {
    if (raw.trim() === '')
        throw new StreamingError('protocol', 'error channel ended without a Status (v4 always sends one)');
    let s;
    try {
        s = JSON.parse(raw);
    }
    catch {
        throw new StreamingError('protocol', `error channel is not a JSON Status: ${raw.slice(0, 200)}`);
    }
    if (s.status === 'Success')
        return { success: true, exitCode: 0, raw };
    if (s.status !== 'Failure')
        throw new StreamingError('protocol', `Status.status is "${s.status}", expected Success or Failure`);
    const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = cause && /^\d+$/.test(cause.message ?? '') ? Number(cause.message) : undefined;
    return {
        success: false,
        ...(s.reason === 'NonZeroExitCode' && code !== undefined ? { exitCode: code } : {}),
        ...(s.reason ? { reason: s.reason } : {}),
        ...(s.message ? { message: s.message } : {}),
        raw,
    };
}
/** v1-v3: nothing means success; a failure is text ending "..., exit code N" when the command failed. */
export function parseLegacyStatus(raw) {
    if (raw.trim() === '')
        return { success: true, exitCode: 0, raw };
    const m = /exit code (\d+)\s*$/.exec(raw.trim());
    return { success: false, ...(m ? { exitCode: Number(m[1]), reason: 'NonZeroExitCode' } : {}), message: raw.trim(), raw };
}
//# sourceMappingURL=status.js.map