import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// The service refuses a name held in any case (409), but the name lookup is exact-case: an
// audience a colleague made as "audience gold" is not listed under "Audience gold". Nothing
// listed under the name is read as "the name is still held by the audience deleted" only for
// the name this record's own replace deleted an audience under; any other such 409 fails the
// step, saying the name is held (possibly in another case) and how to get out, and is POSTed
// again by the next apply (created once the name is free): never blocked, as a blocked record
// stays so after the name is freed. test/apply/name-blocks.spec.ts follows it to the end.

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
  it('fails a new manifest, and a replace to another name, without blocking; both are POSTed again', async () => {
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
        'prod/gold:create failed',
      ]);
      expect(first.report?.results[0]?.message).toMatch(
        /^the service refused a second audience named "Audience gold" in sandbox "prod" \(409\), and lists no audience under that exact name: the name is held by an audience not listed \(one whose name differs only in letter case/,
      );
      expect(await env.store().get('prod', 'gold')).toBeUndefined();
      const again = await env.apply([gold]);
      expect(again.report?.results.map((r) => r.status)).toEqual(['failed']);
      expect(posts()).toBe(2);

      await env.apply([gold, silver]);
      const old = (await env.store().get('prod', 'silver'))!.audienceId!;
      const replaced = await env.apply([gold, silverAsBronze], { plan: { allowReplace: true } });
      const outcome = replaced.report?.results.find((r) => r.step.key === 'silver');
      expect(`${outcome?.step.id} ${outcome?.status}`).toBe('prod/silver:replace failed');
      expect(outcome?.message).toMatch(
        new RegExp(
          `^deleted ${old}; then the service refused a second audience named "Audience Bronze" in sandbox "prod" \\(409\\), and lists no audience under that exact name`,
        ),
      );
      expect(
        control
          .listAudiences(DEMO_CLIENT.orgId, 'prod')
          .map((a) => a.audienceId)
          .sort(),
      ).toEqual([theirs.audienceId, bronze.audienceId].sort());
      expect(old).not.toBe(bronze.audienceId);
      const record = await env.store().get('prod', 'silver');
      expect(record?.blocked).toBeUndefined();
      expect(record?.intent).toBeUndefined();
      // No audience of its own; what it keeps of the one its replace deleted is that audience's
      // name (the mark a later create of that name reads as freed by this record's own DELETE).
      expect(record?.audienceId).toBeUndefined();
      expect(record?.applied?.spec.name).toBe('Audience silver');
      // gold is POSTed by every apply (its name is still held): 2, then gold's and silver's
      // create, then gold's and the replace's.
      expect(posts()).toBe(6);
      const next = await env.apply([gold, silverAsBronze], { plan: { allowReplace: true } });
      expect(next.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create failed',
        'prod/silver:create failed',
      ]);
      expect(posts()).toBe(8);
    });
  });
});
