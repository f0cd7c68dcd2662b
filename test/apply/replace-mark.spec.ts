import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import {
  createdWithRun,
  importGold,
  killedDuringDelete,
  moved,
  ORG,
  remote,
  statuses,
} from '../helpers/replaced-env.js';

// From a replace's DELETE until its create is recorded, the record holds no audience id and keeps
// the deleted audience's `applied`: the mark of the name it held, which tells the create's 409
// for that name (the service may hold it a while) from a name someone else holds. The mark is
// never taken for what was applied to an audience.

describe("the mark of a replace's deleted name", () => {
  it('outlives a create that made nothing (its POST refused): the next 409 is the name still held, retried, not blocked', async () => {
    await withExecutor({ compat: { deletedNames: 'held' } }, async (env) => {
      await createdWithRun(env);
      // Refused in both shapes of sourceSpec: a 400 naming nothing sent is tried in the other.
      env.emulator.control.queueFault({
        kind: 'clientError',
        endpoint: 'createAudience',
        status: 400,
        count: 2,
      });
      const first = await env.apply([moved]);
      expect(statuses(first)?.[0]).toBe('prod/gold:replace failed');
      expect(first.report?.results[0]?.message).toContain(
        'the create is dropped from the record, which keeps the name of its deleted audience and its 1 run',
      );
      expect(remote(env)).toEqual([]);

      const next = await env.apply([moved]);
      const record = await env.store().get('prod', 'gold');
      expect(remote(env)).toEqual([]);
      expect({ status: statuses(next)?.[0], blocked: record?.blocked }).toEqual({
        status: 'prod/gold:create failed',
        blocked: undefined,
      });
    });
  });

  it('is dropped by state import: the audience imported is not replaced (deleted) by the next apply', async () => {
    await withExecutor(undefined, async (env) => {
      const { oldId } = await createdWithRun(env);
      await killedDuringDelete(env, oldId);
      // Meanwhile a colleague made the audience in the UI, as the manifest now says.
      const theirs = env.emulator.control.uiCreateAudience(ORG, 'prod', moved.spec, 'colleague@AdobeID');
      const resumed = await env.apply([moved]);
      expect(statuses(resumed)?.[0]).toBe('prod/gold:create blocked');
      expect(resumed.report?.results[0]?.message).toMatch(/run: audiencectl state import gold /);

      // What `audiencectl state import gold <dir> --sandbox prod --audience-id <theirs>` does.
      const store = env.store();
      await store.lock();
      await importGold(store, theirs.audienceId);
      await store.close();
      expect((await env.store().get('prod', 'gold'))?.applied).toBeUndefined();

      const plan = await env.plan([moved]);
      expect(plan.steps.map((step) => step.kind)).not.toContain('replace');
      await env.apply([moved]);
      expect(remote(env).map((audience) => audience.audienceId)).toEqual([theirs.audienceId]);
    });
  });
});
