// Loads suite files into programmatic mocha. Files are imported with a per-load query string because ESM
// caches modules: without it a second load (list, then run) would register no tests.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Mocha from 'mocha';
import { SUITES, type SuiteEntry } from './manifest.js';

let loadCounter = 0;

function suitesDir(): string {
  // dist/src/runner -> dist/suites (compiled) or src/runner -> suites (tsx).
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '..', '..', 'suites');
}

export function suiteFile(entry: SuiteEntry): string | undefined {
  const dir = suitesDir();
  for (const ext of ['.js', '.ts']) {
    const f = path.join(dir, entry.file + ext);
    if (existsSync(f)) return f;
  }
  return undefined;
}

export interface LoadedSuite {
  entry: SuiteEntry;
  mocha: Mocha;
}

export async function loadSuite(entry: SuiteEntry, o: { timeoutMs: number; bail: boolean }): Promise<LoadedSuite | undefined> {
  const file = suiteFile(entry);
  if (!file) return undefined;
  const mocha = new Mocha({ timeout: o.timeoutMs, bail: o.bail, reporter: class {} as unknown as Mocha.ReporterConstructor });
  const s = mocha.suite;
  s.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, file, mocha);
  await import(`${pathToFileURL(file).href}?load=${++loadCounter}`);
  s.emit(Mocha.Suite.constants.EVENT_FILE_REQUIRE, {}, file, mocha);
  s.emit(Mocha.Suite.constants.EVENT_FILE_POST_REQUIRE, globalThis, file, mocha);
  return { entry, mocha };
}

/** Every test of a suite tree, depth first, in declaration order. */
export function allTests(suite: Mocha.Suite): Mocha.Test[] {
  return [...suite.tests, ...suite.suites.flatMap(allTests)];
}

export const testId = (suiteName: string, t: Mocha.Test): string => `${suiteName}/${t.fullTitle()}`;

/** Keeps only tests whose id matches a focus pattern (if any) and no skip pattern. */
export function filterTests(suite: Mocha.Suite, suiteName: string, focus: RegExp[], skipRe: RegExp[]): void {
  suite.tests = suite.tests.filter((t) => {
    const id = testId(suiteName, t);
    return (focus.length === 0 || focus.some((r) => r.test(id))) && !skipRe.some((r) => r.test(id));
  });
  for (const child of suite.suites) filterTests(child, suiteName, focus, skipRe);
}

export function selectSuites(names: string[] | undefined): SuiteEntry[] {
  if (!names || names.length === 0) return [...SUITES];
  return SUITES.filter((s) => names.includes(s.name));
}
