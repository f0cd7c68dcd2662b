import type { Step } from '../../plan/schema.js';
import { pastedFlags } from '../../text/paste-flags.js';
import { aepFailure, isNotFound, type AepFailure } from '../aep-failure.js';
import { appliedFrom, clearIntent, currentRecord, manifestFileOf, result } from '../record-helpers.js';
import type { ExecutorDeps, StepResult } from '../types.js';

/** PATCH only what changed; a state-only change (deletionPolicy) makes no call. */
export async function updateStep(step: Step, deps: ExecutorDeps): Promise<StepResult> {
  const { store, client, clock, signal } = deps;
  const record = await currentRecord(store, step);
  const at = () => new Date(clock.now()).toISOString();
  const target = step.target!;
  if (!step.patch || Object.keys(step.patch).length === 0) {
    await store.put({
      ...record,
      deletionPolicy: target.deletionPolicy,
      ...manifestFileOf(step),
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
  const pending = await store.beginIntent(record, 'patch', { specHash: target.hash });
  let view: Awaited<ReturnType<typeof client.patchAudience>>;
  try {
    view = await client.patchAudience(step.sandbox, audienceId, step.patch, signal ? { signal } : {});
  } catch (error) {
    const failure = aepFailure(error);
    if (fieldsRefused(failure, step.patch)) {
      const message = fieldsWayOut(step, failure, deps);
      const patchRefused = { at: at(), specHash: target.hash, message };
      await store.resolveIntent(pending, { kind: 'update', changes: { patchRefused } });
      return result(step, 'blocked', message, { audienceId });
    }
    await clearIntent(store, pending);
    // One 404 proves nothing (a replica that has not seen the audience, a gateway): the way
    // out checks first, and keeps the record (its runs, the mark of its name) if it re-creates.
    const hint = isNotFound(failure)
      ? `; audience ${audienceId} may no longer exist remotely: ${deps.refreshWay ?? 'run this apply again with --refresh'}, which reads the audience back and creates it again only if it is gone (its record, runs and name kept)`
      : '';
    return result(step, 'failed', `PATCH failed: ${failure.message}${hint}`, { audienceId });
  }
  // Outside the try: a failed write of the answer is no failed PATCH (the service made it).
  // It throws and the intent stays; the next apply settles it and plans the PATCH if still needed.
  await store.resolveIntent(pending, {
    kind: 'update',
    changes: {
      deletionPolicy: target.deletionPolicy,
      ...manifestFileOf(step),
      applied: appliedFrom(target, at(), deps.revision),
      observed: { source: 'patch', at: at(), body: view },
      ...(record.patchRefused ? { patchRefused: null } : {}),
    },
  });
  return result(step, 'applied', `patched ${Object.keys(step.patch).join(', ')}`, { audienceId });
}

/**
 * The service could not process a PATCH that lists the manifest's fields (HTTP 422): a field
 * the audience lacks, or of another type, as PATCH cannot add or change one. A proxy's 422
 * page is no answer of the service (AEP_UNEXPECTED_RESPONSE), and a failed call is not a refusal.
 */
function fieldsRefused(failure: AepFailure, patch: Step['patch']): boolean {
  return failure.code === 'AEP_UNPROCESSABLE' && Array.isArray(patch?.['fields']);
}

/** The refusal, and the two ways out a person chooses between. */
function fieldsWayOut(step: Step, failure: AepFailure, deps: ExecutorDeps): string {
  const file = step.source?.replace(/:\d+$/, '') ?? 'the manifest';
  const forget = `audiencectl state forget ${step.key} --sandbox ${step.sandbox}${pastedFlags(deps.paste, 'state')}`;
  return (
    `the audience's fields differ from the manifest's: AEP refused the PATCH of its fields (${failure.message.replace(/\.$/, '')}), ` +
    `and a PATCH cannot add a field or change its type (the Audiences API does not show an audience's fields, so importing or adopting it could not compare them). ` +
    `Either set spec.fields in ${file} to the audience's fields (names and types), or stop managing this audience and create another: ${forget} (the audience stays in AEP), then give the manifest another spec.name and apply. ` +
    `Until the manifest changes, plans hold this update`
  );
}
