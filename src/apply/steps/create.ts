import type { CreateResponse, Operation } from '../../aep/types.js';
import type { Step } from '../../plan/schema.js';
import type { AudienceRecord } from '../../state/schema.js';
import { keptByRefresh } from '../../state/current-runs.js';
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
  currentRecord,
  droppedNote,
  dropCreate,
  importHint,
  manifestFileOf,
  recordCreated,
  result,
} from '../record-helpers.js';
import type { ExecutorDeps, StepResult } from '../types.js';
import { blockedNameWayOut, nameLeftBehind, withoutBlock } from '../../plan/name-block.js';
import { freedName, goneAsReplaced, heldUnlisted, nameHeldUnlisted, type Replaced } from './freed-name.js';

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
 * its own replace has just freed (heldUnlisted) or under any other name (nameHeldUnlisted: a
 * holder the exact-case lookup does not list; the next apply POSTs again), or block with what
 * the sandbox lists under that name, recording the name (the block lifts when the manifest
 * names another, plan/name-block.ts).
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
    // One write: the record is never left without the audience the service still lists.
    await deps.store.resolveIntent(pending, { kind: 'replace', record: forgotten });
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
  const freed = freedName(step.create!.name, pending, replaced ?? goneAsReplaced(forgotten));
  if (found.kind === 'none' && found.byName.length === 0 && freed)
    return heldUnlisted(step, pending, refused, deps, freed);
  // Nothing listed under the exact name: a holder in another letter case, a deleted audience
  // whose name the service still holds, or a create not finished. Failed, not blocked: the
  // next apply POSTs again, so a freed name heals by itself (nameHeldUnlisted).
  if (listed.length === 0) {
    const unread = found.kind === 'unknown' ? ` (and ${found.reason})` : '';
    return nameHeldUnlisted(step, pending, `${refused}${unread}`, deps);
  }
  const why = notOurs(found);
  const name = step.create!.name;
  const message = `an audience named "${name}" already exists in sandbox "${step.sandbox}": ${why}${candidates}`;
  const at = new Date(deps.clock.now()).toISOString();
  await deps.store.resolveIntent(pending, {
    kind: 'update',
    changes: { blocked: { code: '100950-409', message, at, name }, pendingCreate: null },
  });
  return result(step, 'blocked', `${message}; ${importHint(step)}${blockedNameWayOut}`);
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
 * A refresh found the recorded audience deleted outside audiencectl: what was recorded of it
 * goes, but its runs (marked as its own: they counted against the sandbox's daily budget, and
 * none is taken for a run of the audience created in its place) and its `applied`, the mark of
 * the name it held (keptByRefresh). Not written here: the create's intent writes it (postCreate),
 * so that no kill leaves the record without its audience and without that create, and a kill
 * before it leaves the record as it was (the next refresh finds the audience deleted again).
 * `forgotten`: the record as it was, kept if the 409 shows the audience was not gone.
 */
function forgetGone(
  step: Step,
  record: AudienceRecord,
): { record: AudienceRecord; forgotten?: AudienceRecord } {
  if (step.goneAudienceId === undefined || record.audienceId !== step.goneAudienceId || record.intent)
    return { record };
  return { record: keptByRefresh(record, step.goneAudienceId), forgotten: record };
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
  const current = forgetGone(step, await currentRecord(deps.store, step));
  const { forgotten } = current;
  // A block for a name the manifest no longer names lifts: the intent's write drops it.
  const lifted = nameLeftBehind(current.record, step.create!.name) !== undefined;
  const record = lifted ? withoutBlock(current.record) : current.record;
  if (record.blocked) {
    const rename = record.blocked.name === undefined ? '' : blockedNameWayOut;
    return result(step, 'blocked', `${record.blocked.message}; ${importHint(step)}${rename}`);
  }
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
