import { describe, expect, it } from 'vitest';
import { readRefresh, RefreshError } from '../../src/apply/refresh.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { readState } from '../../src/state/read.js';
import { withTempDir } from '../helpers/cli.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { loadManifestObjects, withExecutor } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { applyInProcess, files, outcomes } from './helpers/in-process.js';

const ORG = DEMO_CLIENT.orgId;
const KEYS = ['deleted', 'edited', 'kept', 'renamed', 'same'];

/** Item 5 of issue 12: `apply --refresh` against the emulator, whose admin side plays a person in the UI. */
describe('apply --refresh', () => {
  it('re-creates what was deleted outside, PATCHes edits back, blocks a rename; without --refresh costs nothing', async () => {
    await withEmulator({ operationDelayMs: 10, admin: true }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const state = `${tmp}/state`;
        const manifests = files(KEYS);
        await applyInProcess(emulator, state, manifests);
        const ids = new Map((await readState(state)).audiences.map((r) => [r.key, r.audienceId ?? '']));
        emulator.control.uiDeleteAudience(ORG, 'prod', ids.get('deleted') ?? '');
        emulator.control.uiEditAudience(ORG, 'prod', ids.get('edited') ?? '', {
          description: 'edited in the UI',
          labels: ['core/C5'],
          ttlInDays: 60,
        });
        emulator.control.uiEditAudience(ORG, 'prod', ids.get('renamed') ?? '', { name: 'Renamed in the UI' });
        emulator.control.resetCounters();

        // Without --refresh the records are trusted: an in-sync repository costs no request.
        const trusted = await applyInProcess(emulator, state, manifests);
        expect(trusted.plan.steps).toEqual([]);
        expect(emulator.control.counters().requests).toBe(0);

        const refreshed = await applyInProcess(emulator, state, manifests, undefined, {
          refresh: true,
          bulkBatchSize: 2,
        });
        expect(outcomes(refreshed)).toEqual([
          'create deleted: applied',
          'update edited: applied',
          'update renamed: blocked',
        ]);
        expect(refreshed.plan.refresh?.read).toBe(5);
        expect(refreshed.plan.refresh?.drifted.map((d) => `${d.kind} ${d.key}`)).toEqual([
          'deleted deleted',
          'changed edited',
          'renamed renamed',
        ]);
        const byEndpoint = emulator.control.counters().byEndpoint;
        // Five ids in batches of two: three reads; then one POST and one PATCH.
        expect(byEndpoint.bulkGetAudiences.requests).toBe(3);
        expect(byEndpoint.createAudience.requests).toBe(1);
        expect(byEndpoint.patchAudience.requests).toBe(1);
        expect(byEndpoint.deleteAudience.requests).toBe(0);

        const remote = new Map(emulator.control.listAudiences(ORG, 'prod').map((a) => [a.audienceName, a]));
        expect(remote.get('Audience edited')).toMatchObject({
          description: 'About edited',
          labels: ['core/C1'],
          ttlInDays: 30,
        });
        const recreated = remote.get('Audience deleted');
        expect(recreated?.audienceId).toBeDefined();
        expect(recreated?.audienceId).not.toBe(ids.get('deleted'));
        expect(remote.has('Renamed in the UI')).toBe(true);
        const record = (await readState(state)).audiences.find((r) => r.key === 'deleted');
        expect(record?.audienceId).toBe(recreated?.audienceId);

        // Corrected: refreshing again finds only the rename, which needs a person.
        const again = await applyInProcess(emulator, state, manifests, undefined, { refresh: true });
        expect(outcomes(again)).toEqual(['update renamed: blocked']);
        expect(again.report?.results[0]?.message).toContain('renamed outside audiencectl');
      });
    });
  });

  it("re-created after a deletion outside: the deleted audience's runs are not the new one's", async () => {
    await withExecutor(undefined, async (env) => {
      const gold = [manifestObject('gold')];
      await env.apply(gold);
      const store = env.store();
      await store.lock();
      const before = (await store.get('prod', 'gold'))!;
      // Its first run was still going when that apply stopped following it (--run-wait).
      const [first] = before.runs;
      await store.put({ ...before, runs: [{ ...first!, status: 'PROCESSING' }] });
      await store.unlock();
      env.emulator.control.uiDeleteAudience(ORG, 'prod', before.audienceId!);

      const refreshed = await env.apply(gold, { refresh: true });
      expect(refreshed.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create applied',
        'prod/gold:run applied',
      ]);
      const after = await env.store().get('prod', 'gold');
      expect(after?.audienceId).not.toBe(before.audienceId);
      // The new audience's first run started; the deleted one's is kept (it counts against the
      // sandbox's daily runs) as that audience's, no longer in progress for this record.
      expect(env.emulator.control.listRuns(ORG, 'prod', after!.audienceId)).toHaveLength(1);
      expect(after?.runs.map((run) => [run.runId, run.formerAudienceId])).toEqual([
        [refreshed.report?.results[1]?.runId, undefined],
        [first!.runId, before.audienceId],
      ]);
      expect((await env.plan(gold)).steps).toEqual([]);
    });
  });

  it('a failed bulk-get is an error: nothing is read as deleted, nothing is created', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const state = `${tmp}/state`;
        await applyInProcess(emulator, state, files(['one']));
        emulator.control.queueFault({ kind: 'error502', endpoint: 'bulkGetAudiences', count: 20 });
        emulator.control.resetCounters();
        const failed = await applyInProcess(emulator, state, files(['one']), undefined, {
          refresh: true,
        }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failed).toBeInstanceOf(RefreshError);
        expect(failed).toMatchObject({ code: 'REFRESH_FAILED' });
        expect((failed as Error).message).toContain('cannot refresh the audiences of sandbox "prod"');
        expect(emulator.control.counters().byEndpoint.createAudience.requests).toBe(0);
        expect(emulator.control.listAudiences(ORG, 'prod')).toHaveLength(1);
      });
    });
  });

  it('a plan saved with --refresh applies the drift it saw (planned again from the same view)', async () => {
    await withExecutor({ admin: true }, async (env) => {
      const manifests = [manifestObject('solo', { ingestion: { onCreate: false } })];
      await env.apply(manifests);
      const record = (await env.store().readAll()).audiences[0];
      env.emulator.control.uiDeleteAudience(ORG, 'prod', record?.audienceId ?? '');
      const refresh = await readRefresh(
        loadManifestObjects(manifests),
        await env.store().readAll(),
        env.client,
        {
          now: Date.now(),
        },
      );
      const saved = await env.savedPlan(manifests, { refresh });
      expect(saved.origin?.options.refresh).toEqual(refresh);
      const outcome = await env.applySaved(saved, manifests);
      expect(outcomes(outcome)).toEqual(['create solo: applied']);
      const names = env.emulator.control.listAudiences(ORG, 'prod').map((a) => a.audienceName);
      expect(names).toEqual(['Audience solo']);
    });
  });
});
