// Where proto/nri lives, from src/nri (tsx) or dist/src/nri (compiled).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function find(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = path.join(dir, 'proto', 'nri');
    if (existsSync(path.join(p, 'ttrpc.proto'))) return p;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find proto/nri/ttrpc.proto above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const NRI_PROTO_ROOT: string = find();
