import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN, PARTNER } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

// Review 38c L-4: `audiencectl init` "checks the credentials" of a store (README: "once: checks
// these credentials, creates the store"). Run against a store bound to another IMS org (README,
// "A store belongs to one IMS org"), it said "directory state ready" and exited 0; the next
// apply with the same credentials was refused with STATE_OTHER_ORG. The check a person runs to
// learn whether these credentials fit this store said they did.

describe('init with the credentials of another org than the store’s', () => {
  it('says the store belongs to another org, as apply would', async () => {
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
        const partner = {
          ...base,
          AEP_CLIENT_ID: PARTNER.clientId,
          AEP_CLIENT_SECRET: PARTNER.clientSecret,
          AEP_ORG_ID: PARTNER.orgId,
        };
        const applied = await runCli(['apply', 'm', '--state', state, '--auto-approve'], {
          cwd: dir,
          env: partner,
        });
        expect(applied.code, applied.stderr).toBe(0);
        const demo = {
          ...base,
          AEP_CLIENT_ID: DEMO_CLIENT.clientId,
          AEP_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
          AEP_ORG_ID: DEMO_CLIENT.orgId,
        };
        const apply = await runCli(['apply', 'm', '--state', state, '--auto-approve'], {
          cwd: dir,
          env: demo,
        });
        expect(apply.code).toBe(1);
        expect(apply.stderr).toContain(`belongs to IMS org ${PARTNER.orgId} (sandbox prod)`);
        const init = await runCli(['init', '--state', state], { cwd: dir, env: demo });
        expect(init.stderr + init.stdout).toContain(`belongs to IMS org ${PARTNER.orgId} (sandbox prod)`);
        expect(init.code).toBe(1);
      });
    });
  });
});
