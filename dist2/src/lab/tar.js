// Minimal deterministic ustar writer for image layers: every header field is chosen by us (mtime 0,
// numeric owners, explicit modes, sorted entries), so the same recipe always yields the same bytes.
function octal(n, width) {
    // width includes the trailing NUL
    return n.toString(8).padStart(width - 1, '0') + '\0';
}
function splitName(name) {
    if (Buffer.byteLength(name) <= 100)
        return { name, prefix: '' };
    for (let i = name.length - 1; i > 0; i--) {
        if (name[i] !== '/')
            continue;
        const prefix = name.slice(0, i);
        const rest = name.slice(i + 1);
        if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest.length > 0)
            return { name: rest, prefix };
    }
    throw new Error(`tar path too long: ${name}`);
}
function header(e, size) {
    const h = Buffer.alloc(512, 0);
    let name = e.path.replace(/^\/+/, '');
    if (e.type === 'dir' && !name.endsWith('/'))
        name += '/';
    const split = splitName(name);
    h.write(split.name, 0, 100, 'utf8');
    const mode = e.type === 'symlink' ? 0o777 : e.mode;
    h.write(octal(mode, 8), 100, 8, 'ascii');
    h.write(octal(e.uid ?? 0, 8), 108, 8, 'ascii');
    h.write(octal(e.gid ?? 0, 8), 116, 8, 'ascii');
    h.write(octal(size, 12), 124, 12, 'ascii');
    h.write(octal(0, 12), 136, 12, 'ascii'); // mtime: epoch
    h.write('        ', 148, 8, 'ascii'); // checksum placeholder
    h.write(e.type === 'dir' ? '5' : e.type === 'symlink' ? '2' : '0', 156, 1, 'ascii');
    if (e.type === 'symlink')
        h.write(e.target, 157, 100, 'utf8');
    h.write('ustar\0', 257, 6, 'ascii');
    h.write('00', 263, 2, 'ascii');
    h.write(octal(0, 8), 329, 8, 'ascii');
    h.write(octal(0, 8), 337, 8, 'ascii');
    h.write(split.prefix, 345, 155, 'utf8');
    let sum = 0;
    for (const b of h)
        sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
    return h;
}
/** Serialize entries (sorted by path; parents are expected to be listed) into an uncompressed tar. */
export function buildTar(entries) {
    const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const chunks = [];
    const seen = new Set();
    for (const e of sorted) {
        if (seen.has(e.path))
            throw new Error(`duplicate tar entry ${e.path}`);
        seen.add(e.path);
        if (e.type === 'symlink' && Buffer.byteLength(e.target) > 100)
            throw new Error(`symlink target too long: ${e.target}`);
        const content = e.type === 'file' ? e.content : Buffer.alloc(0);
        chunks.push(header(e, content.length));
        if (content.length) {
            chunks.push(content);
            const pad = (512 - (content.length % 512)) % 512;
            if (pad)
                chunks.push(Buffer.alloc(pad, 0));
        }
    }
    chunks.push(Buffer.alloc(1024, 0));
    return Buffer.concat(chunks);
}
/** Add missing parent directories (mode 0755, root) for every entry. */
export function withParents(entries) {
    const have = new Set(entries.map((e) => e.path.replace(/^\/+|\/+$/g, '')));
    const out = [...entries];
    for (const e of entries) {
        const parts = e.path.replace(/^\/+|\/+$/g, '').split('/');
        for (let i = 1; i < parts.length; i++) {
            const dir = parts.slice(0, i).join('/');
            if (!have.has(dir)) {
                have.add(dir);
                out.push({ type: 'dir', path: dir, mode: 0o755 });
            }
        }
    }
    return out.map((e) => ({ ...e, path: e.path.replace(/^\/+|\/+$/g, '') }));
}
//# sourceMappingURL=tar.js.map