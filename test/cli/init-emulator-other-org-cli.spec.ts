import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN, PARTNER } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

// Review 39 (cli-39) 1: `init --emulator` checked the embedded emulator's demo credentials, but
// not the org the store already belongs to: on a store another org's apply bound, it said
// the store was ready and exited 0, and `apply --emulator` then refused it. That refusal told
// the user to set AEP_ORG_ID, which --emulator ignores (it always uses the demo client).

describe('init --emulator on a store bound to another IMS org', () => {
  it('is refused as apply --emulator refuses it, without naming a setting --emulator ignores', async () => {
    await withEmulator({ clients: [DEMO_CLIENT, PARTNER], operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold', NO_RUN) });
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        const partner = {
          AEP_BASE_URL: emulator.apiBaseUrl,
          AEP_IMS_URL: emulator.imsUrl,
          AUDIENCECTL_POLL_INTERVAL_MS: '25',
          AUDIENCECTL_CONFIG: undefined,
          AEP_CLIENT_ID: PARTNER.clientId,
          AEP_CLIENT_SECRET: PARTNER.clientSecret,
          AEP_ORG_ID: PARTNER.orgId,
        };
        const applied = await runCli(['apply', 'm', '--state', state, '--auto-approve'], {
          cwd: dir,
          env: partner,
        });
        expect(applied.code, applied.stderr).toBe(0);
        const none = {
          AEP_BASE_URL: undefined,
          AEP_IMS_URL: undefined,
          AEP_CLIENT_ID: undefined,
          AEP_CLIENT_SECRET: undefined,
          AEP_ORG_ID: undefined,
          AUDIENCECTL_CONFIG: undefined,
        };
        const apply = await runCli(['apply', 'm', '--emulator', '--state', state, '--auto-approve'], {
          cwd: dir,
          env: none,
        });
        const init = await runCli(['init', '--emulator', '--state', state], { cwd: dir, env: none });
        expect({
          apply: apply.code,
          init: init.code,
          applyBelongs: apply.stderr.includes(`belongs to IMS org ${PARTNER.orgId} (sandbox prod)`),
          initBelongs: (init.stderr + init.stdout).includes(
            `belongs to IMS org ${PARTNER.orgId} (sandbox prod)`,
          ),
          applyNamesOrgVariable: apply.stderr.includes('AEP_ORG_ID'),
          initNamesOrgVariable: init.stderr.includes('AEP_ORG_ID'),
          applyStderr: apply.stderr,
          initOut: init.stdout + init.stderr,
        }).toMatchObject({
          apply: 1,
          init: 1,
          applyBelongs: true,
          initBelongs: true,
          applyNamesOrgVariable: false,
          initNamesOrgVariable: false,
        });
      });
    });
  });
});
