import { describe, expect, it } from 'vitest';
import type { StepResult } from '../../src/apply/types.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// What the planner blocks or defers, the executor reports and never sends: the guards
// (empty source, replacement, the run budget) hold at apply time, not only in the plan.

function statuses(results: readonly StepResult[] | undefined): Record<string, string> {
  return Object.fromEntries((results ?? []).map((r) => [r.step.id, r.status]));
}

describe('the executor and the steps a plan blocks or defers', () => {
  it('sends no DELETE for blocked removals and no DELETE or POST for a blocked replacement', async () => {
    await withExecutor(undefined, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      const silver = manifestObject('silver', { ingestion: { onCreate: false } });
      await env.apply([gold, silver]);
      const before = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceId);
      env.emulator.control.resetCounters();

      // An empty source: both removals are blocked by the empty-source guard.
      const emptied = await env.apply([]);
      expect(statuses(emptied.report?.results)).toEqual({
        'prod/gold:delete': 'blocked',
        'prod/silver:delete': 'blocked',
      });
      // A change that cannot be PATCHed, without --allow-replace: the replacement is blocked.
      const moved = manifestObject('gold', {
        spec: {
          sourceSpec: {
            path: 'exports/elsewhere.csv',
            type: 'file',
            sourceType: 'Cloud Storage',
            cloudType: 'DLZ',
          },
        },
        ingestion: { onCreate: false },
      });
      const replaced = await env.apply([moved, silver]);
      expect(statuses(replaced.report?.results)).toEqual({ 'prod/gold:replace': 'blocked' });

      const counters = env.emulator.control.counters().byEndpoint;
      expect(counters.deleteAudience.requests).toBe(0);
      expect(counters.createAudience.requests).toBe(0);
      expect(env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceId)).toEqual(
        before,
      );
      expect((await env.store().readAll()).audiences.map((r) => r.key)).toEqual(['gold', 'silver']);
    });
  });

  it('starts no run the daily budget deferred', async () => {
    await withExecutor(undefined, async (env) => {
      const outcome = await env.apply([manifestObject('gold', { ingestion: { onCreate: true } })], {
        plan: { runBudget: { perSandboxPerDay: 0, perAudiencePerDay: 10 } },
      });
      expect(statuses(outcome.report?.results)).toEqual({
        'prod/gold:create': 'applied',
        'prod/gold:run': 'deferred',
      });
      expect(env.emulator.control.counters().byEndpoint.startRun.requests).toBe(0);
      expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
    });
  });
});
