import { describe, expect, it } from 'vitest';
import type { CompatSettings } from '../../src/emulator/index.js';
import { normaliseSpec } from '../../src/plan/normalise.js';
import { diffSpecs, patchBody } from '../../src/plan/diff.js';
import { withEmulator } from '../helpers/with-emulator.js';
import type { AepClientOptions } from '../../src/aep/options.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { clientFor as pinnedClient, failure, spec } from './helpers.js';

/** A client that knows nothing of the service's readings yet, unless told. */
function clientFor(emulator: RunningEmulator, overrides: AepClientOptions = {}) {
  return pinnedClient(emulator, { compat: {}, ...overrides });
}

/**
 * The client against services that each take one reading of the page where it allows two
 * (docs/emulator.md, "Readings of the page"); every behaviour must work in every mode.
 */
const modes: { name: string; compat: CompatSettings }[] = [
  { name: 'the default emulator (accepts both readings)', compat: {} },
  { name: 'plural operations path only', compat: { operationsPath: 'plural' } },
  { name: 'singular operations path only', compat: { operationsPath: 'singular' } },
  { name: 'sourceSpec under params only', compat: { sourceSpec: 'params' } },
  { name: 'flat sourceSpec only', compat: { sourceSpec: 'flat' } },
  { name: 'runs list without parameters', compat: { runsListParams: 'refused' } },
  { name: 'runs list without _page', compat: { runsListPage: 'omitted' } },
  {
    name: 'a bare runs list cut at its first page',
    compat: { runsListParams: 'refused', runsListPage: 'omitted', runsListCut: 'page' },
  },
  {
    name: 'a bare runs list paged at 20, linking the next page',
    compat: { runsListParams: 'refused', runsListCut: 'paged' },
  },
  {
    name: 'a bare runs list paged at 20, linking the next page, without _page',
    compat: { runsListParams: 'refused', runsListPage: 'omitted', runsListCut: 'paged' },
  },
  { name: 'PATCH of field labels as name + labels only', compat: { patchFields: 'labels-only' } },
  { name: 'run times in milliseconds refused', compat: { millisecondTimestamps: 'refused' } },
  { name: 'run times answered in milliseconds', compat: { runTimeUnit: 'milliseconds' } },
  { name: "a run's createdAt the audience's creation time", compat: { runCreatedAt: 'audience' } },
  { name: 'DELETE without a trailing slash only', compat: { deletePath: 'bare' } },
  { name: 'DELETE with a trailing slash only', compat: { deletePath: 'slash' } },
  { name: 'bulk-get without inactive audiences', compat: { bulkGetInactive: 'omitted' } },
  {
    name: 'inactive audiences listed only by audienceId or lifecycleState',
    compat: { listInactive: 'audienceId' },
  },
  { name: "a deleted audience's name held a while", compat: { deletedNames: 'held' } },
  { name: 'creation times in microseconds', compat: { creationTimeUnit: 'microseconds' } },
  { name: 'bulk-get naming unknown ids with a 404 entry', compat: { bulkGetMissing: 'status' } },
  { name: 'unset properties answered as null', compat: { absentFields: 'null' } },
  { name: 'audience lists counting the whole sandbox', compat: { audiencesTotalCount: 'sandbox' } },
  { name: 'audience lists paged by page index', compat: { audiencesPaging: 'page' } },
  { name: 'a lifecycleState filter refused', compat: { lifecycleStateFilter: 'refused' } },
  { name: 'audiences listed under ids of their own', compat: { audienceIds: 'distinct' } },
  { name: 'a second audience of a name accepted', compat: { duplicateNames: 'accepted' } },
  { name: 'a run start refused with 409 while one is in progress', compat: { runInProgress: '409' } },
  { name: 'ttlInDays answered as a string', compat: { ttlInDaysType: 'string' } },
  { name: 'the runs list keyed by runId', compat: { runsListShape: 'object' } },
  { name: 'a run in progress QUEUED, then IN_PROGRESS', compat: { runProgressStatus: 'queued' } },
  { name: 'a create and a run start answered 201', compat: { postStatus: '201' } },
  {
    name: 'a bare runs list served from start, naming no next page',
    compat: { runsListParams: 'refused', runsListCut: 'offset' },
  },
  {
    name: "flat sourceSpec only, errors saying only the appendix's text",
    compat: { sourceSpec: 'flat', errorDetail: 'appendix' },
  },
  {
    name: 'every strict reading at once',
    compat: {
      operationsPath: 'singular',
      sourceSpec: 'flat',
      runsListParams: 'refused',
      runsListPage: 'omitted',
      runsListCut: 'page',
      patchFields: 'labels-only',
      millisecondTimestamps: 'refused',
      deletePath: 'slash',
      runTimeUnit: 'milliseconds',
      runCreatedAt: 'audience',
      bulkGetInactive: 'omitted',
      listInactive: 'audienceId',
      deletedNames: 'held',
      creationTimeUnit: 'microseconds',
      bulkGetMissing: 'status',
      absentFields: 'null',
      errorDetail: 'appendix',
      audiencesTotalCount: 'sandbox',
      audiencesPaging: 'page',
      lifecycleStateFilter: 'refused',
      audienceIds: 'distinct',
      runInProgress: '409',
      ttlInDaysType: 'string',
      runsListShape: 'object',
      runProgressStatus: 'queued',
      postStatus: '201',
    },
  },
];

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 500; i += 1) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not reached');
}

