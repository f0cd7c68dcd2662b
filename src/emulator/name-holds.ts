import type { AudienceRecord, OperationRecord } from './model.js';

/**
 * A name reservation: taken at create time, so a second create fails while the first is
 * PROCESSING. `releasedAtMs`: the audience is deleted, and its name is held until then
 * (`deletedNames: held`). `duplicates`: the other audiences that bear the name, which only the
 * admin endpoint makes (`duplicateName`); kept in memory only, and found again from the
 * audiences when a data directory is loaded.
 */
export type NameHold = {
  operationId: string;
  audienceId: string;
  releasedAtMs?: number;
  duplicates?: readonly string[];
};

/** What of a sandbox's state the holds are kept in and read from. */
type HoldScope = {
  readonly names: Map<string, NameHold>;
  readonly audiences: ReadonlyMap<string, AudienceRecord>;
  readonly operations: ReadonlyMap<string, OperationRecord>;
};

/** Audience names are unique per sandbox regardless of case and surrounding blanks. */
export function nameKey(name: string): string {
  return name.trim().toLowerCase();
}

function holdOf(audience: AudienceRecord): NameHold {
  return { operationId: audience.operationId, audienceId: audience.audienceId };
}

/**
 * The hold of `key` given up by its holder: it passes to a duplicate that still bears the name
 * (the service never lets a second audience of a name be made while one exists), else it goes
 * (or, with `releasedAtMs`, stays until then: `deletedNames: held`).
 */
function giveUp(scope: HoldScope, key: string, hold: NameHold, releasedAtMs?: number): void {
  const [heir, ...others] = hold.duplicates ?? [];
  const audience = heir === undefined ? undefined : scope.audiences.get(heir);
  if (audience) {
    scope.names.set(key, { ...holdOf(audience), ...(others.length > 0 ? { duplicates: others } : {}) });
    return;
  }
  if (releasedAtMs === undefined) scope.names.delete(key);
  else scope.names.set(key, { operationId: hold.operationId, audienceId: hold.audienceId, releasedAtMs });
}

/**
 * A name stays taken while its operation runs; a failed operation gives it back when it ends,
 * a deleted audience when its hold lapses (`deletedNames: held`), unless a duplicate bears it.
 */
export function isNameTaken(scope: HoldScope, name: string, nowMs: number): boolean {
  const key = nameKey(name);
  const hold = scope.names.get(key);
  if (!hold) return false;
  const failed = scope.operations.get(hold.operationId);
  const lapsed =
    (hold.releasedAtMs !== undefined && nowMs >= hold.releasedAtMs) ||
    (failed?.outcome === 'FAILED' && nowMs >= failed.completesAtMs);
  if (!lapsed) return true;
  giveUp(scope, key, hold);
  return scope.names.has(key);
}

/**
 * `audience` now bears its name: it holds it, or, where the name is held already (an
 * admin-made duplicate), it is one of the hold's duplicates.
 */
export function holdName(scope: HoldScope, audience: AudienceRecord): void {
  const key = nameKey(audience.name);
  const hold = scope.names.get(key);
  if (!hold) scope.names.set(key, holdOf(audience));
  else if (hold.audienceId !== audience.audienceId)
    hold.duplicates = [...(hold.duplicates ?? []), audience.audienceId];
}

/**
 * `audience` no longer bears its name (deleted, or renamed): a duplicate leaves the hold as it
 * was; the holder gives it up (`releasedAtMs`: held until then when no duplicate bears it).
 */
export function releaseName(scope: HoldScope, audience: AudienceRecord, releasedAtMs?: number): void {
  const key = nameKey(audience.name);
  const hold = scope.names.get(key);
  if (!hold) return;
  if (hold.audienceId === audience.audienceId) {
    giveUp(scope, key, hold, releasedAtMs);
    return;
  }
  hold.duplicates = (hold.duplicates ?? []).filter((id) => id !== audience.audienceId);
}

/**
 * After loading: every audience bears its name, as the holder or a duplicate (the data directory
 * keeps only the holders). An audience whose name no hold names takes it.
 */
export function indexNames(scope: HoldScope): void {
  for (const audience of scope.audiences.values()) holdName(scope, audience);
}
