import type { AepClient, CallOptions } from '../aep/types.js';
import { RunsListCutError } from '../aep/runs-list-cut.js';
import type { AudienceRecord } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { aepFailure, isNotFound } from './aep-failure.js';
import { keptAfterDelete } from '../state/current-runs.js';
import { StateError } from '../state/errors.js';
import { keptRunsOnlyNote } from '../state/describe.js';
import { readBackPatch } from './patch-readback.js';
import { budgetHorizon, removeOrReplace } from './record-helpers.js';
import { settleRunIntent } from './run-intent.js';
import { LATE_RUN_ADOPTED } from './unanswered-run.js';
import { dropSpentLateDeletes } from './late-delete.js';
import type { Clock } from './types.js';
import { pastedFlags, type PasteFlags } from '../text/paste-flags.js';

/**
 * Settles the intents a killed apply left behind, before anything is planned, so the
 * plan starts from what the service really did. A pending create is left to the
 * create step (it looks the name up and adopts what an earlier POST made, and sends the body
 * recorded with it again only once that POST can no longer land unlisted:
 * steps/create-hold.ts). One audience whose intent cannot be settled keeps it and never stops
 * the others: its steps refuse to act while the intent is there.
 */
export async function resumeIntents(
  store: StateStore,
  client: AepClient,
  clock: Clock,
  signal?: AbortSignal,
  /** The flags a note's command carries (src/text/paste-flags.ts). */
  paste?: PasteFlags,
): Promise<string[]> {
  const notes: string[] = [];
  const call = signal ? { signal } : {};
  const records = (await store.readAll()).audiences;
  await dropSpentLateDeletes(store, client, records, clock.now(), call);
  for (const record of records) {
    const intent = record.intent;
    if (!intent || intent.kind === 'create') continue;
    const id = `${record.sandbox}/${record.key}`;
    try {
      notes.push(await resumeOne(store, client, record, clock, call, paste));
    } catch (error) {
      if (signal?.aborted) throw error;
      notes.push(
        `${id}: interrupted ${intent.kind} could not be settled (${aepFailure(error).message}); its intent is kept for the next apply`,
      );
    }
  }
  return notes;
}

async function resumeOne(
  store: StateStore,
  client: AepClient,
  record: AudienceRecord,
  clock: Clock,
  call: CallOptions,
  paste: PasteFlags | undefined,
): Promise<string> {
  const id = `${record.sandbox}/${record.key}`;
  if (record.intent?.kind === 'patch') return resumePatch(store, client, record, clock, call);
  if (record.intent?.kind === 'delete') return resumeDelete(store, client, record, clock, call);
  const settled = await settleRunIntent(store, client, record, clock, call);
  if (settled.kind === 'unknown') {
    const until = settled.listed
      ? `it is settled (check the audience's runs in AEP, then run audiencectl state settle-run ${record.key} --sandbox ${record.sandbox}${pastedFlags(paste, 'state')} with --run-id RUN_ID or --no-run)`
      : 'the service answers';
    return `${id}: cannot tell whether the interrupted run request started a run (${settled.message}); its intent is kept and no run is started until ${until}`;
  }
  if (settled.kind === 'none') {
    return `${id}: interrupted run request shows no run so far: ${LATE_RUN_ADOPTED}, otherwise the plan asks again if still needed`;
  }
  return `${id}: adopted run ${settled.run.runId} started by an interrupted apply`;
}

/**
 * An interrupted PATCH (its outcome unknown) is settled by reading the audience back
 * (readBackPatch): the plan then starts from what the service shows. A read that fails keeps
 * the intent (resumeIntents). Without an audience id or an applied spec (an imported audience,
 * whose plan PATCHes every changeable property) there is nothing to compare: cleared unread.
 */
async function resumePatch(
  store: StateStore,
  client: AepClient,
  record: AudienceRecord,
  clock: Clock,
  call: CallOptions,
): Promise<string> {
  const id = `${record.sandbox}/${record.key}`;
  const { audienceId, applied } = record;
  if (audienceId === undefined || applied === undefined) {
    await store.resolveIntent(record, { kind: 'update', changes: {} });
    return `${id}: interrupted PATCH will be planned again if still needed`;
  }
  const read = await readBackPatch(client, { ...record, audienceId, applied }, clock, call);
  await store.resolveIntent(record, { kind: 'update', changes: read.changes });
  if (!read.shown)
    return `${id}: interrupted PATCH of ${audienceId} not settled by reading the audience back: ${read.said}`;
  return `${id}: interrupted PATCH of ${audienceId} settled by reading the audience back: the service shows ${read.said}; the plan brings the audience to the manifest`;
}

/** What becomes of a DELETE settled as not done, said where it is settled. */
const LATE_DELETE_READ =
  'left for the plan, which reads the audience first for as long as that DELETE may still land';

