import type { AudienceRecord } from './schema.js';

/**
 * Who made the audiences this sandbox's records were created as, in their own create
 * operation's answer (`createdBy`): the account of the credentials audiencectl creates with.
 * Empty when no record shows one (a new store, or every record PATCHed or imported since).
 */
export function ownCreators(records: readonly AudienceRecord[], sandbox: string): Set<string> {
  const creators = new Set<string>();
  for (const record of records) {
    const creator = record.observed?.source === 'operation' ? record.observed.body['createdBy'] : undefined;
    if (record.sandbox === sandbox && typeof creator === 'string' && creator !== '') creators.add(creator);
  }
  return creators;
}

/**
 * What puts the time the record's create began (its intent's `startedAt`, its answer's
 * `observed.at`: the applying machine's clock) into AEP's clock, where audiences' creation times
 * are: the offset (AEP's clock minus the local one, seconds) that machine measured when it sent
 * the create (PendingCreate.clockOffset); else `offsetNow`, the one the machine looking now
 * measured, right only when its clock is the applying machine's as it was then (a record of an
 * earlier release, or a create sent before any answer showed AEP's clock); else 0.
 */
export function createClockOffset(
  record: Pick<AudienceRecord, 'pendingCreate'>,
  offsetNow: number | undefined,
): number {
  return record.pendingCreate?.clockOffset ?? offsetNow ?? 0;
}
