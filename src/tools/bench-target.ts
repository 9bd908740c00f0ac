// Which lab `npm run bench` measures: --runtime (a lab runtime), --lab-dir, and the known-failures baseline
// of that runtime from fixtures/baselines/ (as `npm run main` passes containerd-2.1.9.yaml for 2.1).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_RUNTIME, RUNTIME_NAMES, type RuntimeName } from '../lab/runtimes/types.js';

export interface BenchTarget {
  runtime: RuntimeName;
  labDir?: string;
  baseline: string;
  /** `--runtime R [--lab-dir D]`, for `lab up`, `lab env` and `run --lab`. */
  labArgs: string[];
}

export function optValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] && !args[i + 1]!.startsWith('--') ? args[i + 1] : undefined;
}

const versionKey = (file: string) => (/(\d+(?:\.\d+)*)\.yaml$/.exec(file)?.[1] ?? '0').split('.').map(Number);

/** The baseline named for the runtime's release line: `<runtime>.<patch>.yaml` (containerd-2.1 →
 * containerd-2.1.9.yaml); of several, the highest patch. */
export function baselineFor(runtime: string, files: string[]): string | undefined {
  const mine = files.filter((f) => f.startsWith(`${runtime}.`) && /^\d+(\.\d+)*\.yaml$/.test(f.slice(runtime.length + 1)));
  return mine.sort((a, b) => {
    const x = versionKey(a);
    const y = versionKey(b);
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  }).pop();
}

export function benchTarget(args: string[], baselinesDir: string): BenchTarget {
  const r = optValue(args, 'runtime') ?? DEFAULT_RUNTIME;
  if (!(RUNTIME_NAMES as readonly string[]).includes(r)) throw new Error(`--runtime ${r}: use one of ${RUNTIME_NAMES.join(', ')}`);
  const runtime = r as RuntimeName;
  const labDir = optValue(args, 'lab-dir');
  const given = optValue(args, 'baseline');
  const found = given ? undefined : baselineFor(runtime, readdirSync(baselinesDir));
  if (!given && !found) throw new Error(`no baseline for ${runtime} in ${baselinesDir} (<runtime>.<patch>.yaml): pass --baseline FILE`);
  return { runtime, labDir, baseline: given ?? path.join(baselinesDir, found!), labArgs: ['--runtime', runtime, ...(labDir ? ['--lab-dir', labDir] : [])] };
}
