import { describe, expect, it } from 'vitest';
import { imsOrgOf, type AepCredentials } from '../aep/credentials.js';
import { assertSameOrgs } from './org-binding.js';

const BOUND = 'PARTNER00000000000000000@AdobeOrg';
const SHARED = 'DEMO0RG0000000000000000@AdobeOrg';
const meta = { schemaVersion: 2 as const, lineage: 'l-1', serial: 3, orgs: { partner: BOUND } };

function credentials(hints: AepCredentials['hints']): AepCredentials {
  return { clientId: 'c', clientSecret: 's', orgId: SHARED, hints };
}

function refusal(credentialsOf: AepCredentials, unlisted: boolean): string {
  try {
    assertSameOrgs(meta, (sandbox) => imsOrgOf(sandbox, credentialsOf, unlisted), '/s');
  } catch (error) {
    return (error as Error).message;
  }
  return 'not refused';
}

// review-35a L-2, L-3: the way out STATE_OTHER_ORG gives is the sandbox's own setting where the
// org it names is shared by the other sandboxes (setting it would move them all).
describe('STATE_OTHER_ORG names the setting of the sandbox alone', () => {
  it('its orgId, unset beside a client of its own', () => {
    const hints = { orgId: 'credentials.orgId in aep.yaml', ownOrgId: 'sandboxes.partner.orgId in aep.yaml' };
    expect(refusal(credentials(hints), false)).toBe(
      `the state /s belongs to IMS org ${BOUND} (sandbox partner), but these credentials are for ${SHARED} (credentials.orgId in aep.yaml, taken for sandbox partner as sandboxes.partner.orgId in aep.yaml is unset); nothing was sent to AEP or written. Use the state store of ${SHARED} (--state), or set sandboxes.partner.orgId in aep.yaml to ${BOUND} if this store is the right one`,
    );
  });

  it('its entry, for a sandbox the environment alone reaches (no configuration file)', () => {
    expect(refusal(credentials(undefined), true)).toBe(
      `the state /s belongs to IMS org ${BOUND} (sandbox partner), but sandboxes.partner in a configuration file (--config) is missing, so the shared credentials reach sandbox partner, and they are for ${SHARED} (AEP_ORG_ID); nothing was sent to AEP or written. If this store is the right one, give sandbox partner its entry (sandboxes.partner in a configuration file (--config)) with the credentials of ${BOUND} (a client of that org, and orgId: ${BOUND}); otherwise use the store of these sandboxes (--state)`,
    );
  });

  it('the shared setting, when the sandbox has no setting of its own to take', () => {
    expect(refusal(credentials({ orgId: 'AEP_ORG_ID' }), false)).toBe(
      `the state /s belongs to IMS org ${BOUND} (sandbox partner), but these credentials are for ${SHARED} (AEP_ORG_ID); nothing was sent to AEP or written. Use the state store of ${SHARED} (--state), or set AEP_ORG_ID to ${BOUND} if this store is the right one`,
    );
  });
});
