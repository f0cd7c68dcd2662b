import type { RunningEmulator } from '../../src/emulator/index.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';

/** A client of a second IMS org, for an emulator started with `clients: [DEMO_CLIENT, PARTNER]`. */
export const PARTNER = {
  clientId: 'partner-client',
  clientSecret: 'partner-secret-value',
  orgId: 'PARTNER00000000000000000@AdobeOrg',
};

/** Manifest fields for an audience that starts no run (`ingestion.onCreate: false`). */
export const NO_RUN = { ingestion: { onCreate: false } } as const;

/** An aep.yaml with credentials for sandbox `prod` alone (DEMO_CLIENT's, secret in PROD_SECRET), none shared. */
export const PROD_ONLY_CONFIG = [
  'defaultSandbox: prod',
  'sandboxes:',
  '  prod:',
  `    clientId: ${DEMO_CLIENT.clientId}`,
  '    clientSecretEnv: PROD_SECRET',
  `    orgId: ${DEMO_CLIENT.orgId}`,
  '',
].join('\n');

/**
 * An aep.yaml whose shared credentials are DEMO_CLIENT's (secret in DEMO_SECRET), with sandbox
 * `prod` on them and sandbox `partner`: `'unlisted'`, left out of the file; otherwise listed with
 * PARTNER's client (secret in PARTNER_SECRET) and `orgId`, if given.
 */
export function partnerConfig(partner: 'unlisted' | { orgId?: string }): string {
  const listed =
    partner === 'unlisted'
      ? []
      : [
          '  partner:',
          `    clientId: ${PARTNER.clientId}`,
          '    clientSecretEnv: PARTNER_SECRET',
          ...(partner.orgId === undefined ? [] : [`    orgId: ${partner.orgId}`]),
        ];
  return [
    'credentials:',
    `  clientId: ${DEMO_CLIENT.clientId}`,
    '  clientSecretEnv: DEMO_SECRET',
    `  orgId: ${DEMO_CLIENT.orgId}`,
    'sandboxes:',
    '  prod: {}',
    ...listed,
    '',
  ].join('\n');
}

/** The environment of a CLI given a partnerConfig file: the emulator, both secrets, quick polls. */
export function partnerEnv(emulator: Pick<RunningEmulator, 'apiBaseUrl' | 'imsUrl'>): Record<string, string> {
  return {
    AEP_BASE_URL: emulator.apiBaseUrl,
    AEP_IMS_URL: emulator.imsUrl,
    DEMO_SECRET: DEMO_CLIENT.clientSecret,
    PARTNER_SECRET: PARTNER.clientSecret,
    AUDIENCECTL_POLL_INTERVAL_MS: '25',
  };
}
