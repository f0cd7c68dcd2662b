import { createHash } from 'node:crypto';
import { mayBeLazy, readWithoutKeeping } from '../text/lazy-property.js';

/**
 * JSON with object keys sorted and undefined dropped: equal values give equal text (a saved
 * plan's digests of the manifests and the records, its steps as compared).
 *
 * The text is that of `JSON.stringify(value, replacer)` with a replacer that rebuilt every
 * object from its entries, sorted (`reference`, the way it was first written). That made an
 * entries array, a pair per key, a sorted copy and an object per object, and called the
 * replacer for every value: a JSON plan of 10,000 audiences spent about a third of its time
 * there. Here each object is copied once, its keys in the order an earlier object listed the
 * same way had sorted (`sortedKeys`), and written by JSON.stringify without a replacer. A value
 * it does not take as plain (a toJSON, a class instance, a bigint, a cycle) is written the
 * reference's way, whole: the text is the same either way.
 */
export function canonicalJson(value: unknown): string {
  try {
    return JSON.stringify(sorted(value, 0));
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
    return reference(value);
  }
}

/**
 * The sha256 (hex) of canonicalJson(value), fed to the hash a piece at a time: the outer
 * levels (a list of records; LoadResult and its lists) are walked here, and each item of a list
 * copied and written on its own. The copies of 10,000 records, alive together
 * until written whole, outlived the young generation and cost the garbage collector more
 * than the writing.
 */
export function canonicalHash(value: unknown): string {
  const hash = createHash('sha256');
  const out = { text: '' };
  const flush = () => {
    hash.update(out.text);
    out.text = '';
  };
  try {
    // Nothing written (undefined): the reference's way, which the hash refuses.
    if (!feed(value, 0, false, out, flush))
      return createHash('sha256').update(reference(value)).digest('hex');
    flush();
    return hash.digest('hex');
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
    return createHash('sha256').update(reference(value)).digest('hex');
  }
}

/** The replacer's way: slower, and the text to equal. */
function reference(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const entries = Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return Object.fromEntries(entries);
  });
}

/** How many characters are gathered before the hash is fed. */
const CHUNK = 64 * 1024;

/** Levels walked by canonicalHash at most; values below, and the items of a list, are written whole. */
const WALKED = 2;

/**
 * Appends canonicalJson(value) to `out.text`, feeding the hash through `flush` as it grows;
 * false, appending nothing, for a value written as nothing (undefined, a function).
 */
function feed(
  value: unknown,
  depth: number,
  whole: boolean,
  out: { text: string },
  flush: () => void,
): boolean {
  if (whole || depth >= WALKED || !walkable(value)) {
    const text = JSON.stringify(sorted(value, depth)) as string | undefined;
    if (text === undefined) return false;
    out.text += text;
    if (out.text.length >= CHUNK) flush();
    return true;
  }
  if (Array.isArray(value)) {
    out.text += '[';
    for (let index = 0; index < value.length; index++) {
      if (index > 0) out.text += ',';
      if (!feed(value[index], depth + 1, true, out, flush)) out.text += 'null';
    }
    out.text += ']';
    return true;
  }
  const record = value as Record<string, unknown>;
  out.text += '{';
  let first = true;
  for (const key of writtenOrder(record)) {
    // The key is written only for a value written: `,` and the key go in front of it.
    const before = out.text;
    out.text += `${first ? '' : ','}${JSON.stringify(key)}:`;
    if (feed(record[key], depth + 1, false, out, flush)) first = false;
    else out.text = before;
  }
  out.text += '}';
  return true;
}

/**
 * The keys of `record` in the order the reference's copy lists them: array indices first, in
 * numeric order (as Object.keys lists them), then the others sorted.
 */
function writtenOrder(record: Record<string, unknown>): readonly string[] {
  const listed = Object.keys(record);
  let indices = 0;
  while (indices < listed.length && isArrayIndex(listed[indices]!)) indices++;
  const keys = sortedKeys(record).sorted;
  return indices === 0 ? keys : [...listed.slice(0, indices), ...keys.filter((key) => !isArrayIndex(key))];
}

/** A canonical array index (`0`, `12`, at most 2^32 - 2): what an object lists first. */
function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
}

/** An array or an object canonicalHash walks (sorted would copy it rather than refuse it). */
function walkable(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(value)) return true;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Thrown by `sorted` at a value it does not take as plain: `reference` writes the whole. */
class NotPlain extends Error {}

/** One, made once: never seen outside this module. */
const NOT_PLAIN = new NotPlain('not plain');

/** Deeper than any plan's value; a cycle reaches it, and the reference says it is one. */
const MAX_DEPTH = 1000;

/**
 * `value` with every object rebuilt with its keys in sorted order, as the reference's replacer
 * returned it, for JSON.stringify to write without a replacer. An object lists array-index keys
 * (`"0"`, `"12"`) first, in numeric order, however they were added: the copy, as the reference's
 * Object.fromEntries, does so too.
 */
function sorted(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) {
    // JSON.stringify asks a function and a bigint for a toJSON too; it refuses a bigint.
    if (typeof value === 'bigint') throw NOT_PLAIN;
    if (typeof value === 'function' && typeof (value as { toJSON?: unknown }).toJSON === 'function')
      throw NOT_PLAIN;
    return value;
  }
  if (depth > MAX_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') throw NOT_PLAIN;
  if (Array.isArray(value)) {
    // A hole stays one, which JSON.stringify writes as null, as it does undefined.
    return value.map((item: unknown) => sorted(item, depth + 1));
  }
  // A boxed primitive, a Map, a Date without its toJSON, a class instance: the reference's way.
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) throw NOT_PLAIN;
  const record = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  const { sorted: keys, lazy } = sortedKeys(record);
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    const item = lazy[index] ? readWithoutKeeping(record, key) : record[key];
    copy[key] = sorted(item, depth + 1);
  }
  return copy;
}

/**
 * An object's keys as listed, and sorted; `lazy`, whether each sorted key may be a lazy
 * property (src/text/lazy-property.ts), read without keeping what it parses.
 */
type KeyOrder = { listed: readonly string[]; sorted: readonly string[]; lazy: readonly boolean[] };

/** Orders met, by their first key listed; a few per key, and a few hundred keys. */
const orders = new Map<string | undefined, KeyOrder[]>();
const ORDERS_PER_KEY = 8;
const FIRST_KEYS = 256;

/**
 * The keys of `record` sorted by code unit: the order of an earlier object that listed the same
 * keys the same way (records and manifests share a few shapes), else sorted now.
 */
function sortedKeys(record: Record<string, unknown>): KeyOrder {
  const listed = Object.keys(record);
  const known = orders.get(listed[0]);
  for (const order of known ?? []) if (sameKeys(order.listed, listed)) return order;
  // Assigned to the copy, it would set the copy's prototype (so no order kept has it).
  if (listed.includes('__proto__')) throw NOT_PLAIN;
  const keys = [...listed].sort(byCodeUnit);
  const order = { listed, sorted: keys, lazy: keys.map(mayBeLazy) };
  if (known) {
    if (known.length < ORDERS_PER_KEY) known.push(order);
  } else if (orders.size < FIRST_KEYS) orders.set(listed[0], [order]);
  return order;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : 1;
}
