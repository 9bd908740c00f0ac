// The two loopback docker-registry (CNCF Distribution) instances: "public" (anonymous) and "auth"
// (htpasswd basic auth, bcrypt), each with its own config, storage, log and pidfile under the lab.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { registryConfig } from './config.js';
import { LabError } from './errors.js';
import { run } from './exec.js';
import type { LabLayout } from './layout.js';
import { isAlive, ourPid, sleep, spawnDetached, stopPid, removeFile } from './procs.js';
import { freePort, portOpen } from './system.js';
import { httpRequest } from '../http.js';

export type RegistryKind = 'public' | 'auth';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface Credentials {
  username: string;
  password: string;
}

export function registryFiles(l: LabLayout, kind: RegistryKind) {
  return {
    config: path.join(l.configDir, `registry-${kind}.yml`),
    storage: kind === 'public' ? l.registryPublicStorage : l.registryAuthStorage,
    log: path.join(l.logDir, `registry-${kind}.log`),
    pid: path.join(l.pidDir, `registry-${kind}.pid`),
  };
}

/** The auth registry's credentials: generated once, kept in <lab>/auth.json (0600). */
export async function ensureCredentials(l: LabLayout): Promise<Credentials> {
  let creds: Credentials | undefined;
  if (existsSync(l.authFile)) {
    try {
      const c = JSON.parse(readFileSync(l.authFile, 'utf8')) as Credentials;
      if (c.username && c.password) creds = c;
    } catch {
      creds = undefined;
    }
  }
  if (!creds) {
    creds = { username: 'crilab', password: randomBytes(12).toString('hex') };
    writeFileSync(l.authFile, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
  }
  // htpasswd -B: bcrypt, the only hash Distribution accepts.
  const want = `${creds.username}:`;
  const have = existsSync(l.htpasswd) ? readFileSync(l.htpasswd, 'utf8') : '';
  let valid = false;
  if (have.startsWith(want)) {
    const r = await run('htpasswd', ['-vb', l.htpasswd, creds.username, creds.password], { allowFail: true });
    valid = r.code === 0;
  }
  if (!valid) {
    const r = await run('htpasswd', ['-nbB', creds.username, creds.password]);
    writeFileSync(l.htpasswd, r.stdout.trim() + '\n', { mode: 0o600 });
  }
  return creds;
}

/** 200 (public) or 401 (auth) on /v2/ means the registry is serving. */
export async function registryAnswers(port: number, kind: RegistryKind): Promise<boolean> {
  try {
    const res = await httpRequest(`http://127.0.0.1:${port}/v2/`, { timeoutMs: 2000 });
    return kind === 'public' ? res.status === 200 : res.status === 401;
  } catch {
    return false;
  }
}

export function runningRegistryPid(l: LabLayout, kind: RegistryKind): number | undefined {
  const f = registryFiles(l, kind);
  return ourPid(f.pid, f.config);
}

function logTail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Reuse our running registry of this kind if it answers on `preferredPort`; otherwise start one on
 * preferredPort (if free) or a fresh free port. Returns the port.
 */
export async function ensureRegistry(
  l: LabLayout,
  kind: RegistryKind,
  preferredPort: number | undefined,
  avoid: number[],
  log: (s: string) => void,
): Promise<number> {
  const f = registryFiles(l, kind);
  const pid = runningRegistryPid(l, kind);
  if (pid && preferredPort && (await registryAnswers(preferredPort, kind))) {
    log(`registry (${kind}) already running on 127.0.0.1:${preferredPort} (pid ${pid})`);
    return preferredPort;
  }
  if (pid) await stopPid(pid, 5000);
  mkdirSync(f.storage, { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    let port: number;
    if (attempt === 0 && preferredPort && !avoid.includes(preferredPort) && !(await portOpen(preferredPort))) port = preferredPort;
    else port = await freePort(avoid);
    writeFileSync(
      f.config,
      registryConfig({ storage: f.storage, port, htpasswd: kind === 'auth' ? l.htpasswd : undefined }),
    );
    const started = spawnDetached({ file: REGISTRY_BIN, args: ['serve', f.config], logFile: f.log, pidFile: f.pid });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (await registryAnswers(port, kind)) {
        log(`registry (${kind}) serving on 127.0.0.1:${port} (pid ${started})`);
        return port;
      }
      if (!isAlive(started)) break;
      await sleep(100);
    }
    const tail = logTail(f.log);
    await stopPid(started, 2000);
    removeFile(f.pid);
    if (/address already in use/i.test(tail)) {
      log(`registry (${kind}): port ${port} taken, retrying on another port`);
      avoid = [...avoid, port];
      continue;
    }
    throw new LabError(
      'START_FAILED',
      `docker-registry (${kind}) did not start on 127.0.0.1:${port}: see ${f.log} (last line: ${tail.split('\n').pop() ?? 'empty'})`,
      tail,
    );
  }
  throw new LabError('PORT_IN_USE', `docker-registry (${kind}) could not bind a free loopback port after 3 tries: free some ports on 127.0.0.1 and retry`);
}

export async function stopRegistry(l: LabLayout, kind: RegistryKind): Promise<boolean> {
  const f = registryFiles(l, kind);
  const pid = runningRegistryPid(l, kind);
  if (pid) await stopPid(pid, 5000);
  removeFile(f.pid);
  return pid !== undefined;
}
