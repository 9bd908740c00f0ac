// Loading the CRI .proto files (proto/runtime/<version>/api.proto) into typed
// @grpc/grpc-js package objects.
//
// Loading is SYNCHRONOUS (protoLoader.loadSync) and happens once per version:
// the first loadCri('v1') parses the file, later calls return the cached object.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
/**
 * proto-loader options. These must match the flags src/tools/gen-types.mjs passes to
 * proto-loader-gen-types, or the generated types would not describe the decoded objects:
 * --keepCase --longs=String --enums=String --defaults --oneofs --bytes=Buffer
 */
export const LOADER_OPTIONS = Object.freeze({
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    bytes: Buffer,
});
const MARKER = path.join('proto', 'runtime', 'v1', 'api.proto');
function findProtoRoot() {
    // Works from src/cri (tsx) and from dist/src/cri (compiled): walk up to the repo root.
    const start = path.dirname(fileURLToPath(import.meta.url));
    let dir = start;
    for (;;) {
        if (existsSync(path.join(dir, MARKER)))
            return path.join(dir, 'proto');
        const parent = path.dirname(dir);
        if (parent === dir) {
            throw new Error(`cannot find ${MARKER} in ${start} or any parent directory`);
        }
        dir = parent;
    }
}
/** Absolute path of the repository's proto/ directory. */
export const PROTO_ROOT = findProtoRoot();
/** Absolute path of the api.proto for a CRI version. */
export function protoFile(version) {
    return path.join(PROTO_ROOT, 'runtime', version, 'api.proto');
}
const definitions = new Map();
const packages = new Map();
/** The raw proto-loader package definition for a version (synchronous, cached). */
export function loadCriDefinition(version) {
    let def = definitions.get(version);
    if (!def) {
        if (version !== 'v1' && version !== 'v1alpha2')
            throw new Error(`unknown CRI version: ${String(version)}`);
        def = loadSync(protoFile(version), { ...LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
        definitions.set(version, def);
    }
    return def;
}
/**
 * The typed gRPC package object for a CRI version, e.g.
 * `loadCri('v1').runtime.v1.RuntimeService` (a client constructor with `.service`).
 * Synchronous; parsed once per version and cached.
 */
export function loadCri(version) {
    let pkg = packages.get(version);
    if (!pkg) {
        pkg = loadPackageDefinition(loadCriDefinition(version));
        packages.set(version, pkg);
    }
    return pkg;
}
//# sourceMappingURL=proto.js.map