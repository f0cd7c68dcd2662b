import { stillNamedElsewhere } from '../plan/still-named.js';
import { recordId } from '../state/record-id.js';
import type { StateStore } from '../state/store.js';
import type { ManifestFacts } from './import-manifest.js';
import { forgetCommand, type PasteFlags } from '../text/paste-flags.js';

/**
 * What `state import <key> --sandbox <s>` says of the records of the key it leaves in other
 * sandboxes where no manifest of `dir` names it (a move whose forget was skipped), one line
 * each. One whose own file names the key here stays recorded, and plans hold it
 * (src/plan/still-named.ts), never delete it. Any other is a removed manifest to the plan (a
 * same-key manifest of another sandbox is a separate audience): the next apply deletes its
 * audience, which, if it was moved here, only its forget before that apply prevents.
 */
export async function keptElsewhere(
  store: StateStore,
  sandbox: string,
  key: string,
  facts: ManifestFacts,
  dir: string,
  /** The flags its `state forget` carries (src/text/paste-flags.ts). */
  paste?: PasteFlags,
): Promise<string[]> {
  const file = facts.manifestFile;
  if (file === undefined) return [];
  const named = [{ sandbox, key, file }];
  const others = (await store.readAll()).audiences.filter(
    (r) => r.key === key && !(facts.keyIn ?? [sandbox]).includes(r.sandbox),
  );
  const lines: string[] = [];
  for (const r of others) {
    const audience = r.audienceId === undefined ? '' : ` (audience ${r.audienceId})`;
    const forget = forgetCommand(key, r.sandbox, paste);
    if (stillNamedElsewhere(r, named))
      lines.push(
        `${recordId(r.sandbox, key)}${audience} is recorded too, from ${file}, which now names ${key} in sandbox "${sandbox}": it stays recorded and plans hold it (its audience is never deleted); to stop managing it (the audience stays): ${forget}`,
      );
    else if (r.audienceId !== undefined && r.deletionPolicy === 'Delete')
      lines.push(
        `${recordId(r.sandbox, key)}${audience} is recorded too, and no manifest in ${dir} names ${key} in sandbox "${r.sandbox}": the next apply deletes that audience (manifest removed), unless it was moved here; if it was, run this before any apply: ${forget}`,
      );
  }
  return lines;
}
