import type { CreateResponse, Operation } from '../../aep/types.js';
import type { Step } from '../../plan/schema.js';
import type { AppliedSpec, AudienceRecord } from '../../state/schema.js';
import { audienceNameKey } from '../../manifest/duplicates.js';
import { formerRuns } from '../../state/current-runs.js';
import { epochSecondsOf } from '../../state/instant.js';
import { aepFailure, isDuplicate, isNotFound } from '../aep-failure.js';
import type { LiveAudience } from '../../aep/segment-types.js';
import {
  adoptOwnCreate,
  describeCandidates,
  findOwnCreate,
  notListedYet,
  type OwnCreate,
} from '../find-created.js';
import { pollUntil } from '../poll.js';
import {
  appliedFrom,
  clearIntent,
  currentRecord,
  droppedNote,
  dropCreate,
  importHint,
  manifestFileOf,
  recordCreated,
  result,
} from '../record-helpers.js';
import type { ExecutorDeps, StepResult } from '../types.js';

/** The audience a replace has just deleted, and what was applied of it (its name). */
export type Replaced = { audienceId: string; applied: AppliedSpec | undefined };

const POST_ATTEMPTS = 3;
const FINAL = new Set(['SUCCESS', 'FAILED']);

/**
 * POST the create body; an unknown outcome is resolved by repeating it (the service refuses a
 * duplicate name). `replaced`: the audience a replace has just deleted.
 */
