import { describe, expect, it } from 'vitest';
import { withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import {
  createdWithRun,
  expectFirstRunOwed,
  killedDuringDelete,
  expectNewAudienceWith,
  moved,
  ONE_IN_SANDBOX,
  ORG,
  remote,
  statuses,
} from '../helpers/replaced-env.js';

// A replace deletes the audience and creates it anew under the same record. The service still
// counts the deleted audience's runs against the day's budget (100 runs a day per sandbox, 10
// per audience), so the record keeps those of the last 24 h, marked as the deleted audience's
// (formerAudienceId), as a re-create after a deletion outside audiencectl does: counted in the
// budget, never read as the new audience's (its first run is still owed, from time 0).

const silver = manifestObject('silver');
/** Two runs a day in the sandbox. */
const TWO_IN_SANDBOX = { runBudget: { perSandboxPerDay: 2, perAudiencePerDay: 10 } };

describe('a replace keeps the deleted audience runs of the last 24 h for the run budget', () => {
  it('DELETE and create answered: the new audience record keeps the run, and a plan with the sandbox budget nearly spent counts it', async () => {
    await withExecutor(undefined, async (env) => {
      const { former, oldId } = await createdWithRun(env);
      const replaced = await env.apply([moved], { plan: ONE_IN_SANDBOX });
      expect(statuses(replaced)).toEqual(['prod/gold:replace applied', 'prod/gold:run deferred']);
      expect(replaced.report?.results[0]?.message).toMatch(
        new RegExp(
          `^replaced: deleted ${oldId} \\(its 1 run of the last 24 h kept for the daily run budget\\), created \\S+$`,
        ),
      );
      await expectNewAudienceWith(env, oldId, former);
      await expectFirstRunOwed(env);

      // Two runs a day in the sandbox, one used by the deleted audience: gold's first run
      // takes the other, and silver's waits.
      const planned = await env.plan([moved, silver], TWO_IN_SANDBOX);
      expect(planned.steps.map((s) => [s.id, s.deferred])).toEqual([
        ['prod/gold:run', undefined],
        ['prod/silver:create', undefined],
        ['prod/silver:run', 'sandbox "prod" has used its 2 runs of the last 24 h'],
      ]);

      // A removed manifest's delete keeps the runs that still count, as a runs-only record (review 9, finding 2).
      const removed = await env.apply([silver], { plan: TWO_IN_SANDBOX });
      expect(statuses(removed)).toContain('prod/gold:delete applied');
      expect(await env.store().get('prod', 'gold')).toEqual({
        schemaVersion: 2,
        sandbox: 'prod',
        key: 'gold',
        deletionPolicy: 'Delete',
        runs: [former],
      });
    });
  });

  // review 22, M1: the apply stopped once the DELETE was done and recorded, before the create's
  // POST: the audience is gone from AEP, and the step said "skipped … not started".
  it('stopped between its DELETE and its create: a failed step saying what it deleted, and the next apply creates it', async () => {
    await withExecutor(undefined, async (env) => {
      const { oldId } = await createdWithRun(env);
      const stop = new AbortController();
      const stopped = await env.apply([moved], {
        signal: stop.signal,
        // The DELETE's record written (its intent resolved): the apply is stopped there.
        store: (store) => {
          const resolve = store.resolveIntent.bind(store);
          store.resolveIntent = async (record, resolution) => {
            const written = await resolve(record, resolution);
            if (resolution.kind === 'replace') stop.abort();
            return written;
          };
          return store;
        },
      });
      expect(stopped.report?.results.map((r) => [r.step.id, r.status, r.message])).toEqual([
        [
          'prod/gold:replace',
          'failed',
          `deleted ${oldId} (its 1 run of the last 24 h kept for the daily run budget); then the apply was stopped before the create was sent: the next apply creates it`,
        ],
        ['prod/gold:run', 'skipped', 'the apply was stopped before this step'],
      ]);
      expect(remote(env)).toEqual([]);
      const next = await env.apply([moved], { plan: ONE_IN_SANDBOX });
      expect(statuses(next)).toEqual(['prod/gold:create applied', 'prod/gold:run deferred']);
      const [made, ...others] = remote(env);
      expect(others).toEqual([]);
      expect(made?.audienceId).not.toBe(oldId);
    });
  });

  it("a day on, the new audience's first run is started and the record drops the deleted audience's run (format 1 again)", async () => {
    await withExecutor(undefined, async (env) => {
      const { oldId } = await createdWithRun(env);
      const replaced = await env.apply([moved], { plan: ONE_IN_SANDBOX });
      expect(statuses(replaced)).toEqual(['prod/gold:replace applied', 'prod/gold:run deferred']);
      // 24 h and 6 minutes later in the service's clock: the deleted audience's run no longer counts.
      const later = (24 * 60 + 6) * 60;
      env.emulator.control.updateSettings({ clockOffsetMs: later * 1000 });
      const now = Math.floor(Date.now() / 1000) + later;
      const ran = await env.apply([moved], { plan: { ...ONE_IN_SANDBOX, now } });
      expect(statuses(ran)).toEqual(['prod/gold:run applied']);
      const record = await env.store().get('prod', 'gold');
      const [started, ...more] = env.emulator.control.listRuns(ORG, 'prod', record!.audienceId);
      expect(more).toEqual([]);
      expect(record?.runs.map((r) => [r.runId, r.formerAudienceId])).toEqual([[started!.runId, undefined]]);
      expect(record?.schemaVersion).toBe(1);
      expect(record?.audienceId).not.toBe(oldId);
    });
  });

  it('the create answer lost: the audience it made is adopted, and the record keeps the run', async () => {
    await withExecutor(undefined, async (env) => {
      const { former, oldId } = await createdWithRun(env);
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      const replaced = await env.apply([moved], { plan: ONE_IN_SANDBOX });
      expect(statuses(replaced)).toEqual(['prod/gold:replace applied', 'prod/gold:run deferred']);
      expect(replaced.report?.results[0]?.message).toMatch(
        /adopted \S+, the audience an interrupted create made$/,
      );
      await expectNewAudienceWith(env, oldId, former);
      await expectFirstRunOwed(env);
    });
  });

  it("the new audience's first run, its start answer lost: the run it started is adopted as its own, the deleted audience's kept apart", async () => {
    await withExecutor(undefined, async (env) => {
      const { former, oldId } = await createdWithRun(env);
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
      const first = await env.apply([moved]);
      expect(statuses(first)?.[0]).toBe('prod/gold:replace applied');
      // However the lost answer is settled (in this apply or the next), one run is started.
      await env.apply([moved]);
      const [made, ...others] = remote(env);
      expect(others).toEqual([]);
      expect(made?.audienceId).not.toBe(oldId);
      const [started, ...more] = env.emulator.control.listRuns(ORG, 'prod', made!.audienceId);
      expect(more).toEqual([]);
      const record = await env.store().get('prod', 'gold');
      expect(record?.audienceId).toBe(made?.audienceId);
      expect(record?.intent).toBeUndefined();
      // Begun within a second of each other: their order is not the point.
      const runs = record?.runs.map((r) => [r.runId, r.reason, r.formerAudienceId]);
      expect(runs).toHaveLength(2);
      expect(runs).toEqual(
        expect.arrayContaining([
          [started!.runId, 'onCreate', undefined],
          [former.runId, 'onCreate', oldId],
        ]),
      );
      expect((await env.plan([moved])).steps).toEqual([]);
    });
  });

  it('the name still held by the deleted audience: the record keeps the run while it waits, and once created', async () => {
    await withExecutor({ compat: { deletedNames: 'held' } }, async (env) => {
      const { former, oldId } = await createdWithRun(env);
      const refused = await env.apply([moved], { plan: ONE_IN_SANDBOX });
      expect(statuses(refused)).toEqual(['prod/gold:replace failed', 'prod/gold:run deferred']);
      expect(remote(env)).toEqual([]);
      const waiting = await env.store().get('prod', 'gold');
      expect(waiting?.audienceId).toBeUndefined();
      expect(waiting?.runs).toEqual([former]);
      const planned = await env.plan([moved], ONE_IN_SANDBOX);
      expect(planned.steps.map((s) => [s.id, s.reason, s.deferred])).toEqual([
        [
          'prod/gold:create',
          'the record holds no audience (the runs of its deleted audience, kept for the daily run budget, and the mark of the name it held): create it',
          undefined,
        ],
        [
          'prod/gold:run',
          'first run after creation (ingestion.onCreate)',
          'sandbox "prod" has used its 1 runs of the last 24 h',
        ],
      ]);

      // A minute later in the service's clock the name is free.
      env.emulator.control.updateSettings({ clockOffsetMs: 61_000 });
      const created = await env.apply([moved], { plan: ONE_IN_SANDBOX });
      expect(statuses(created)).toEqual(['prod/gold:create applied', 'prod/gold:run deferred']);
      await expectNewAudienceWith(env, oldId, former);
      await expectFirstRunOwed(env);
    });
  });
});

// Review 4, F1: resumed while the service still holds the deleted audience's name, the create's
// 409 must read as that name still held (failed, retried), as for the replace not killed: the
// record keeps the deleted audience's `applied`, the mark of its name. Without it the audience
// was blocked for good as "made outside audiencectl", with no audience to import.
describe("a replace killed during its DELETE, resumed while the deleted audience's name is held", () => {
  it('fails the create, keeping the run and the name mark, and the next apply creates it once the name is free', async () => {
    await withExecutor({ compat: { deletedNames: 'held' } }, async (env) => {
      const { former, oldId } = await createdWithRun(env);
      await killedDuringDelete(env, oldId);
      const resumed = await env.apply([moved], { plan: ONE_IN_SANDBOX });
      expect(resumed.report?.resumed).toEqual([
        `prod/gold: finished an interrupted delete of ${oldId} (a replace's: the record is kept, with the runs that count against the daily run budget, and the plan creates the audience again)`,
      ]);
      expect(statuses(resumed)).toEqual(['prod/gold:create failed', 'prod/gold:run deferred']);
      expect(resumed.report?.results[0]?.message).toMatch(
        /lists no audience under that exact name: the name is held by an audience not listed \(.*the audience this record held under that name, deleted, if the service still holds its name;/,
      );
      const waiting = await env.store().get('prod', 'gold');
      expect(waiting?.blocked).toBeUndefined();
      expect(waiting?.runs).toEqual([former]);

      // A minute later in the service's clock the name is free.
      env.emulator.control.updateSettings({ clockOffsetMs: 61_000 });
      const created = await env.apply([moved], { plan: ONE_IN_SANDBOX });
      expect(statuses(created)).toEqual(['prod/gold:create applied', 'prod/gold:run deferred']);
      await expectNewAudienceWith(env, oldId, former);
      await expectFirstRunOwed(env);
    });
  });

  it('with no run left in the window, the record is still kept for the create; a removed manifest then forgets it', async () => {
    await withExecutor({ compat: { deletedNames: 'held' } }, async (env) => {
      const { oldId } = await createdWithRun(env);
      await killedDuringDelete(env, oldId, 2 * 86_400);
      const resumed = await env.apply([moved]);
      expect(statuses(resumed)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
      const waiting = await env.store().get('prod', 'gold');
      expect(waiting?.blocked).toBeUndefined();
      expect(waiting?.audienceId).toBeUndefined();
      expect(waiting?.runs).toEqual([]);
      expect((await env.plan([moved])).steps.map((s) => [s.id, s.reason])).toEqual([
        [
          'prod/gold:create',
          'the record holds no audience (the mark of the name its deleted audience held): create it',
        ],
        ['prod/gold:run', 'first run after creation (ingestion.onCreate)'],
      ]);

      // No audience id recorded: forgotten (nothing to delete), as any record without one.
      const removed = await env.apply([silver]);
      expect(statuses(removed)).toContain('prod/gold:forget applied');
      expect(await env.store().get('prod', 'gold')).toBeUndefined();
      expect(remote(env)).toHaveLength(1);
    });
  });
});
