import type { ImsOrg } from '../aep/credentials.js';
import { compareText } from '../text/compare.js';
import { StateOtherOrgError } from './errors.js';
import type { StateMeta } from './schema.js';

/** The IMS org each sandbox's calls go to (AepClient.orgOf); undefined when none reaches it. */
export type OrgOf = (sandbox: string) => ImsOrg | undefined;

/** Sandbox -> IMS org, as StateMeta.orgs keeps it. */
export type OrgBindings = Readonly<Record<string, string>>;

/**
 * Refuses (STATE_OTHER_ORG) a store that binds a sandbox this process reaches to another
 * org: recorded ids would name no audience there, and a refresh would read every one as
 * deleted and create them all again in the wrong org. Sandboxes no credentials reach are
 * left out: no call can go to them.
 */
export function assertSameOrgs(meta: StateMeta | undefined, orgOf: OrgOf, location: string): void {
  const other = otherOrg(meta?.orgs, orgOf);
  if (!other) return;
  throw new StateOtherOrgError('STATE_OTHER_ORG', otherOrgMessage(other, location));
}

/**
 * What STATE_OTHER_ORG says. Where the org is shared (credentials.orgId, AEP_ORG_ID), setting
 * it to the bound org would move every other sandbox too: the way out is the sandbox's own
 * setting, its orgId or its entry under `sandboxes` (ImsOrg.own).
 */
function otherOrgMessage(
  { sandbox, bound, current }: { sandbox: string; bound: string; current: ImsOrg },
  location: string,
): string {
  const belongs = `the state ${location} belongs to IMS org ${bound} (sandbox ${sandbox})`;
  const nothing = 'nothing was sent to AEP or written';
  // --emulator's demo client: AEP_ORG_ID and the configuration are not read, nothing to set.
  if (current.fixed) {
    return `${belongs}, but ${current.setting} is of ${current.orgId}; ${nothing}. Give --emulator a state store of its own (--state with a new directory), or use this store without --emulator, with the credentials of ${bound}`;
  }
  if (current.own?.kind === 'entry') {
    return `${belongs}, but ${current.own.setting} is missing, so the shared credentials reach sandbox ${sandbox}, and they are for ${current.orgId} (${current.setting}); ${nothing}. If this store is the right one, give sandbox ${sandbox} its entry (${current.own.setting}) with the credentials of ${bound} (a client of that org, and orgId: ${bound}); otherwise use the store of these sandboxes (--state)`;
  }
  const taken =
    current.own === undefined ? '' : `, taken for sandbox ${sandbox} as ${current.own.setting} is unset`;
  const setting = current.own?.setting ?? current.setting;
  return `${belongs}, but these credentials are for ${current.orgId} (${current.setting}${taken}); ${nothing}. Use the state store of ${current.orgId} (--state), or set ${setting} to ${bound} if this store is the right one`;
}

/**
 * The first sandbox (by name) that `bindings` (a store's, or a saved plan's) give another
 * org than the credentials reach it with; sandboxes no credentials reach are left out.
 */
export function otherOrg(
  bindings: OrgBindings | undefined,
  orgOf: OrgOf,
): { sandbox: string; bound: string; current: ImsOrg } | undefined {
  for (const [sandbox, bound] of Object.entries(bindings ?? {}).sort(([a], [b]) => compareText(a, b))) {
    const current = orgOf(sandbox);
    if (current !== undefined && current.orgId !== bound) return { sandbox, bound, current };
  }
  return undefined;
}

/**
 * The bindings after a write to `sandbox`: its org added when none is recorded and the
 * credentials reach it; the same object when nothing changes.
 */
export function withBinding(orgs: OrgBindings, sandbox: string, orgOf: OrgOf | undefined): OrgBindings {
  if (orgs[sandbox] !== undefined || orgOf === undefined) return orgs;
  const org = orgOf(sandbox);
  return org === undefined ? orgs : { ...orgs, [sandbox]: org.orgId };
}

/**
 * The bindings without `sandbox`'s when it is bound to `orgId` (releaseOrg); the same object
 * when it is not.
 */
export function withoutBinding(orgs: OrgBindings, sandbox: string, orgId: string): OrgBindings {
  if (orgs[sandbox] !== orgId) return orgs;
  const rest = { ...orgs };
  delete rest[sandbox];
  return rest;
}

/** `orgs` for a StateMeta: left out when empty, as stores without a binding have none. */
export function orgsField(orgs: OrgBindings): { orgs?: Record<string, string> } {
  return Object.keys(orgs).length === 0 ? {} : { orgs: { ...orgs } };
}
