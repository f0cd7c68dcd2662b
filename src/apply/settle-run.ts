import type { AepClient, CallOptions, Run, RunsListed } from '../aep/types.js';
import { RunsListCutError } from '../aep/runs-list-cut.js';
import { StateError } from '../state/errors.js';
import { recordId } from '../state/record-id.js';
import type { AudienceRecord, RunRecord } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { aepFailure, isNotFound } from './aep-failure.js';
import {
  adoptionChanges,
  isRunIntent,
  readRunIntent,
  type RunIntent,
  type RunIntentReading,
} from './run-intent.js';
import type { Clock } from './types.js';
import { mayLackNewest, runRecord } from './adopt-run.js';
import { measuredOffset } from './service-time.js';
import { requestReason } from '../plan/runs.js';
import { applyChanges, type RecordChanges } from '../state/record-changes.js';
import { untracedRuns } from '../state/untraced-runs.js';
import { countedBeforeSettled } from '../state/hidden-runs.js';

// `audiencectl state settle-run`: a person, having looked at the audience's runs in AEP, says
// what a run request whose answer was lost did, where the runs list cannot tell (run-intent.ts);
// checked first against that list, read once as an apply reads it.

/**
 * What the person saw: the run the request started, or none. `force`: take "none" where
 * nothing could be checked (no credentials, or a runs list that failed).
 */
export type SettleClaim =
  { kind: 'run'; runId: string; request?: string } | { kind: 'none'; force?: boolean };

/**
 * How "no run" was checked: `listed`, the runs list read as an apply reads it (matchRun), showing
 * none; `no-audience`, the record has no audience id, so no run can have started; `unclear`, the
 * list read and unable to tell (`why`), so the person's word is taken; `unchecked`, nothing could
 * be asked (`why`), taken with --force.
 */
export type NoneCheck = { kind: 'listed' | 'no-audience' } | { kind: 'unclear' | 'unchecked'; why: string };

/** `check`: how the run was found, `listed` (as the request's, matchRun) or `verified` (its GET). */
export type SettledRun =
  | { kind: 'run'; intent: RunIntent; run: RunRecord; record: AudienceRecord; check: RunCheck }
  | { kind: 'none'; intent: RunIntent; record: AudienceRecord; check: NoneCheck }
  /** A run the record had no trace of (untracedRuns), recorded with no intent; `request`: the token it honours. */
  | { kind: 'untraced'; run: RunRecord; record: AudienceRecord; request?: string };

/**
 * How the run recorded was found: `listed`, the runs list shows it as the request's (matchRun);
 * `verified`, its GET; `listed-instead`, the list shows it where the person claimed `claimed`
 * (--no-run, or another --run-id): recorded as the list says, the claim not taken.
 */
export type RunCheck = { kind: 'listed' | 'verified' } | { kind: 'listed-instead'; claimed: string };

type Service = {
  client: Pick<AepClient, 'getRun' | 'listRuns' | 'serviceClock'>;
  clock: Clock;
  /** Ends the calls in flight (the command's Ctrl-C): it then writes nothing (cli/state-interrupt.ts). */
  signal?: AbortSignal | undefined;
};

function callOf(service: Service): CallOptions {
  return service.signal ? { signal: service.signal } : {};
}

const NOTHING = 'nothing was changed';

const NO_CREDENTIALS =
  'no AEP credentials are configured (AEP_CLIENT_ID, AEP_CLIENT_SECRET, AEP_ORG_ID, or --config)';

/**
 * The record's pending run intent, checked against `claim` with what the record alone tells;
 * throws (nothing changed) when there is none, or when the run named cannot be the request's:
 * one the record holds, or one the service listed before the request.
 */
