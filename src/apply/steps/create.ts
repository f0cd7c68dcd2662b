import type { CreateResponse } from '../../aep/types.js';
import type { Step } from '../../plan/schema.js';
import type { AudienceRecord, PendingCreate } from '../../state/schema.js';
import { keptByRefresh } from '../../state/current-runs.js';
import { aepFailure, isDuplicate, isRefusal } from '../aep-failure.js';
import {
  currentRecord,
  droppedNote,
  dropCreate,
  importHint,
  manifestFileOf,
  notRecorded,
  result,
  settledRefusal,
} from '../record-helpers.js';
import type { ExecutorDeps, StepResult } from '../types.js';
import { blockedImportHint, blockedNameWayOut, nameLeftBehind, withoutBlock } from '../../plan/name-block.js';
import type { Replaced } from './freed-name.js';
import { awaitOperation } from './create-operation.js';
import { isOrgRefusal, releaseRefusedOrg } from './org-refused.js';
import { resolveDuplicate } from './create-duplicate.js';
import { ownBeforeRepeat } from './create-repeat.js';
import { heldRepeat, markRepeat, unmarkRepeat } from './create-hold.js';
import { measuredOffset, readServiceOffset, serviceEarliestMs } from '../service-time.js';
import { eitherSignal } from '../poll.js';
import type { PasteFlags } from '../../text/paste-flags.js';

const POST_ATTEMPTS = 3;

/**
 * POST the create body; an unknown outcome is resolved by looking the name up, then repeating
 * it (a service that refuses a duplicate name answers 409). `replaced`: the audience a replace
 * has just deleted.
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
  // With AEP's clock as this machine measured it (read first if no answer showed it lately): the
  // intent's time is this machine's, and a lookup of the audience it made (findOwnCreate, `state
  // import`) compares it with AEP's creation time. A resumed create keeps the offset recorded
  // with its intent's time, the machine's that wrote it.
  // The first Ctrl-C (the drain) ends the read at once: it sends nothing, and waiting for its
  // answer (up to a request timeout) would only hold back an apply that then sends no create.
  // A replace's create, which goes on under a drain, goes on with the offset unknown, as after
  // a failed read.
  const offset = resumed
    ? undefined
    : await readServiceOffset(client, step.sandbox, eitherSignal(signal, deps.drain));
  // Stopped while the clock was read: nothing is sent yet, so this create has not started (a
  // replace's, after its delete, goes on unless stopped now, as it did before the read).
  if (!resumed && (signal?.aborted || (replaced === undefined && deps.drain?.aborted)))
    return result(step, 'skipped', 'the apply was stopped before this create was sent');
  // AEP's clock now at the earliest, read after the intent's offset: any POST of this create is
  // sent after it, so the audience one made was created no earlier (state/create-window.ts).
  const earliest = resumed ? undefined : serviceEarliestMs(client);
  const sent = {
    body: step.create!,
    spec: target.spec,
    hash: target.hash,
    ...(offset === undefined ? {} : { clockOffset: offset }),
    ...(earliest === undefined ? {} : { earliestAepMs: earliest }),
  };
  let pending = resumed
    ? record
    : await store.beginIntent({ ...record, pendingCreate: sent }, 'create', { specHash: target.hash });
  // The record before this attempt marked its POST as a repeat (markRepeat), if it did.
  let unmarked: AudienceRecord | undefined;
  for (let attempt = 1; ; attempt += 1) {
    unmarked = undefined;
    // An earlier POST of this create may have made the audience: found by name first, never
    // made twice by a service that takes a second audience of a name (ownBeforeRepeat).
    // Nor sent again while that POST may still land unlisted (create-hold.ts): held instead.
    // Sent, its time is recorded first, so that the next apply holds it from then on.
    if (resumed || attempt > 1) {
      const own = await ownBeforeRepeat(step, pending, deps);
      if ('status' in own) return own;
      const held = heldRepeat(step, pending, deps, own);
      if (held) return held;
      unmarked = pending;
      pending = await markRepeat(step, pending, deps);
    }
    let response: CreateResponse;
    try {
      response = await client.createAudience(step.sandbox, step.create!, signal ? { signal } : {});
    } catch (error) {
      const failure = aepFailure(error);
      // A repeat the service refused (a 409, any 4xx of its own) made nothing: the hold runs from
      // the POST before it again, not from this one.
      if (unmarked && isRefusal(failure)) pending = await unmarkRepeat(pending, unmarked, deps);
      if (isDuplicate(failure)) {
        // Our own POST may have made it when the intent was open before this step, or an
        // earlier attempt's answer was lost: then it is ours to find by name.
        const ours = resumed || attempt > 1;
        return refusedAsDuplicate(step, pending, ours, deps, forgotten, replaced);
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
      // The intent bound the sandbox to the org AEP has just refused for its client: with no
      // record left, that binding goes too.
      const released = !kept && isOrgRefusal(failure) ? await releaseRefusedOrg(step.sandbox, deps) : '';
      return result(
        step,
        'failed',
        `create refused: ${failure.message}${kept ? `; ${droppedNote(kept)}` : ''}${released}`,
      );
    }
    // Outside the try: a failed write of the answer is no refused create. The intent stays, the
    // proof that the audience the service made is ours (the next apply adopts it), and the step
    // says it was sent, whether or not the apply was stopped meanwhile (the lock lost with the
    // database): never "skipped", which says nothing was sent.
    const at = new Date(clock.now()).toISOString();
    try {
      const stored = await store.resolveIntent(pending, {
        kind: 'update',
        changes: {
          // `at` is this machine's clock (perhaps not the one that began the create): the offset
          // written with it is this machine's, as the answer's Date header shows it.
          ...answeredOffset(pending, measuredOffset(client)),
          operationId: response.operationId,
          deletionPolicy: step.target!.deletionPolicy,
          ...manifestFileOf(step, deps, pending),
          observed: { source: 'operation', at, body: response.operationDetails ?? {} },
        },
      });
      return stored!;
    } catch (error) {
      return notRecorded(step, `create sent (202, operation ${response.operationId})`, error);
    }
  }
}

/**
 * A POST answered 409: what the sandbox lists under the name decides (resolveDuplicate). A
 * first POST's 409 proves this create made nothing: its intent is settled before the lookup
 * (settledRefusal; not for a re-create of a record a refresh read as deleted, `forgotten`, whose
 * record is restored in the one write that ends the intent), so an apply stopped during the
 * lookup leaves nothing the next apply could take for an interrupted create of its own. A
 * lookup or write that fails (the apply stopped, the database gone) is this step's failure,
 * said sent: never "skipped", which says nothing was sent.
 */
