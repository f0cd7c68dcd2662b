import { isExternal } from '../../aep/segment-types.js';
import type { Step } from '../../plan/schema.js';
import { newRecord } from '../../state/record-changes.js';
import { aepFailure } from '../aep-failure.js';
import { runsTakenOver } from '../../state/current-runs.js';
import { dropTaken, runsHeldElsewhere, takenRunsNotes } from '../../state/runs-elsewhere.js';
import { budgetHorizon, manifestFileOf, result } from '../record-helpers.js';
import type { ExecutorDeps, StepResult } from '../types.js';
import { formerAudienceNote } from '../../state/describe.js';
import { importedRunsCount, RunsCountUnreadError } from '../import-runs-count.js';
import { updateStep } from './update.js';

/**
 * Why the audience the plan chose can no longer be adopted, read back just before it is
 * recorded: the plan's lookup may be old (a saved plan) and the audience deleted or
 * renamed in the UI since. Undefined when it is still there, external, of the manifest's name.
 */
async function goneSincePlanned(
  step: Step,
  audienceId: string,
  deps: ExecutorDeps,
): Promise<StepResult | undefined> {
  const name = step.target?.spec.name;
  let live;
  try {
    live = await deps.client.getAudience(
      step.sandbox,
      audienceId,
      deps.signal ? { signal: deps.signal } : {},
    );
  } catch (error) {
    return result(
      step,
      'failed',
      `not adopted: cannot read audience ${audienceId} back (${aepFailure(error).message})`,
    );
  }
  const again = 'not adopted; plan again';
  if (!live)
    return result(
      step,
      'blocked',
      `audience ${audienceId} no longer exists (deleted since the plan): ${again}`,
    );
  if (!isExternal(live))
    return result(step, 'blocked', `audience ${audienceId} is not an external audience: ${again}`);
  if (live.name !== name)
    return result(
      step,
      'blocked',
      `audience ${audienceId} is now named "${live.name}", not "${name}": ${again}`,
    );
  return undefined;
}

/**
 * Takes over an audience audiencectl did not create (`<= adopt`): records its id as an
 * imported audience (its first run counts as done, the manifest's `ingestion.request` as
 * honoured), then PATCHes its changeable properties to the manifest.
 */
export async function adoptStep(step: Step, deps: ExecutorDeps): Promise<StepResult> {
  const { store, clock } = deps;
  const audienceId = step.audienceId;
  const target = step.target;
  if (step.kind !== 'adopt' || audienceId === undefined || target === undefined)
    return result(step, 'blocked', 'nothing to adopt');
  const records = (await store.readAll()).audiences;
  const other = records.find(
    (record) =>
      record.audienceId === audienceId && !(record.sandbox === step.sandbox && record.key === step.key),
  );
  if (other)
    return result(
      step,
      'blocked',
      `audience ${audienceId} is already recorded for ${other.sandbox}/${other.key}`,
    );
  const own = records.find((record) => record.sandbox === step.sandbox && record.key === step.key);
  if (own?.audienceId !== undefined && own.audienceId !== audienceId)
    return result(step, 'blocked', `${step.sandbox}/${step.key} already records audience ${own.audienceId}`);
  let taken: string[] = [];
  if (own === undefined || own.audienceId === undefined) {
    const gone = await goneSincePlanned(step, audienceId, deps);
    if (gone) return gone;
    // As a plain import counts them: the runs past a cut page are its history (hidden-runs.ts).
    // Its runs list failing there is no answer: the step fails, nothing recorded, and the next
    // apply adopts it again (RunsCountUnreadError).
    let counted: Awaited<ReturnType<typeof importedRunsCount>>;
    try {
      counted = await importedRunsCount(
        deps.client,
        step.sandbox,
        audienceId,
        () => clock.now(),
        deps.signal,
      );
    } catch (error) {
      if (error instanceof RunsCountUnreadError) return result(step, 'failed', error.message, { audienceId });
      throw error;
    }
    const at = counted?.at ?? new Date(clock.now()).toISOString();
    const since = budgetHorizon(deps);
    // Its runs that count: over a runs-only record of this key (its audience forgotten from it,
    // say), and those kept under another key since its audience was forgotten there.
    const elsewhere = runsHeldElsewhere(
      records,
      step,
      audienceId,
      since,
      runsTakenOver(own, audienceId, since),
    );
    await store.put({
      ...(own ?? newRecord(step.sandbox, step.key, target.deletionPolicy)),
      runs: elsewhere.runs,
      audienceId,
      deletionPolicy: target.deletionPolicy,
      ...manifestFileOf(step, deps, own),
      imported: {
        at,
        ...(target.ingestionRequest === undefined ? {} : { ingestionRequest: target.ingestionRequest }),
        // Should the PATCH below fail, the record still keeps the commit it was adopted from.
        ...(deps.revision === undefined ? {} : { revision: deps.revision }),
        ...(counted === undefined ? {} : { runsCounted: counted.runsCounted }),
      },
      observed: { source: 'audiences', at, body: { ...step.candidates[0] } },
    });
    taken = takenRunsNotes(await dropTaken(store, elsewhere));
  }
  // Said again after the fact: over a runs-only record, which audience this key now holds.
  const former = [
    own?.audienceId === undefined ? formerAudienceNote(own, step.candidates[0] ?? { audienceId }) : '',
    ...taken.map((note) => `; ${note}`),
  ].join('');
  const patched = await updateStep(step, deps);
  if (patched.status === 'applied')
    return { ...patched, message: `adopted ${audienceId}${former}; ${patched.message}` };
  return patched.status === 'blocked'
    ? { ...patched, message: `adopted ${audienceId} (recorded); ${patched.message}` }
    : {
        ...patched,
        message: `adopted ${audienceId} (recorded); ${patched.message}; the next apply PATCHes it`,
      };
}
