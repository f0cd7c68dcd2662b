import { audienceNameKey } from '../manifest/duplicates.js';
import type { AudienceRecord } from '../state/schema.js';
import { stateImportCommand, manifestsDirNote, type PasteFlags } from '../text/paste-flags.js';

/**
 * The name a record's create was blocked for (the service refused it, and lists an audience of
 * that name that is not this record's), when the manifest no longer names it, compared as the
 * service compares names (audienceNameKey): the block was about that name, so the create of
 * the manifest's new name is planned (and applied) as any create is. `undefined` while the
 * manifest still names it, and for a block that recorded no name (written by an earlier
 * release), which stays until `state import` or `state forget`.
 */
export function nameLeftBehind(
  record: Pick<AudienceRecord, 'blocked'>,
  specName: string,
): string | undefined {
  const refused = record.blocked?.name;
  if (refused === undefined) return undefined;
  return audienceNameKey(refused) === audienceNameKey(specName) ? undefined : refused;
}

/** `record` without its block (in the write that begins the create's intent). */
export function withoutBlock(record: AudienceRecord): AudienceRecord {
  const copy = { ...record };
  delete copy.blocked;
  return copy;
}

/** The other way out of a block for a name, added to its import hint. */
export const blockedNameWayOut =
  '; or change spec.name in the manifest to a name no audience holds: its create is then planned again';

/**
 * How to record the audience a create was blocked by: with exactly one audience listed under
 * the name (`found`), the finished `state import` with its id (shell-quoted); with several,
 * which to choose from; with none known (an unread list, a block of an earlier release), the
 * AUDIENCE_ID placeholder. `paste`: the flags the printed command carries.
 */
export function blockedImportHint(
  where: { readonly key: string; readonly sandbox: string },
  paste: PasteFlags | undefined,
  found: readonly string[] | undefined,
): string {
  const command = (id?: string): string =>
    `${stateImportCommand(where.key, where.sandbox, paste, id)}${manifestsDirNote(paste)}`;
  const [only] = found ?? [];
  if (found?.length === 1 && only !== undefined)
    return `if it is this manifest's audience, run: ${command(only)}`;
  if (found !== undefined && found.length > 1)
    return `find which of the audiences found is this manifest's, then run: ${command()}`;
  return `find its id in AEP, then run: ${command()}`;
}
