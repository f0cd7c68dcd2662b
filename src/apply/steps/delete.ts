import { AepDeleteNotFoundError, AepError } from '../../aep/errors.js';
import type { Step } from '../../plan/schema.js';
import type { AudienceRecord } from '../../state/schema.js';
import { aepFailure, answeredCall, isNotFound } from '../aep-failure.js';
import { checkBeforeDelete, readAgain } from '../delete-check.js';
import { pollUntil } from '../poll.js';
import { keptAfterDelete, runsOnlyRemnant } from '../../state/current-runs.js';
import { keptRunsOnlyNote, runCount } from '../../state/describe.js';
import { ownsNoAudience } from '../../state/waiting.js';
import { lateDeleteOf } from '../late-delete.js';
import { budgetHorizon, clearIntent, importHint, removeOrReplace, result } from '../record-helpers.js';
import type { ExecutorDeps, StepResult } from '../types.js';

/** The audience id of a record whose create may still be running. */
async function resolveAudienceId(
  step: Step,
  record: AudienceRecord,
  deps: ExecutorDeps,
): Promise<string | StepResult> {
  if (record.audienceId) return record.audienceId;
  if (!record.operationId || record.intent?.kind === 'create') {
    if (!record.intent && !record.blocked) {
      const kept = await removeKeepingCountedRuns(record, deps);
      return result(
        step,
        'applied',
        `nothing was created; ${kept ? keptRunsOnlyNote(kept) : 'record removed'}`,
      );
    }
    return result(
      step,
      'blocked',
      `the audience may exist remotely but its id is unknown; ${importHint(step, deps.paste)}`,
    );
  }
  const operationId = record.operationId;
  const outcome = await pollUntil(
    () => deps.client.getOperation(step.sandbox, operationId, deps.signal ? { signal: deps.signal } : {}),
    (op) => op.status === 'SUCCESS' || op.status === 'FAILED',
    deps.operationPoll,
    deps.clock,
    deps.signal,
    // The first Ctrl-C ends the wait (no call in flight between polls): the next apply deletes it.
    deps.drain,
  );
  if (!outcome.done) {
    const stopped = deps.drain?.aborted === true ? ' when the apply was stopped' : '';
    return result(
      step,
      'failed',
      `operation ${operationId} still processing${stopped}; the next apply deletes it`,
    );
  }
  if (outcome.value.audienceId) return outcome.value.audienceId;
  const kept = await removeKeepingCountedRuns(record, deps);
  return result(
    step,
    'applied',
    `its create failed; nothing to delete${kept ? `; ${keptRunsOnlyNote(kept)}` : ''}`,
  );
}

/**
 * Removes a removed manifest's record that names no audience, or one forgotten with its audience
 * (forgetStep), all but the runs it holds that still count against the sandbox's daily run
 * budget (runsOnlyRemnant): dropped with it, the budget would undercount for up to a day. The
 * plan leaves such a remnant alone (removals.ts), and an apply drops it once none counts
 * (remnants.ts). Returns it, if kept.
 */
async function removeKeepingCountedRuns(
  record: AudienceRecord,
  deps: ExecutorDeps,
): Promise<AudienceRecord | undefined> {
  const kept = runsOnlyRemnant(record, budgetHorizon(deps));
  await removeOrReplace(deps.store, record, kept);
  return kept;
}

/** What a deleted audience's record becomes (keptAfterDelete, shared with a killed delete's resume). */
function keptAfter(
  step: Step,
  record: AudienceRecord,
  id: string,
  deps: ExecutorDeps,
): AudienceRecord | undefined {
  return keptAfterDelete(record, id, budgetHorizon(deps), step.kind === 'replace');
}

/**
 * What the message adds of what the record kept: a replace's runs of the last 24 h
 * (` (its 2 runs of the last 24 h kept for the daily run budget)`), a removal's runs-only record.
 */
