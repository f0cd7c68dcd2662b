import type { Operation } from '../../aep/types.js';
import type { Step } from '../../plan/schema.js';
import type { AudienceRecord } from '../../state/schema.js';
import { epochSecondsOf } from '../../state/instant.js';
import { aepFailure, isNotFound } from '../aep-failure.js';
import { adoptOwnCreate, describeCandidates, findOwnCreate, notListedYet } from '../find-created.js';
import { pollUntil } from '../poll.js';
import {
  appliedFrom,
  dropCreate,
  droppedNote,
  importHint,
  manifestFileOf,
  notRecorded,
  recordCreated,
  result,
} from '../record-helpers.js';
import type { ExecutorDeps, StepResult } from '../types.js';
import { listKeepsFailing, notOurs } from './create-duplicate.js';

// The create's operation, once its POST answered: polled until the audience exists, or looked
// up by name when the service no longer knows the operation.

const FINAL = new Set(['SUCCESS', 'FAILED']);

/** Polls the create operation until the audience exists (records its id) or the operation failed. */
export async function awaitOperation(
  step: Step,
  record: AudienceRecord,
  deps: ExecutorDeps,
): Promise<StepResult> {
  const { store, client, clock, signal } = deps;
  const operationId = record.operationId!;
  let outcome;
  try {
    outcome = await pollUntil<Operation>(
      () => client.getOperation(step.sandbox, operationId, signal ? { signal } : {}),
      (op) => FINAL.has(op.status),
      deps.operationPoll,
      clock,
      signal,
      // The first Ctrl-C (SIGTERM) ends the wait, as it ends a run's follow: no call is in flight
      // between polls, and the operation recorded is resumed by the next apply.
      deps.drain,
    );
  } catch (error) {
    const failure = aepFailure(error);
    // Unknown at both spellings of the path: never read as "nothing was created".
    if (isNotFound(failure)) return resolveLostOperation(step, record, deps);
    return result(
      step,
      'failed',
      `cannot read operation ${operationId}: ${failure.message}; the next apply resumes it`,
    );
  }
  if (!outcome.done) {
    const stopped = deps.drain?.aborted === true ? ' when the apply was stopped' : '';
    return result(
      step,
      'failed',
      `operation ${operationId} still ${outcome.last?.status ?? 'PROCESSING'}${stopped}; the next apply resumes it`,
    );
  }
  const op = outcome.value;
  if (op.status === 'FAILED' || !op.audienceId) {
    // Made nothing: the next apply creates the audience again. Dropped whole, the record
    // would lose the runs of a former audience it keeps for the daily run budget.
    const kept = await dropCreate(store, record);
    const reason = typeof op.failureReason === 'string' ? op.failureReason : 'no reason given';
    return result(
      step,
      'failed',
      `the service failed the create operation ${operationId}: ${reason}; ${droppedNote(kept)} and the next apply creates it again`,
    );
  }
  const at = new Date(clock.now()).toISOString();
  // step.target is the spec this operation's POST sent (sentStep), not the manifest's now.
  try {
    await recordCreated(
      record,
      {
        audienceId: op.audienceId,
        deletionPolicy: step.target!.deletionPolicy,
        ...manifestFileOf(step, deps, record),
        applied: appliedFrom(step.target!, at, deps.revision),
        observed: { source: 'operation', at, body: op },
        pendingCreate: null,
      },
      deps,
    );
  } catch (error) {
    // The operation id recorded stays: the next apply reads the operation again.
    return notRecorded(step, `create sent (operation ${operationId}, which made ${op.audienceId})`, error);
  }
  return result(step, 'applied', `created ${op.audienceId}`, { audienceId: op.audienceId });
}

/**
 * The operation is unknown to the service: look for the audience by name. Found: adopted.
 * Not found (nothing listed, or nothing listed its own, the message says what and why): the
 * record is kept for CREATE_GRACE_SECONDS after the create answered (the service may not list
 * it yet), then dropped (all but its runs, dropCreate) so that the next apply creates it again.
 */
async function resolveLostOperation(
  step: Step,
  record: AudienceRecord,
  deps: ExecutorDeps,
): Promise<StepResult> {
  const answeredAt = epochSecondsOf(record.observed?.at ?? '');
  const since = Number.isFinite(answeredAt) ? answeredAt : 0;
  const operation = `operation ${record.operationId ?? '?'} is unknown to the service`;
  const found = await findOwnCreate(step, deps, record);
  if (found.kind === 'one') return adoptOwnCreate(step, record, found.audience, deps);
  if (found.kind === 'several') {
    return result(
      step,
      'blocked',
      `${operation}, and several audiences could be its own: ${describeCandidates(found.candidates)}; ${importHint(step, deps.paste)}`,
    );
  }
  if (found.kind === 'unknown') {
    return result(
      step,
      'failed',
      `${operation}, and no audience listed under its name is its own; ${found.reason}: the record is kept and the next apply looks again. ${listKeepsFailing(step, deps.paste)}`,
    );
  }
  // Listed under the name, but not its own (created before it began, another's): said so.
  const listed = found.kind === 'earlier' ? [found.audience] : found.byName;
  const notOwn = listed.length === 0 ? undefined : `${notOurs(found)}; found: ${describeCandidates(listed)}`;
  return notListedYet(step, record, since, operation, deps, notOwn === undefined ? {} : { notOwn });
}
