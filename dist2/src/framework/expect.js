// The single assertion layer: every failure names the RPC and the proto field, and shows expected vs actual,
// e.g. "ContainerStatus: status.state: expected CONTAINER_EXITED, got CONTAINER_RUNNING".
import { AssertionError } from 'chai';
import { isDeepStrictEqual, inspect } from 'node:util';
// One line always: reports keep a failure's first line, and inspect() groups long arrays over several
// lines whatever breakLength says (string contents are escaped, so only layout newlines are folded).
const show = (v) => typeof v === 'string' ? JSON.stringify(v) : inspect(v, { depth: 4, breakLength: Infinity, maxArrayLength: 20 }).replace(/\s*\n\s*/g, ' ');
export class FieldCheck {
    rpc;
    field;
    actual;
    constructor(rpc, field, actual) {
        this.rpc = rpc;
        this.field = field;
        this.actual = actual;
    }
    fail(expected, extra) {
        const msg = `${this.rpc}: ${this.field}: expected ${expected}, got ${show(this.actual)}${extra ? ` (${extra})` : ''}`;
        throw new AssertionError(msg);
    }
    equals(expected, why) {
        if (!isDeepStrictEqual(this.actual, expected))
            this.fail(show(expected), why);
        return this;
    }
    notEquals(unexpected, why) {
        if (isDeepStrictEqual(this.actual, unexpected))
            this.fail(`anything but ${show(unexpected)}`, why);
        return this;
    }
    oneOf(allowed, why) {
        if (!allowed.some((a) => isDeepStrictEqual(a, this.actual)))
            this.fail(`one of ${allowed.map(show).join(', ')}`, why);
        return this;
    }
    /** Non-empty string, array, map, or non-zero number / bigint string. */
    present(why) {
        if (isEmpty(this.actual))
            this.fail('a non-empty value', why);
        return this;
    }
    /** The exact opposite of present(): unset, or the proto3 default ('', 0, '0', [], {}, empty bytes). */
    absent(why) {
        if (!isEmpty(this.actual))
            this.fail('no value', why);
        return this;
    }
    matches(re, why) {
        if (typeof this.actual !== 'string' || !re.test(this.actual))
            this.fail(`a value matching ${re}`, why);
        return this;
    }
    includes(item, why) {
        const a = this.actual;
        const ok = Array.isArray(a)
            ? a.some((x) => isDeepStrictEqual(x, item))
            : typeof a === 'string' && typeof item === 'string' && a.includes(item);
        if (!ok)
            this.fail(`to include ${show(item)}`, why);
        return this;
    }
    excludes(item, why) {
        const a = this.actual;
        const has = Array.isArray(a) ? a.some((x) => isDeepStrictEqual(x, item)) : typeof a === 'string' && a.includes(String(item));
        if (has)
            this.fail(`not to include ${show(item)}`, why);
        return this;
    }
    /** Same members in any order. */
    sameMembers(expected, why) {
        const a = [...(this.actual ?? [])].map(show).sort();
        const e = [...expected].map(show).sort();
        if (!isDeepStrictEqual(a, e))
            this.fail(`exactly [${e.join(', ')}] in any order`, why);
        return this;
    }
    /** Numeric comparisons accept numbers and the decimal strings int64 fields arrive as. */
    atLeast(min, why) {
        if (!cmp(this.actual, (b) => b >= BigInt(min)))
            this.fail(`>= ${min}`, why);
        return this;
    }
    greaterThan(min, why) {
        if (!cmp(this.actual, (b) => b > BigInt(min)))
            this.fail(`> ${min}`, why);
        return this;
    }
    atMost(max, why) {
        if (!cmp(this.actual, (b) => b <= BigInt(max)))
            this.fail(`<= ${max}`, why);
        return this;
    }
    between(min, max, why) {
        if (!cmp(this.actual, (b) => b >= BigInt(min) && b <= BigInt(max)))
            this.fail(`between ${min} and ${max}`, why);
        return this;
    }
    isTrue(why) {
        if (this.actual !== true)
            this.fail('true', why);
        return this;
    }
}
/** Unset or a proto3 default: what decoding with `defaults: true` yields for a field the runtime left out. */
function isEmpty(a) {
    if (a === undefined || a === null || a === '' || a === 0 || a === '0')
        return true;
    if (Buffer.isBuffer(a))
        return a.length === 0;
    if (Array.isArray(a))
        return a.length === 0;
    return typeof a === 'object' && Object.keys(a).length === 0;
}
/** int64 fields arrive as decimal strings; anything non-numeric compares false so the failure shows it. */
function toBig(v) {
    if (typeof v === 'bigint')
        return v;
    if (typeof v === 'number' && Number.isFinite(v))
        return BigInt(Math.trunc(v));
    if (typeof v === 'string' && /^-?\d+$/.test(v))
        return BigInt(v);
    if (v && typeof v === 'object' && 'value' in v)
        return toBig(v.value);
    return null;
}
const cmp = (v, ok) => {
    const b = toBig(v);
    return b !== null && ok(b);
};
/** `check('ContainerStatus', 'status.state', s.state).equals('CONTAINER_RUNNING')` */
export const check = (rpc, field, actual) => new FieldCheck(rpc, field, actual);
/** A failure that is not about one field (e.g. an RPC that should have failed but succeeded). */
export function failWith(message) {
    throw new AssertionError(message);
}
//# sourceMappingURL=expect.js.map