// The single assertion layer: every failure names the RPC and the proto field, and shows expected vs actual,
// e.g. "ContainerStatus: status.state: expected CONTAINER_EXITED, got CONTAINER_RUNNING".
import { AssertionError } from 'chai';
import { isDeepStrictEqual, inspect } from 'node:util';
import { showBasis, type Basis } from './contract.js';

// One line always: reports keep a failure's first line, and inspect() groups long arrays over several
// lines whatever breakLength says (string contents are escaped, so only layout newlines are folded).
const show = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v) : inspect(v, { depth: 4, breakLength: Infinity, maxArrayLength: 20 }).replace(/\s*\n\s*/g, ' ');

export class FieldCheck<T> {
  constructor(
    readonly rpc: string,
    readonly field: string,
    readonly actual: T,
    readonly basis?: Basis,
  ) {}

  fail(expected: string, extra?: string): never {
    const msg = `${this.rpc}: ${this.field}: expected ${expected}, got ${show(this.actual)}${extra ? ` (${extra})` : ''}${showBasis(this.basis)}`;
    throw new AssertionError(msg);
  }

  equals(expected: T, why?: string): this {
    if (!isDeepStrictEqual(this.actual, expected)) this.fail(show(expected), why);
    return this;
  }

  notEquals(unexpected: T, why?: string): this {
    if (isDeepStrictEqual(this.actual, unexpected)) this.fail(`anything but ${show(unexpected)}`, why);
    return this;
  }

  oneOf(allowed: readonly T[], why?: string): this {
    if (!allowed.some((a) => isDeepStrictEqual(a, this.actual))) this.fail(`one of ${allowed.map(show).join(', ')}`, why);
    return this;
  }

  /** Non-empty string, array, map, or non-zero number / bigint string. */
  present(why?: string): this {
    if (isEmpty(this.actual)) this.fail('a non-empty value', why);
    return this;
  }

  /** The exact opposite of present(): unset, or the proto3 default ('', 0, '0', [], {}, empty bytes). */
  absent(why?: string): this {
    if (!isEmpty(this.actual)) this.fail('no value', why);
    return this;
  }

  matches(re: RegExp, why?: string): this {
    if (typeof this.actual !== 'string' || !re.test(this.actual)) this.fail(`a value matching ${re}`, why);
    return this;
  }

  includes(item: unknown, why?: string): this {
    const a = this.actual as unknown;
    const ok = Array.isArray(a)
      ? a.some((x) => isDeepStrictEqual(x, item))
      : typeof a === 'string' && typeof item === 'string' && a.includes(item);
    if (!ok) this.fail(`to include ${show(item)}`, why);
    return this;
  }

  excludes(item: unknown, why?: string): this {
    const a = this.actual as unknown;
    const has = Array.isArray(a) ? a.some((x) => isDeepStrictEqual(x, item)) : typeof a === 'string' && a.includes(String(item));
    if (has) this.fail(`not to include ${show(item)}`, why);
    return this;
  }

  /** Same members in any order. */
  sameMembers(expected: readonly unknown[], why?: string): this {
    const a = [...((this.actual as unknown as unknown[]) ?? [])].map(show).sort();
    const e = [...expected].map(show).sort();
    if (!isDeepStrictEqual(a, e)) this.fail(`exactly [${e.join(', ')}] in any order`, why);
    return this;
  }

  /** Numeric comparisons accept numbers and the decimal strings int64 fields arrive as. */
  atLeast(min: number | bigint, why?: string): this {
    if (!cmp(this.actual, (b) => b >= BigInt(min))) this.fail(`>= ${min}`, why);
    return this;
  }

  greaterThan(min: number | bigint, why?: string): this {
    if (!cmp(this.actual, (b) => b > BigInt(min))) this.fail(`> ${min}`, why);
    return this;
  }

  atMost(max: number | bigint, why?: string): this {
    if (!cmp(this.actual, (b) => b <= BigInt(max))) this.fail(`<= ${max}`, why);
    return this;
  }

  between(min: number | bigint, max: number | bigint, why?: string): this {
    if (!cmp(this.actual, (b) => b >= BigInt(min) && b <= BigInt(max))) this.fail(`between ${min} and ${max}`, why);
    return this;
  }

  isTrue(why?: string): this {
    if (this.actual !== (true as unknown)) this.fail('true', why);
    return this;
  }
}

/** Unset or a proto3 default: what decoding with `defaults: true` yields for a field the runtime left out. */
function isEmpty(a: unknown): boolean {
  if (a === undefined || a === null || a === '' || a === 0 || a === '0') return true;
  if (Buffer.isBuffer(a)) return a.length === 0;
  if (Array.isArray(a)) return a.length === 0;
  return typeof a === 'object' && Object.keys(a as object).length === 0;
}

/** int64 fields arrive as decimal strings; anything non-numeric compares false so the failure shows it. */
function toBig(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if (v && typeof v === 'object' && 'value' in v) return toBig((v as { value: unknown }).value);
  return null;
}

const cmp = (v: unknown, ok: (b: bigint) => boolean): boolean => {
  const b = toBig(v);
  return b !== null && ok(b);
};

/** `check('ContainerStatus', 'status.state', s.state, cri('ContainerStatus.state', '…')).equals('CONTAINER_RUNNING')`;
 * the basis is what the check rests on (src/framework/contract.ts), shown in its failure. */
export const check = <T>(rpc: string, field: string, actual: T, basis?: Basis): FieldCheck<T> => new FieldCheck(rpc, field, actual, basis);

/** A failure that is not about one field (e.g. an RPC that should have failed but succeeded). */
export function failWith(message: string, basis?: Basis): never {
  throw new AssertionError(`${message}${showBasis(basis)}`);
}