export function pendingRunIntent(record: AudienceRecord, claim: SettleClaim): RunIntent {
  const id = recordId(record.sandbox, record.key);
  const intent = record.intent;
  if (isRunIntent(intent) && claim.kind === 'run' && claim.request !== undefined) {
    throw new StateError(
      'STATE_REQUEST_WITH_INTENT',
      `${id} has a run intent from ${intent.startedAt}, whose own request the run it started honours: settle it without --request; ${NOTHING}`,
    );
  }
  if (!isRunIntent(intent)) {
    const other = intent
      ? ` (its pending intent is a ${intent.kind} from ${intent.startedAt}, which the next apply settles)`
      : '';
    throw new StateError('STATE_NO_RUN_INTENT', `${id} has no run intent to settle${other}; ${NOTHING}`);
  }
  if (claim.kind === 'none') return intent;
  const { runId } = claim;
  if (record.runs.some((run) => run.runId === runId)) {
    throw new StateError(
      'STATE_RUN_RECORDED',
      `run ${runId} is already recorded for ${id}, so it is not the run the request of ${intent.startedAt} started; give that run's id, or --no-run if the request started none; ${NOTHING}`,
    );
  }
  if (intent.knownRunIds?.includes(runId)) {
    throw new StateError(
      'STATE_RUN_BEFORE_REQUEST',
      `run ${runId} was listed before the request of ${intent.startedAt}, so the request did not start it; ${NOTHING}`,
    );
  }
  if (!record.audienceId) {
    throw new StateError(
      'STATE_NO_AUDIENCE_ID',
      `${id} has no audience id, so no run of it can be checked; settle it with --no-run; ${NOTHING}`,
    );
  }
  return intent;
}

/**
 * Asks the service for run `runId` of the record's audience (one GET): it must exist there.
 * A failed call refuses too: it checked nothing, and a 404 page of something in between is
 * not the service's "not found".
 */
export async function verifiedRun(
  client: Pick<AepClient, 'getRun'>,
  record: AudienceRecord,
  runId: string,
  call: CallOptions = {},
): Promise<Run> {
  const audienceId = record.audienceId ?? '';
  let run: Run;
  try {
    run = await client.getRun(record.sandbox, audienceId, runId, call);
  } catch (cause) {
    const failure = aepFailure(cause);
    if (isNotFound(failure)) {
      throw new StateError(
        'STATE_RUN_NOT_FOUND',
        `run ${runId} does not exist for audience ${audienceId} in sandbox ${record.sandbox} (the service answered 404); ${NOTHING}`,
        { cause },
      );
    }
    throw new StateError(
      'STATE_RUN_UNVERIFIED',
      `cannot check run ${runId} through the service (${failure.message}); ${NOTHING}`,
      { cause },
    );
  }
  if (run.runId !== runId) {
    // The record's and the intent's ids were checked against the id asked for, not this one.
    throw new StateError(
      'STATE_RUN_OTHER_ID',
      `the service answered run ${runId} with run ${run.runId}; give the id exactly as the service spells it; ${NOTHING}`,
    );
  }
  if (run.audienceId !== undefined && run.audienceId !== audienceId) {
    throw new StateError(
      'STATE_RUN_OTHER_AUDIENCE',
      `run ${runId} is a run of audience ${run.audienceId}, not of ${audienceId} (${recordId(record.sandbox, record.key)}); ${NOTHING}`,
    );
  }
  // A run from another start than the request sent is taken as named: apply leaves such a
  // run to a person (matchRun), as the service may have moved the start it was sent.
  return run;
}

/**
 * Settles the record's pending run intent as `claim` says, under the store's lock. With
 * credentials, the audience's runs are read first, as an apply reads them (readRunIntent): a run
 * they show as the request's is recorded as an apply adopts it (and a claim naming another run,
 * or none, refused once it is); where they show none, `--no-run` is taken; only where they
 * cannot tell is the person's word taken as such (a named run still checked by its GET). Without
 * credentials, or with a list that fails, `--no-run` is taken only with `force`.
 */
export async function settleRunByHand(
  store: StateStore,
  record: AudienceRecord,
  claim: SettleClaim,
  service: Service | undefined,
): Promise<SettledRun> {
  if (record.intent === undefined && claim.kind === 'run')
    return settleUntraced(store, record, claim, service);
  const intent = pendingRunIntent(record, claim);
  if (!service) {
    // An audience without an id has no runs: nothing to ask.
    return asClaimed(
      store,
      record,
      intent,
      claim,
      record.audienceId ? undefined : { kind: 'none' },
      undefined,
    );
  }
  const reading = await readRunIntent(service.client, record, callOf(service));
  if (reading.kind === 'adopt') return adoptListed(store, record, intent, claim, reading.run, service);
  return asClaimed(store, record, intent, claim, reading, service);
}

