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
 * and its spec is read. The values are the same (a property test compares).
 */
const known = new WeakMap<Manifest, SpecFacts>();

export function rememberSpec(manifest: Manifest, facts: SpecFacts): void {
  known.set(manifest, facts);
}

export function knownSpecHash(manifest: Manifest): string | undefined {
  return known.get(manifest)?.hash;
}

/** `spec.name`, without parsing a spec the cache still holds as text. */
export function specName(manifest: Manifest): string {
  return known.get(manifest)?.name ?? manifest.spec.name;
}
