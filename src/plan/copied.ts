import type { DesiredManifest } from '../manifest/load.js';
import { recordId } from '../state/record-id.js';
import type { Copied, ManifestElsewhere } from './elsewhere.js';
import type { HeldAudience } from './schema.js';

/**
 * The manifests read that are copies (ManifestElsewhere `copied`), by record id: their record's
 * own file is still in the directory it was applied from, beside the directory given.
 */
export function copiesOf(elsewhere: readonly ManifestElsewhere[] | undefined): Map<string, Copied> {
  const copies = new Map<string, Copied>();
  for (const m of elsewhere ?? []) if (m.kind === 'copied') copies.set(recordId(m.sandbox, m.key), m);
  return copies;
}

/**
 * The hold of a copied manifest's audience. A copy is no move: taking the record over would make
 * the copy's removal delete the audience its first file still defines, and the copy's edits
 * PATCH an audience another directory manages. It is left to that directory, as a plan of
 * another directory leaves a removal whose file is still there (`beside`).
 */
export function copiedHold(manifest: DesiredManifest, copy: Copied): HeldAudience {
  return {
    sandbox: copy.sandbox,
    key: copy.key,
    reason: `${manifest.file} is a copy: its manifest ${copy.file}, in the directory it was applied from (${copy.dir}), still defines it; the audience is left as it is: to move it here, remove ${copy.file} (git mv) and apply; to manage another audience from this file, give it another metadata.name and spec.name`,
    elsewhere: true,
  };
}
