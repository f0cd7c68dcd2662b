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
 * by all, and the pending computations in a WeakMap: the copies share a hidden class.
 */
const accessors = new Map<
  string,
  { descriptor: PropertyDescriptor; pending: WeakMap<object, () => unknown> }
>();

function settle(owner: object, key: string, value: unknown): void {
  Object.defineProperty(owner, key, { value, writable: true, enumerable: true, configurable: true });
}

function accessorsFor(key: string): {
  descriptor: PropertyDescriptor;
  pending: WeakMap<object, () => unknown>;
} {
  let found = accessors.get(key);
  if (found) return found;
  const pending = new WeakMap<object, () => unknown>();
  const descriptor: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: object) {
      const value = pending.get(this)?.();
      pending.delete(this);
      settle(this, key, value);
      return value;
    },
    set(this: object, value: unknown) {
      pending.delete(this);
      settle(this, key, value);
    },
  };
  found = { descriptor, pending };
  accessors.set(key, found);
  return found;
}

/**
 * A copy of `source` (a plain object) whose `key`, which `source` holds as a placeholder
 * in its place among the keys, is the result of `compute()`, computed on first read.
 */
export function withLazyProperty<T extends object>(source: T, key: string, compute: () => unknown): T {
  const { descriptor, pending } = accessorsFor(key);
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(source)) {
    if (name === key) Object.defineProperty(copy, key, descriptor);
    else copy[name] = (source as Record<string, unknown>)[name];
  }
  pending.set(copy, compute);
  return copy as T;
}

/** withLazyProperty, of the value of the JSON `text`, parsed on first read. */
export function withLazyJson<T extends object>(source: T, key: string, text: string): T {
  return withLazyProperty(source, key, () => JSON.parse(text) as unknown);
}
