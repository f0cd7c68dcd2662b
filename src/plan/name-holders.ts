import { audienceNameKey } from '../manifest/duplicates.js';
import type { AudienceRecord } from '../state/schema.js';
import { leadingStringOf } from '../text/lazy-property.js';
import { liveOf } from './drift.js';
import type { RefreshView, Step } from './schema.js';

// A create or replace whose spec.name another record of the store holds (the same sandbox, an
// audience recorded under that name). The manifests' duplicate-name check sees only the
// manifests read; a record's manifest may be outside --include or in another directory sharing
// the store, or removed by this very plan. The service refuses a second audience of a name
// (409), and a replace sends its DELETE before its POST: planned blind, the replace would delete
// its audience and then be refused.

/** The name a record's audience holds, as far as the records (and a refresh) know it. */
function heldName(record: AudienceRecord, refresh: RefreshView | undefined): string | undefined {
  if (record.audienceId === undefined) return undefined;
  const live = liveOf(refresh, record);
  if (live?.status === 'missing') return undefined;
  if (live?.status === 'found') return live.name;
  return (record.applied && appliedName(record.applied)) ?? record.imported?.name;
}

/**
 * The applied spec's name, read without making the spec an object where it is still JSON text
 * that can tell it (a state snapshot's record: lazy-property.ts leadingStringOf): of 10,000
 * records, each spec parsed for its name was most of a plan's planning, and its garbage.
 */
function appliedName(applied: NonNullable<AudienceRecord['applied']>): string {
  return leadingStringOf(applied, 'spec', 'name') ?? applied.spec.name;
}

/** A step whose DELETE frees its record's name: a delete or a replace, not blocked. */
function deletes(step: Step | undefined): step is Step {
  return step !== undefined && !step.blocked && (step.kind === 'delete' || step.kind === 'replace');
}

/** Why this plan leaves the holder's audience where it is. */
function leftBecause(own: Step | undefined): string {
  if (own === undefined)
    return 'this plan neither deletes nor renames it (its manifest is not among those read, or keeps that name)';
  if (own.kind === 'forget')
    return 'this plan forgets it (deletionPolicy: Orphan), which leaves the audience in AEP under that name';
  if (own.blocked && (own.kind === 'delete' || own.kind === 'replace'))
    return `its ${own.kind} in this plan is blocked`;
  return 'this plan neither deletes nor renames it';
}

function blockedFor(step: Step, name: string, holder: AudienceRecord, own: Step | undefined): string {
  const file = holder.manifestFile === undefined ? '' : `, manifest ${holder.manifestFile}`;
  const what = step.kind === 'replace' ? 'nothing is deleted' : 'nothing is created';
  return `the name "${name}" is held by ${holder.sandbox}/${holder.key} of this state store (audience ${holder.audienceId ?? ''}${file}), and ${leftBecause(own)}: the service refuses a second audience of a name, so ${what}. Change this manifest's spec.name to a name no audience holds, or rename or remove the manifest of ${holder.sandbox}/${holder.key} in the same apply (or apply that first)`;
}

/** Why `step` is blocked (a holder of its name this plan does not free), else the steps freeing it. */
function freeingOf(
  step: Step & { create: NonNullable<Step['create']> },
  holders: ReadonlyMap<string, AudienceRecord[]>,
  removing: ReadonlyMap<string, Step>,
): { blocked: string } | { freedBy: string[] } {
  const name = step.create.name;
  const others = (holders.get(`${step.sandbox}\u0000${audienceNameKey(name)}`) ?? []).filter(
    (record) => record.key !== step.key,
  );
  const freedBy: string[] = [];
  for (const holder of others) {
    const own = removing.get(`${holder.sandbox}/${holder.key}`);
    if (!deletes(own)) return { blocked: blockedFor(step, name, holder, own) };
    freedBy.push(own.id);
  }
  return { freedBy };
}

/**
 * Blocks each create and replace (not blocked already) whose spec.name, compared as the service
 * compares names, another record of its sandbox holds and this plan does not free; where this
 * plan's deletes or replaces free it, names them in `freedBy`, so that the executor sends its
 * POST only after their DELETEs (and a create's first run goes with a blocked create, as the
 * caller drops it). `steps`: the whole plan, its removals among them, guards applied. Returns
 * the ids of the steps it blocked.
 */
export function guardRecordedNames(
  steps: Step[],
  records: readonly AudienceRecord[],
  refresh: RefreshView | undefined,
): string[] {
  const blocked: string[] = [];
  const takers = steps.filter(
    (step): step is Step & { create: NonNullable<Step['create']> } =>
      (step.kind === 'create' || step.kind === 'replace') && !step.blocked && step.create !== undefined,
  );
  // No step takes a name (a plan without creates or replaces): no record's name is read (nor,
  // for a state snapshot's record, its applied spec's digest checked: appliedName).
  if (takers.length === 0) return blocked;
  const holders = new Map<string, AudienceRecord[]>();
  for (const record of records) {
    const name = heldName(record, refresh);
    if (name === undefined) continue;
    const at = `${record.sandbox}\u0000${audienceNameKey(name)}`;
    holders.set(at, [...(holders.get(at) ?? []), record]);
  }
  if (holders.size === 0) return blocked;
  const removing = new Map<string, Step>();
  for (const step of steps) {
    if (step.kind === 'delete' || step.kind === 'replace' || step.kind === 'forget')
      removing.set(`${step.sandbox}/${step.key}`, step);
  }
  // A replace blocked here frees no name: a step earlier in the plan that counted on it is looked
  // at again (a takes b's name, b takes c's, c keeps its own: a is blocked with b), until none is
  // blocked anew. Left freed by it, a would DELETE its audience and then find the name held.
  for (let again = true; again;) {
    again = false;
    for (const step of takers) {
      if (step.blocked) continue;
      const found = freeingOf(step, holders, removing);
      if ('blocked' in found) {
        step.blocked = found.blocked;
        delete step.freedBy;
        blocked.push(step.id);
        again = true;
      } else if (found.freedBy.length > 0) step.freedBy = found.freedBy;
    }
  }
  return blocked;
}
