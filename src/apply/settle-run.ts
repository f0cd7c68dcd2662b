import type { AepClient, Run } from '../aep/types.js';
import { StateError } from '../state/errors.js';
import { recordId } from '../state/record-id.js';
import type { AudienceRecord, Intent, RunRecord } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { aepFailure, isNotFound } from './aep-failure.js';
import { adoptionChanges } from './run-intent.js';
import type { Clock } from './types.js';

// `audiencectl state settle-run`: a person, having looked at the audience's runs in AEP, says
// what a run request whose answer was lost did, where the runs list cannot tell (run-intent.ts).

/** What the person saw: the run the request started, or none. */
export type SettleClaim = { kind: 'run'; runId: string } | { kind: 'none' };

export type SettledRun =
  | { kind: 'run'; intent: RunIntent; run: RunRecord; record: AudienceRecord }
  | { kind: 'none'; intent: RunIntent; record: AudienceRecord };

type RunIntent = Intent & { kind: 'run' };

const NOTHING = 'nothing was changed';

/**
 * The record's pending run intent, checked against `claim` with what the record alone tells;
 * throws (nothing changed) when there is none, or when the run named cannot be the request's:
 * one the record holds, or one the service listed before the request.
 */
export function pendingRunIntent(record: AudienceRecord, claim: SettleClaim): RunIntent {
  const id = recordId(record.sandbox, record.key);
  const intent = record.intent;
  if (intent?.kind !== 'run') {
    const other = intent
      ? ` (its pending intent is a ${intent.kind} from ${intent.startedAt}, which the next apply settles)`
      : '';
    throw new StateError('STATE_NO_RUN_INTENT', `${id} has no run intent to settle${other}; ${NOTHING}`);
  }
  const pending = { ...intent, kind: 'run' as const };
  if (claim.kind === 'none') return pending;
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
  return pending;
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
): Promise<Run> {
  const audienceId = record.audienceId ?? '';
  let run: Run;
  try {
    run = await client.getRun(record.sandbox, audienceId, runId);
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
 * Settles the record's pending run intent as `claim` says, under the store's lock: the run
 * recorded as an apply adopts one (adoptionChanges), with the failure reason a followed run
 * records, and the intent cleared; or, with no run, the intent cleared alone.
 */
export async function settleRunByHand(
  store: StateStore,
  record: AudienceRecord,
  claim: SettleClaim,
  service: { client: Pick<AepClient, 'getRun' | 'serviceClock'>; clock: Clock } | undefined,
): Promise<SettledRun> {
  const intent = pendingRunIntent(record, claim);
  if (claim.kind === 'none') {
    const cleared = await store.resolveIntent(record, { kind: 'update', changes: {} });
    return { kind: 'none', intent, record: cleared ?? record };
  }
  if (!service) {
    throw new StateError(
      'STATE_RUN_UNVERIFIED',
      `--run-id is checked through the service, and no AEP credentials are configured (AEP_CLIENT_ID, AEP_CLIENT_SECRET, AEP_ORG_ID, or --config); ${NOTHING}`,
    );
  }
  const started = await verifiedRun(service.client, record, claim.runId);
  const changes = adoptionChanges(record, started, service.client, service.clock);
  const reason = started.status === 'FAILED' ? started['failureReason'] : undefined;
  const run = typeof reason === 'string' ? { ...changes.run, failureReason: reason } : changes.run;
  const stored = await store.resolveIntent(record, { kind: 'update', changes: { ...changes, run } });
  return { kind: 'run', intent, run, record: stored ?? record };
}
