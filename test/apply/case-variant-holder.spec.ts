import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// The service refuses a name held in any case (409), but the name lookup is exact-case: an
// audience a colleague made as "audience gold" is not listed under "Audience gold". Nothing
// listed under the name is read as "the name is still held by the audience deleted" only for
// the name this record's own replace deleted an audience under; any other such 409 blocks,
// with the state import hint, and is not POSTed again (it would be refused on every apply).

const gold = manifestObject('gold', { ingestion: { onCreate: false } });
const silver = manifestObject('silver', { ingestion: { onCreate: false } });
// A new source forces a replace; its new name is another colleague's in another case.
const silverAsBronze = manifestObject('silver', {
  ingestion: { onCreate: false },
  spec: {
    name: 'Audience Bronze',
    sourceSpec: {
      path: 'exports/silver-v2.csv',
      type: 'file',
      sourceType: 'Cloud Storage',
      cloudType: 'DLZ',
    },
  },
});

describe('a create refused for a name a colleague holds in another case', () => {
  it('blocks a new manifest, and a replace to another name, with the import hint; neither is POSTed again', async () => {
    await withExecutor({}, async (env) => {
      const control = env.emulator.control;
      const theirs = control.uiCreateAudience(
        DEMO_CLIENT.orgId,
        'prod',
        { ...gold.spec, name: 'audience gold' },
        'colleague@AdobeID',
      );
      const bronze = control.uiCreateAudience(
        DEMO_CLIENT.orgId,
        'prod',
        {
          ...gold.spec,
          name: 'audience bronze',
          sourceSpec: { ...gold.spec.sourceSpec, path: 'exports/b.csv' },
        },
        'colleague@AdobeID',
      );
      const posts = () => control.requestLog().filter((entry) => entry.endpoint === 'createAudience').length;

      const first = await env.apply([gold]);
      expect(first.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create blocked',
      ]);
      expect(first.report?.results[0]?.message).toBe(
        'an audience named "Audience gold" already exists in sandbox "prod": audiencectl did not create it (an audience made outside audiencectl); find its id in AEP, then run: audiencectl state import gold <manifests dir> --sandbox prod --audience-id <id>',
      );
      expect((await env.store().get('prod', 'gold'))?.blocked?.code).toBe('100950-409');
      const again = await env.apply([gold]);
      expect(again.report?.results.map((r) => r.status)).toEqual(['blocked']);
      expect(posts()).toBe(1);

      await env.apply([gold, silver]);
      const old = (await env.store().get('prod', 'silver'))!.audienceId!;
      const replaced = await env.apply([gold, silverAsBronze], { plan: { allowReplace: true } });
      const outcome = replaced.report?.results.find((r) => r.step.key === 'silver');
      expect(`${outcome?.step.id} ${outcome?.status}`).toBe('prod/silver:replace blocked');
      expect(outcome?.message).toMatch(
        /^an audience named "Audience Bronze" already exists in sandbox "prod": audiencectl did not create it/,
      );
      expect(
        control
          .listAudiences(DEMO_CLIENT.orgId, 'prod')
          .map((a) => a.audienceId)
          .sort(),
      ).toEqual([theirs.audienceId, bronze.audienceId].sort());
      expect(old).not.toBe(bronze.audienceId);
      const record = await env.store().get('prod', 'silver');
      expect(record?.blocked?.code).toBe('100950-409');
      // No audience of its own; what it keeps of the one its replace deleted is that audience's
      // name (the mark a later create of that name reads as freed by this record's own DELETE).
      expect(record?.audienceId).toBeUndefined();
      expect(record?.applied?.spec.name).toBe('Audience silver');
      expect(posts()).toBe(3);
    });
  });
});
