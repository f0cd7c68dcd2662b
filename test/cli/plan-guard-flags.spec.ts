import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { Plan } from '../../src/plan/schema.js';
import { openStateStore } from '../../src/state/open.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { loadTexts, manifestObject, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds } from '../helpers/planning.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { aRecord } from '../state/helpers.js';

// The guard flags reach the planner: --allow-replace, --runs-per-day and --runs-per-audience,
// each changing the plan as written out below (gold is recorded from another spec, so it
// needs a replacement; silver is new).

describe('plan with the guard flags', () => {
  it('--allow-replace, --runs-per-day and --runs-per-audience each change the plan', async () => {
    await withTempDir(async (dir) => {
      await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold'), 'm/silver.yaml': manifestYaml('silver') });
      const state = path.join(dir, 'state');
      const store = await openStateStore(state);
      await store.lock();
      // One run of gold a minute ago: one of the sandbox's runs today, and one of gold's.
      const aMinuteAgo = Math.floor(Date.now() / 1000) - 60;
      await store.put(
        aRecord('gold', {
          // Applied from the directory planned: no record-only step beside the ones compared.
          sourceRoot: path.join(dir, 'm'),
          runs: [{ runId: 'r-1', status: 'SUCCESS', createdAt: aMinuteAgo, dataFilterStartTime: 0 }],
        }),
      );
      await store.close();
      const plan = async (...flags: string[]) => {
        const result = await runCliInProcess([
          'plan',
          path.join(dir, 'm'),
          '--state',
          state,
          '--output',
          'json',
          ...flags,
        ]);
        expect(result.stderr).toBe('');
        return Plan.parse(JSON.parse(result.stdout));
      };

      expect(kinds(await plan())).toEqual([
        'replace prod/gold (blocked)',
        'create prod/silver',
        'run prod/silver',
      ]);

      const perDay = await plan('--allow-replace', '--runs-per-day', '2');
      expect(kinds(perDay)).toEqual([
        'replace prod/gold',
        'run prod/gold',
        'create prod/silver',
        'run prod/silver (deferred)',
      ]);
      expect(perDay.steps[3]!.deferred).toBe('sandbox "prod" has used its 2 runs of the last 24 h');

      // A replace's run is the new audience's: gold's run of the old audience does not count for it.
      const perAudience = await plan('--allow-replace', '--runs-per-audience', '1');
      expect(kinds(perAudience)).toEqual([
        'replace prod/gold',
        'run prod/gold',
        'create prod/silver',
        'run prod/silver',
      ]);

      // gold recorded as its manifest says, its audience run a minute ago, and a run requested.
      const [inSync] = appliedState(loadTexts({ 'gold.yaml': manifestYaml('gold') }), aMinuteAgo).audiences;
      const again = await openStateStore(state);
      await again.lock();
      await again.put({
        ...inSync!,
        sourceRoot: path.join(dir, 'm'),
        runs: [{ runId: 'r-1', status: 'SUCCESS', createdAt: aMinuteAgo, dataFilterStartTime: 0 }],
      });
      await again.close();
      await writeFiles(dir, {
        'm/gold.yaml': manifestYaml('gold', { ingestion: { onCreate: true, request: 'again' } }),
      });
      expect(kinds(await plan())).toEqual(['run prod/gold', 'create prod/silver', 'run prod/silver']);
      const perAudienceRun = await plan('--runs-per-audience', '1');
      expect(kinds(perAudienceRun)).toEqual([
        'run prod/gold (deferred)',
        'create prod/silver',
        'run prod/silver',
      ]);
      expect(perAudienceRun.steps[0]!.deferred).toBe('audience has used its 1 runs of the last 24 h');
    });
  });

  it("--adopt looks up the audience of the manifest's name and plans its adoption", async () => {
    await withEmulator(undefined, async (emulator) => {
      await withTempDir(async (dir) => {
        await writeFiles(dir, { 'm/gold.yaml': manifestYaml('gold') });
        const made = emulator.control.uiCreateAudience(
          DEMO_CLIENT.orgId,
          'prod',
          manifestObject('gold').spec,
        );
        const state = path.join(dir, 'state');
        await (await openStateStore(state)).close();
        const plan = async (...flags: string[]) => {
          const result = await runCliInProcess(
            ['plan', path.join(dir, 'm'), '--state', state, '--output', 'json', ...flags],
            { env: emulatorEnv(emulator) },
          );
          return Plan.parse(JSON.parse(result.stdout));
        };
        expect(kinds(await plan())).toEqual(['create prod/gold', 'run prod/gold']);
        const adopting = await plan('--adopt');
        expect(kinds(adopting)).toEqual(['adopt prod/gold']);
        expect(adopting.steps[0]!.audienceId).toBe(made.id);
      });
    });
  });
});
