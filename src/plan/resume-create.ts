import type { AudienceSpec } from '../manifest/schema.js';
import type { AudienceRecord } from '../state/schema.js';
import type { AppliedTarget, PlainStep } from './schema.js';
import { forgetCommand, stateImportCommand, manifestsDirNote, type PasteFlags } from '../text/paste-flags.js';
import { CREATE_LANDS_WITHIN_MS, repeatWait, untimedShows } from '../state/create-repeat-wait.js';

/** How a create whose audience id is not recorded yet goes on: what it sends and records, and why. */
export type ResumedCreate = {
  reason: string;
  extra: Partial<PlainStep>;
};

const INTERRUPTED = 'resume: the create was interrupted before its audience id was recorded';

/**
 * A create already sent (an intent or an operation is recorded) is finished as it was sent,
 * never as the manifest says now: a POST of another name would make a second audience, and
 * the audience the first one made would be left unmanaged. So the step sends the recorded
 * body again (its 409 finds the audience by that name, ours since the intent proves it) and
 * records that spec as applied; the next plan then changes the audience to the manifest
 * (PATCH, rename or replace), shown and guarded as any change is. Planning that change in
 * this apply would need the audience id the create step learns, which a plan made before
 * the apply cannot hold.
 *
 * A create intent written before the body was recorded (an earlier release) says only the
 * spec's hash: when it is not the manifest's, the name sent is unknown, and the step is
 * blocked rather than POST a second audience.
 */
export function resumeCreate(
  record: AudienceRecord,
  target: AppliedTarget,
  /** The flags its commands carry (src/text/paste-flags.ts). */
  paste: PasteFlags | undefined,
  /** The planner's time (it reads no clock): when the apply's hold ends is told against it. */
  clock: PlanTime,
): ResumedCreate {
  const sent = record.pendingCreate;
  const held = heldNote(record, clock, paste);
  if (sent) {
    const sentTarget: AppliedTarget = { ...target, spec: sent.spec, hash: sent.hash };
    const extra = { create: sent.body satisfies AudienceSpec, target: sentTarget };
    if (sent.hash === target.hash) return { reason: `${INTERRUPTED}${held}`, extra };
    const how = record.operationId
      ? `its operation ${record.operationId} is awaited`
      : `it is sent again as it was (the audience the first POST made, if any, is adopted)${held}`;
    return {
      reason: `resume: an interrupted create sent "${sent.body.name}", an earlier spec than the manifest's; ${how} and recorded as sent; the next plan changes it to the manifest`,
      extra,
    };
  }
  const intent = record.intent;
  if (!intent && record.operationId === undefined) {
    // Nothing was sent, or what was made nothing (dropCreate): a record kept for its runs.
    return { reason: `the record holds no audience${keptFor(record)}: create it`, extra: {} };
  }
  if (intent?.kind === 'create' && intent.specHash !== undefined && intent.specHash !== target.hash) {
    return {
      reason: INTERRUPTED,
      extra: {
        blocked: `an interrupted create from ${intent.startedAt} sent another spec than the manifest's (spec hash ${intent.specHash}, now ${target.hash}), and the release that sent it did not record its name: creating again could make a second audience. Find the audience it made in sandbox "${record.sandbox}"; then run: ${stateImportCommand(record.key, record.sandbox, paste)}${manifestsDirNote(paste)} (or, if none was made, ${forgetCommand(record.key, record.sandbox, paste)})`,
      },
    };
  }
  return { reason: `${INTERRUPTED}${held}`, extra: {} };
}

/** `now`: epoch seconds, this machine's; `offset`: AEP's clock minus it, when measured. */
export type PlanTime = { now: number; offset: number | undefined };

/**
 * What the apply does with a create whose earlier POST may still land (an open create intent,
 * no operation recorded): it adopts the audience once the service lists it, and sends the create
 * again only once the wait for that POST to show has passed (apply/steps/create-hold.ts holds it
 * until then, exit 3). The times are the record's, read as the hold reads them (repeatWait), and
 * shown in this machine's clock, as the apply's message shows them. A record that shows no time
 * for that POST is held by every apply while the service lists none of its own (create-hold.ts,
 * untimed): said so, with the way out the apply names. Empty for any other record.
 */
function heldNote(record: AudienceRecord, clock: PlanTime, paste: PasteFlags | undefined): string {
  if (record.intent?.kind !== 'create' || record.operationId !== undefined) return '';
  const wait = repeatWait(record, clock.offset);
  const minutes = CREATE_LANDS_WITHIN_MS / 60_000;
  if (wait === undefined) {
    const { key, sandbox } = record;
    return `; its state record shows ${untimedShows(record)} for its earlier POST, so the wait for that POST to show cannot be timed: the apply adopts the audience it made if the service lists it, else holds the step (exit 3) and never sends the create again; if that POST made the audience, find its id in AEP, then run: ${stateImportCommand(key, sandbox, paste)}${manifestsDirNote(paste)}; if it made none, run: ${forgetCommand(key, sandbox, paste)} and apply again`;
  }
  const local = (ms: number) => new Date(ms - (clock.offset ?? 0) * 1000).toISOString();
  const from = local(wait.fromMs);
  const sentAt = `; its earlier POST was sent at ${local(wait.postMs)}`;
  if (wait.fromMs - (clock.offset ?? 0) * 1000 <= clock.now * 1000)
    return `${sentAt}: the apply adopts the audience it made if the service lists it, else sends the create again (the ${minutes}-minute wait for that POST to show passed at ${from})`;
  return `${sentAt} and may still land: the apply adopts the audience once the service lists it, and sends the create again only from ${from} (${minutes} minutes after that POST; until then, while the service lists none of its own, the step is held, exit 3)`;
}

/**
 * What a record without an audience keeps: runs of deleted audiences (for the daily run budget),
 * and, after a re-create refused (heldUnlisted, keptByReplace, keptByRefresh), the mark of the
 * name its deleted audience held (`applied` without an audience id).
 */
function keptFor(record: AudienceRecord): string {
  const former = record.runs.some((run) => run.formerAudienceId !== undefined);
  const mark = record.audienceId === undefined && record.applied !== undefined;
  if (former && mark)
    return ' (the runs of its deleted audience, kept for the daily run budget, and the mark of the name it held)';
  if (mark) return ' (the mark of the name its deleted audience held)';
  if (former) return ' (only the runs of a former audience, kept for the daily run budget)';
  return '';
}
