import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { createdWithRun, gold, remote } from '../helpers/replaced-env.js';

// The check before a DELETE (delete-check.ts recordedName) names the audience of a record without
// an audience id as its create sent it, not by `applied`, which there is the mark of the name its
// replace deleted an audience under: a replace made by a new spec.name (a name cannot be PATCHed),
// interrupted while its create operation is awaited, then its manifest removed, deletes its own
// new audience instead of refusing it as "renamed outside audiencectl?".

describe('a replace interrupted while its create operation is awaited, then its manifest removed', () => {
  it('deletes the audience the operation made', async () => {
    await withExecutor(undefined, async (env) => {
      await createdWithRun(env);
      const renamed = manifestObject('gold', {
        metadata: { allowReplace: true },
        spec: { ...gold.spec, name: 'Audience gold v2' },
      });
      const plan = await env.plan([renamed]);
      expect(plan.steps.map((step) => step.kind)).toContain('replace');

      // The apply is interrupted (Ctrl-C, a daemon's shutdown) at its first poll of the operation.
      const controller = new AbortController();
      let polls = 0;
      const stop = env.emulator.control.observeRequests((request) => {
        if (request.endpoint === 'getOperation' && (polls += 1) === 1) controller.abort();
      });
      await env.apply([renamed], { signal: controller.signal }).catch(() => undefined);
      stop();
      const waiting = await env.store().get('prod', 'gold');
      expect({ id: waiting?.audienceId, op: typeof waiting?.operationId }).toEqual({
        id: undefined,
        op: 'string',
      });
      const [made, ...others] = remote(env);
      expect(others).toEqual([]);
      expect(made?.audienceName).toBe('Audience gold v2');

      // The manifest is removed: the audience audiencectl made is deleted, as any of its own.
      const removed = await env.apply([manifestObject('silver')]);
      expect(
        removed.report?.results
          .filter((r) => r.step.key === 'gold')
          .map((r) => [r.step.id, r.status, r.message]),
      ).toEqual([
        [
          'prod/gold:delete',
          'applied',
          // The replaced audience's run still counts: kept, as a runs-only record (review 9, finding 2).
          expect.stringMatching(
            new RegExp(
              `^deleted ${made!.audienceId}; the record keeps only its 1 run of deleted audiences, counted against the sandbox's daily run budget until \\S+$`,
            ),
          ),
        ],
      ]);
      expect(remote(env).map((a) => a.audienceName)).toEqual(['Audience silver']);
    });
  });
});
