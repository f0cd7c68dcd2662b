import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import { heldMessage, keptNote, MARKED } from '../helpers/held-name.js';
import { manifestObject } from '../helpers/manifests.js';
import { createdWithRun, gold, ORG, remote, statuses } from '../helpers/replaced-env.js';

// Review 8, F1: gold is deleted in the UI (its name freed at once, the emulator's default), and
// a colleague makes "AUDIENCE GOLD". The refresh's re-create is refused (409: the service
// compares names ignoring case) and the exact-case lookup lists nothing under "Audience gold".
// The record holds the mark of the deleted audience's name, yet that audience is not known to
// hold it: the message says who may (the deleted one, one in another letter case, a create not
// finished) and the ways out that work, and following one (another spec.name) creates it.

const tier = manifestObject('gold', { spec: { name: 'Gold tier' } });

describe("a refresh's re-create refused for a name held in another letter case", () => {
  it('never says the deleted audience holds the name, names the ways out, and one of them works', async () => {
    await withExecutor({}, async (env) => {
      const { oldId } = await createdWithRun(env);
      env.emulator.control.uiDeleteAudience(ORG, 'prod', oldId);
      const theirs = env.emulator.control.uiCreateAudience(
        ORG,
        'prod',
        { ...gold.spec, name: 'AUDIENCE GOLD' },
        'colleague@AdobeID',
      );

      const refreshed = await env.apply([gold], { refresh: true });
      expect(statuses(refreshed)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
      expect(refreshed.report?.results[0]?.message).toBe(
        heldMessage(
          `${oldId}, the audience deleted outside audiencectl, if the service still holds its name`,
          keptNote(1),
        ),
      );
      // A later apply's create of the same record: the mark is kept, the deleted id no longer known.
      const again = await env.apply([gold]);
      expect(statuses(again)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
      expect(again.report?.results[0]?.message).toBe(heldMessage(MARKED, keptNote(1)));
      expect((await env.store().get('prod', 'gold'))?.blocked).toBeUndefined();

      // The way out: another spec.name.
      const renamed = await env.apply([tier]);
      expect(statuses(renamed)).toEqual(['prod/gold:create applied', 'prod/gold:run applied']);
      const made = remote(env).find((audience) => audience.audienceId !== theirs.audienceId);
      expect(made?.audienceName).toBe('Gold tier');
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(made?.audienceId);
      expect(
        remote(env)
          .map((audience) => audience.audienceName)
          .sort(),
      ).toEqual(['AUDIENCE GOLD', 'Gold tier']);
    });
  });
});
