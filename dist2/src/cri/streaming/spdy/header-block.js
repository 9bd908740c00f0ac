// SPDY/3 header blocks: a count, then length-prefixed names and values (32-bit lengths; several values
// of one name joined by NUL), compressed as one zlib stream per direction with the SPDY/3 dictionary.
import { inflateSync, constants as Z } from 'node:zlib';
import { StreamingError } from '../errors.js';
import { SPDY3_DICTIONARY } from './dictionary.js';
export function encodePairs(headers) {
    const parts = [];
    const entries = Object.entries(headers);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(entries.length);
    parts.push(count);
    for (const [name, value] of entries) {
        for (const s of [name.toLowerCase(), value]) {
            const b = Buffer.from(s, 'utf8');
            const len = Buffer.alloc(4);
            len.writeUInt32BE(b.length);
            parts.push(len, b);
        }
    }
    return Buffer.concat(parts);
}
export function decodePairs(raw) {
    const out = {};
    const bad = () => new StreamingError('protocol', `SPDY: malformed header block (${raw.length} bytes)`);
    if (raw.length < 4)
        throw bad();
    let off = 4;
    const take = () => {
        if (off + 4 > raw.length)
            throw bad();
        const len = raw.readUInt32BE(off);
        off += 4;
        if (off + len > raw.length)
            throw bad();
        const s = raw.subarray(off, off + len).toString('utf8');
        off += len;
        return s;
    };
    for (let n = raw.readUInt32BE(0); n > 0; n--) {
        const name = take();
        out[name] = take();
    }
    return out;
}
function adler32(b) {
    let a = 1;
    let s = 0;
    for (const byte of b) {
        a = (a + byte) % 65521;
        s = (s + a) % 65521;
    }
    return ((s << 16) | a) >>> 0;
}
/**
 * Our direction's zlib stream, written as stored (uncompressed) deflate blocks: a stored block never
 * refers back, so each header block is produced synchronously with no compressor state beyond "was
 * the zlib header sent". The header still names the SPDY/3 dictionary (FDICT), as the spec asks.
 */
const SYNC_MARKER = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
export class HeaderDeflater {
    started = false;
    compress(headers) {
        const raw = encodePairs(headers);
        const parts = [];
        if (!this.started) {
            // CMF 0x78 (deflate, 32K window), FLG 0x20 (FDICT, level 0; 0x7820 is a multiple of 31), DICTID.
            const h = Buffer.from([0x78, 0x20, 0, 0, 0, 0]);
            h.writeUInt32BE(adler32(SPDY3_DICTIONARY), 2);
            parts.push(h);
            this.started = true;
        }
        let off = 0;
        do {
            const chunk = raw.subarray(off, off + 0xffff);
            const h = Buffer.alloc(5);
            h[0] = 0; // BFINAL 0, BTYPE 00 (stored), padded to the byte
            h.writeUInt16LE(chunk.length, 1);
            h.writeUInt16LE(~chunk.length & 0xffff, 3);
            parts.push(h, chunk);
            off += chunk.length;
        } while (off < raw.length);
        // An empty stored block, as Z_SYNC_FLUSH ends a block: Go's inflater hands out a stored block's
        // bytes only at this marker, and otherwise reads on into the next frame and fails for good.
        parts.push(SYNC_MARKER);
        return Buffer.concat(parts);
    }
}
/**
 * The server's direction: one zlib stream across frames. Header blocks are rare (one SYN_REPLY per
 * stream), so each is decoded by inflating the whole history so far and keeping the new tail; that
 * keeps decoding synchronous, hence in frame order, without a hand-kept inflate state.
 */
export class HeaderInflater {
    compressed = [];
    producedBytes = 0;
    decompress(block) {
        if (block.length === 0)
            return {};
        this.compressed.push(block);
        let all;
        try {
            all = inflateSync(Buffer.concat(this.compressed), { dictionary: SPDY3_DICTIONARY, finishFlush: Z.Z_SYNC_FLUSH });
        }
        catch (e) {
            throw new StreamingError('protocol', `SPDY: header block does not inflate: ${e.message}`);
        }
        const mine = all.subarray(this.producedBytes);
        this.producedBytes = all.length;
        return decodePairs(mine);
    }
}
//# sourceMappingURL=header-block.js.map