import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

const HOUR = 3600;

/**
 * The page gives run times in epoch seconds, but its own (commented-out) runs-list filter
 * example compares `createdAt` with a value in milliseconds. Against a service that answers
 * them so, the run recorded lay 50,000 years ahead: a periodic run never fell due again, and
 * the run counted as "of the last 24 h" forever (the per-audience budget ran out for good).
 */
describe('a service that answers run times in milliseconds', () => {
  it('records the run in epoch seconds, and its periodic successor falls due a day later', async () => {
    await withExecutor({ compat: { runTimeUnit: 'milliseconds' } }, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: true, every: '24h' } });
      const before = Math.floor(Date.now() / 1000);
      const first = await env.apply([gold]);
      const after = Math.ceil(Date.now() / 1000);
      expect(first.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create applied',
        'prod/gold:run applied',
      ]);
      const [run] = (await env.store().get('prod', 'gold'))?.runs ?? [];
      expect(run?.status).toBe('SUCCESS');
      for (const time of [run?.createdAt, run?.dataFilterEndTime]) {
        expect(time).toBeGreaterThanOrEqual(before);
        expect(time).toBeLessThanOrEqual(after);
      }

      const runSteps = async (hoursLater: number) =>
        (await env.plan([gold], { now: after + hoursLater * HOUR })).steps
          .filter((step) => step.kind === 'run')
          .map((step) => `${step.id}${step.deferred ? ' deferred' : ''}`);
      expect(await runSteps(1)).toEqual([]);
      expect(await runSteps(25)).toEqual(['prod/gold:run']);
    });
  });
});