describe.each(modes)('the client against $name', ({ compat }) => {
  it('creates, looks up, PATCHes field labels, runs, lists and deletes', async () => {
    await withEmulator({ compat, operationDelayMs: 20, runStageDelayMs: 10 }, async (emulator) => {
      const aep = clientFor(emulator);
      // The manifest writes the source flat, as the README's examples do.
      const body = spec({ sourceSpec: { path: 'crm/gold.csv', type: 'file' } });
      const createdFrom = Math.floor(Date.now() / 1000);
      const created = await aep.createAudience('prod', body);
      const operation = await until(
        () => aep.getOperation('prod', created.operationId),
        (op) => op.status !== 'PROCESSING',
      );
      expect(operation.status).toBe('SUCCESS');
      const audienceId = operation.audienceId ?? '';

      // A mixed-case custom namespace, and a label change on a field: only name + labels go out.
      const before = normaliseSpec(body);
      const after = normaliseSpec({
        ...body,
        fields: [
          { name: 'email', type: 'string', identityNs: 'email' },
          { name: 'tier', type: 'string', labels: ['core/C2', 'core/C3'] },
        ],
      });
      const patch = patchBody(diffSpecs(before, after), after);
      expect(patch).toEqual({ fields: [{ name: 'tier', labels: ['core/C2', 'core/C3'] }] });
      const view = await aep.patchAudience('prod', audienceId, patch);
      expect(view.audienceId).toBe(audienceId);
      const tier = emulator.control
        .listAudiences(emulator.client.orgId, 'prod')[0]
        ?.fields.find((field) => field.name === 'tier');
      expect(tier?.labels).toEqual(['core/C2', 'core/C3']);

      const runsFrom = Math.floor(Date.now() / 1000);
      const first = await aep.startRun('prod', audienceId, { dataFilterStartTime: 1000 });
      await until(
        () => aep.getRun('prod', audienceId, first.runId),
        (run) => run.status === 'SUCCESS',
      );
      const second = await aep.startRun('prod', audienceId, { dataFilterStartTime: 2000 });
      const runs = await aep.listRuns('prod', audienceId);
      // Both, newest first whatever order the service answers in (sorted here).
      expect(runs.map((run) => run.runId).sort()).toEqual([first.runId, second.runId].sort());
      const times = runs.map((run) => run.createdAt ?? 0);
      expect(times).toEqual([...times].sort((a, b) => b - a));
      // Epoch seconds, whatever unit the service answers in; the end the service filled in too.
      // A run's createdAt is its own time, or its audience's creation (`runCreatedAt: audience`).
      const runsTo = Math.ceil(Date.now() / 1000);
      const createdAtFrom = compat.runCreatedAt === 'audience' ? createdFrom : runsFrom;
      for (const time of [first.createdAt, second.createdAt, ...times]) {
        expect(time).toBeGreaterThanOrEqual(createdAtFrom);
        expect(time).toBeLessThanOrEqual(runsTo);
      }
      for (const time of runs.map((r) => r.dataFilterEndTime)) {
        expect(time).toBeGreaterThanOrEqual(runsFrom);
        expect(time).toBeLessThanOrEqual(runsTo);
      }

      await until(
        () => aep.getRun('prod', audienceId, second.runId),
        (run) => run.status === 'SUCCESS',
      );
      // The Audiences API: found by name; once deactivated in the UI, in the inactive list.
      expect((await aep.findAudiencesByName('prod', body.name)).map((a) => a.id)).toEqual([audienceId]);
      // A service that refuses the filter: its 400 every time, never "none".
      const inactive = async () =>
        compat.lifecycleStateFilter === 'refused'
          ? (await failure(aep.listInactiveAudiences('prod'))).status
          : (await aep.listInactiveAudiences('prod')).map((a) => a.id);
      const refused = compat.lifecycleStateFilter === 'refused';
      expect(await inactive()).toEqual(refused ? 400 : []);
      emulator.control.uiEditAudience(emulator.client.orgId, 'prod', audienceId, {
        lifecycleState: 'inactive',
      });
      expect(await inactive()).toEqual(refused ? 400 : [audienceId]);
      await aep.deleteAudience('prod', audienceId);
      expect(emulator.control.listAudiences(emulator.client.orgId, 'prod')).toEqual([]);
    });
  });
});

