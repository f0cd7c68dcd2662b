import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN, PARTNER } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

// Review 38c H-1: AEP_ORG_ID names one org, the configuration file's shared credentials.orgId
// another. The file won silently ("the file wins, the environment fills in what the file leaves
// out"), so an apply meant for the org in AEP_ORG_ID landed in the file's org, and nothing on the
// screen said so (the defaultSandbox/AEP_SANDBOX conflict was at least warned about). Two explicit
// sources naming two orgs are a question only the user can answer: refused before any call,
// naming both; the file's baseUrl winning over AEP_BASE_URL is said on stderr.

/** The file's shared credentials: PARTNER's client and org. */
const PARTNER_FILE = [
  'credentials:',
  `  clientId: ${PARTNER.clientId}`,
  '  clientSecretEnv: PARTNER_SECRET',
  `  orgId: ${PARTNER.orgId}`,
  '',
].join('\n');

describe('AEP_ORG_ID and the file’s credentials.orgId naming two orgs', () => {
  it('refuses the apply before any call, naming both, instead of applying to the file’s org', async () => {
    await withEmulator({ clients: [DEMO_CLIENT, PARTNER], operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold', NO_RUN), 'aep.yaml': PARTNER_FILE });
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        const result = await runCli(['apply', 'm', '--state', state, '--auto-approve'], {
          cwd: dir,
          env: {
            AEP_BASE_URL: emulator.apiBaseUrl,
            AEP_IMS_URL: emulator.imsUrl,
            AEP_CLIENT_ID: DEMO_CLIENT.clientId,
            AEP_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
            // The org the person means (exported for prod) ...
            AEP_ORG_ID: DEMO_CLIENT.orgId,
            // ... and a configuration file set in the environment long ago, for the partner org.
            AUDIENCECTL_CONFIG: 'aep.yaml',
            PARTNER_SECRET: PARTNER.clientSecret,
            AUDIENCECTL_POLL_INTERVAL_MS: '25',
          },
        });
        expect(emulator.control.listAudiences(PARTNER.orgId, 'prod')).toEqual([]);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('AEP_ORG_ID');
        expect(result.stderr).toContain('credentials.orgId');
        expect(result.stderr).toContain(DEMO_CLIENT.orgId);
        expect(result.stderr).toContain(PARTNER.orgId);
        expect(result.stderr).not.toContain(PARTNER.clientSecret);
        expect(result.stderr).not.toMatch(/\n\s+at /);
      });
    });
  });

  it('says so when AEP_BASE_URL is overridden by the file’s baseUrl', async () => {
    await withEmulator({ clients: [DEMO_CLIENT], operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, {
          'm/gold.yaml': manifestYaml('gold', NO_RUN),
          'aep.yaml': `baseUrl: ${emulator.apiBaseUrl}\n`,
        });
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        const result = await runCli(['plan', 'm', '--state', state, '--config', 'aep.yaml', '--refresh'], {
          cwd: dir,
          env: {
            // The person thinks this plan reads another API base than the file's.
            AEP_BASE_URL: 'https://platform.adobe.io/data/core/ais',
            AEP_IMS_URL: emulator.imsUrl,
            AEP_CLIENT_ID: DEMO_CLIENT.clientId,
            AEP_CLIENT_SECRET: DEMO_CLIENT.clientSecret,
            AEP_ORG_ID: DEMO_CLIENT.orgId,
          },
        });
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toContain(
          `Warning: the baseUrl ${emulator.apiBaseUrl} of the configuration file aep.yaml is used, not AEP_BASE_URL https://platform.adobe.io/data/core/ais (the file wins over the environment)`,
        );
      });
    });
  });
});
