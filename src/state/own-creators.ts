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
 * Whether an audience the service shows created by `createdBy` may be one of audiencectl's own
 * creates in a sandbox whose records show `creators` (ownCreators): the one creator rule an
 * apply's lookup (apply/find-created.ts findOwnCreate) and `state import` (state/repair.ts) both
 * apply. Only an account shown by the service and one shown by a record, differing, say it is
 * not. With no account shown (the sandbox's first create, or every record PATCHed or imported
 * since; or no creator shown), when it was created against when the create began decides alone
 * (create-window.ts).
 */
export function byOwnAccount(createdBy: string | undefined, creators: ReadonlySet<string>): boolean {
  return creators.size === 0 || createdBy === undefined || creators.has(createdBy);
}