describe('remembered readings', () => {
  it('looks operations up at the other spelling after a 404, then only there', async () => {
    await withEmulator({ compat: { operationsPath: 'singular' }, operationDelayMs: 0 }, async (emulator) => {
      const aep = clientFor(emulator);
      const created = await aep.createAudience('prod', spec());
      emulator.control.resetCounters();
      await aep.getOperation('prod', created.operationId);
      await aep.getOperation('prod', created.operationId);
      const paths = emulator.control.requestLog().map((entry) => `${entry.status} ${entry.path}`);
      expect(paths).toEqual([
        `404 /data/core/ais/external-audiences/operations/${created.operationId}`,
        `200 /data/core/ais/external-audience/operations/${created.operationId}`,
        `200 /data/core/ais/external-audience/operations/${created.operationId}`,
      ]);
      expect(aep.compat().operationsPath).toBe('singular');

      // A new client told what the last one learned goes straight to the right path.
      const next = clientFor(emulator, { compat: { remembered: aep.compat() } });
      emulator.control.resetCounters();
      await next.getOperation('prod', created.operationId);
      expect(emulator.control.counters().byEndpoint.getOperation.requests).toBe(1);
    });
  });

  it('an unknown operation is a 404 at both spellings', async () => {
    await withEmulator({}, async (emulator) => {
      const aep = clientFor(emulator);
      const error = await failure(aep.getOperation('prod', 'no-such-operation'));
      expect(error.status).toBe(404);
      expect(emulator.control.counters().byEndpoint.getOperation.byStatus).toEqual({ '404': 2 });
    });
  });

  it('sends sourceSpec under params, flat once after a 400 naming it, then flat in that sandbox only', async () => {
    await withEmulator({ compat: { sourceSpec: 'flat' } }, async (emulator) => {
      const aep = clientFor(emulator);
      await aep.createAudience('prod', spec());
      await aep.createAudience('prod', spec());
      await aep.createAudience('dev', spec());
      expect(emulator.control.counters().byEndpoint.createAudience.byStatus).toEqual({ '400': 2, '202': 3 });
      expect(aep.compat().sourceSpec).toEqual({ prod: 'flat', dev: 'flat' });
    });
  });

  it('api.sourceSpecShape overrides: flat is sent flat, and a refusal is not retried', async () => {
    await withEmulator({ compat: { sourceSpec: 'params' } }, async (emulator) => {
      const aep = clientFor(emulator, { compat: { sourceSpecShape: 'flat' } });
      const error = await failure(aep.createAudience('prod', spec()));
      expect(error.status).toBe(400);
      expect(error.details.map((item) => item.path)).toEqual(['sourceSpec.params']);
      expect(emulator.control.counters().byEndpoint.createAudience.requests).toBe(1);
    });
  });

  it('DELETEs at the other spelling after a 404, then only there; gone is a 404 at both', async () => {
    await withEmulator({ compat: { deletePath: 'slash' } }, async (emulator) => {
      const aep = clientFor(emulator);
      const first = await emulator.createAudience(spec({ name: 'First' }));
      const second = await emulator.createAudience(spec({ name: 'Second' }));
      emulator.control.resetCounters();
      await aep.deleteAudience('prod', first);
      await aep.deleteAudience('prod', second);
      expect(aep.compat().deletePath).toBe('slash');
      const deleted = await failure(aep.deleteAudience('prod', second));
      expect(deleted.status).toBe(404);
      const paths = emulator.control
        .requestLog()
        .filter((entry) => entry.endpoint === 'deleteAudience')
        .map((entry) => `${entry.status} ${entry.path}`);
      expect(paths).toEqual([
        `404 /data/core/ais/external-audience/${first}`,
        `204 /data/core/ais/external-audience/${first}/`,
        `204 /data/core/ais/external-audience/${second}/`,
        `404 /data/core/ais/external-audience/${second}/`,
        `404 /data/core/ais/external-audience/${second}`,
      ]);
      expect(emulator.control.listAudiences(emulator.client.orgId, 'prod')).toEqual([]);

      // A new client told what this one learned goes straight to the right spelling.
      const third = await emulator.createAudience(spec({ name: 'Third' }));
      const next = clientFor(emulator, { compat: { remembered: aep.compat() } });
      emulator.control.resetCounters();
      await next.deleteAudience('prod', third);
      expect(emulator.control.counters().byEndpoint.deleteAudience.byStatus).toEqual({ '204': 1 });
    });
  });

  it('lists runs without parameters unless the service took them before; a 400 falls back to the bare list', async () => {
    await withEmulator({ compat: { runsListParams: 'refused' } }, async (emulator) => {
      const aep = clientFor(emulator);
      const id = await emulator.createAudience(spec());
      await aep.listRuns('prod', id);
      expect(emulator.control.requestLog().at(-1)?.status).toBe(200);

      const told = clientFor(emulator, { compat: { remembered: { runsListParams: 'accepted' } } });
      emulator.control.resetCounters();
      expect(await told.listRuns('prod', id)).toEqual([]);
      await told.listRuns('prod', id);
      expect(emulator.control.counters().byEndpoint.listRuns.byStatus).toEqual({ '400': 1, '200': 2 });
      expect(told.compat().runsListParams).toBe('refused');
    });
  });
});