/**
 * An interrupted DELETE is settled by reading the service, never by sending the DELETE again:
 * the manifest may be back since (a reverted removal), and only the plan, made from the
 * manifests as they are now, may delete (under the delete guards, --max-deletes). An audience
 * the Audiences API shows was not deleted: the intent is cleared and the plan decides. One it
 * does not show is gone, or not seen yet by the replica that answered: one 404 proves nothing.
 * Gone once its runs list, at the service the DELETE went to, is the service's 404 too: then
 * audiencectl's own DELETE removed it, and the delete is finished. Its runs list answering (the
 * page does not say what it answers for a deleted audience), a second read decides: shown, the
 * intent is cleared; not shown either, the delete is finished too. Kept, such an intent would
 * never settle once the manifest is back (review 23b, H1), and reading a live audience as gone
 * twice costs no audience: the record is forgotten, and the plan's create of the manifest is
 * blocked by the audience its name finds, with `state import` as the way out. A read that
 * fails keeps the intent (resumeIntents).
 */
async function resumeDelete(
  store: StateStore,
  client: AepClient,
  record: AudienceRecord,
  clock: Clock,
  call: CallOptions,
): Promise<string> {
  const id = `${record.sandbox}/${record.key}`;
  const audienceId = await deletedAudienceId(client, record, call);
  // Not done so far: the DELETE may still land, and the intent is kept as the mark of it.
  const notDone = { unansweredDelete: { ...record.intent!, audienceId } };
  if (await client.getAudience(record.sandbox, audienceId, call)) {
    await store.resolveIntent(record, { kind: 'update', changes: notDone });
    return `${id}: interrupted delete of ${audienceId} did not happen (the audience is still there); ${LATE_DELETE_READ}`;
  }
  let why = '';
  if (!(await runsListGone(client, record.sandbox, audienceId, call))) {
    const read = await client.bulkGetAudiences(record.sandbox, [audienceId], call);
    if (read.get(audienceId)) {
      await store.resolveIntent(record, { kind: 'update', changes: notDone });
      return `${id}: interrupted delete of ${audienceId} did not happen (its lookup answered 404, but its runs list answers and a second read shows the audience); ${LATE_DELETE_READ}`;
    }
    why = ' (neither its lookup nor a second read shows the audience; its runs list still answers)';
  }
  // What the DELETE keeps unkilled (deleteStep): a replace's record for its create, a removal's
  // runs that still count against the daily run budget.
  const forReplace = record.intent?.forReplace === true;
  const kept = keptAfterDelete(record, audienceId, budgetHorizon({ clock, client }), forReplace);
  await removeOrReplace(store, record, kept);
  return `${id}: finished an interrupted delete of ${audienceId}${why}${deleteKeptNote(forReplace, kept)}`;
}

/**
 * The audience an interrupted DELETE went to: its intent's, or (an intent of an earlier release)
 * the record's, or the one its create's operation names, which is where the delete step took it
 * from. Cleared unread, such an intent let a reverted removal's create adopt, from that
 * operation, the audience audiencectl's own DELETE had removed (review 24, M1). None to be
 * learnt: thrown, and the intent kept (resumeIntents).
 */
async function deletedAudienceId(
  client: AepClient,
  record: AudienceRecord,
  call: CallOptions,
): Promise<string> {
  const known = record.intent?.audienceId ?? record.audienceId;
  if (known !== undefined) return known;
  const operation = record.operationId;
  const made =
    operation === undefined
      ? undefined
      : (await client.getOperation(record.sandbox, operation, call)).audienceId;
  if (made !== undefined) return made;
  throw new StateError(
    'DELETE_TARGET_UNKNOWN',
    `no audience id is recorded for it${operation === undefined ? '' : `, and its create's operation ${operation} names none`}`,
  );
}

/**
 * Whether the audience's runs list is the service's 404 (a proxy's page, any other failure:
 * thrown); false when it answers. A page cut short by its count that listRuns will not read as
 * the list (RunsListCutError) answered all the same: rethrown, it kept the intent of an
 * audience with more than a page of runs for good (review runs-40, M-3).
 */
async function runsListGone(
  client: AepClient,
  sandbox: string,
  audienceId: string,
  call: CallOptions,
): Promise<boolean> {
  try {
    await client.listRuns(sandbox, audienceId, call);
    return false;
  } catch (error) {
    if (error instanceof RunsListCutError) return false;
    if (isNotFound(aepFailure(error))) return true;
    throw error;
  }
}

/** What a settled delete says the record kept (keptAfterDelete). */
function deleteKeptNote(forReplace: boolean, kept: AudienceRecord | undefined): string {
  if (forReplace) {
    return " (a replace's: the record is kept, with the runs that count against the daily run budget, and the plan creates the audience again)";
  }
  return kept ? `; ${keptRunsOnlyNote(kept)}` : '';
}
