import { describe, expect, it } from 'vitest';
import { withEmulator } from '../helpers/with-emulator.js';
import { clientFor, spec } from './helpers.js';

/**
 * The page's samples never show a property that is not set: a service whose JSON writer keeps
 * unset properties answers them as `null` (`"audienceId": null` on an operation still
 * PROCESSING, `"description": null` on an audience without one). The emulator's
 * `absentFields: null` answers so; the client reads a null as the property absent.
 */
describe('optional properties answered as null (absentFields: null)', () => {
  it('creates, waits for the operation, PATCHes, runs, lists, bulk-gets and deletes', async () => {
    await withEmulator(
      { compat: { absentFields: 'null' }, operationDelayMs: 600_000, runStageDelayMs: 10 },
      async (emulator) => {
        // Raw: the emulator does answer nulls where a property is not set.
        const body = spec({ description: undefined, labels: undefined });
        const aep = clientFor(emulator, { compat: {} });
        const created = await aep.createAudience('prod', body);
        const processing = await emulator.request(
          'GET',
          `/external-audiences/operations/${created.operationId}`,
        );
        expect(processing.body).toMatchObject({ status: 'PROCESSING', audienceId: null });

        // The client reads the PROCESSING answer (audienceId null) as one without an id yet.
        const first = await aep.getOperation('prod', created.operationId);
        expect(first.status).toBe('PROCESSING');
        expect(first.audienceId).toBeUndefined();
        // Held PROCESSING until let go: no clock decides what the first lookup sees.
        emulator.control.finishOperation(emulator.client.orgId, 'prod', created.operationId);
        const operation = await aep.getOperation('prod', created.operationId);
        expect(operation.status).toBe('SUCCESS');
        const audienceId = operation.audienceId ?? '';

        // An audience without a description or labels: null in the PATCH answer.
        const view = await aep.patchAudience('prod', audienceId, { ttlInDays: 45 });
        expect(view).toMatchObject({ audienceId, ttlInDays: 45 });
        expect(view.description).toBeUndefined();

        const run = await aep.startRun('prod', audienceId, { dataFilterStartTime: 1000 });
        let status = await aep.getRun('prod', audienceId, run.runId);
        for (let i = 0; i < 500 && status.status !== 'SUCCESS'; i += 1) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          status = await aep.getRun('prod', audienceId, run.runId);
        }
        expect(status.status).toBe('SUCCESS');
        expect(status.failureReason).toBeUndefined();
        expect((await aep.listRuns('prod', audienceId)).map((r) => r.runId)).toEqual([run.runId]);

        expect((await aep.findAudiencesByName('prod', body.name)).map((a) => a.id)).toEqual([audienceId]);
        // An id the sandbox does not hold is answered with a null entry: looked up on its own, gone.
        const found = await aep.bulkGetAudiences('prod', [audienceId, 'no-such-audience']);
        expect(found.get(audienceId)?.id).toBe(audienceId);
        expect(found.has('no-such-audience')).toBe(true);
        expect(found.get('no-such-audience')).toBeUndefined();

        await aep.deleteAudience('prod', audienceId);
        expect(emulator.control.listAudiences(emulator.client.orgId, 'prod')).toEqual([]);
      },
    );
  });
});
