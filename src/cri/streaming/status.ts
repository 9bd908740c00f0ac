// What the error channel says about how the command ended. v4 and later write a metav1.Status as JSON
// (always, Success included); older subprotocols write only the failure's message, as text.
import { StreamingError } from './errors.js';

export interface ExecStatus {
  /** No failure reported. Where unreported is set, the server could not have reported one. */
  success: boolean;
  /** The subprotocol has no way to report the outcome (SPDY channel.k8s.io): success means nothing. */
  unreported?: true;
  /** 0 on success; N when the server reported NonZeroExitCode with an ExitCode cause; else undefined. */
  exitCode?: number;
  /** metav1.Status reason (NonZeroExitCode, InternalError, ...), when there is one. */
  reason?: string;
  message?: string;
  /** The error channel's bytes as text, for reports. */
  raw: string;
}

interface MetaStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

/** True for the subprotocols whose error channel carries a JSON Status. */
export const hasJsonStatus = (subprotocol: string): boolean => /^v[4-9]\./.test(subprotocol);

export function parseStatus(raw: string, subprotocol: string): ExecStatus {
  return hasJsonStatus(subprotocol) ? parseJsonStatus(raw) : parseLegacyStatus(raw);
}

export function parseJsonStatus(raw: string): ExecStatus {
  if (raw.trim() === '') throw new StreamingError('protocol', 'error channel ended without a Status (v4 always sends one)');
  let s: MetaStatus;
  try {
    s = JSON.parse(raw) as MetaStatus;
  } catch {
    throw new StreamingError('protocol', `error channel is not a JSON Status: ${raw.slice(0, 200)}`);
  }
  if (s.status === 'Success') return { success: true, exitCode: 0, raw };
  if (s.status !== 'Failure') throw new StreamingError('protocol', `Status.status is "${s.status}", expected Success or Failure`);
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
export function parseLegacyStatus(raw: string): ExecStatus {
  if (raw.trim() === '') return { success: true, exitCode: 0, raw };
  const m = /exit code (\d+)\s*$/.exec(raw.trim());
  return { success: false, ...(m ? { exitCode: Number(m[1]), reason: 'NonZeroExitCode' } : {}), message: raw.trim(), raw };
}
