import path from 'node:path';
import { expect } from 'vitest';
import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';
import { ensureDirStore } from './apply-env.js';
import { runCli, withTempDir, writeFiles } from './cli.js';
import { manifestYaml } from './manifests.js';
import { NO_RUN, PARTNER } from './partner-org.js';
import { withEmulator } from './with-emulator.js';

/** What `withPartnerBoundStore` hands its callback. */
export type PartnerBoundStore = {
  emulator: RunningEmulator;
  /** The working directory: `m/gold.yaml` in it was applied. */
  dir: string;
  state: string;
  /** The emulator's addresses and quick polls, no credentials, no configuration file. */
  base: Record<string, string | undefined>;
};

/**
 * A directory store that PARTNER's apply of `m/gold.yaml` (sandbox prod, no run) bound to
 * PARTNER's IMS org, on an emulator that knows DEMO_CLIENT and PARTNER.
 */
export async function withPartnerBoundStore(fn: (bound: PartnerBoundStore) => Promise<void>): Promise<void> {
  await withEmulator({ clients: [DEMO_CLIENT, PARTNER], operationDelayMs: 10 }, async (emulator) => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold', NO_RUN) });
      const state = path.join(dir, 'state');
      await ensureDirStore(state);
      const base = {
        AEP_BASE_URL: emulator.apiBaseUrl,
        AEP_IMS_URL: emulator.imsUrl,
        AUDIENCECTL_POLL_INTERVAL_MS: '25',
        AUDIENCECTL_CONFIG: undefined,
      };
      const applied = await runCli(['apply', 'm', '--state', state, '--auto-approve'], {
        cwd: dir,
        env: {
          ...base,
          AEP_CLIENT_ID: PARTNER.clientId,
          AEP_CLIENT_SECRET: PARTNER.clientSecret,
          AEP_ORG_ID: PARTNER.orgId,
        },
      });
      expect(applied.code, applied.stderr).toBe(0);
      await fn({ emulator, dir, state, base });
    });
  });
}
