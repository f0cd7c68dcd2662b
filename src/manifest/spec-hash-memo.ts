import type { Manifest } from './schema.js';

/**
 * The hash of each manifest's normalised spec, as computed where the file was parsed
 * (file-line.ts) and kept in the manifest cache, so the planner need not normalise and
 * hash 10,000 unchanged specs again (a quarter of a warm plan), nor parse them from the
 * cache (they stay JSON text until read, see lazy-property.ts). By manifest object: a
 * loaded manifest is never changed. A manifest loaded any other way has none, and the
 * planner computes it; the value is the same (a property test compares).
 */
const known = new WeakMap<Manifest, string>();

export function rememberSpecHash(manifest: Manifest, hash: string): void {
  known.set(manifest, hash);
}

export function knownSpecHash(manifest: Manifest): string | undefined {
  return known.get(manifest);
}
