import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { apply, emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

// README "Exit codes": apply exits 3 when "some steps blocked (a guard in the plan, or the
// service refused a duplicate name) and none failed". A manifest's first run (ingestion.onCreate,
// the default) depends on its create: when the service refuses that create as a duplicate name,
// the run is blocked with it, as the planner leaves out the first run of a create it blocks,
// rather than "skipped", which made the apply exit 1 as if something had failed.

describe('apply: a create refused as a duplicate name, with its first run', () => {
  it('blocks the create and its run, exit 3', async () => {
    await withEmulator(undefined, async (emulator) => {
      await withTempDir(async (dir) => {
        const gold = manifestObject('gold');
        emulator.control.uiCreateAudience(DEMO_CLIENT.orgId, 'prod', gold.spec, 'colleague@AdobeID');
        const manifests = new ManifestDir(path.join(dir, 'm'));
        await manifests.write([gold]);
        const result = await apply(manifests.dir, path.join(dir, 'state'), emulatorEnv(emulator));
        expect(result.stdout).toMatch(
          /^blocked {2}prod\/gold create: an audience named "Audience gold" already exists/m,
        );
        expect(result.stdout).toMatch(/^blocked {2}prod\/gold run: prod\/gold:create is blocked$/m);
        expect(result.stdout).toContain(
          'Apply: 0 applied, 0 run(s) still running, 0 failed, 2 blocked, 0 deferred, 0 skipped.',
        );
        expect(result.code).toBe(3);
        expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
      });
    });
  });
});
