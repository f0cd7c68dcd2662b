import { AepError } from '../../aep/errors.js';
import { AepFieldsRefusedError, refusedNamingNothing } from '../../aep/fields-refusal.js';
import type { Step } from '../../plan/schema.js';
import type { AudienceRecord } from '../../state/schema.js';
import { forgetCommand } from '../../text/paste-flags.js';
import { aepFailure, answeredCall, answersNotFound, type AepFailure } from '../aep-failure.js';
import { appliedFrom, clearIntent, currentRecord, manifestFileOf, result } from '../record-helpers.js';
import { readBackPatch, unknownMark, type PatchReadBack } from '../patch-readback.js';
import type { ExecutorDeps, StepResult } from '../types.js';
import { unseenChanged } from '../../plan/unknown-after-patch.js';
import { checkUnverifiedImport } from '../unverified-import.js';
import { mayBeGoneHint } from '../gone-hint.js';

/** PATCH only what changed; a state-only change (deletionPolicy) makes no call. */
export async function updateStep(step: Step, deps: ExecutorDeps): Promise<StepResult> {
  const { store, client, clock, signal } = deps;
  const at = () => new Date(clock.now()).toISOString();
  const target = step.target!;
  const sends = step.patch !== undefined && Object.keys(step.patch).length > 0;
  // An id `state import` could not check is read before anything is sent to it.
  const checked = sends
    ? await checkUnverifiedImport(step, await currentRecord(store, step), deps)
    : { record: await currentRecord(store, step) };
  if ('stop' in checked) return checked.stop;
  const record = checked.record;
  if (!step.patch || !sends) {
    await store.put({
      ...record,
      deletionPolicy: target.deletionPolicy,
      ...manifestFileOf(step, deps, record),
      applied: appliedFrom(target, at(), deps.revision),
    });
    return result(
      step,
      'applied',
      'recorded (no API call needed)',
      record.audienceId ? { audienceId: record.audienceId } : {},
    );
  }
  const audienceId = record.audienceId ?? step.audienceId!;
  // What it changes unseen, marked unknown if its outcome stays unknown (patch-readback.ts).
  const unseen = unseenChanged(step.changes);
  const pending = await store.beginIntent(record, 'patch', {
    specHash: target.hash,
    ...(unseen.length > 0 ? { unseenChanged: unseen } : {}),
  });
  let view: Awaited<ReturnType<typeof client.patchAudience>>;
  const fieldsUncompared = uncompared(record);
  try {
    view = await client.patchAudience(step.sandbox, audienceId, step.patch, {
      ...(signal ? { signal } : {}),
      ...(fieldsUncompared ? { fieldsUncompared } : {}),
    });
  } catch (error) {
    const failure = aepFailure(error);
    // Refused: sent and answered, whatever becomes of the writes below (the intent kept, the
    // next apply settles it).
    const answered = answeredCall('PATCH', failure);
    if (answered !== undefined) deps.marks?.sent(answered);
    if (fieldsRefused(record, error, failure)) {
      const message = fieldsWayOut(step, failure, error instanceof AepFieldsRefusedError, deps);
      const patchRefused = { at: at(), specHash: target.hash, message };
      await store.resolveIntent(pending, { kind: 'update', changes: { patchRefused } });
      deps.marks?.recorded();
      return result(step, 'blocked', message, { audienceId });
    }
    // Its outcome unknown (a 5xx, a lost answer, after the retries): the service may hold what it
    // sent, which the record cannot show unread. Cleared unread, the intent left the spec before
    // the PATCH recorded, and a manifest reverted since was planned as "No changes" over an
    // audience holding this PATCH: the audience is read back (patch-readback.ts). A read that
    // fails keeps the intent, for the next apply's resume to read it. A 404 ending the retries is
    // cleared as any 404 is: its way out is a refresh, which the intent would hold.
    if (failure.outcomeUnknown && !answersNotFound(failure) && record.applied && record.audienceId) {
      const known = { ...pending, audienceId: record.audienceId, applied: record.applied };
      return unknownOutcome(step, deps, known, failure);
    }
    // Not a refusal of its fields (any more): an earlier one no longer holds the update. A 404
    // to the retry of an attempt whose outcome is unknown: that attempt may have landed, and
    // what it sent unseen (field labels) is marked as a read back marks it.
    const marked = failure.outcomeUnknown ? unknownMark(pending) : { changes: {}, said: '' };
    const changes = { ...marked.changes, ...(record.patchRefused ? { patchRefused: null } : {}) };
    if (Object.keys(changes).length > 0) await store.resolveIntent(pending, { kind: 'update', changes });
    else await clearIntent(store, pending);
    deps.marks?.recorded();
    // One 404 proves nothing (a replica that has not seen the audience, a gateway): the way
    // out checks first, and keeps the record (its runs, the mark of its name) if it re-creates.
    // A 404 to the retry of an attempt whose outcome is unknown gets it too: the message says
    // both, that outcome and the 404.
    if (!answersNotFound(failure)) {
      const told = fieldsUncompared && refusedNamingNothing(error) ? UNNAMED_NEXT : '';
      return result(step, 'failed', `PATCH failed: ${failure.message}${told}${marked.said}`, { audienceId });
    }
    const hint = mayBeGoneHint(audienceId, deps);
    return result(
      step,
      'failed',
      `PATCH failed: ${failure.message.replace(/\.$/, '')}; ${hint}${marked.said}`,
      {
        audienceId,
      },
    );
  }
  // Outside the try: a failed write of the answer is no failed PATCH (the service made it).
  // It throws and the intent stays, and the step is reported sent (deps.marks): the next apply
  // settles the intent and sends the PATCH again while the record shows the spec before it.
  const fields = Object.keys(step.patch).join(', ');
  deps.marks?.sent(`PATCH sent (${audienceId}: ${fields} patched)`);
  await store.resolveIntent(pending, {
    kind: 'update',
    changes: {
      deletionPolicy: target.deletionPolicy,
      ...manifestFileOf(step, deps, record),
      applied: appliedFrom(target, at(), deps.revision),
      observed: { source: 'patch', at: at(), body: view },
      ...(record.patchRefused ? { patchRefused: null } : {}),
      // The plan sent every property marked unknown (withUnknown): the answer settles them.
      ...(record.unknownAfterPatch ? { unknownAfterPatch: null } : {}),
    },
  });
  deps.marks?.recorded();
  return result(step, 'applied', `patched ${fields}`, { audienceId });
}

