// Unknown-field check for Kubernetes objects (what kubectl's strict validation adds to the schema): the
// upstream OpenAPI schemas leave objects open, so kubernetes-models' validators accept a misspelt field. The
// field names come from kubernetes-models' own declarations of each API type (one interface per file).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const V1 = path.join(path.dirname(require.resolve('kubernetes-models/package.json')), 'v1');

interface TypeInfo {
  fields: Map<string, string | undefined>;
}
const cache = new Map<string, TypeInfo>();

/** Field name -> the declaration file of its object type (undefined: a scalar, a map or a type not followed). */
function typeInfo(file: string): TypeInfo {
  let t = cache.get(file);
  if (t) return t;
  const text = readFileSync(file, 'utf8');
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/^import \{ (I\w+) \} from "\.\/(\w+)(?:\.js)?";$/gm)) imports.set(m[1]!, path.join(path.dirname(file), `${m[2]}.d.ts`));
  const start = text.indexOf('export interface I');
  const body = text.slice(start, text.indexOf('\n}', start));
  const fields = new Map<string, string | undefined>();
  for (const m of body.matchAll(/^ {4}"([^"]+)"\??: (.*)$/gm)) {
    const ref = /^(?:Array<)?(I\w+)>?;$/.exec(m[2]!.trim());
    const target = ref ? imports.get(ref[1]!) : undefined;
    fields.set(m[1]!, target && existsSync(target) ? target : undefined);
  }
  t = { fields };
  cache.set(file, t);
  return t;
}

/** Paths of fields the Kubernetes type (a file under kubernetes-models/v1, e.g. "PodSpec") does not have. */
export function unknownFields(value: unknown, type: string, at = ''): string[] {
  return walk(value, path.join(V1, `${type}.d.ts`), at);
}

function walk(value: unknown, file: string, at: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => walk(v, file, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  const info = typeInfo(file);
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const p = at ? `${at}.${k}` : k;
    if (!info.fields.has(k)) out.push(p);
    else if (info.fields.get(k)) out.push(...walk(v, info.fields.get(k)!, p));
  }
  return out;
}