function keptNote(step: Step, kept: AudienceRecord | undefined): string {
  if (!kept || kept.runs.length === 0) return '';
  if (step.kind !== 'replace') return `; ${keptRunsOnlyNote(kept)}`;
  return ` (its ${runCount(kept.runs.length)} of the last 24 h kept for the daily run budget)`;
}

/**
 * The service's 404 to the DELETE (at both spellings, or a fixed one with its runs list) is "no
 * such audience" at that path, which AEP's gateway also answers, as JSON, for a path it does not
 * serve: a base URL one letter off (`/data/core/aiss`), or the Audiences API's (`/data/core/ups`).
 * Read as gone, the record went and the audience stayed, with "deleted" reported (review 33b,
 * H-2). So the audience, confirmed a moment before, is read again the same way: not listed, it is
 * gone (a UI delete in between), and undefined is returned. Still listed, or the read failing (no
 * answer is no "gone"), the step fails and the record stays. The intent goes, as after any failed
 * DELETE, unless an earlier attempt's outcome is unknown and no read has shown the audience since.
 */
async function goneUnconfirmed(
  step: Step,
  pending: AudienceRecord,
  id: string,
  error: unknown,
  deps: ExecutorDeps,
): Promise<StepResult | undefined> {
  const read = await readAgain(pending, id, deps);
  if ('found' in read && read.found === undefined) return undefined;
  const failure = aepFailure(error);
  const answered = answeredCall('DELETE', failure);
  if (answered !== undefined) deps.marks?.sent(answered);
  const urls = error instanceof AepDeleteNotFoundError ? error.urls : [];
  const at = urls.length === 0 ? 'The DELETE' : `DELETE ${urls.join(' and ')}`;
  if ('failed' in read) {
    const said = `DELETE failed: ${at} answered HTTP 404, and reading ${id} again to tell whether it is gone failed (${read.failed.replace(/\.$/, '')}), so it is not read as deleted; the record is kept`;
    if (error instanceof AepError && error.earlierUnknown !== undefined) {
      // An attempt before the 404 may have deleted it: the intent lets the next apply tell.
      deps.marks?.recorded();
      return result(step, 'failed', `${said} with its delete intent, from which the next apply settles it`, {
        audienceId: id,
      });
    }
    await clearIntent(deps.store, pending);
    deps.marks?.recorded();
    return result(step, 'failed', said, { audienceId: id });
  }
  await clearIntent(deps.store, pending);
  deps.marks?.recorded();
  return result(
    step,
    'failed',
    `DELETE failed: ${at} answered HTTP 404 while the Audiences API still lists ${id}: the path of the base URL is likely wrong (AEP_BASE_URL, or baseUrl in the config file); nothing was deleted and the record is kept`,
    { audienceId: id },
  );
}

/**
 * DELETE the audience, then its record (but for what a replace keeps, keptAfter); the service's
 * 404 means it is already gone once a read no longer lists it (goneUnconfirmed). A DELETE whose outcome is unknown keeps its intent for the next apply.
 */
