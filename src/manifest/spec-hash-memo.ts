import type { Manifest } from './schema.js';

/** What the loader knows of a manifest's spec without reading it: its normalised hash and its name. */
export type SpecFacts = { hash: string; name: string };

/**
 * The hash of each manifest's normalised spec and the spec's name, as computed where
 * the file was parsed (file-line.ts) and kept in the manifest cache, so a plan of
 * 10,000 unchanged manifests need not normalise and hash their specs again (a quarter
 * of a warm plan), nor parse them from the cache (they stay JSON text until read, see
 * lazy-property.ts): the planner compares hashes, the duplicate check names. By
 * manifest object: a loaded manifest is never changed. The controller's DesiredCache
 * remembers them too, as it reads each file; a manifest loaded any other way has none,
 * and its spec is read. The values are the same (a property test compares). Kept on the
 * object itself, as non-enumerable symbol properties (which neither JSON, spreads nor
 * deep-equality checks see), not in a WeakMap: 10,000 WeakMap entries cost the garbage
 * collector more than the values.
 */
const HASH = Symbol('spec hash');
const NAME = Symbol('spec name');

type Remembered = Manifest & { [HASH]?: string; [NAME]?: string };

export function rememberSpec(manifest: Manifest, facts: SpecFacts): void {
  Object.defineProperty(manifest, HASH, { value: facts.hash, configurable: true });
  Object.defineProperty(manifest, NAME, { value: facts.name, configurable: true });
}

/** Only the object's own: a copy of its prototype chain is another manifest. */
function own(manifest: Manifest, key: typeof HASH | typeof NAME): string | undefined {
  return Object.hasOwn(manifest, key) ? (manifest as Remembered)[key] : undefined;
}

export function knownSpecHash(manifest: Manifest): string | undefined {
  return own(manifest, HASH);
}

/** `spec.name`, without parsing a spec the cache still holds as text. */
export function specName(manifest: Manifest): string {
  return own(manifest, NAME) ?? manifest.spec.name;
}