/** What the runs list says short of a run to adopt; undefined where it could not be asked. */
type NoAdoption = Exclude<RunIntentReading, { kind: 'adopt' }> | undefined;

/** Settles as the person says, where the runs list shows no run of the request to adopt. */
async function asClaimed(
  store: StateStore,
  record: AudienceRecord,
  intent: RunIntent,
  claim: SettleClaim,
  reading: NoAdoption,
  service: Service | undefined,
): Promise<SettledRun> {
  if (claim.kind === 'none') {
    const check = noneCheck(intent, reading, claim.force === true);
    const cleared = await store.resolveIntent(record, { kind: 'update', changes: {} });
    return { kind: 'none', intent, record: cleared ?? record, check };
  }
  if (reading?.kind === 'none') {
    throw new StateError(
      'STATE_RUN_NOT_LISTED',
      `the service's runs list shows no run that the request of ${intent.startedAt} started (run ${claim.runId} is not one new since it); check the run id, or settle with --no-run; ${NOTHING}`,
    );
  }
  if (!service) {
    throw new StateError(
      'STATE_RUN_UNVERIFIED',
      `--run-id is checked through the service, and ${NO_CREDENTIALS}; ${NOTHING}`,
    );
  }
  const started = await verifiedRun(service.client, record, claim.runId, callOf(service));
  return recordRun(store, record, intent, started, service, { kind: 'verified' });
}

/** Records `started` as the run the intent's request started, as an apply adopts one, and clears the intent. */
async function recordRun(
  store: StateStore,
  record: AudienceRecord,
  intent: RunIntent,
  started: Run,
  service: Service,
  check: RunCheck,
): Promise<SettledRun> {
  const changes = adoptionChanges(record, started, service.client, service.clock);
  const stored = await store.resolveIntent(record, { kind: 'update', changes });
  return { kind: 'run', intent, run: changes.run, record: stored ?? record, check };
}

/** How "none" was checked; throws where nothing could be, unless `force`. */
function noneCheck(intent: RunIntent, reading: NoAdoption, force: boolean): NoneCheck {
  if (reading?.kind === 'none') return { kind: reading.listed ? 'listed' : 'no-audience' };
  if (reading?.listed) return { kind: 'unclear', why: reading.message };
  const why = reading ? `the runs list could not be read (${reading.message})` : NO_CREDENTIALS;
  if (force) return { kind: 'unchecked', why };
  throw new StateError(
    'STATE_NO_RUN_UNCHECKED',
    `nothing could be checked: ${why}, so whether the request of ${intent.startedAt} started a run is unknown; give --force to settle with --no-run anyway, or try again; ${NOTHING}`,
  );
}

/**
 * Records the run the runs list shows as the request's, as an apply adopts it (what the next
 * apply would do), whatever the claim; one naming another run, or none, is reported as not taken.
 */
async function adoptListed(
  store: StateStore,
  record: AudienceRecord,
  intent: RunIntent,
  claim: SettleClaim,
  listed: Run,
  service: Service,
): Promise<SettledRun> {
  const check: RunCheck =
    claim.kind === 'run' && claim.runId === listed.runId
      ? { kind: 'listed' }
      : { kind: 'listed-instead', claimed: claim.kind === 'none' ? '--no-run' : `--run-id ${claim.runId}` };
  return recordRun(store, record, intent, listed, service, check);
}

/**
 * Records run `claim.runId`, which the record has no trace of and the audience's runs list shows
 * newer than every run it records (untracedRuns: what holds an apply's run step), as a run of the
 * record's audience; with `claim.request`, as the run of that `ingestion.request` token, which
 * then counts as honoured. So the step it held starts no run over it: its state was restored
 * from a backup older than the service, or another store or a person started it (review 33b,
 * H-1). Only such a run is taken: one the record holds, one older than its runs (an `every`
 * period would be timed from it), one the list does not show, is refused, and nothing changes;
 * except that a list which may lack the newest runs (mayLackNewest) shows none absent, so a run
 * it does not show is checked by its GET instead.
 */
