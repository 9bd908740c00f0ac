// Which test images a run uses: the lab's resolved map, a user's --images file, or the fixtures manifest
// under a --registry-prefix (a user's own mirror).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { REPO_ROOT } from '../version.js';

export const MANIFEST = path.join(REPO_ROOT, 'fixtures', 'images.json');

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'IMAGES');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} ${file} is not valid JSON: ${(e as Error).message}`, 'IMAGES');
  }
}

/** Logical name -> reference map, whatever the file's shape: { name: "ref" } or { images: { name: { ref|repository } } }. */
export function readImagesFile(file: string, prefix?: string): Record<string, string> {
  const doc = readJson(file, 'images file') as Record<string, unknown>;
  const table = (doc && typeof doc === 'object' && 'images' in doc ? doc['images'] : doc) as Record<string, unknown>;
  if (!table || typeof table !== 'object' || Array.isArray(table)) throw new UsageError(`images file ${file} must map logical names to image references`, 'IMAGES');
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(table)) {
    const ref =
      typeof v === 'string' ? v : v && typeof v === 'object' ? ((v as Record<string, unknown>)['ref'] ?? (v as Record<string, unknown>)['repo'] ?? (v as Record<string, unknown>)['reference']) : undefined;
    if (typeof ref !== 'string' || !ref) throw new UsageError(`images file ${file}: "${name}" has no image reference`, 'IMAGES');
    out[name] = prefix ? `${prefix.replace(/\/$/, '')}/${ref}` : ref;
  }
  return out;
}
