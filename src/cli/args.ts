// Reading the parsed flags: small and dependency-light, so `list` and usage errors load nothing heavy.
import { UsageError } from '../errors.js';
import { SUITES } from '../runner/manifest.js';

export type Opts = Record<string, unknown>;
export const str = (o: Opts, k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
export const list = (o: Opts, k: string) => (Array.isArray(o[k]) ? (o[k] as string[]) : []);

export function regexes(values: readonly (string | RegExp)[], flag: string): RegExp[] {
  return values.map((v) => {
    if (v instanceof RegExp) return v;
    try {
      return new RegExp(v);
    } catch (e) {
      throw new UsageError(`${flag} "${v}" is not a valid regular expression: ${(e as Error).message}`);
    }
  });
}

export function suiteNames(o: Opts): string[] | undefined {
  return checkSuiteNames(list(o, 'suite'));
}

export function checkSuiteNames(names: readonly string[]): string[] | undefined {
  const known = SUITES.map((s) => s.name);
  for (const n of names) if (!known.includes(n)) throw new UsageError(`unknown suite "${n}": known suites are ${known.join(', ')}`);
  return names.length ? [...names] : undefined;
}