export async function deleteStep(step: Step, deps: ExecutorDeps): Promise<StepResult> {
  const { store, client, signal } = deps;
  const record = await store.get(step.sandbox, step.key);
  if (!record) return result(step, 'applied', 'already gone');
  const id = await resolveAudienceId(step, record, deps);
  if (typeof id !== 'string') return id;
  const verdict = await checkBeforeDelete(record, id, deps);
  // An id its own operation has just given is ours: that the Audiences API does not list it
  // (yet) is no proof it is gone. The DELETE settles it (a 404 then says it is).
  const fromOperation = record.audienceId === undefined;
  if (verdict.kind === 'gone' && !fromOperation) {
    const kept = keptAfter(step, record, id, deps);
    await removeOrReplace(store, record, kept);
    // A removal's runs-only record is what is left of it: no longer "forgotten".
    const left =
      step.kind !== 'replace' && kept ? keptRunsOnlyNote(kept) : `record forgotten${keptNote(step, kept)}`;
    // A delete intent kept (its resume could not settle it), or settled as not done while its
    // DELETE may still land (late-delete.ts): audiencectl's own DELETE, sent before, may be what
    // removed it. The service's read says gone, never a proxy's page.
    const gone =
      record.intent?.kind === 'delete' || lateDeleteOf(record) !== undefined
        ? `finished an interrupted delete: ${id} is gone`
        : `${id} was already deleted outside audiencectl`;
    return result(step, 'applied', `${gone}; ${left}`, { audienceId: id });
  }
  if (verdict.kind === 'other') {
    return result(step, 'blocked', `not deleted: ${verdict.reason}`, { audienceId: id });
  }
  if (verdict.kind === 'unknown') {
    return result(step, 'failed', `not deleted: cannot confirm what ${id} names (${verdict.reason})`, {
      audienceId: id,
    });
  }
  const latest = (await store.get(step.sandbox, step.key)) ?? record;
  const pending =
    latest.intent?.kind === 'delete'
      ? latest
      : await store.beginIntent(latest, 'delete', {
          ...(step.kind === 'replace' ? { forReplace: true as const } : {}),
          audienceId: id,
        });
  // Once answered, the call is said sent (deps.marks), whatever becomes of the writes after it:
  // a record not removed keeps its delete intent, which the next apply settles (resume.ts).
  try {
    await client.deleteAudience(step.sandbox, id, signal ? { signal } : {});
    deps.marks?.sent(`DELETE sent (${id} deleted)`);
  } catch (error) {
    const failure = aepFailure(error);
    if (!isNotFound(failure)) {
      const answered = answeredCall('DELETE', failure);
      if (answered !== undefined) deps.marks?.sent(answered);
      if (failure.outcomeUnknown) {
        // It may have been done: the intent is the mark that audiencectl's own DELETE did it,
        // and the next apply settles it (resume.ts), never as "deleted outside audiencectl".
        deps.marks?.recorded();
        return result(
          step,
          'failed',
          `DELETE failed: ${failure.message.replace(/\.$/, '')}; its delete intent is kept, from which the next apply settles it`,
          { audienceId: id },
        );
      }
      await clearIntent(store, pending);
      deps.marks?.recorded();
      return result(step, 'failed', `DELETE failed: ${failure.message}`, { audienceId: id });
    }
    const unconfirmed = await goneUnconfirmed(step, pending, id, error, deps);
    if (unconfirmed) return unconfirmed;
    deps.marks?.sent(`DELETE sent (404: ${id} already gone)`);
  }
  const kept = keptAfter(step, pending, id, deps);
  await removeOrReplace(store, pending, kept);
  deps.marks?.recorded();
  return result(step, 'applied', `deleted ${id}${keptNote(step, kept)}`, { audienceId: id });
}

/**
 * Forget: drop the record, keep the remote audience, all but the runs that still count against
 * the sandbox's daily run budget (runsOnlyRemnant: forgetting an audience does not un-start its
 * runs). A copy a carried create left (removals.ts carriedTo) holds a create in flight, and the key
 * it was carried to holds its runs: dropped whole, as before.
 */
export async function forgetStep(step: Step, deps: ExecutorDeps): Promise<StepResult> {
  const forgotten = 'forgotten; the remote audience is kept';
  const record = await deps.store.get(step.sandbox, step.key);
  if (record === undefined) return result(step, 'applied', forgotten);
  if (record.audienceId === undefined && !ownsNoAudience(record)) {
    await deps.store.delete(step.sandbox, step.key);
    return result(step, 'applied', forgotten);
  }
  const kept = await removeKeepingCountedRuns(record, deps);
  if (!kept) return result(step, 'applied', forgotten);
  if (record.audienceId === undefined) return result(step, 'applied', `forgotten; ${keptRunsOnlyNote(kept)}`);
  return result(step, 'applied', `${forgotten}; ${keptRunsOnlyNote(kept, 'the audience')}`);
}