async function refusedAsDuplicate(
  step: Step,
  pending: AudienceRecord,
  ours: boolean,
  deps: ExecutorDeps,
  forgotten?: AudienceRecord,
  replaced?: Replaced,
): Promise<StepResult> {
  const refused = `create sent and refused (409: an audience named "${step.create!.name}" exists in sandbox "${step.sandbox}")`;
  let record = pending;
  if (!ours && !forgotten) {
    try {
      record = await settledRefusal(deps.store, pending);
    } catch (error) {
      return notRecorded(step, refused, error);
    }
  }
  try {
    return await resolveDuplicate(step, record, ours, deps, forgotten, replaced, pending);
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    const next =
      record === pending
        ? 'its intent is kept and the next apply resolves it'
        : 'this POST made nothing, and the next apply sends it again';
    return result(
      step,
      'failed',
      `${refused}, but what holds the name was not found out (${cause}): ${next}`,
    );
  }
}

/**
 * The record's `pendingCreate` with the offset measured by the machine writing its answer time
 * (`observed.at`): none, when that machine measured none (the intent's offset was another
 * time's, perhaps another machine's).
 */
function answeredOffset(
  pending: AudienceRecord,
  offset: number | undefined,
): { pendingCreate?: PendingCreate } {
  if (pending.pendingCreate === undefined) return {};
  const sent = { ...pending.pendingCreate };
  delete sent.clockOffset;
  return { pendingCreate: offset === undefined ? sent : { ...sent, clockOffset: offset } };
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
function sentStep(step: Step, record: AudienceRecord, paste: PasteFlags | undefined): Step | StepResult {
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
    `an interrupted create sent another spec than the manifest's (spec hash ${hash}, now ${step.target?.hash ?? 'none'}), and its name was not recorded: not sent again, lest it make a second audience; ${importHint(step, paste)}`,
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
    return result(
      step,
      'blocked',
      `${record.blocked.message}; ${blockedImportHint(step, deps.paste, record.blocked.found)}${rename}`,
    );
  }
  if (record.audienceId)
    return result(step, 'applied', `already created as ${record.audienceId}`, {
      audienceId: record.audienceId,
    });
  const sent = sentStep(step, record, deps.paste);
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
