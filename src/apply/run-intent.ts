import type { AepClient, CallOptions, Run, RunsListed } from '../aep/types.js';
import type { AppliedSpec, AudienceRecord, RunRecord } from '../state/schema.js';
import { epochSecondsOf } from '../state/instant.js';
import { requestToken } from '../plan/runs.js';
import type { StateStore } from '../state/store.js';
import { adoptedRunTime, matchRun, runRecord } from './adopt-run.js';
import { aepFailure } from './aep-failure.js';
import { measuredOffset, serviceShift } from './service-time.js';
import type { Clock } from './types.js';

/** What the service says about a run request whose answer never came. */
export type RunIntentOutcome =
  /** It started a run: now recorded, the intent cleared. */
  | { kind: 'adopted'; run: RunRecord; record: AudienceRecord }
  /**
   * It started nothing: the intent is cleared, a run may be asked for again. `listed`: the
   * runs list this was read from (none when the audience has no id), to start the next from.
   */
  | { kind: 'none'; record: AudienceRecord; listed?: RunsListed }
  /**
   * The runs list could not be read, or (`listed`) it was read and cannot tell, which listing
   * again will not change while the audience's runs do not: the intent is kept, nothing may
   * be started.
   */
  | { kind: 'unknown'; message: string; listed?: true };

/**
 * Settles a pending run intent by reading the audience's runs. A failed or refused
 * list is never read as "no run": that is how a run is started twice.
 */
export async function settleRunIntent(
  store: StateStore,
  client: AepClient,
  record: AudienceRecord,
  clock: Clock,
  call: CallOptions,
  start?: number,
): Promise<RunIntentOutcome> {
  const intent = record.intent;
  if (intent?.kind !== 'run') throw new Error('settleRunIntent needs a record with a run intent');
  const since = epochSecondsOf(intent.startedAt);
  // The intent's time is the local clock's, runs' are AEP's: compared in AEP's, with the
  // offset its answer just showed whatever its size (as findOwnCreate does). serviceShift
  // is 0 within the plan's 5-minute tolerance, and a service clock 2 to 5 minutes behind
  // would then put the run the request started before the adoption margin.
  let inService = since;
  let started: Run | undefined;
  let listed: RunsListed | undefined;
  if (record.audienceId) {
    try {
      listed = await client.listRuns(record.sandbox, record.audienceId, call);
    } catch (error) {
      return { kind: 'unknown', message: aepFailure(error).message };
    }
    inService = since + (measuredOffset(client) ?? 0);
    const match = matchRun(listed, intent, inService, new Set(record.runs.map((r) => r.runId)));
    if (match.kind === 'unknown') return { kind: 'unknown', message: match.why, listed: true };
    if (match.kind === 'adopt') started = match.run;
  }
  if (!started) {
    const cleared = await store.resolveIntent(record, { kind: 'update', changes: {} });
    return { kind: 'none', record: cleared ?? record, ...(listed ? { listed } : {}) };
  }
  const changes = adoptionChanges(record, started, client, clock, start);
  const stored = await store.resolveIntent(record, { kind: 'update', changes });
  return { kind: 'adopted', run: changes.run, record: stored ?? record };
}

/**
 * What the record keeps of `started`, the run its pending run intent's request started
 * (`record.intent`), found by settleRunIntent or named by a person (`state settle-run`): the
 * run, timed as below, and the `ingestion.request` token its reason honours. `client` has
 * just answered, so its clock reading is fresh. `start`: the dataFilterStartTime to record
 * where the run does not say (default: the one the intent sent).
 */
export function adoptionChanges(
  record: AudienceRecord,
  started: Run,
  client: Pick<AepClient, 'serviceClock'>,
  clock: Clock,
  start?: number,
): { run: RunRecord; applied?: AppliedSpec } {
  const intent = record.intent;
  if (intent?.kind !== 'run') throw new Error('adoptionChanges needs a record with a run intent');
  const since = epochSecondsOf(intent.startedAt);
  const inService = since + (measuredOffset(client) ?? 0);
  const reason = intent.runReason;
  const local = Math.floor(clock.now() / 1000);
  const shift = serviceShift(client);
  // Its createdAt may be the audience's creation time (docs/state.md): taken only where it lies
  // between the request and now (AEP's clock), else the request's time (the decision's clock).
  const began = adoptedRunTime(started.createdAt, {
    requested: inService,
    now: local + (measuredOffset(client) ?? 0),
    fallback: since + shift,
  });
  const run: RunRecord = {
    ...runRecord(started, { start: start ?? intent.dataFilterStartTime ?? 0, now: local + shift, reason }),
    createdAt: began,
  };
  const token = requestToken(reason);
  const applied =
    token !== undefined && record.applied ? { ...record.applied, ingestionRequest: token } : undefined;
  return { run, ...(applied ? { applied } : {}) };
}
