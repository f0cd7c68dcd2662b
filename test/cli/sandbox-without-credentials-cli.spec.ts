import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN, PROD_ONLY_CONFIG } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

// fix-sandbox-cli-37 (noticed by fix-sandbox-37): with a configuration file whose sandboxes have
// their own credentials and no shared ones, a manifest naming a sandbox with no credentials (a
// typo, `qa` not set up) passed validate, plan showed its create, and apply failed as a whole
// with `No AEP credentials for sandbox "qa"` naming no file.

const ADVICE =
  'add it under "sandboxes:" in aep.yaml, or set metadata.sandbox to a configured sandbox (prod)';

describe('a manifest naming a sandbox the configuration gives no credentials', () => {
  it('is named by file and line in validate, plan and apply, before any call; nothing applied', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, {
          'aep.yaml': PROD_ONLY_CONFIG,
          'm/team-a/gold.yaml': manifestYaml('gold', NO_RUN),
          'm/team-b/qgold.yaml': manifestYaml('qgold', { ...NO_RUN, metadata: { sandbox: 'qa' } }),
          'm/team-c/stage.yaml': manifestYaml('stage', { ...NO_RUN, metadata: { sandbox: 'stage' } }),
        });
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        // Credentials for prod only, from the file: no shared ones.
        const env = {
          AEP_BASE_URL: emulator.apiBaseUrl,
          AEP_IMS_URL: emulator.imsUrl,
          PROD_SECRET: DEMO_CLIENT.clientSecret,
          AUDIENCECTL_POLL_INTERVAL_MS: '25',
        };
        const run = (args: string[]) => runCli(args, { cwd: dir, env });

        const validate = await run(['validate', 'm', '--config', 'aep.yaml']);
        expect(validate.code).toBe(1);
        expect(validate.stdout).toBe(
          [
            `m/team-b/qgold.yaml:1:1: error: no AEP credentials for sandbox "qa" (audience "qgold"): ${ADVICE} [config/sandbox-without-credentials]`,
            `m/team-c/stage.yaml:1:1: error: no AEP credentials for sandbox "stage" (audience "stage"): ${ADVICE} [config/sandbox-without-credentials]`,
            '1 valid manifest(s); 2 error(s), 0 warning(s) in 2 failed file(s)',
            '',
          ].join('\n'),
        );

        // The plan holds those files, names each, plans the rest and exits 1.
        const plan = await run(['plan', 'm', '--state', state, '--config', 'aep.yaml']);
        expect(plan.code).toBe(1);
        expect(plan.stdout).toContain(
          [
            'Diagnostics:',
            `  team-b/qgold.yaml:1:1: error: no AEP credentials for sandbox "qa" (audience "qgold"): ${ADVICE} [config/sandbox-without-credentials]`,
            `  team-c/stage.yaml:1:1: error: no AEP credentials for sandbox "stage" (audience "stage"): ${ADVICE} [config/sandbox-without-credentials]`,
          ].join('\n'),
        );
        expect(plan.stdout).toContain('+ prod/gold create');
        expect(plan.stdout).not.toContain('qa/qgold create');
        expect(plan.stderr).toBe('');

        const apply = await run(['apply', 'm', '--state', state, '--config', 'aep.yaml', '--auto-approve']);
        expect(apply.code).toBe(1);
        expect(apply.stdout).toBe('');
        expect(apply.stderr).toBe(
          [
            'Error: manifests name sandboxes without credentials; nothing was sent to AEP or applied:',
            `  m/team-b/qgold.yaml:1: no AEP credentials for sandbox "qa" (audience "qgold"): ${ADVICE}`,
            `  m/team-c/stage.yaml:1: no AEP credentials for sandbox "stage" (audience "stage"): ${ADVICE}`,
            '',
          ].join('\n'),
        );
        // Nothing applied, nothing asked of AEP or IMS by any of the three.
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
        expect(emulator.control.requestLog()).toEqual([]);

        // One such manifest: one line.
        await rm(path.join(dir, 'm/team-c'), { recursive: true });
        const one = await run(['apply', 'm', '--state', state, '--config', 'aep.yaml', '--auto-approve']);
        expect(one.code).toBe(1);
        expect(one.stderr).toBe(
          `Error: m/team-b/qgold.yaml:1: no AEP credentials for sandbox "qa" (audience "qgold"): ${ADVICE}; nothing was sent to AEP or applied\n`,
        );
        expect(emulator.control.requestLog()).toEqual([]);
      });
    });
  });
});
