import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { readState } from '../../src/state/read.js';
import { withTempDir } from '../helpers/cli.js';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { applyInProcess, files, outcomes } from './helpers/in-process.js';
import { holdAnswers } from './helpers/interrupted-apply.js';

/** Item 6 of issue 12: a DELETE is sent only when the id still names the audience recorded. */
describe('verified deletes', () => {
  it('deletes what is still ours, forgets what is gone without a call, blocks what is now another audience', async () => {
    await withEmulator({ operationDelayMs: 10, admin: true }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const state = `${tmp}/state`;
        await applyInProcess(emulator, state, files(['kept', 'mine', 'gone', 'renamed']));
        const ids = new Map((await readState(state)).audiences.map((r) => [r.key, r.audienceId ?? '']));
        emulator.control.uiDeleteAudience(DEMO_CLIENT.orgId, 'prod', ids.get('gone') ?? '');
        emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', ids.get('renamed') ?? '', {
          name: 'Someone else now',
        });
        emulator.control.resetCounters();

        const outcome = await applyInProcess(emulator, state, files(['kept']));
        expect(outcomes(outcome).sort()).toEqual([
          'delete gone: applied',
          'delete mine: applied',
          'delete renamed: blocked',
        ]);
        const renamed = outcome.report?.results.find((r) => r.step.key === 'renamed');
        expect(renamed?.message).toContain('now names "Someone else now", not "Audience renamed"');
        const counters = emulator.control.counters().byEndpoint;
        // One batch read for the three, one DELETE: only for the audience still ours.
        expect(counters.bulkGetAudiences.requests).toBe(1);
        expect(counters.deleteAudience.requests).toBe(1);
        expect(
          emulator.control.requestLog().filter((e) => e.endpoint === 'deleteAudience')[0]?.path,
        ).toContain(ids.get('mine') ?? 'missing');
        const remote = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').map((a) => a.audienceName);
        expect(remote.sort()).toEqual(['Audience kept', 'Someone else now']);
        const keys = (await readState(state)).audiences.map((r) => r.key).sort();
        expect(keys).toEqual(['kept', 'renamed']);
      });
    });
  });

  it('confirms a DELETE by a read made when the deletions start, not before the steps ahead of them', async () => {
    await withExecutor(undefined, async (env) => {
      const silver = manifestObject('silver', { ingestion: { onCreate: false } });
      await env.apply([silver]);
      const silverId = (await env.store().get('prod', 'silver'))?.audienceId ?? 'missing';
      // gold's first run is followed before silver is deleted; silver is renamed in the UI meanwhile.
      const held = holdAnswers(env, 'getRun');
      const applying = env.apply([manifestObject('gold')]);
      await held.arrived;
      env.emulator.control.uiEditAudience(DEMO_CLIENT.orgId, 'prod', silverId, { name: 'Someone else now' });
      held.stop();
      const outcome = await applying;
      expect(outcome.plan.steps.map((step) => step.id)).toEqual([
        'prod/gold:create',
        'prod/gold:run',
        'prod/silver:delete',
      ]);
      const deleted = outcome.report?.results.find((r) => r.step.key === 'silver');
      expect(deleted?.status).toBe('blocked');
      expect(deleted?.message).toContain('now names "Someone else now", not "Audience silver"');
      expect(env.emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(0);
    });
  });

  it('sends no DELETE when what the id names cannot be confirmed', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const state = `${tmp}/state`;
        await applyInProcess(emulator, state, files(['mine']));
        emulator.control.queueFault({ kind: 'error502', endpoint: 'bulkGetAudiences', count: 10 });
        emulator.control.resetCounters();
        const outcome = await applyInProcess(emulator, state, {});
        expect(outcomes(outcome)).toEqual(['delete mine: failed']);
        expect(outcome.report?.results[0]?.message).toContain('not deleted: cannot confirm');
        expect(emulator.control.counters().byEndpoint.deleteAudience.requests).toBe(0);
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
      });
    });
  });
});