async function postCreate(
  step: Step,
  record: AudienceRecord,
  deps: ExecutorDeps,
  forgotten?: AudienceRecord,
  replaced?: Replaced,
): Promise<AudienceRecord | StepResult> {
  const { store, client, clock, signal } = deps;
  const resumed = record.intent?.kind === 'create';
  const target = step.target!;
  // What is sent is kept with the intent: a resumed create sends it again, whatever the
  // manifest says by then (see sentStep).
  const sent = { body: step.create!, spec: target.spec, hash: target.hash };
  let pending = resumed
    ? record
    : await store.beginIntent({ ...record, pendingCreate: sent }, 'create', { specHash: target.hash });
  for (let attempt = 1; ; attempt += 1) {
    let response: CreateResponse;
    try {
      response = await client.createAudience(step.sandbox, step.create!, signal ? { signal } : {});
    } catch (error) {
      const failure = aepFailure(error);
      if (isDuplicate(failure)) {
        // Our own POST may have made it when the intent was open before this step, or an
        // earlier attempt's answer was lost: then it is ours to find by name.
        const ours = resumed || attempt > 1;
        return resolveDuplicate(step, pending, ours, deps, forgotten, replaced);
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
      if (resumed || attempt > 1) {
        // This POST changed nothing, but an earlier one (a killed apply's, or a lost answer's)
        // may have made the audience: its intent is what proves it ours, so it stays.
        return result(
          step,
          'failed',
          `create not made (${failure.message}); an earlier POST of it may have made the audience, so its intent is kept and the next apply resolves it`,
        );
      }
      // Nothing was made: the record goes, all but the runs it keeps for the daily budget.
      const kept = await dropCreate(store, pending);
      return result(
        step,
        'failed',
        `create refused: ${failure.message}${kept ? `; ${droppedNote(kept)}` : ''}`,
      );
    }
    // Outside the try: a failed write of the answer is no refused create. It throws, and the
    // intent stays, the proof that the audience the service made is ours (the next apply adopts it).
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
    // Unknown at both spellings of the path: never read as "nothing was created".
    if (isNotFound(failure)) return resolveLostOperation(step, record, deps);
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
  await recordCreated(
    record,
    {
      audienceId: op.audienceId,
      deletionPolicy: step.target!.deletionPolicy,
      ...manifestFileOf(step),
      applied: appliedFrom(step.target!, at, deps.revision),
      observed: { source: 'operation', at, body: op },
      pendingCreate: null,
    },
    deps,
  );
  return result(step, 'applied', `created ${op.audienceId}`, { audienceId: op.audienceId });
}

function candidatesOf(found: OwnCreate): LiveAudience[] {
  if (found.kind === 'none' || found.kind === 'unknown') return found.byName;
  return found.kind === 'several' ? found.candidates : [found.audience];
}

/** The way out of a lookup the service fails every time (findOwnCreate's `unknown`). */
function listKeepsFailing(step: Step): string {
  return `If that list keeps failing (a service that refuses the filter, say), ${importHint(step)}`;
}

/** Why what is listed under the name is not taken for our own create. */
function notOurs(found: OwnCreate): string {
  if (found.kind === 'several') return 'several audiences could be the one an interrupted create made';
  // After a change of credentials audiencectl's own create shows the new account: "audiencectl
  // did not create it" would be false then.
  if (found.kind === 'none' && found.otherAccount)
    return "it was made by another account than audiencectl's creates in this sandbox were (outside audiencectl, or by audiencectl after a change of credentials)";
  return 'audiencectl did not create it (an audience made outside audiencectl)';
}

/**
 * A 409: adopt our own interrupted create (nothing listed under its name: not listed yet, see
 * notListedYet), keep the record a refresh wrongly read as deleted (`forgotten`: the service
 * still lists its audience under that name), fail when nothing at all is listed under the name
 * its own replace has just freed (heldUnlisted), or block with what the sandbox holds under that
 * name (nothing, for a holder the exact-case lookup does not list).
 */
async function resolveDuplicate(
  step: Step,
  pending: AudienceRecord,
  ours: boolean,
  deps: ExecutorDeps,
  forgotten?: AudienceRecord,
  replaced?: Replaced,
): Promise<StepResult> {
  const startedAt = epochSecondsOf(pending.intent?.startedAt ?? '');
  const since = Number.isFinite(startedAt) ? startedAt : 0;
  const found = await findOwnCreate(step, since, deps);
  if (ours && found.kind === 'one') return adoptOwnCreate(step, pending, found.audience, deps);
  const listed = candidatesOf(found);
  const stillThere = forgotten && listed.find((audience) => audience.id === forgotten.audienceId);
  if (forgotten && stillThere) {
    await clearIntent(deps.store, pending);
    await deps.store.put(forgotten);
    return result(
      step,
      'failed',
      `not re-created: audience ${stillThere.id} was read as deleted outside audiencectl, but the service refused a second audience named "${step.create!.name}" and lists ${stillThere.id} under it; its record is kept as it was (plan --refresh again to see it)`,
      { audienceId: stillThere.id },
    );
  }
  const candidates = listed.length > 0 ? ` (found: ${describeCandidates(listed)})` : '';
  const refused = `the service refused a second audience named "${step.create!.name}" in sandbox "${step.sandbox}" (409)`;
  if (ours && found.kind === 'unknown') {
    // What proves the audience ours stays: neither blocked nor cleared on a list not read. A
    // service that refuses the list every time (a 400 for the lifecycleState filter) would
    // fail this step on every apply: the message says how a person ends it.
    return result(
      step,
      'failed',
      `${refused}, and none listed under that name is this create's${candidates}; ${found.reason}: its intent is kept and the next apply looks again. ${listKeepsFailing(step)}`,
    );
  }
  if (ours && found.kind === 'none' && found.byName.length === 0) {
    // The name is held (409), by our own POST when its operation has not succeeded yet: the
    // intent is kept, after the grace too (notListedYet, `held`).
    return notListedYet(
      step,
      pending,
      since,
      `${refused}, the name this create's earlier POST may hold,`,
      deps,
      true,
    );
  }
  const freed = freedName(step, pending, replaced);
  if (found.kind === 'none' && found.byName.length === 0 && freed)
    return heldUnlisted(step, pending, refused, deps, freed);
  const why = notOurs(found);
  const message = `an audience named "${step.create!.name}" already exists in sandbox "${step.sandbox}": ${why}${candidates}`;
  const at = new Date(deps.clock.now()).toISOString();
  await deps.store.resolveIntent(pending, {
    kind: 'update',
    changes: { blocked: { code: '100950-409', message, at }, pendingCreate: null },
  });
  return result(step, 'blocked', `${message}; ${importHint(step)}`);
}

/** The audience whose DELETE freed this create's name, when this record's own replace made one. */
type Freed = { applied: AppliedSpec; audienceId?: string };

/**
 * The name this create's record had its own audience deleted under, when it is the create's
 * (compared as the service compares names, audienceNameKey): a replace's create right after its
 * DELETE (`replaced`), or a later apply's create of a record such a create left (heldUnlisted
 * keeps the deleted audience's `applied`, with no audience id, until the create is recorded).
 * Nothing else: a name lookup is exact, and the service refuses a name held in any case, so
 * nothing listed under a new manifest's name says nothing of who holds it.
 */
function freedName(step: Step, pending: AudienceRecord, replaced?: Replaced): Freed | undefined {
  const same = (applied: AppliedSpec | undefined): applied is AppliedSpec =>
    applied !== undefined && audienceNameKey(applied.spec.name) === audienceNameKey(step.create!.name);
  if (replaced !== undefined)
    return same(replaced.applied)
      ? { applied: replaced.applied, audienceId: replaced.audienceId }
      : undefined;
  return pending.audienceId === undefined && same(pending.applied) ? { applied: pending.applied } : undefined;
}

/**
 * A 409 for a create that is not ours, of the name this record's own replace has deleted an
 * audience under (freedName), and nothing listed under the name, inactive audiences included:
 * the name is still held by the deleted audience. The page never says when a deleted
 * audience's name is free again (a replace's create comes right after its DELETE). Blocked,
 * the record would be neither POSTed nor looked up again, and "made outside audiencectl" would
 * be false of the audience the replace has just deleted, with no id to import. The POST made
 * nothing: its intent is cleared, the deleted audience's `applied` stays as the mark of the
 * name it holds (the record and its former runs stay), and the next apply POSTs again:
 * created once the name is free, blocked as someone else's once listed. Any other 409 with
 * nothing listed is blocked (resolveDuplicate): the lookup is exact-case, so a holder under
 * another case is not listed, and a retry would meet the same 409 on every apply.
 */
async function heldUnlisted(
  step: Step,
  pending: AudienceRecord,
  refused: string,
  deps: ExecutorDeps,
  freed: Freed,
): Promise<StepResult> {
  await deps.store.resolveIntent(pending, {
    kind: 'update',
    changes: { pendingCreate: null, applied: freed.applied },
  });
  const holder =
    freed.audienceId === undefined
      ? 'an audience not listed holds the name (one deleted whose name the service still holds, or one whose create has not finished)'
      : `it still holds the name of ${freed.audienceId}, the audience this replace has just deleted`;
  return result(
    step,
    'failed',
    `${refused}, and lists no audience under it: ${holder}; nothing was created, and the next apply creates it`,
  );
}

/**
 * The operation is unknown to the service: look for the audience by name. Found: adopted.
 * Not found: the record is kept for CREATE_GRACE_SECONDS after the create answered (the
 * service may not list it yet), then dropped (all but its runs, dropCreate) so that the next
 * apply creates it again.
 */
async function resolveLostOperation(
  step: Step,
  record: AudienceRecord,
  deps: ExecutorDeps,
): Promise<StepResult> {
  const answeredAt = epochSecondsOf(record.observed?.at ?? '');
  const since = Number.isFinite(answeredAt) ? answeredAt : 0;
  const operation = `operation ${record.operationId ?? '?'} is unknown to the service`;
  const found = await findOwnCreate(step, since, deps);
  if (found.kind === 'one') return adoptOwnCreate(step, record, found.audience, deps);
  if (found.kind === 'several') {
    return result(
      step,
      'blocked',
      `${operation}, and several audiences could be its own: ${describeCandidates(found.candidates)}; ${importHint(step)}`,
    );
  }
  if (found.kind === 'unknown') {
    return result(
      step,
      'failed',
      `${operation}, and no audience listed under its name is its own; ${found.reason}: the record is kept and the next apply looks again. ${listKeepsFailing(step)}`,
    );
  }
  return notListedYet(step, record, since, operation, deps);
}

/**
 * A refresh found the recorded audience deleted outside audiencectl: what was recorded of
 * it goes. Its runs stay, marked as its own (they counted against the sandbox's daily
 * budget), so that none is taken for a run of the audience created in its place.
 */
async function forgetGone(
  step: Step,
  deps: ExecutorDeps,
): Promise<{ record: AudienceRecord; forgotten?: AudienceRecord }> {
  const record = await currentRecord(deps.store, step);
  if (step.goneAudienceId === undefined || record.audienceId !== step.goneAudienceId || record.intent)
    return { record };
  const cleared: AudienceRecord = { ...record, runs: formerRuns(record, step.goneAudienceId) };
  delete cleared.audienceId;
  delete cleared.operationId;
  delete cleared.applied;
  delete cleared.observed;
  delete cleared.imported;
  delete cleared.pendingCreate;
  await deps.store.put(cleared);
  return { record: cleared, forgotten: record };
}

/**
 * The step as its create was sent, when one was (an intent or an operation is recorded): the
 * body POSTed and the spec it records as applied are the recorded ones, never the manifest's
 * as it is now. A POST of another name would make a second audience and leave the first
 * unmanaged; the next plan changes the audience to the manifest instead. A create intent of an
 * earlier release records only its spec hash: when that is not the step's, the name sent is
 * unknown, and nothing is sent (the plan blocks it too, plan/resume-create.ts).
 */
function sentStep(step: Step, record: AudienceRecord): Step | StepResult {
  const sent = record.pendingCreate;
  if (sent) {
    const target = { ...step.target!, spec: sent.spec, hash: sent.hash };
    return { ...step, create: sent.body, target };
  }
  const hash = record.intent?.kind === 'create' ? record.intent.specHash : undefined;
  if (hash === undefined || hash === step.target?.hash) return step;
  return result(
    step,
    'blocked',
    `an interrupted create sent another spec than the manifest's (spec hash ${hash}, now ${step.target?.hash ?? 'none'}), and its name was not recorded: not sent again, lest it make a second audience; ${importHint(step)}`,
  );
}

async function createSent(step: Step, deps: ExecutorDeps, replaced?: Replaced): Promise<StepResult> {
  const { record, forgotten } = await forgetGone(step, deps);
  if (record.blocked) return result(step, 'blocked', `${record.blocked.message}; ${importHint(step)}`);
  if (record.audienceId)
    return result(step, 'applied', `already created as ${record.audienceId}`, {
      audienceId: record.audienceId,
    });
  const sent = sentStep(step, record);
  if ('status' in sent) return sent;
  if (record.operationId && !record.intent) return awaitOperation(sent, record, deps);
  const posted = await postCreate(sent, record, deps, forgotten, replaced);
  if ('status' in posted && 'step' in posted) return posted;
  return awaitOperation(sent, posted, deps);
}

/** `replaced`: the audience a replace has just deleted, for the create of its name. */
export async function createStep(step: Step, deps: ExecutorDeps, replaced?: Replaced): Promise<StepResult> {
  // Reported as planned, whatever body was sent.
  return { ...(await createSent(step, deps, replaced)), step };
}
