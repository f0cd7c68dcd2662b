import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, ManifestDir } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { ORG, statuses } from '../helpers/replaced-env.js';

// `state import --discover` rebuilds records for manifests that have none. A record that holds no
// audience and waits for its create (here: audiences deleted in the UI, found gone by a refresh,
// whose re-create met the name the service still held; the record keeps the deleted audience's
// `applied` as the mark of that name, and its runs) was skipped without a word. It is now looked up
// and reported as `waiting`, never pointed at an audience listed under its name (the record says
// no create of it is under way, so that one is not its own), and left as it is: its mark and runs
// stay. A person who knows the listed audience is theirs imports it by id, which keeps the runs.

const gold = manifestObject('gold');
const silver = manifestObject('silver');
const bronze = manifestObject('bronze');

describe('state import --discover and a record waiting for its create', () => {
  it('reports it as waiting, never matches it to an audience listed under its name, and leaves its record as it is', async () => {
    await withExecutor({ compat: { deletedNames: 'held' } }, async (env) => {
      const control = env.emulator.control;
      await env.apply([gold, silver]);
      const created = await env.store().readAll();
      const idOf = (key: string) => created.audiences.find((record) => record.key === key)!.audienceId!;
      const [goldId, silverId] = [idOf('gold'), idOf('silver')];
      control.uiDeleteAudience(ORG, 'prod', goldId);
      control.uiDeleteAudience(ORG, 'prod', silverId);
      // Found gone; the service still holds both names, so both re-creates wait.
      const refreshed = await env.apply([gold, silver], { refresh: true });
      expect(statuses(refreshed)?.filter((status) => status.endsWith(':create failed'))).toHaveLength(2);
      const store = env.store();
      const waiting = { gold: await store.get('prod', 'gold'), silver: await store.get('prod', 'silver') };
      for (const record of Object.values(waiting)) {
        expect(record?.audienceId).toBeUndefined();
        expect(record?.applied).toBeDefined();
        expect(record?.runs.map((run) => run.formerAudienceId)).toEqual([expect.any(String)]);
      }

      // A minute on, the names are free; a colleague makes "Audience silver" and "Audience bronze".
      control.updateSettings({ clockOffsetMs: 61_000 });
      await withTempDir(async (tmp) => {
        const theirs = control.uiCreateAudience(ORG, 'prod', silver.spec, 'colleague@AdobeID');
        const theirBronze = control.uiCreateAudience(ORG, 'prod', bronze.spec, 'colleague@AdobeID');
        const dir = path.join(tmp, 'm');
        const manifests = new ManifestDir(dir);
        await manifests.write([gold, silver, bronze]);
        const cli = (args: string[]) =>
          runCli([...args, '--state', env.stateDir], { env: emulatorEnv(env.emulator) });
        // The dry run, asserted as the discovery: the same CLI entry in this process.
        const inProcess = (args: string[]) =>
          runCliInProcess([...args, '--state', env.stateDir], { env: emulatorEnv(env.emulator) });

        const summary = `1 matched and recorded as imported, 0 missing (the next apply creates them), 0 ambiguous (import each with --audience-id). 2 waiting for their create, records kept as they are (the next apply creates them; an audience found under the name is not theirs unless you import it: audiencectl state import KEY ${dir} --sandbox SANDBOX --audience-id AUDIENCE_ID --state ${env.stateDir}).`;
        const dry = await inProcess(['state', 'import', '--discover', dir, '--dry-run']);
        const discovered = await cli(['state', 'import', '--discover', dir]);
        for (const run of [dry, discovered]) {
          expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
          const rows = run.stdout.split('\n');
          expect(rows.find((row) => row.startsWith('prod/gold '))).toMatch(
            /^prod\/gold\s+waiting\s+-\s+no audience of that name$/,
          );
          expect(rows.find((row) => row.startsWith('prod/silver '))).toMatch(
            new RegExp(
              `^prod/silver\\s+waiting\\s+-\\s+${theirs.audienceId} \\(created \\S+ by colleague@AdobeID\\)$`,
            ),
          );
          expect(rows.find((row) => row.startsWith('prod/bronze '))).toMatch(
            new RegExp(`^prod/bronze\\s+matched\\s+${theirBronze.audienceId}$`),
          );
        }
        expect(discovered.stdout).toContain(summary);

        // Nothing written for the waiting records: the mark and the runs stay; bronze is imported.
        expect(await env.store().get('prod', 'gold')).toEqual(waiting.gold);
        expect(await env.store().get('prod', 'silver')).toEqual(waiting.silver);
        expect((await env.store().get('prod', 'bronze'))?.audienceId).toBe(theirBronze.audienceId);

        // The summary's command, for silver: the colleague's audience is imported, its runs kept.
        const imported = await cli([
          'state',
          'import',
          'silver',
          dir,
          '--sandbox',
          'prod',
          '--audience-id',
          theirs.audienceId,
        ]);
        expect({ code: imported.code, stderr: imported.stderr }).toEqual({ code: 0, stderr: '' });
        const silverNow = await env.store().get('prod', 'silver');
        expect({ id: silverNow?.audienceId, applied: silverNow?.applied, runs: silverNow?.runs }).toEqual({
          id: theirs.audienceId,
          applied: undefined,
          runs: waiting.silver?.runs,
        });

        // The next apply creates gold, once, and only PATCHes silver and bronze (no replace, no delete).
        const next = await env.apply([gold, silver, bronze]);
        expect(statuses(next)?.sort()).toEqual([
          'prod/bronze:update applied',
          'prod/gold:create applied',
          'prod/gold:run applied',
          'prod/silver:update applied',
        ]);
        const names = control.listAudiences(ORG, 'prod').map((audience) => audience.audienceName);
        expect(names.sort()).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);
      });
    });
  });
});
