// `run` holds little live data for minutes, yet by default V8 lets the young generation grow to 3 × 16 MiB
// and glibc gives each thread its own malloc arena: both only raise peak RSS (measured in the README,
// "Memory"). Both settings must be in place before the process starts, so `run` re-executes itself once
// with them. CRI_CONFORMANCE_NODE_TUNED=0 turns this off; a node started with the flags already is kept.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export const TUNED_NODE_FLAGS = ['--max-semi-space-size=4', '--optimize-for-size'];
export const TUNED_ENV = { MALLOC_ARENA_MAX: '2' };
const MARK = 'CRI_CONFORMANCE_NODE_TUNED';

export function respawnTuned(): Promise<number> | undefined {
  if (process.env[MARK] !== undefined) return undefined;
  if (process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) return undefined;
  const child = spawn(process.execPath, [...TUNED_NODE_FLAGS, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...TUNED_ENV, ...process.env, [MARK]: '1' },
  });
  // The child is in our process group, so a terminal's Ctrl-C reaches it directly; a signal sent to this pid
  // alone (kill, a container runtime stopping PID 1) is passed on. The child treats a SIGINT that arrives twice
  // within a moment as one.
  const forward = (sig: NodeJS.Signals) => () => void child.kill(sig);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return new Promise((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`cri-conformance: cannot start ${process.execPath}: ${e.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
