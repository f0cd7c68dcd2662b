import type { DesiredManifest } from '../manifest/load.js';
import type { AudienceRecord, Intent } from '../state/schema.js';
import { recordId } from '../state/record-id.js';
import { compareText } from '../text/compare.js';
import type { PendingIntent } from './schema.js';

const withAudienceId = (audienceId: string | undefined) => (audienceId === undefined ? {} : { audienceId });

/**
 * The intents apply settles before it plans (src/apply/resume.ts: delete, patch, run): `plan`
 * reads no service and settles nothing, so a plan made over one could say "No changes" while
 * apply, settling it first, finishes a delete and creates the audience again (review 23, L2),
 * or finds no run where an onCreate run was asked for and starts one.
 *
 * A create intent is left out on purpose: apply does not settle it before it plans (resume.ts
 * skips it); the create step does, and the plan shows that step for it ("resume: the create
 * was interrupted …", or a removed manifest's blocked forget), counted as a change already.
 * Listed here too, the same call would be shown twice, once as settled before planning, which
 * it is not.
 */
export function pendingIntents(
  manifests: readonly DesiredManifest[],
  records: Iterable<AudienceRecord>,
): PendingIntent[] {
  // Built for the first intent: most plans have none, and need no id per manifest.
  let desired: Set<string> | undefined;
  const pending: PendingIntent[] = [];
  for (const record of records) {
    const intent = record.intent;
    if (intent === undefined) continue;
    desired ??= new Set(manifests.map((m) => recordId(m.sandbox, m.key)));
    const shown = pendingOf(intent, {
      sandbox: record.sandbox,
      key: record.key,
      // A delete's intent holds the id its DELETE went to (an earlier release's: the record's).
      ...withAudienceId(intent.audienceId ?? record.audienceId),
      manifest: desired.has(recordId(record.sandbox, record.key)),
    });
    if (shown !== undefined) pending.push(shown);
  }
  return pending.sort((a, b) => compareText(a.sandbox, b.sandbox) || compareText(a.key, b.key));
}

type Common = Pick<PendingIntent, 'sandbox' | 'key' | 'audienceId' | 'manifest'>;

/** `intent` as the plan lists it; undefined for a create's (see pendingIntents). */
function pendingOf(intent: Intent, common: Common): PendingIntent | undefined {
  switch (intent.kind) {
    case 'create':
      return undefined;
    case 'delete':
      return { ...common, kind: 'delete', ...(intent.forReplace === true ? { forReplace: true } : {}) };
    case 'patch': {
      const unseen = intent.unseenChanged ?? [];
      return { ...common, kind: 'patch', ...(unseen.length > 0 ? { unseen } : {}) };
    }
    case 'run':
      return {
        ...common,
        kind: 'run',
        ...(intent.runReason === undefined ? {} : { runReason: intent.runReason }),
      };
  }
}
