import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { recordPath } from '../../src/state/paths.js';
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
  it('reads a run an earlier release recorded in milliseconds as seconds: its successor still falls due', async () => {
    await withExecutor({ compat: { runTimeUnit: 'milliseconds' } }, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: true, every: '24h' } });
      await env.apply([gold]);
      const after = Math.ceil(Date.now() / 1000);
      // As a release that took the answer's milliseconds for seconds wrote it: 50,000 years ahead.
      const file = recordPath(env.store().location, 'prod', 'gold');
      const record = JSON.parse(await readFile(file, 'utf8')) as {
        runs: Array<{ createdAt: number; dataFilterEndTime: number }>;
      };
      for (const run of record.runs) {
        run.createdAt *= 1000;
        run.dataFilterEndTime *= 1000;
      }
      await writeFile(file, JSON.stringify(record));

      const [run] = (await env.store().get('prod', 'gold'))?.runs ?? [];
      expect(run?.createdAt).toBeLessThanOrEqual(after);
      const steps = (await env.plan([gold], { now: after + 25 * HOUR })).steps;
      expect(steps.map((step) => `${step.id}${step.deferred ? ' deferred' : ''}`)).toEqual(['prod/gold:run']);
    });
  });
});
