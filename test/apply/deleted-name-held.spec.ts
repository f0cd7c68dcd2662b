import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor } from '../helpers/executor-env.js';
import { heldMessage, keptNote, MARKED } from '../helpers/held-name.js';
import { manifestObject } from '../helpers/manifests.js';

// The page answers a DELETE with 204 and refuses a second audience of a name (100950-409), but
// never says when a deleted audience's name may be created again. With `deletedNames: held` the
// emulator refuses it for a minute after the DELETE, the audience gone from every read.

const gold = manifestObject('gold', { ingestion: { onCreate: false } });
// A new source cannot be PATCHed: delete, then create under the same name.
const moved = manifestObject('gold', {
  ingestion: { onCreate: false },
  spec: {
    sourceSpec: { path: 'exports/gold-v2.csv', type: 'file', sourceType: 'Cloud Storage', cloudType: 'DLZ' },
  },
});

describe('a replace whose create meets the name its DELETE has not freed yet', () => {
  it('fails, blocks nothing, and the next apply once the name is free creates the audience', async () => {
    await withExecutor({ compat: { deletedNames: 'held' } }, async (env) => {
      const remote = () => env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      await env.apply([gold]);
      const old = (await env.store().get('prod', 'gold'))!.audienceId!;

      const replaced = await env.apply([moved], { plan: { allowReplace: true } });
      expect(replaced.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:replace failed',
      ]);
      // The DELETE is done: the step says so before what became of its create (review 22, M1).
      expect(replaced.report?.results[0]?.message).toBe(
        `deleted ${old}; then ${heldMessage(
          `${old}, the audience this replace has just deleted, if the service still holds its name`,
          keptNote(0),
        )}`,
      );
      expect(remote()).toEqual([]);
      const after = await env.store().get('prod', 'gold');
      expect(after?.blocked).toBeUndefined();
      expect(after?.intent).toBeUndefined();
      expect(after?.audienceId).toBeUndefined();

      // Still held: a plain create now, refused the same way, and still not blocked.
      const again = await env.apply([moved]);
      expect(again.plan.steps.map((step) => step.kind)).toEqual(['create']);
      expect(again.report?.results.map((r) => r.status)).toEqual(['failed']);
      expect(again.report?.results[0]?.message).toBe(heldMessage(MARKED, keptNote(0)));
      expect((await env.store().get('prod', 'gold'))?.blocked).toBeUndefined();

      // A minute later in the service's clock the name is free: created, once.
      env.emulator.control.updateSettings({ clockOffsetMs: 61_000 });
      const created = await env.apply([moved]);
      expect(created.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create applied',
      ]);
      const [audience, ...others] = remote();
      expect(others).toEqual([]);
      expect(audience?.audienceId).not.toBe(old);
      expect(audience?.sourceSpec).toMatchObject({ path: 'exports/gold-v2.csv' });
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(audience?.audienceId);
      const posts = env.emulator.control
        .requestLog()
        .filter((entry) => entry.endpoint === 'createAudience')
        .map((entry) => entry.status);
      expect(posts).toEqual([202, 409, 409, 202]);
    });
  });
});
