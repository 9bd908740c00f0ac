// Where a suite's declaration comes from, without loading any test framework (`list` and --help stay light).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { GroupDecl, SuiteSpec } from '../framework/suite.js';
import type { SuiteEntry } from './manifest.js';

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

/** The suite's declaration: given in the entry (tests of the runner), or its file's default export. */
export async function suiteSpec(entry: SuiteEntry): Promise<SuiteSpec | undefined> {
  if (entry.spec) return entry.spec;
  const file = suiteFile(entry);
  if (!file) return undefined;
  const mod = (await import(pathToFileURL(file).href)) as { default?: SuiteSpec };
  if (!mod.default?.groups) throw new Error(`${file} does not export a suite: write \`export default defineSuite(...)\``);
  return mod.default;
}

/** Every test of a declaration as [full title, title], depth first in declaration order: the same full title
 * mocha gives it (describe titles and the test title, space joined). */
export function specTests(spec: SuiteSpec): { fullTitle: string; title: string }[] {
  const out: { fullTitle: string; title: string }[] = [];
  const walk = (g: GroupDecl, path: string[]) => {
    const here = [...path, g.title];
    // mocha lists a suite's own tests before those of its child suites
    for (const c of g.children) if (c.kind === 'test') out.push({ fullTitle: [...here, c.title].join(' '), title: c.title });
    for (const c of g.children) if (c.kind === 'group') walk(c, here);
  };
  for (const g of spec.groups) walk(g, []);
  return out;
}
