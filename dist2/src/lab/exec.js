// Small process helpers: run a command to completion, capture its output, fail with the tail of it.
import { spawn } from 'node:child_process';
export class CommandError extends Error {
    cmd;
    result;
    constructor(cmd, result) {
        const tail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
        super(`${cmd} exited ${result.code}${tail ? `: ${tail}` : ''}`);
        this.cmd = cmd;
        this.result = result;
        this.name = 'CommandError';
    }
}
export function run(file, args, opts = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(file, args, {
            cwd: opts.cwd,
            env: opts.env ?? process.env,
            stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
        let timer;
        if (opts.timeoutMs) {
            timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
        }
        child.on('error', (err) => {
            if (timer)
                clearTimeout(timer);
            reject(err);
        });
        child.on('close', (code, signal) => {
            if (timer)
                clearTimeout(timer);
            const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
            if (result.code !== 0 && !opts.allowFail) {
                reject(new CommandError([file, ...args].join(' '), result));
            }
            else {
                resolve(result);
            }
        });
        if (opts.input !== undefined)
            child.stdin.end(opts.input);
    });
}
//# sourceMappingURL=exec.js.map