import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { createdWithRun, moved, remote, statuses } from '../helpers/replaced-env.js';

// A manifest renamed (metadata.name) while its record waits for the create of a name the service
// still holds: the record, which holds the mark of that name and the deleted audience's runs, is
// not forgotten (the new key's create takes it along, plan/waiting-move.ts), so that create is
// never blocked for good as made outside audiencectl without the mark that tells the held name.

describe('a manifest renamed (metadata.name) while its record waits for the create of a held name', () => {
  it('is not blocked as an audience made outside audiencectl', async () => {
    await withExecutor({ compat: { deletedNames: 'held' } }, async (env) => {
      await createdWithRun(env);
      const waiting = await env.apply([moved]);
      expect(statuses(waiting)?.[0]).toBe('prod/gold:replace failed');
      expect(remote(env)).toEqual([]);

      const renamed = manifestObject('gold-members', {
        metadata: { allowReplace: true },
        spec: { ...moved.spec, name: 'Audience gold' },
      });
      const next = await env.apply([renamed]);
      const members = await env.store().get('prod', 'gold-members');
      expect(remote(env)).toEqual([]);
      expect({
        results: next.report?.results.map((r) => `${r.step.id} ${r.status}`),
        blocked: members?.blocked?.message,
      }).toEqual({
        results: expect.not.arrayContaining(['prod/gold-members:create blocked']) as unknown,
        blocked: undefined,
      });
    });
  });
});
