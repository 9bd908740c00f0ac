// Which test images a run uses: the lab's resolved map, a user's --images file, or the fixtures manifest
// under a --registry-prefix (a user's own mirror).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { REPO_ROOT } from '../version.js';
export const MANIFEST = path.join(REPO_ROOT, 'fixtures', 'images.json');
function readJson(file, what) {
    let text;
    try {
        text = readFileSync(file, 'utf8');
    }
    catch (e) {
        throw new UsageError(`cannot read ${what} ${file}: ${e.code ?? e.message}`, 'IMAGES');
    }
    try {
        return JSON.parse(text);
    }
    catch (e) {
        throw new UsageError(`${what} ${file} is not valid JSON: ${e.message}`, 'IMAGES');
    }
}
/** Logical name -> reference map, whatever the file's shape: { name: "ref" } or { images: { name: { ref|repository } } }. */
export function readImagesFile(file, prefix) {
    const doc = readJson(file, 'images file');
    const table = (doc && typeof doc === 'object' && 'images' in doc ? doc['images'] : doc);
    if (!table || typeof table !== 'object' || Array.isArray(table))
        throw new UsageError(`images file ${file} must map logical names to image references`, 'IMAGES');
    const out = {};
    for (const [name, v] of Object.entries(table)) {
        const ref = typeof v === 'string' ? v : v && typeof v === 'object' ? (v['ref'] ?? v['repo'] ?? v['reference']) : undefined;
        if (typeof ref !== 'string' || !ref)
            throw new UsageError(`images file ${file}: "${name}" has no image reference`, 'IMAGES');
        out[name] = prefix ? `${prefix.replace(/\/$/, '')}/${ref}` : ref;
    }
    return out;
}
//# sourceMappingURL=images.js.map