import { audienceNameKey } from '../manifest/duplicates.js';
import type { AudienceRecord } from '../state/schema.js';

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
