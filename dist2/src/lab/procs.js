// Detached daemons with pidfiles, and /proc helpers to find exactly the processes the lab started.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
export function readCmdline(pid) {
    try {
        const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (!raw)
            return [];
        return raw.replace(/\0$/, '').split('\0');
    }
    catch {
        return undefined;
    }
}
function readPpid(pid) {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // pid (comm) state ppid ...: comm may contain spaces/parens, so split after the last ')'.
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(rest[1]);
    }
    catch {
        return undefined;
    }
}
function isZombie(pid) {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
    }
    catch {
        return true;
    }
}
export function listProcs() {
    const out = [];
    for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name))
            continue;
        const pid = Number(name);
        const argv = readCmdline(pid);
        const ppid = readPpid(pid);
        if (argv === undefined || ppid === undefined)
            continue;
        out.push({ pid, ppid, argv });
    }
    return out;
}
export function isAlive(pid) {
    if (!Number.isInteger(pid) || pid <= 0)
        return false;
    try {
        process.kill(pid, 0);
    }
    catch {
        return false;
    }
    return !isZombie(pid);
}
/** All descendants of pid (children first-level order does not matter: they are all killed). */
export function descendants(pid, procs = listProcs()) {
    const out = [];
    const queue = [pid];
    while (queue.length) {
        const p = queue.shift();
        for (const c of procs) {
            if (c.ppid === p && !out.includes(c.pid)) {
                out.push(c.pid);
                queue.push(c.pid);
            }
        }
    }
    return out;
}
export function readPidfile(file) {
    try {
        const n = Number(readFileSync(file, 'utf8').trim());
        return Number.isInteger(n) && n > 0 ? n : undefined;
    }
    catch {
        return undefined;
    }
}
/** Pid from the pidfile if that process is alive and its command line still contains `marker`. */
export function ourPid(pidfile, marker) {
    const pid = readPidfile(pidfile);
    if (pid === undefined || !isAlive(pid))
        return undefined;
    const argv = readCmdline(pid);
    if (!argv || !argv.some((a) => a.includes(marker)))
        return undefined;
    return pid;
}
/** Start a daemon in its own session, stdout/stderr appended to logFile; returns its pid. */
export function spawnDetached(spec) {
    const fd = openSync(spec.logFile, 'a');
    try {
        const child = spawn(spec.file, spec.args, {
            detached: true,
            stdio: ['ignore', fd, fd],
            env: spec.env ?? process.env,
            cwd: spec.cwd ?? '/',
        });
        if (child.pid === undefined)
            throw new Error(`cannot start ${spec.file}`);
        child.on('error', () => { });
        child.unref();
        writeFileSync(spec.pidFile, `${child.pid}\n`);
        return child.pid;
    }
    finally {
        closeSync(fd);
    }
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** SIGTERM, wait up to graceMs, then SIGKILL and wait for the process to be gone. */
export async function stopPid(pid, graceMs = 10_000) {
    if (!isAlive(pid))
        return;
    try {
        process.kill(pid, 'SIGTERM');
    }
    catch {
        return;
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
        if (!isAlive(pid))
            return;
        await sleep(50);
    }
    try {
        process.kill(pid, 'SIGKILL');
    }
    catch {
        return;
    }
    const hard = Date.now() + 5000;
    while (Date.now() < hard && isAlive(pid))
        await sleep(50);
}
export function killNow(pid) {
    try {
        process.kill(pid, 'SIGKILL');
    }
    catch {
        /* gone */
    }
}
export function removeFile(file) {
    if (existsSync(file))
        rmSync(file, { force: true });
}
/**
 * Cross-process lock (O_EXCL lockfile holding the owner's pid; a dead owner's lock is taken over).
 * Serializes labUp/labDown of one lab dir between processes and concurrent calls.
 */
export async function withLockFile(file, timeoutMs, onWait, fn) {
    const deadline = Date.now() + timeoutMs;
    let told = false;
    for (;;) {
        try {
            const fd = openSync(file, 'wx', 0o644);
            writeFileSync(fd, `${process.pid}\n`);
            closeSync(fd);
            break;
        }
        catch (err) {
            if (err.code !== 'EEXIST')
                throw err;
            const owner = readPidfile(file);
            if (owner === undefined || !isAlive(owner)) {
                // Stale (owner died) or half-written: take it over.
                if (owner === undefined)
                    await sleep(50);
                if (owner !== undefined || readPidfile(file) === undefined)
                    rmSync(file, { force: true });
                continue;
            }
            if (Date.now() > deadline)
                throw new Error(`lock ${file} is held by pid ${owner}`);
            if (!told) {
                onWait(owner);
                told = true;
            }
            await sleep(200);
        }
    }
    try {
        return await fn();
    }
    finally {
        if (readPidfile(file) === process.pid)
            rmSync(file, { force: true });
    }
}
//# sourceMappingURL=procs.js.map