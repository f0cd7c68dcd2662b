import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

// Review 38c H-2: the question of an interactive apply names the org and sandboxes it changes
// ("This changes sandbox prod of AEP org ...", README "What happens, in order"). With
// --auto-approve, the way every pipeline applies, the question was not asked and nothing else
// named the org: the log said only "Applying to <base URL>". A reviewer of the pipeline's log
// could not tell which org (prod, staging, a partner's) the apply changed.

describe('apply --auto-approve', () => {
  it('names the sandboxes and the AEP org it changes, as the question would', async () => {
    await withEmulator({ clients: [DEMO_CLIENT], operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, {
          'm/gold.yaml': manifestYaml('gold', NO_RUN),
          'm/silver.yaml': manifestYaml('silver', { ...NO_RUN, metadata: { sandbox: 'staging' } }),
        });
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        const result = await runCli(['apply', 'm', '--state', state, '--auto-approve'], {
          cwd: dir,
          env: emulatorEnv(emulator),
        });
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain(
          `This changes sandboxes prod, staging of AEP org ${DEMO_CLIENT.orgId} (${emulator.apiBaseUrl}).`,
        );
      });
    });
  });
});
