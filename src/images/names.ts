// The logical names of the fixture images (fixtures/images.json), read once: a test asking for one of these
// when the run has no reference for it cannot run ("not run (no image)"); any other name is a bug in the test.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../version.js';

let names: Set<string> | undefined;

export function fixtureImageNames(): Set<string> {
  if (!names) {
    const doc = JSON.parse(readFileSync(path.join(REPO_ROOT, 'fixtures', 'images.json'), 'utf8')) as { images: Record<string, unknown> };
    names = new Set(Object.keys(doc.images));
  }
  return names;
}
