import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';

/** The environment that points the built CLI at `emulator` with its demo client. */
export function emulatorEnv(emulator: RunningEmulator): Record<string, string> {
  return {
    AEP_BASE_URL: emulator.apiBaseUrl,
    AEP_IMS_URL: emulator.imsUrl,
    AEP_CLIENT_ID: DEMO_CLIENT.clientId,
    AEP_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
    AEP_ORG_ID: DEMO_CLIENT.orgId,
  };
}
