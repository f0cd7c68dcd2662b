import type { AudienceRecord } from './schema.js';

/**
 * The largest clock offset a pending create is compared by (6 hours): a machine further off than
 * this cannot time runs either (plan/clock.ts warns far sooner), and a larger recorded value
 * could only loosen the check that the audience found is the create's own.
 */
export const MAX_CLOCK_OFFSET_SECONDS = 6 * 3_600;

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
 * `observed.at`: the clock of the machine that wrote it) into AEP's clock, where audiences'
 * creation times are: the offset (AEP's clock minus the local one, seconds) that machine
 * measured when it wrote that time (PendingCreate.clockOffset); else `offsetNow`, the one the
 * machine looking now measured, right only when its clock is the applying machine's as it was
 * then (a record of an earlier release, or a create sent with no reading of AEP's clock); else 0.
 * A recorded offset beyond MAX_CLOCK_OFFSET_SECONDS is no measurement (the schema reads it as
 * absent; so does this, for a record read without it): it never loosens the check that the
 * audience found was created no earlier than the create began.
 */
export function createClockOffset(
  record: Pick<AudienceRecord, 'pendingCreate'>,
  offsetNow: number | undefined,
): number {
  const recorded = record.pendingCreate?.clockOffset;
  const trusted =
    recorded !== undefined && Math.abs(recorded) <= MAX_CLOCK_OFFSET_SECONDS ? recorded : undefined;
  return trusted ?? offsetNow ?? 0;
}
