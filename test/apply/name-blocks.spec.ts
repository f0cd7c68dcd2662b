import { describe, expect, it } from 'vitest';
import { withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { kinds } from '../helpers/planning.js';
import { ORG, statuses } from '../helpers/replaced-env.js';

// A create the service refuses for its name (409) when the record's own audience was not deleted
// under it. Nothing listed under the exact name (a colleague's name in another letter case, a
// deleted audience's name still held): the step fails and the next apply POSTs again, so a freed
// name heals by itself and a renamed manifest is created; no audience is claimed to exist under
// the name. An audience listed under the exact name that is not ours: blocked, and the block lasts
// only while the manifest names it.

const quiet = (name: string, specName: string) =>
  manifestObject(name, { ingestion: { onCreate: false }, spec: { name: specName } });

const posts = (env: ExecutorEnv) =>
  env.emulator.control.requestLog().filter((entry) => entry.endpoint === 'createAudience').length;

/** Ours by record, theirs by creator: each audience once. */
const remote = (env: ExecutorEnv) =>
  env.emulator.control
    .listAudiences(ORG, 'prod')
    .map((a) => `${a.audienceName} by ${a.createdBy}`)
    .sort();

describe('a create refused for a name nothing is listed under', () => {
  it('fails without blocking; a renamed manifest is created, and a freed name is created by the next apply', async () => {
    await withExecutor({}, async (env) => {
      const control = env.emulator.control;
      const theirs = ['gold', 'silver'].map(
        (name) =>
          control.uiCreateAudience(
            ORG,
            'prod',
            { ...quiet(name, '').spec, name: `AUDIENCE ${name}` },
            'colleague@AdobeID',
          ).audienceId,
      );
      const gold = quiet('gold', 'Audience gold');
      const silver = quiet('silver', 'Audience silver');

      const first = await env.apply([gold, silver]);
      expect(statuses(first)).toEqual(['prod/gold:create failed', 'prod/silver:create failed']);
      expect(first.report?.results[0]?.message).toBe(
        'the service refused a second audience named "Audience gold" in sandbox "prod" (409), and lists no audience under that exact name: the name is held by an audience not listed (one whose name differs only in letter case, the service compares names ignoring case; one deleted whose name the service still holds; or one whose create has not finished); nothing was created (the record is dropped), and the next apply tries again: the audience is created once the name is free. To use another name, change spec.name in the manifest; if the holder is the audience this manifest means, set spec.name to its exact name, find its id in AEP, then run: audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID (MANIFESTS_DIR: your manifests directory)',
      );
      expect(await env.store().readAll()).toMatchObject({ audiences: [] });

      // gold's manifest takes a free name; the colleague deletes their silver (its name is free).
      const goldTier = quiet('gold', 'Gold tier');
      control.uiDeleteAudience(ORG, 'prod', theirs[1]!);
      expect(kinds(await env.plan([goldTier, silver]))).toEqual(['create prod/gold', 'create prod/silver']);
      const second = await env.apply([goldTier, silver]);
      expect(statuses(second)).toEqual(['prod/gold:create applied', 'prod/silver:create applied']);
      expect(posts(env)).toBe(4);
      expect(remote(env)).toEqual([
        'AUDIENCE gold by colleague@AdobeID',
        'Audience silver by audiencectl-demo@techacct.adobe.com',
        'Gold tier by audiencectl-demo@techacct.adobe.com',
      ]);
      const records = (await env.store().readAll()).audiences;
      const ids = new Set(control.listAudiences(ORG, 'prod').map((a) => a.audienceId));
      expect(records.map((r) => [r.key, ids.has(r.audienceId!), r.blocked])).toEqual([
        ['gold', true, undefined],
        ['silver', true, undefined],
      ]);
      expect((await env.plan([goldTier, silver])).steps).toEqual([]);
    });
  });
});

describe('a create blocked for a name an audience of a colleague is listed under', () => {
  it('stays blocked while the manifest names it in any case, and is created once it names another', async () => {
    await withExecutor({}, async (env) => {
      const control = env.emulator.control;
      const gold = quiet('gold', 'Audience gold');
      const theirs = control.uiCreateAudience(ORG, 'prod', gold.spec, 'colleague@AdobeID');

      const first = await env.apply([gold]);
      expect(statuses(first)).toEqual(['prod/gold:create blocked']);
      // One audience listed under the name: the import is printed finished, with its id.
      const finished = `; if it is this manifest's audience, run: audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id ${theirs.audienceId} (MANIFESTS_DIR: your manifests directory); or change spec.name in the manifest to a name no audience holds: its create is then planned again`;
      const message = first.report?.results[0]?.message ?? '';
      expect(message).toMatch(
        /^an audience named "Audience gold" already exists in sandbox "prod": it was made by colleague@AdobeID, a person's account, and audiencectl creates with a technical account \(…@techacct\.adobe\.com\): it was made outside audiencectl \(found: [-0-9a-f]+ \(created .* by colleague@AdobeID\)\); /,
      );
      expect(message).toContain(`(found: ${theirs.audienceId} (created `);
      expect(message.endsWith(finished)).toBe(true);
      expect((await env.store().get('prod', 'gold'))?.blocked?.name).toBe('Audience gold');

      // Another case of the same name is the same name to the service: still blocked, not POSTed;
      // the recorded block prints the same finished command.
      const shouted = await env.apply([quiet('gold', 'AUDIENCE GOLD')]);
      expect(statuses(shouted)).toEqual(['prod/gold:create blocked']);
      expect(shouted.report?.results[0]?.message).toBe(message);
      expect(posts(env)).toBe(1);

      const goldTier = quiet('gold', 'Gold tier');
      const renamed = await env.apply([goldTier]);
      expect(statuses(renamed)).toEqual(['prod/gold:create applied']);
      const record = await env.store().get('prod', 'gold');
      expect(record?.blocked).toBeUndefined();
      const listed = control.listAudiences(ORG, 'prod');
      expect(listed.map((a) => [a.audienceId, a.audienceName]).sort()).toEqual(
        [
          [theirs.audienceId, 'Audience gold'],
          [record?.audienceId, 'Gold tier'],
        ].sort(),
      );
      expect((await env.plan([goldTier])).steps).toEqual([]);
    });
  });
});
