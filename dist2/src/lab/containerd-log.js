// Reading containerd's log: the line that explains a failed start.
import { readFileSync } from 'node:fs';
export function lastError(logText) {
    const lines = logText.split('\n').filter(Boolean);
    const rev = [...lines].reverse();
    const err = rev.find((x) => /level=(error|fatal)/.test(x)) ?? rev.find((x) => /level=warning.*failed/.test(x)) ?? lines[lines.length - 1] ?? '';
    const m = /msg="((?:[^"\\]|\\.)*)"(?:.*error="((?:[^"\\]|\\.)*)")?/.exec(err);
    return m ? [m[1], m[2]].filter(Boolean).join(': ') : err.slice(0, 300);
}
/** The CRI plugin failing to load leaves containerd running without CRI: fail fast on it. */
export function criPluginFailure(logText) {
    const m = /failed to load plugin io\.containerd\.grpc\.v1\.cri" error="((?:[^"\\]|\\.)*)"/.exec(logText);
    return m ? m[1] : undefined;
}
export function logSince(file, offset) {
    try {
        return readFileSync(file).subarray(offset).toString('utf8');
    }
    catch {
        return '';
    }
}
//# sourceMappingURL=containerd-log.js.map