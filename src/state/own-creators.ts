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
 * Whether `createdBy` names a technical account (an OAuth server-to-server client's,
 * `…@techacct.adobe.com`): the only kind of account audiencectl creates with, so the only one its
 * creates show. A person's (`…@AdobeID`, an enterprise or federated ID) is never audiencectl's.
 */
export function isTechnicalAccount(createdBy: string): boolean {
  return /@techacct\.adobe\.com$/i.test(createdBy.trim());
}

/**
 * Whether an audience the service shows created by `createdBy` may be one of audiencectl's own
 * creates in a sandbox whose records show `creators` (ownCreators): the one creator rule an
 * apply's lookup (apply/find-created.ts findOwnCreate) and `state import` (state/repair.ts) both
 * apply. An account shown by the service and one shown by a record, differing, say it is not.
 * With no account shown by a record (the sandbox's first create, or every record PATCHed or
 * imported since), a creator that is a person's account says it is not either: audiencectl
 * creates with a technical account (isTechnicalAccount), and an interrupted create of a fresh
 * store must not take a colleague's audience of the name, made by hand after its POST made
 * nothing, for its own. Otherwise (a technical account, or no creator shown) when it was created
 * against when the create began decides alone (create-window.ts).
 */
export function byOwnAccount(createdBy: string | undefined, creators: ReadonlySet<string>): boolean {
  if (createdBy === undefined) return true;
  if (creators.size > 0) return creators.has(createdBy);
  return createdBy.trim() === '' || isTechnicalAccount(createdBy);
}

/**
 * Why an audience shown created by `createdBy` is not audiencectl's, byOwnAccount being false:
 * another account than the records show, or, with none shown, a person's account.
 */
export function otherAccountReason(createdBy: string | undefined, creators: ReadonlySet<string>): string {
  if (creators.size === 0)
    return `it was made by ${createdBy ?? ''}, a person's account, and audiencectl creates with a technical account (…@techacct.adobe.com): it was made outside audiencectl`;
  return "it was made by another account than audiencectl's creates in this sandbox were (outside audiencectl, or by audiencectl after a change of credentials)";
}