/**
 * A PATCH whose outcome is unknown: the audience read back, what it shows recorded with the
 * intent cleared; the read failing, the intent kept. Failed either way.
 */
async function unknownOutcome(
  step: Step,
  deps: ExecutorDeps,
  pending: Parameters<typeof readBackPatch>[1],
  failure: AepFailure,
): Promise<StepResult> {
  const { store, client, clock, signal } = deps;
  const audienceId = pending.audienceId;
  const failed = `PATCH failed: ${failure.message.replace(/\.$/, '')}`;
  let read: PatchReadBack;
  try {
    read = await readBackPatch(client, pending, clock, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw error;
    const why = aepFailure(error).message.replace(/\.$/, '');
    return result(
      step,
      'failed',
      `${failed}; reading the audience back failed (${why}): its intent is kept, and the next apply reads it back before it plans`,
      { audienceId },
    );
  }
  await store.resolveIntent(pending, {
    kind: 'update',
    changes: { ...read.changes, ...(pending.patchRefused ? { patchRefused: null } : {}) },
  });
  deps.marks?.recorded();
  const said = read.shown
    ? `read back, the service shows ${read.said}`
    : `not shown when read back: ${read.said}`;
  return result(step, 'failed', `${failed}; ${said}`, { audienceId });
}

/**
 * The first PATCH of an audience audiencectl did not create (imported, discovered or adopted:
 * nobody compared its fields with the manifest's), which the service may refuse for them.
 */
function uncompared(record: AudienceRecord): boolean {
  return record.imported !== undefined && record.applied === undefined;
}

/** How a refusal naming no rule was told to be of the fields (fields-refusal.ts). */
const WITHOUT_ACCEPTED = "; it named no rule, and the same PATCH without the manifest's fields was accepted";

/** What a failed first PATCH refused naming no rule adds: how the next apply tells (fields-refusal.ts). */
const UNNAMED_NEXT =
  " (AEP named no rule it broke: refused the same way again, the next apply sends this PATCH without the manifest's fields, to tell whether they are what AEP refuses)";

/**
 * The service said the manifest's fields are the problem, on the first PATCH of an audience
 * audiencectl did not create (uncompared): 100960-422 with a rule broken by a listed field (one
 * the audience lacks, or of another type, as PATCH cannot add or change one), or a refusal that
 * names no rule where the same PATCH without its fields was accepted (the client tells it:
 * AepFieldsRefusedError, src/aep/fields-refusal.ts). Any other 422 (another rule, a run in
 * progress, a passing refusal, a body without rules the PATCH without fields does not tell) is
 * an ordinary failure the next apply retries; so is a refusal for an audience audiencectl
 * created from the manifest's fields, or has PATCHed since. A proxy's 422 page is no answer of
 * the service (AEP_UNEXPECTED_RESPONSE).
 */
function fieldsRefused(record: AudienceRecord, error: unknown, failure: AepFailure): boolean {
  if (!uncompared(record) || failure.code !== 'AEP_UNPROCESSABLE') return false;
  if (error instanceof AepFieldsRefusedError) return true;
  if (failure.platformCode !== '100960-422') return false;
  const details = error instanceof AepError ? error.details : [];
  return details.some(
    (item) =>
      /^fields\[\d+\]\.(name|type|identityNs)$/.test(item.path ?? '') &&
      /cannot (add fields|change a field's (type|identity namespace))/.test(item.message),
  );
}

/** The refusal, and the ways out a person chooses between, the first that keeps the audience. */
function fieldsWayOut(step: Step, failure: AepFailure, toldWithout: boolean, deps: ExecutorDeps): string {
  const file = step.source?.replace(/:\d+$/, '') ?? 'the manifest';
  const forget = forgetCommand(step.key, step.sandbox, deps.paste);
  const ways =
    deps.appliedBy === 'controller'
      ? {
          fix: `Set spec.fields in ${file} to the audience's fields (names and types) in the manifests the controller reads (commit and push them): its next pass sends the PATCH again.`,
          forget: `${forget}, with the controller stopped (docs/controller.md, "Repairing state under a controller"),`,
          again: `Until the manifest changes, passes hold this update; ${deps.refreshWay ?? "the controller's next refresh"} sends the PATCH again`,
        }
      : {
          fix: `Set spec.fields in ${file} to the audience's fields (names and types) and apply.`,
          forget,
          again: 'Until the manifest changes, plans hold this update; apply --refresh sends the PATCH again',
        };
  return (
    `the audience's fields differ from the manifest's: AEP refused the PATCH of its fields (${failure.message.replace(/\.$/, '')}${toldWithout ? WITHOUT_ACCEPTED : ''}), ` +
    `and a PATCH cannot add a field or change its type (the Audiences API does not show an audience's fields, so importing, discovering or adopting it could not compare them). ` +
    `${ways.fix} ` +
    `Only if this audience must not be managed: ${ways.forget} leaves it in AEP unmanaged (campaigns using it are no longer updated), and a manifest with another spec.name creates a new audience beside it. ` +
    ways.again
  );
}
