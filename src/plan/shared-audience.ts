import type { DesiredManifest } from '../manifest/load.js';
import type { AudienceRecord } from '../state/schema.js';
import { recordId } from '../state/record-id.js';
import type { PasteFlags } from '../text/paste-flags.js';
import { dropRecordText } from './stray-record.js';

/**
 * Why a removal of `record` must not delete: another record that this plan does not remove
 * holds the same audience. An audience belongs to one record (state import and adopt refuse a
 * second), so `record` is a copy made outside audiencectl (a state file duplicated under
 * another key, a row inserted by hand): its manifest was never removed, and deleting "its"
 * audience would delete the one the other record's manifest defines. Undefined: none does.
 */
export function sharedAudienceReason(
  record: AudienceRecord,
  holders: ReadonlyMap<string, readonly AudienceRecord[]>,
  removed: ReadonlySet<string>,
  desired: readonly DesiredManifest[],
  paste: PasteFlags | undefined,
): string | undefined {
  const own = recordId(record.sandbox, record.key);
  const other = holders
    .get(record.audienceId ?? '')
    ?.find((r) => recordId(r.sandbox, r.key) !== own && !removed.has(recordId(r.sandbox, r.key)));
  if (other === undefined) return undefined;
  const otherId = recordId(other.sandbox, other.key);
  const manifest = desired.find((m) => recordId(m.sandbox, m.key) === otherId);
  const kept = manifest ? `whose manifest ${manifest.file} is read` : 'which this plan does not remove';
  const drop = dropRecordText(record, paste);
  return `its audience ${record.audienceId} is also recorded for ${otherId}, ${kept}: a record copied outside audiencectl?; the audience is left as it is; if this record is a copy, ${drop}`;
}
