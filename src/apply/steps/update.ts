import type { Step } from '../../plan/schema.js';
import { aepFailure, isNotFound } from '../aep-failure.js';
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
    await clearIntent(store, pending);
    const failure = aepFailure(error);
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
    },
  });
  return result(step, 'applied', `patched ${Object.keys(step.patch).join(', ')}`, { audienceId });
}
