/**
 * Objects with a property computed when first read: the caches (manifest cache, state
 * snapshot) keep the large parts of what they serve (a manifest's spec, a record's
 * applied spec) as JSON text, which a no-change plan never reads. The property is
 * enumerable and keeps its place among the keys, so the object compares, copies and
 * serialises (getters are read) as the plain one; reading or writing it makes it a
 * plain data property.
 *
 * Measured on 10,000 manifests: turning a parsed object's data property into an
 * accessor sends the object to V8's slow dictionary mode (every later read of it is
 * slower), and a getter closure per object gives each its own hidden class. So the
 * object is built anew, key by key, with one getter and setter per property name shared
 * by all, and what is pending in a non-enumerable symbol property of its own: the copies
 * share a hidden class. (A WeakMap of 20,000 pending values, one per manifest and record,
 * cost the garbage collector more than the values themselves.) Neither JSON, spreads,
 * structured clones nor deep-equality checks see a non-enumerable symbol.
 */

/**
 * UTF-8 JSON text still in the bytes it was read with, decoded when first read: a cache
 * decoded whole into one string paid for every byte of the parts a plan never reads (see
 * src/state/snapshot.ts).
 */
export class JsonBytes {
  constructor(
    readonly bytes: Buffer,
    readonly start: number,
    readonly end: number,
  ) {}

  parse(): unknown {
    return JSON.parse(this.bytes.toString('utf8', this.start, this.end));
  }
}

/**
 * JSON text kept elsewhere (as JsonBytes, or a state snapshot's specs section), parsed when read.
 * `leadingString(key)`: the value of the object's first key, when that key is `key` and its
 * value a string, as parse() would give it, read without parsing the rest (or undefined).
 */
export type LazyJson = { parse(): unknown; leadingString?(key: string): string | undefined };

/**
 * What a property is pending: JSON text, as a string or kept elsewhere (no closure per
 * object: 20,000 of them showed), or a computation.
 */
export type Pending = string | LazyJson | (() => unknown);

type Accessors = { descriptor: PropertyDescriptor; pending: symbol };

const accessors = new Map<string, Accessors>();

function settle(owner: object, key: string, value: unknown): void {
  Object.defineProperty(owner, key, { value, writable: true, enumerable: true, configurable: true });
}

function computed(what: Pending): unknown {
  if (typeof what === 'string') return JSON.parse(what) as unknown;
  return typeof what === 'function' ? what() : what.parse();
}

function accessorsFor(key: string): Accessors {
  let found = accessors.get(key);
  if (found) return found;
  const pending = Symbol(`pending ${key}`);
  const descriptor: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: Record<symbol, Pending | undefined>) {
      // Reached through an object not made by withLazyProperty (Object.create of one, a
      // copy of its descriptors): reading it as undefined would plan from a missing spec.
      const what = Object.hasOwn(this, pending) ? this[pending] : undefined;
      if (what === undefined)
        throw new TypeError(`lazy property ${key} read on an object it was not made for`);
      const value = computed(what);
      this[pending] = undefined;
      settle(this, key, value);
      return value;
    },
    set(this: Record<symbol, Pending | undefined>, value: unknown) {
      if (Object.hasOwn(this, pending)) this[pending] = undefined;
      settle(this, key, value);
    },
  };
  found = { descriptor, pending };
  accessors.set(key, found);
  return found;
}

/**
 * A copy of `source` (a plain object) whose `key`, which `source` holds as a placeholder
 * in its place among the keys, is what `pending` gives (parsed if it is JSON text,
 * called if it is a function), on first read.
 */
export function withLazyProperty<T extends object>(source: T, key: string, pending: Pending): T {
  const found = accessorsFor(key);
  const copy: Record<string, unknown> = {};
  // for...in walks the keys from the shape's cache; Object.keys built an array per object (20,000 a plan).
  for (const name in source) {
    if (!Object.hasOwn(source, name)) continue;
    if (name === key) Object.defineProperty(copy, key, found.descriptor);
    else copy[name] = (source as Record<string, unknown>)[name];
  }
  Object.defineProperty(copy, found.pending, { value: pending, writable: true, configurable: true });
  return copy as T;
}

/** Whether some object may hold `key` as a lazy property (withLazyProperty was asked for it). */
export function mayBeLazy(key: string): boolean {
  return accessors.has(key);
}

/**
 * What reading `owner[key]` gives, without keeping it when it is JSON text still pending: read
 * once and not again (a saved plan's digest of 10,000 records and manifests), the parsed values
 * kept as data properties outlived the young generation, and redefining each property cost as
 * much again. A pending computation, or anything else, is read as usual.
 */
export function readWithoutKeeping(owner: object, key: string): unknown {
  const what = pendingOf(owner, key);
  if (what === undefined || typeof what === 'function') return (owner as Record<string, unknown>)[key];
  return computed(what);
}

/** What `owner[key]` would be made of on its first read (withLazyProperty's), or undefined if read (or not lazy). */
function pendingOf(owner: object, key: string): Pending | undefined {
  const found = accessors.get(key);
  const what =
    found !== undefined && Object.hasOwn(owner, found.pending)
      ? (owner as Record<symbol, Pending | undefined>)[found.pending]
      : undefined;
  if (what === undefined) return undefined;
  // Still the accessor withLazyProperty made (not deleted or redefined since): what it would give.
  return Object.getOwnPropertyDescriptor(owner, key)?.get === found!.descriptor.get ? what : undefined;
}

/**
 * `owner[key][field]` when `owner[key]` is pending JSON text that can tell it without being
 * parsed (LazyJson.leadingString: its first key, a string), `owner[key]` left pending; else
 * undefined, and the caller reads it as usual. (The recorded names guard reads each record's
 * applied spec's name and nothing else of it: 10,000 specs parsed for a name each.)
 */
export function leadingStringOf(owner: object, key: string, field: string): string | undefined {
  const what = pendingOf(owner, key);
  return typeof what === 'object' ? what.leadingString?.(field) : undefined;
}
