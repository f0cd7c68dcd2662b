import { audienceNameKey } from '../../manifest/duplicates.js';
import type { Step } from '../../plan/schema.js';
import type { AppliedSpec, AudienceRecord } from '../../state/schema.js';
import { dropCreate, droppedNote, result, writeOutcome } from '../record-helpers.js';
import type { ExecutorDeps, StepResult } from '../types.js';
import { stateImportCommand, manifestsDirNote, type PasteFlags } from '../../text/paste-flags.js';

// A create's 409 with nothing listed under the name, when the name is the one this record's own
// audience was deleted under (by its replace, or outside audiencectl as a refresh found): the
// service may still hold it (the page never says for how long), so the step fails and the next
// apply POSTs again, rather than blocking the record as someone else's (create-duplicate.ts resolveDuplicate).

/**
 * The audience a replace has just deleted, and what was applied of it (its name); `outside`:
 * deleted outside audiencectl, as the refresh that planned this create found.
 */
export type Replaced = { audienceId: string; applied: AppliedSpec | undefined; outside?: true };

/** The audience whose deletion freed this create's name: by this record's own replace, or outside. */
export type Freed = { applied: AppliedSpec; audienceId?: string; outside?: true };

/** The audience a refresh found deleted outside audiencectl, as `replaced` names a replace's. */
export function goneAsReplaced(forgotten: AudienceRecord | undefined): Replaced | undefined {
  if (forgotten?.audienceId === undefined) return undefined;
  return { audienceId: forgotten.audienceId, applied: forgotten.applied, outside: true };
}

/**
 * The name this create's record had its own audience deleted under, when it is the create's (`name`)
 * (compared as the service compares names, audienceNameKey): a replace's create right after its
 * DELETE, or a refresh's re-create of an audience deleted outside audiencectl (`replaced`), or a
 * later apply's create of a record either left (the deleted audience's `applied`, kept with no
 * audience id until the create is recorded: keptByReplace, keptByRefresh, heldUnlisted).
 * Nothing else: a name lookup is exact, and the service refuses a name held in any case, so
 * nothing listed under a new manifest's name says nothing of who holds it.
 */
export function freedName(name: string, pending: AudienceRecord, replaced?: Replaced): Freed | undefined {
  const same = (applied: AppliedSpec | undefined): applied is AppliedSpec =>
    applied !== undefined && audienceNameKey(applied.spec.name) === audienceNameKey(name);
  if (replaced !== undefined)
    return same(replaced.applied)
      ? {
          applied: replaced.applied,
          audienceId: replaced.audienceId,
          ...(replaced.outside ? { outside: true as const } : {}),
        }
      : undefined;
  return pending.audienceId === undefined && same(pending.applied) ? { applied: pending.applied } : undefined;
}

/**
 * A 409 for a create that is not ours, of the name this record's own audience was deleted
 * under (freedName: by its replace, or outside audiencectl as a refresh found), and nothing
 * listed under that exact name, inactive audiences included. The deleted audience may still
 * hold it (the page never says when a deleted audience's name is free again; a replace's
 * create comes right after its DELETE), but so may an audience in another letter case (the
 * lookup is exact, the service compares names ignoring case) or a create not finished: the
 * message says all three, never that the deleted one does. Blocked, the record would be neither
 * POSTed nor looked up again, and "made outside audiencectl" would be false of the deleted
 * audience, with no id to import. The POST made nothing: its intent is cleared, the deleted
 * audience's `applied` stays as the mark of the name (the record and its former runs stay), and
 * the next apply POSTs again: created once the name is free, blocked as someone else's once
 * listed. A holder in another case keeps it failing: the message gives the ways out.
 */
export async function heldUnlisted(
  step: Step,
  pending: AudienceRecord,
  refused: string,
  deps: ExecutorDeps,
  freed: Freed,
): Promise<StepResult> {
  const kept = await writeOutcome(deps.store, pending, {
    kind: 'update',
    changes: { pendingCreate: null, applied: freed.applied },
  });
  return result(
    step,
    'failed',
    unlistedHolder(step, refused, droppedNote(kept), deps.paste, freedHolder(freed)),
  );
}

/**
 * A 409 for a create that is not ours with nothing listed under the name (the lookup is exact),
 * of a name this record's own audience was not deleted under: held by an audience in another
 * letter case (the service compares names ignoring case), by a deleted audience whose name the
 * service still holds, or by a create not finished. No audience is named, as none is known. The
 * POST made nothing: the create is dropped as a refused one is (dropCreate: the record keeps
 * only the runs and mark it held), and the step fails. Blocked, the record would stay so after
 * the name is freed (a blocked record is neither POSTed nor looked up again), and an import of
 * the holder would be refused unless the manifest took its exact name. So each apply POSTs
 * again: one refused call (and a name lookup) per apply while the name is held, and the
 * audience is created once it is free, or blocked once an audience of that exact name is listed.
 */
export async function nameHeldUnlisted(
  step: Step,
  pending: AudienceRecord,
  refused: string,
  deps: ExecutorDeps,
): Promise<StepResult> {
  const kept = await dropCreate(deps.store, pending);
  return result(step, 'failed', unlistedHolder(step, refused, droppedNote(kept), deps.paste));
}

/**
 * A 409 whose name lookup lists only audiences this plan's other steps have just deleted to free
 * the name (Step.freedBy, sent before this POST): the service still holds or lists a deleted
 * audience's name for a while. Blocked as someone else's, the record would stay so after the
 * name is free, naming an audience gone (a blocked record is neither POSTed nor looked up again).
 * The POST made nothing: the create is dropped as a refused one is, the step fails, and the next
 * apply POSTs again.
 */
export async function heldByFreeing(
  step: Step,
  pending: AudienceRecord,
  refused: string,
  deps: ExecutorDeps,
  listed: readonly string[],
): Promise<StepResult> {
  const kept = await dropCreate(deps.store, pending);
  const by = (step.freedBy ?? []).join(', ');
  return result(
    step,
    'failed',
    `${refused}, and lists under it ${listed.join(', ')}, deleted by this apply (${by}) to free the name: the service still holds it; nothing was created (${droppedNote(kept)}), and the next apply tries again: the audience is created once the name is free`,
  );
}

/**
 * The one text of a 409 with nothing listed under the exact name (heldUnlisted,
 * nameHeldUnlisted): who may hold the name (`deleted`: the audience this record's own was
 * deleted under, when there is one), what became of the record (`kept`), and the ways out that
 * work while the name stays held.
 */
function unlistedHolder(
  step: Step,
  refused: string,
  kept: string,
  paste: PasteFlags | undefined,
  deleted = 'one deleted whose name the service still holds',
): string {
  const ways = `To use another name, change spec.name in the manifest; if the holder is the audience this manifest means, set spec.name to its exact name, find its id in AEP, then run: ${stateImportCommand(step.key, step.sandbox, paste)}${manifestsDirNote(paste)}`;
  return `${refused}, and lists no audience under that exact name: the name is held by an audience not listed (one whose name differs only in letter case, the service compares names ignoring case; ${deleted}; or one whose create has not finished); nothing was created (${kept}), and the next apply tries again: the audience is created once the name is free. ${ways}`;
}

/** The deleted audience that may hold the name, as unlistedHolder names it. */
function freedHolder(freed: Freed): string {
  if (freed.audienceId === undefined)
    return 'the audience this record held under that name, deleted, if the service still holds its name';
  const deleted = freed.outside
    ? 'the audience deleted outside audiencectl'
    : 'the audience this replace has just deleted';
  return `${freed.audienceId}, ${deleted}, if the service still holds its name`;
}
