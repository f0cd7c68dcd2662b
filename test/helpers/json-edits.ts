/**
 * Edits of a JSON value, for the fast validators' property tests (a validator without zod must
 * take exactly what zod takes, or leave it to zod): which entry (modulo their count), what is
 * done there, the value set or added, the key added.
 */
export type JsonEdit = [number, 'set' | 'delete' | 'add' | 'pad' | 'nullProto' | 'protoKey', unknown, string];

/** Every entry of every object and array of `value`: its container and key. */
function entries(value: unknown, out: Array<[Record<string, unknown>, string]> = []) {
  if (typeof value !== 'object' || value === null) return out;
  for (const [key, child] of Object.entries(value)) {
    out.push([value as Record<string, unknown>, key]);
    entries(child, out);
  }
  return out;
}

/** A copy of `value` with `edits` made, one after the other. */
export function editJson(value: unknown, edits: readonly JsonEdit[]): unknown {
  const copy = structuredClone(value);
  for (const [at, kind, shared, key] of edits) {
    // A copy: fc.constantFrom gives the same object each time, and inserted as it is, the
    // next edits changed the constant itself (runs later, it held itself: a stack overflow).
    const given = structuredClone(shared);
    const all = entries(copy);
    if (all.length === 0) return copy;
    const [target, existing] = all[at % all.length]!;
    if (kind === 'add') target[key] = given;
    else if (kind === 'set') target[existing] = given;
    else if (kind === 'delete') delete target[existing];
    else if (kind === 'pad' && typeof target[existing] === 'string')
      target[existing] = ` ${target[existing]}\u3000`;
    else if (kind === 'nullProto') {
      const child = target[existing];
      if (typeof child === 'object' && child !== null && !Array.isArray(child))
        target[existing] = Object.assign(Object.create(null) as object, child);
    } else if (kind === 'protoKey' && !Array.isArray(target)) {
      // As JSON.parse makes it: an own `__proto__` property.
      Object.defineProperty(target, '__proto__', {
        value: given,
        enumerable: true,
        configurable: true,
        writable: true,
      });
    }
  }
  return copy;
}
