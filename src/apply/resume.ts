import type { AepClient, CallOptions } from '../aep/types.js';
import type { AudienceRecord } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { aepFailure, isNotFound, isRefusal } from './aep-failure.js';
import { keptAfterDelete } from '../state/current-runs.js';
import { keptRunsOnlyNote } from '../state/describe.js';
import { budgetHorizon, removeOrReplace } from './record-helpers.js';
import { settleRunIntent } from './run-intent.js';
import type { Clock } from './types.js';
import { pastedFlags, type PasteFlags } from '../text/paste-flags.js';

/**
 * Settles the intents a killed apply left behind, before anything is planned, so the
 * plan starts from what the service really did. A pending create is left to the
 * create step (it sends again the body recorded with it; repeating it is made safe by
 * the service's duplicate-name check). One audience whose intent cannot be settled keeps
 * it and never stops the others: its steps refuse to act while the intent is there.
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
  for (const record of (await store.readAll()).audiences) {
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
  if (record.intent?.kind === 'patch') {
    // PATCH is idempotent: the plan repeats it if the recorded spec still differs.
    await store.resolveIntent(record, { kind: 'update', changes: {} });
    return `${id}: interrupted PATCH will be planned again if still needed`;
  }
  if (record.intent?.kind === 'delete') return resumeDelete(store, client, record, clock, call);
  const settled = await settleRunIntent(store, client, record, clock, call);
  if (settled.kind === 'unknown') {
    const until = settled.listed
      ? `it is settled (check the audience's runs in AEP, then run audiencectl state settle-run ${record.key} --sandbox ${record.sandbox}${pastedFlags(paste, 'state')} with --run-id RUN_ID or --no-run)`
      : 'the service answers';
    return `${id}: cannot tell whether the interrupted run request started a run (${settled.message}); its intent is kept and no run is started until ${until}`;
  }
  if (settled.kind === 'none') {
    return `${id}: interrupted run request did not start a run; the plan asks again if still needed`;
  }
  return `${id}: adopted run ${settled.run.runId} started by an interrupted apply`;
}

/**
 * An interrupted DELETE is settled by asking the service first: an audience the Audiences
 * API still shows was not deleted, and only the plan, made from the manifests as they are
 * now, may delete it (the manifest may be back since: a reverted removal). One it does not
 * show is gone, or too new to be listed: the DELETE is sent again, and its 404 says gone.
 * A DELETE sent again that the service does not answer (a proxy's 404 page, a 5xx, a cut
 * connection) says nothing: the audience is looked up again, and only the service's answer
 * decides (gone: finished; still there: left for the plan; the lookup failing: the intent kept).
 */
async function resumeDelete(
  store: StateStore,
  client: AepClient,
  record: AudienceRecord,
  clock: Clock,
  call: CallOptions,
): Promise<string> {
  const id = `${record.sandbox}/${record.key}`;
  if (!record.audienceId) {
    await store.resolveIntent(record, { kind: 'update', changes: {} });
    return `${id}: interrupted delete had no audience id; left for the plan`;
  }
  if (await client.getAudience(record.sandbox, record.audienceId, call)) {
    await store.resolveIntent(record, { kind: 'update', changes: {} });
    return `${id}: interrupted delete of ${record.audienceId} did not happen (the audience is still there); left for the plan`;
  }
  /** Why the audience is taken as gone, beyond the DELETE's own 404. */
  let proof = '';
  try {
    await client.deleteAudience(record.sandbox, record.audienceId, call);
  } catch (error) {
    const failure = aepFailure(error);
    // The service's own 404 says gone; its refusal, that nothing was done.
    if (!isNotFound(failure) && isRefusal(failure)) {
      await store.resolveIntent(record, { kind: 'update', changes: {} });
      return `${id}: interrupted delete could not be finished (${failure.message}); the plan retries it`;
    }
    // No answer of the service: looked up again (a lookup that fails throws: the intent is kept).
    if (!isNotFound(failure)) {
      if (await client.getAudience(record.sandbox, record.audienceId, call)) {
        await store.resolveIntent(record, { kind: 'update', changes: {} });
        return `${id}: interrupted delete of ${record.audienceId} could not be finished (${failure.message}) and the audience is still there; left for the plan`;
      }
      proof = `: the service's lookup shows it gone (the DELETE sent again got no answer of the service: ${failure.message})`;
    }
  }
  // What the DELETE keeps unkilled (deleteStep): a replace's record for its create, a removal's
  // runs that still count against the daily run budget.
  const forReplace = record.intent?.forReplace === true;
  const kept = keptAfterDelete(record, record.audienceId, budgetHorizon({ clock, client }), forReplace);
  await removeOrReplace(store, record, kept);
  return `${id}: finished an interrupted delete of ${record.audienceId}${proof}${deleteKeptNote(forReplace, kept)}`;
}

/** What a settled delete says the record kept (keptAfterDelete). */
function deleteKeptNote(forReplace: boolean, kept: AudienceRecord | undefined): string {
  if (forReplace) {
    return " (a replace's: the record is kept, with the runs that count against the daily run budget, and the plan creates the audience again)";
  }
  return kept ? `; ${keptRunsOnlyNote(kept)}` : '';
}
