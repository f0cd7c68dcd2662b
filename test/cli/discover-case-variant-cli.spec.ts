import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { quiet } from '../helpers/held-elsewhere-env.js';
import { withEmulator, colleagueAudience } from '../helpers/with-emulator.js';

/**
 * Review 34b, L-3. The service compares audience names ignoring case (docs/emulator.md, Names;
 * apply's own 409 message says so). With `audience GOLD` made in the UI, `state import --discover`
 * prints `prod/gold missing - no audience of that name` and "1 missing (the next apply creates
 * them)", although the name lookup it sends (the Audiences API's `name`, contains,
 * case-insensitive) answers with that audience: the next apply cannot create it (409, every
 * apply), and the table named nothing to import. `plan --adopt` likewise says "no audience named
 * ..." without the audience that holds the name.
 */
describe('state import --discover: an audience of the name in another letter case', () => {
  it('is shown, not reported as missing for the next apply to create', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        const state = path.join(tmp, 'st');
        await mkdir(state);
        await writeFiles(dir, { 'gold.yaml': quiet('gold') });
        const holder = colleagueAudience(emulator, { name: 'audience GOLD' });
        const env = emulatorEnv(emulator);

        const discover = await runCli(['state', 'import', '--discover', dir, '--state', state, '--dry-run'], {
          env,
        });
        expect(discover.code).toBe(0);
        const line = discover.stdout.split('\n').find((l) => l.startsWith('prod/gold '));
        // On main: "prod/gold  missing  -  no audience of that name".
        expect(line).toContain(holder.id);

        // What "the next apply creates them" then does: refused, nothing created.
        const applied = await runCli(['apply', dir, '--state', state, '--auto-approve'], { env });
        expect(applied.code).toBe(1);
        expect(applied.stdout).toContain(
          'FAILED   prod/gold create: the service refused a second audience named',
        );
      });
    });
  });
});
