// The tool's name and version, and the repository root, found once by walking up to package.json
// (works from src/ under tsx and from dist/src/ when compiled).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
function findPackage() {
    let dir = path.dirname(fileURLToPath(import.meta.url));
    for (;;) {
        try {
            const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
            return { root: dir, name: pkg.name, version: pkg.version };
        }
        catch {
            const up = path.dirname(dir);
            if (up === dir)
                throw new Error('cannot find package.json above ' + fileURLToPath(import.meta.url));
            dir = up;
        }
    }
}
const found = findPackage();
export const TOOL = { name: found.name, version: found.version };
export const REPO_ROOT = found.root;
//# sourceMappingURL=version.js.map