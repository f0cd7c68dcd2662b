import type { AepClient, CallOptions, Run, RunsListed } from '../aep/types.js';
import { RunsListCutError } from '../aep/runs-list-cut.js';
import type { AppliedSpec, AudienceRecord, Intent, RunRecord } from '../state/schema.js';
import { epochSecondsOf } from '../state/instant.js';
import { requestToken } from '../plan/runs.js';
import type { StateStore } from '../state/store.js';
import { adoptedRunTime, matchRun, runRecord } from './adopt-run.js';
import { aepFailure } from './aep-failure.js';
import { budgetHorizon } from './record-helpers.js';
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

/** What one runs list says of a pending run intent's request, before anything is written. */
export type RunIntentReading =
  | { kind: 'adopt'; run: Run }
  | { kind: 'none'; listed?: RunsListed }
  | { kind: 'unknown'; message: string; listed?: true };

/**
 * Reads the audience's runs once and matches them against the record's pending run intent
 * (matchRun). An audience without an id has no runs: "none" without a call. A failed or refused
 * list is never read as "no run": that is how a run is started twice.
 */
export async function readRunIntent(
  client: Pick<AepClient, 'listRuns' | 'serviceClock'>,
  record: AudienceRecord,
  call: CallOptions,
): Promise<RunIntentReading> {
  const intent = pendingRun(record);
  if (!record.audienceId) return { kind: 'none' };
  let listed: RunsListed;
  try {
    listed = await client.listRuns(record.sandbox, record.audienceId, call);
  } catch (error) {
    // A page cut from more, oldest first, shows no run past it; but a count unchanged since the
    // list before the request says the request started none (runs are never removed).
    if (error instanceof RunsListCutError && error.listed.totalCount === intent.countedBefore)
      return { kind: 'none', listed: error.listed };
    return { kind: 'unknown', message: aepFailure(error).message };
  }
  const { inService } = intentTimes(intent, client);
  const match = matchRun(listed, intent, inService, new Set(record.runs.map((r) => r.runId)));
  if (match.kind === 'unknown') return { kind: 'unknown', message: match.why, listed: true };
  if (match.kind === 'adopt') return { kind: 'adopt', run: match.run };
  return { kind: 'none', listed };
}

/**
 * Settles a pending run intent by reading the audience's runs (readRunIntent): adopts the run
 * it shows, or clears the intent where it shows none; keeps it where the list cannot tell.
 */
export async function settleRunIntent(
  store: StateStore,
  client: AepClient,
  record: AudienceRecord,
  clock: Clock,
  call: CallOptions,
): Promise<RunIntentOutcome> {
  const reading = await readRunIntent(client, record, call);
  if (reading.kind === 'unknown') return reading;
  if (reading.kind === 'none') {
    // Kept once cleared: the service may still be working on the request (a gateway's 504 while
    // it goes on; a killed apply's request not landed yet), and the run it then starts is its
    // own (AudienceRecord.unansweredRun), on the audience it went to. No audience id: no request
    // can have been sent.
    const { audienceId } = record;
    const changes = audienceId === undefined ? {} : { unansweredRun: { ...pendingRun(record), audienceId } };
    const cleared = await store.resolveIntent(record, { kind: 'update', changes });
    return { kind: 'none', record: cleared ?? record, ...(reading.listed ? { listed: reading.listed } : {}) };
  }
  const changes = adoptionChanges(record, reading.run, client, clock);
  const stored = await store.resolveIntent(record, { kind: 'update', changes });
  return { kind: 'adopted', run: changes.run, record: stored ?? record };
}

/** A pending intent of a run request. */
export type RunIntent = Intent & { kind: 'run' };

/** Whether `intent` is a run intent. */
export function isRunIntent(intent: Intent | undefined): intent is RunIntent {
  return intent?.kind === 'run';
}

function pendingRun(record: AudienceRecord): RunIntent {
  if (!isRunIntent(record.intent)) throw new Error('a record with a run intent is needed here');
  return record.intent;
}

/**
 * The intent's time (the local clock's) and the same time in AEP's clock, shifted by the offset
 * `client`'s last answer showed, whatever its size (as findOwnCreate does). serviceShift is 0
 * within the plan's 5-minute tolerance, and a service clock 2 to 5 minutes behind would then put
 * the run the request started before the adoption margin.
 */
function intentTimes(intent: RunIntent, client: Pick<AepClient, 'serviceClock'>) {
  const since = epochSecondsOf(intent.startedAt);
  return { since, inService: since + (measuredOffset(client) ?? 0) };
}

/**
 * What the record keeps of `started`, the run its pending run intent's request started
 * (`record.intent`), found by settleRunIntent or named by a person (`state settle-run`): the
 * run, timed as below, and the `ingestion.request` token its reason honours. `client` has
 * just answered, so its clock reading is fresh. Where the run does not say its
 * dataFilterStartTime, the one the intent sent is recorded. As a run started and answered
 * does, it drops the runs of deleted audiences that no longer count (budgetHorizon).
 */
export function adoptionChanges(
  record: AudienceRecord,
  started: Run,
  client: Pick<AepClient, 'serviceClock'>,
  clock: Clock,
): { run: RunRecord; applied?: AppliedSpec; formerRunsAfter: number } {
  const intent = pendingRun(record);
  const { since, inService } = intentTimes(intent, client);
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
    ...runRecord(started, { start: intent.dataFilterStartTime ?? 0, now: local + shift, reason }),
    createdAt: began,
    // The request's count, as a run whose answer came back records it: the next run step counts
    // the runs past a counted page from it (hidden-runs.ts; review verify-39, M-3).
    ...(intent.countedBefore === undefined ? {} : { countedBefore: intent.countedBefore }),
  };
  const token = requestToken(reason);
  const applied =
    token !== undefined && record.applied ? { ...record.applied, ingestionRequest: token } : undefined;
  return { run, ...(applied ? { applied } : {}), formerRunsAfter: budgetHorizon({ clock, client }) };
}
