import { stillNamedElsewhere } from '../plan/still-named.js';
import { recordId } from '../state/record-id.js';
import type { StateStore } from '../state/store.js';
import type { ManifestFacts } from './import-manifest.js';

/**
 * What `state import <key> --sandbox <s>` says of the records of the key it leaves in other
 * sandboxes, from the file it imported from (a move whose forget was skipped): they stay
 * recorded, and plans hold them (src/plan/still-named.ts), never delete them. One line each.
 */
export async function keptElsewhere(
  store: StateStore,
  sandbox: string,
  key: string,
  facts: ManifestFacts,
): Promise<string[]> {
  const file = facts.manifestFile;
  if (file === undefined) return [];
  const named = [{ sandbox, key, file }];
  const kept = (await store.readAll()).audiences.filter(
    (r) => r.key === key && !(facts.keyIn ?? [sandbox]).includes(r.sandbox) && stillNamedElsewhere(r, named),
  );
  return kept.map((r) => {
    const audience = r.audienceId === undefined ? '' : ` (audience ${r.audienceId})`;
    return `${recordId(r.sandbox, key)}${audience} is recorded too, from ${file}, which now names ${key} in sandbox "${sandbox}": it stays recorded and plans hold it (its audience is never deleted); to stop managing it (the audience stays): audiencectl state forget ${key} --sandbox ${r.sandbox}`;
  });
}
