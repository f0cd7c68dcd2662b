import type { DesiredManifest } from '../manifest/load.js';
import type { AudienceRecord } from '../state/schema.js';
import { recordId } from '../state/record-id.js';
import { compareText } from '../text/compare.js';
import type { PendingIntent } from './schema.js';

const withAudienceId = (audienceId: string | undefined) => (audienceId === undefined ? {} : { audienceId });

/**
 * The delete intents the state holds (review 23, L2): `plan` reads no service and settles
 * nothing, so a plan made over one could say "No changes" while apply, settling it first,
 * finishes the delete and then creates the audience again.
 */
export function pendingIntents(
  manifests: readonly DesiredManifest[],
  records: Iterable<AudienceRecord>,
): PendingIntent[] {
  const desired = new Set(manifests.map((m) => recordId(m.sandbox, m.key)));
  const pending: PendingIntent[] = [];
  for (const record of records) {
    if (record.intent?.kind !== 'delete') continue;
    pending.push({
      sandbox: record.sandbox,
      key: record.key,
      kind: 'delete',
      // A record whose create's operation gave the id to the delete step holds it in the intent.
      ...withAudienceId(record.intent.audienceId ?? record.audienceId),
      ...(record.intent.forReplace === true ? { forReplace: true as const } : {}),
      manifest: desired.has(recordId(record.sandbox, record.key)),
    });
  }
  return pending.sort((a, b) => compareText(a.sandbox, b.sandbox) || compareText(a.key, b.key));
}