describe('the emulator modes behave the other way', () => {
  it.each([
    ['bare', 204, 404],
    ['slash', 404, 204],
    ['both', 204, 204],
  ] as const)(
    'serves DELETE with deletePath %s: without a slash %i, with one %i',
    async (deletePath, bare, slash) => {
      await withEmulator({ compat: { deletePath } }, async (emulator) => {
        const one = await emulator.createAudience(spec({ name: 'One' }));
        const two = await emulator.createAudience(spec({ name: 'Two' }));
        const statuses = [
          (await emulator.request('DELETE', `/external-audience/${one}`)).status,
          (await emulator.request('DELETE', `/external-audience/${two}/`)).status,
        ];
        expect(statuses).toEqual([bare, slash]);
      });
    },
  );

  it('refuses a field PATCH that repeats type and namespace when labels-only', async () => {
    await withEmulator({ compat: { patchFields: 'labels-only' } }, async (emulator) => {
      const id = await emulator.createAudience(spec());
      const response = await emulator.request('PATCH', `/external-audience/${id}`, {
        body: { fields: [{ name: 'email', type: 'string', identityNs: 'email', labels: ['core/C1'] }] },
      });
      expect(response.status).toBe(422);
      expect(response.text).toContain('fields[0].type');
    });
  });
});