async function settleUntraced(
  store: StateStore,
  record: AudienceRecord,
  claim: Extract<SettleClaim, { kind: 'run' }>,
  service: Service | undefined,
): Promise<SettledRun> {
  const id = recordId(record.sandbox, record.key);
  const { runId } = claim;
  const audienceId = record.audienceId;
  if (audienceId === undefined) {
    throw new StateError(
      'STATE_NO_AUDIENCE_ID',
      `${id} has no audience id and no run intent, so it has no run to record; ${NOTHING}`,
    );
  }
  if (record.runs.some((run) => run.runId === runId)) {
    throw new StateError('STATE_RUN_RECORDED', `run ${runId} is already recorded for ${id}; ${NOTHING}`);
  }
  if (!service) {
    throw new StateError(
      'STATE_RUN_UNVERIFIED',
      `--run-id is checked against the audience's runs list, and ${NO_CREDENTIALS}; ${NOTHING}`,
    );
  }
  let listed;
  try {
    listed = await service.client.listRuns(record.sandbox, audienceId, callOf(service));
  } catch (cause) {
    // A page cut from more, oldest first, that counts the runs (RunsListCutError) is read as the
    // run step reads it (runs-before-run.ts): a run it does not show is asked for by its GET
    // below. Refused, the run step held over such a page named this very command as the way out.
    if (!(cause instanceof RunsListCutError))
      throw new StateError(
        'STATE_RUN_UNVERIFIED',
        `cannot read the runs of audience ${audienceId} to check run ${runId} (${aepFailure(cause).message}); ${NOTHING}`,
        { cause },
      );
    listed = cause.listed;
  }
  const offset = measuredOffset(service.client) ?? 0;
  // A page the service cut in its own order (oldest first) may lack the run past it: a run it
  // does not show is asked for by its GET, and taken as the list would (review 37v, M-1).
  const shown = listed.some((run) => run.runId === runId);
  const among =
    !shown && mayLackNewest(listed)
      ? [await verifiedRun(service.client, record, runId, callOf(service))]
      : listed;
  const started = untracedRuns(record, among, offset).find((run) => run.runId === runId);
  if (!started) {
    const why =
      shown || among !== listed
        ? `is ${shown ? 'listed' : 'shown by its GET'}, but not newer than every run the record holds (no run step is held by it)`
        : 'is not in its runs list';
    throw new StateError(
      'STATE_RUN_NOT_UNTRACED',
      `run ${runId} of audience ${audienceId} ${why}, and ${id} has no run intent to settle; ${NOTHING}`,
    );
  }
  // Timed by the service's createdAt (newer than the record's runs, untracedRuns), never after
  // now in AEP's clock: the daily run budget and an `every` period count from it.
  const now = Math.floor(service.clock.now() / 1000) + offset;
  const reason = claim.request === undefined ? undefined : requestReason(claim.request);
  const run: RunRecord = {
    ...runRecord(started, { start: started.dataFilterStartTime ?? 0, now, reason }),
    createdAt: Math.min(started.createdAt ?? now, now),
    // Where the page is counted, what the next run step counts the runs past it from.
    ...countedBefore(record, listed, runId),
  };
  const token = claim.request;
  const changes: RecordChanges = { run };
  // The token honoured where the plan reads it (honouredRequest): `applied`, else `imported`.
  if (token !== undefined && record.applied) changes.applied = { ...record.applied, ingestionRequest: token };
  const imported =
    token !== undefined && !record.applied && record.imported
      ? { imported: { ...record.imported, ingestionRequest: token } }
      : {};
  const stored = await store.put({ ...applyChanges(record, changes), ...imported });
  return { kind: 'untraced', run, record: stored, ...(token === undefined ? {} : { request: token }) };
}

/** `countedBefore` for a run settled by hand over `listed`, when the count tells it (hidden-runs.ts). */
function countedBefore(
  record: AudienceRecord,
  listed: Readonly<RunsListed>,
  runId: string,
): { countedBefore?: number } {
  const counted = countedBeforeSettled(record, listed, runId);
  return counted === undefined ? {} : { countedBefore: counted };
}
