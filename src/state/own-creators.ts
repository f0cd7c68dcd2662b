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
