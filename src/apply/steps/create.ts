import type { Operation } from '../../aep/types.js';
import type { Step } from '../../plan/schema.js';
import type { AudienceRecord } from '../../state/schema.js';
import { aepFailure, isDuplicate } from '../aep-failure.js';
import { pollUntil } from '../poll.js';
import { appliedFrom, currentRecord, importHint, manifestFileOf, result } from '../record-helpers.js';
import type { ExecutorDeps, StepResult } from '../types.js';

const POST_ATTEMPTS = 3;
const FINAL = new Set(['SUCCESS', 'FAILED']);

/** POST the create body; an unknown outcome is resolved by repeating it (the service refuses a duplicate name). */
async function postCreate(
  step: Step,
  record: AudienceRecord,
  deps: ExecutorDeps,
): Promise<AudienceRecord | StepResult> {
  const { store, client, clock, signal } = deps;
  let pending =
    record.intent?.kind === 'create'
      ? record
      : await store.beginIntent(record, 'create', { specHash: step.target!.hash });
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await client.createAudience(step.sandbox, step.create!, signal ? { signal } : {});
      const at = new Date(clock.now()).toISOString();
      const stored = await store.resolveIntent(pending, {
        kind: 'update',
        changes: {
          operationId: response.operationId,
          deletionPolicy: step.target!.deletionPolicy,
          ...manifestFileOf(step),
          observed: { source: 'operation', at, body: response.operationDetails ?? {} },
        },
      });
      return stored!;
    } catch (error) {
      const failure = aepFailure(error);
      if (isDuplicate(failure)) {
        const message = `an audience named "${step.create!.name}" already exists in sandbox "${step.sandbox}" but audiencectl has no id for it (an interrupted create, or one made outside audiencectl)`;
        const at = new Date(clock.now()).toISOString();
        await store.resolveIntent(pending, {
          kind: 'update',
          changes: { blocked: { code: '100950-409', message, at } },
        });
        return result(step, 'blocked', `${message}; ${importHint(step)}`);
      }
      if (failure.outcomeUnknown && attempt < POST_ATTEMPTS && !signal?.aborted) {
        await clock.sleep(1000 * 2 ** (attempt - 1), signal);
        const again = await store.get(step.sandbox, step.key);
        if (again?.intent?.kind === 'create') pending = again;
        continue;
      }
      if (failure.outcomeUnknown) {
        // Keep the intent: the next apply repeats the POST and learns the outcome.
        return result(
          step,
          'failed',
          `create outcome unknown (${failure.message}); the next apply resolves it`,
        );
      }
      await store.resolveIntent(pending, { kind: 'remove' });
      return result(step, 'failed', `create refused: ${failure.message}`);
    }
  }
}

/** Polls the create operation until the audience exists (records its id) or the operation failed. */
async function awaitOperation(step: Step, record: AudienceRecord, deps: ExecutorDeps): Promise<StepResult> {
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
    );
  } catch (error) {
    const failure = aepFailure(error);
    if (failure.status === 404) {
      await store.delete(step.sandbox, step.key);
      return result(
        step,
        'failed',
        `operation ${operationId} is unknown to the service; the next apply creates the audience again`,
      );
    }
    return result(
      step,
      'failed',
      `cannot read operation ${operationId}: ${failure.message}; the next apply resumes it`,
    );
  }
  if (!outcome.done) {
    return result(
      step,
      'failed',
      `operation ${operationId} still ${outcome.last?.status ?? 'PROCESSING'}; the next apply resumes it`,
    );
  }
  const op = outcome.value;
  if (op.status === 'FAILED' || !op.audienceId) {
    await store.delete(step.sandbox, step.key);
    const reason = typeof op.failureReason === 'string' ? op.failureReason : 'no reason given';
    return result(step, 'failed', `the service failed the create operation ${operationId}: ${reason}`);
  }
  const at = new Date(clock.now()).toISOString();
  const latest = (await store.get(step.sandbox, step.key)) ?? record;
  await store.put({
    ...latest,
    audienceId: op.audienceId,
    deletionPolicy: step.target!.deletionPolicy,
    ...manifestFileOf(step),
    applied: appliedFrom(step.target!, at),
    observed: { source: 'operation', at, body: op },
  });
  return result(step, 'applied', `created ${op.audienceId}`, { audienceId: op.audienceId });
}

export async function createStep(step: Step, deps: ExecutorDeps): Promise<StepResult> {
  const record = await currentRecord(deps.store, step);
  if (record.blocked) return result(step, 'blocked', `${record.blocked.message}; ${importHint(step)}`);
  if (record.audienceId)
    return result(step, 'applied', `already created as ${record.audienceId}`, {
      audienceId: record.audienceId,
    });
  if (record.operationId && !record.intent) return awaitOperation(step, record, deps);
  const posted = await postCreate(step, record, deps);
  if ('status' in posted && 'step' in posted) return posted;
  return awaitOperation(step, posted, deps);
}
