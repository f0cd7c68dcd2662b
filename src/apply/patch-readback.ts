import type { AepClient, CallOptions } from '../aep/types.js';
import { asShown } from '../plan/drift.js';
import { specHash } from '../plan/normalise.js';
import { unknownAfterPatchOf } from '../plan/unknown-after-patch.js';
import type { AudienceRecord } from '../state/schema.js';
import type { RecordChanges } from '../state/record-changes.js';
import { foundAudience } from './refresh.js';
import type { Clock } from './types.js';

/** What reading an audience back after a PATCH of unknown outcome settles, before it is written. */
export type PatchReadBack = {
  /** Whether the service showed the audience (else nothing is recorded of it). */
  shown: boolean;
  /** Written with the intent's clearing. */
  changes: RecordChanges;
  /** What was read, as a note says it after "the service shows …" or "not shown: …". */
  said: string;
};

/**
 * A PATCH whose outcome is unknown (a 5xx, a lost answer, a killed apply) is settled by reading
 * the audience back, with the read a refresh makes (bulk-get, refresh.ts): the applied spec
 * recorded takes what the service shows of the properties it shows (drift.ts asShown), so the
 * plan PATCHes the audience to the manifest whichever spec it holds, and nothing when it
 * matches. Recorded unread, the spec before the PATCH let a manifest reverted since be planned
 * as "No changes" over an audience holding what the PATCH sent. Not shown: its lookup asks again
 * (one 404 proves nothing); shown by neither, nothing is recorded gone, the record stays as it
 * was, and the note names the refresh that reads it back and creates it again only if it is
 * gone, as a PATCH's 404 does (steps/update.ts). A read that fails throws: the caller keeps the
 * intent. Only for a record with an audience id and an applied spec.
 * What the PATCH sent that the service never shows (a field's labels: Intent.unseenChanged) no
 * read can settle: shown or not, the record marks it unknown (unknownAfterPatch), and the plan
 * PATCHes it to the manifest even when the manifest is back to the spec recorded before; kept
 * unmarked, a manifest reverted since was planned as "No changes" over an audience holding what
 * the PATCH sent. An intent of an earlier release does not say what it sent: as before, unmarked.
 */
export async function readBackPatch(
  client: AepClient,
  record: AudienceRecord & { audienceId: string; applied: NonNullable<AudienceRecord['applied']> },
  clock: Clock,
  call: CallOptions,
): Promise<PatchReadBack> {
  const { audienceId, applied } = record;
  const at = new Date(clock.now()).toISOString();
  const marked = unknownMark(record);
  const read = await client.bulkGetAudiences(record.sandbox, [audienceId], call);
  const shown = read.get(audienceId) ?? (await client.getAudience(record.sandbox, audienceId, call));
  if (!shown) {
    return {
      shown: false,
      changes: marked.changes,
      said: 'neither a bulk read nor its lookup shows it (one 404 proves nothing); its record is kept as it was, with the spec before the PATCH, which the service may not hold: apply --refresh (under a controller, its next refresh) reads the audience back and creates it again only if it is gone',
    };
  }
  const { spec, differ } = asShown(applied.spec, foundAudience(shown, audienceId));
  return {
    shown: true,
    changes: {
      applied: { ...applied, spec, hash: specHash(spec) },
      observed: { source: 'audiences', at, body: { ...shown } },
      ...marked.changes,
    },
    said:
      (differ.length === 0
        ? 'the description, labels and ttlInDays recorded before it'
        : `${differ.map((d) => `${d.path} ${JSON.stringify(d.now)}`).join(', ')}, recorded`) + marked.said,
  };
}

/**
 * The mark of what the PATCH sent unseen, kept with what an earlier unknown PATCH left marked
 * (unknownAfterPatchOf): until a PATCH of them is answered, the service may hold either. Dated
 * when the PATCH began (its intent), not when it was settled (a resume the next day). Also for a
 * PATCH whose retry got a 404 (steps/update.ts): its first attempt may have landed all the same.
 */
export function unknownMark(record: AudienceRecord): { changes: RecordChanges; said: string } {
  const mark = unknownAfterPatchOf(record);
  if (mark === undefined) return { changes: {}, said: '' };
  return {
    changes: { unknownAfterPatch: mark },
    said: `; ${mark.paths.join(', ')} marked unknown (the service never shows them; the plan PATCHes them to the manifest)`,
  };
}
