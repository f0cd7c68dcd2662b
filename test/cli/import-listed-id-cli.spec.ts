import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { segmentIdOf } from '../../src/emulator/segment-views.js';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

/**
 * `state import --audience-id` checks the id through the Audiences API (GET /audiences/{id}).
 * Against a service that lists an external audience under an id of its own (audienceIds:
 * distinct), that id, the one a person finds there, was verified and recorded: every PATCH, run
 * and DELETE of the audience then went to an id /core/ais does not know. It is refused, naming
 * the id to import instead; the /core/ais id is imported as before.
 */
describe('state import of the id the Audiences API lists an audience under', () => {
  it('is refused, naming the /core/ais id, which imports', async () => {
    await withExecutor({ compat: { audienceIds: 'distinct' } }, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      const { audienceId } = env.emulator.control.uiCreateAudience(
        DEMO_CLIENT.orgId,
        'prod',
        { ...gold.spec, sourceSpec: { params: gold.spec.sourceSpec } },
        'colleague@AdobeID',
      );
      const listed = segmentIdOf(audienceId, 'distinct');
      await withTempDir(async (tmp) => {
        const dir = path.join(tmp, 'm');
        await new ManifestDir(dir).write([gold]);
        const cli = (args: string[]) =>
          runCliInProcess([...args, '--state', env.stateDir], { env: emulatorEnv(env.emulator) });
        expect((await cli(['init'])).code).toBe(0);

        const refused = await cli(['state', 'import', 'gold', dir, '--audience-id', listed]);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain(`--audience-id ${audienceId}`);
        expect(refused.stderr).not.toMatch(/\n\s+at /);
        expect((await env.store().get('prod', 'gold'))?.audienceId).toBeUndefined();

        const imported = await cli(['state', 'import', 'gold', dir, '--audience-id', audienceId]);
        expect({ code: imported.code, stderr: imported.stderr }).toEqual({ code: 0, stderr: '' });
        expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(audienceId);
      });
    });
  });
});
