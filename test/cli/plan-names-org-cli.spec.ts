import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';

// Review 38c M-3: a plan made with credentials knows the IMS org of each sandbox its steps go to
// (the JSON's origin.orgs), but the text and Markdown renderings (the terminal, the pull-request
// comment a reviewer approves) named only sandboxes: "prod" of which org? With several orgs
// (prod, staging, a partner's) each with a sandbox called prod, the reviewer could not see it.

describe('plan made with credentials', () => {
  it.each(['text', 'markdown'] as const)('names the AEP org of its sandboxes in %s', async (output) => {
    await withEmulator({ clients: [DEMO_CLIENT], operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold', NO_RUN) });
        const state = path.join(dir, 'state');
        await ensureDirStore(state);
        const result = await runCli(['plan', 'm', '--state', state, '--output', output], {
          cwd: dir,
          env: emulatorEnv(emulator),
        });
        expect(result.code, result.stderr).toBe(0);
        const json = await runCli(['plan', 'm', '--state', state, '--output', 'json'], {
          cwd: dir,
          env: emulatorEnv(emulator),
        });
        // The plan knows it ...
        expect((JSON.parse(json.stdout) as { origin: { orgs: unknown } }).origin.orgs).toEqual({
          prod: DEMO_CLIENT.orgId,
        });
        // ... and the reviewer is told.
        expect(result.stdout).toContain(DEMO_CLIENT.orgId);
      });
    });
  });
});
