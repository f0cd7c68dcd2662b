import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RefreshError } from '../../src/apply/refresh.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { reply, startAlteringProxy, type AlteringProxy, type Answer } from '../helpers/altering-proxy.js';
import { executorEnv, holdCreates, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Successes of another shape (a gateway, another version of the service), sent by the
 * emulator through a proxy that alters them: none may be read as an answer. "Succeeded
 * without an id" is not "failed", "no list in the answer" is not "none found", and a
 * list that never ends is not a complete one.
 */
async function withAlteredExecutor(fn: (env: ExecutorEnv, proxy: AlteringProxy) => Promise<void>) {
  await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
    const proxy = await startAlteringProxy(emulator.url);
    const stateDir = await mkdtemp(path.join(tmpdir(), 'audiencectl-altered-'));
    try {
      await fn(executorEnv(emulator, stateDir, proxy.url), proxy);
    } finally {
      await proxy.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
}

const remote = (env: ExecutorEnv) => env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
const gold = manifestObject('gold', { ingestion: { onCreate: false } });
const isAudienceList = (answer: Answer) => answer.path === '/data/core/ups/audiences';

describe('answers of an unexpected shape are not answers', () => {
  it('an operation that says SUCCESS without an audience id: the create is not taken as failed', async () => {
    await withAlteredExecutor(async (env, proxy) => {
      proxy.alter(({ path: at, body }) => {
        const operation = body as Record<string, unknown>;
        if (!at.includes('/operations/') || operation['status'] !== 'SUCCESS') return undefined;
        return { ...operation, audienceId: undefined };
      });
      const first = await env.apply([gold]);
      expect(first.report?.results[0]).toMatchObject({ status: 'failed' });
      expect(first.report?.results[0]?.message).toMatch(/AEP_BAD_RESPONSE|unexpected body/);
      const kept = await env.store().get('prod', 'gold');
      expect(kept?.operationId).toEqual(expect.any(String));
      expect(kept?.blocked).toBeUndefined();

      // The service answers as the page shows again: the same operation gives the id.
      proxy.alter(undefined);
      const second = await env.apply([gold]);
      expect(second.report?.results[0]).toMatchObject({ status: 'applied' });
      expect(remote(env)).toHaveLength(1);
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(remote(env)[0]?.audienceId);
      expect(env.emulator.control.counters().byEndpoint.createAudience.requests).toBe(1);
    });
  });

  it('a bulk-get answer without results: the refresh fails, no audience is read as deleted', async () => {
    await withAlteredExecutor(async (env, proxy) => {
      await env.apply([gold]);
      const before = await env.store().get('prod', 'gold');
      expect(before?.audienceId).toEqual(expect.any(String));
      proxy.alter(({ path: at }) => (at.endsWith('/audiences/bulk-get') ? {} : undefined));
      const failed = await env.apply([gold], { refresh: true }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(RefreshError);
      expect(failed).toMatchObject({ code: 'REFRESH_FAILED' });
      expect((failed as Error).message).toMatch(/bulkGetAudiences.*unexpected body.*results/);
      expect(await env.store().get('prod', 'gold')).toEqual(before);
      expect(env.emulator.control.counters().byEndpoint.createAudience.requests).toBe(1);
    });
  });

  // After a lost create answer, the audience is ours to find by name; a list that cannot be
  // read must leave the create unresolved (retried next time), not blocked as someone else's.
  const lists: { name: string; alter: () => (answer: Answer) => unknown }[] = [
    {
      name: 'a list without children',
      alter: () => (answer) =>
        isAudienceList(answer) ? { _page: { totalCount: 0, pageSize: 0 } } : undefined,
    },
    {
      name: 'a list whose next page is the same page',
      alter: () => (answer) => {
        if (!isAudienceList(answer)) return undefined;
        const page = answer.body as { _page?: Record<string, unknown> };
        return { ...page, _page: { ...page._page, next: answer.query.get('start') ?? '0' } };
      },
    },
    {
      // A service that ignores `start`: the first page again and again, each naming a next one.
      name: 'a list that never ends',
      alter: () => {
        let first: unknown[] | undefined;
        return (answer) => {
          if (!isAudienceList(answer)) return undefined;
          const page = answer.body as { children: unknown[]; _page?: Record<string, unknown> };
          first ??= page.children;
          const start = Number(answer.query.get('start') ?? '0');
          return { children: first, _page: { ...page._page, next: String(start + 50) } };
        };
      },
    },
  ];

  it.each(lists)('after a lost create answer, $name: the create stays ours to resolve', async ({ alter }) => {
    await withAlteredExecutor(async (env, proxy) => {
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      proxy.alter(alter());
      const first = await env.apply([gold]);
      expect(first.report?.results[0]).toMatchObject({ status: 'failed' });
      const pending = await env.store().get('prod', 'gold');
      expect(pending?.blocked).toBeUndefined();
      expect(pending?.intent?.kind).toBe('create');

      proxy.alter(undefined);
      const second = await env.apply([gold]);
      expect(second.report?.results[0]?.message).toMatch(
        /adopted \S+, the audience an interrupted create made/,
      );
      expect(remote(env)).toHaveLength(1);
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(remote(env)[0]?.audienceId);
    });
  });

  // The run request answered by something other than the service: the service refused nothing,
  // and the step said it had ("the service refused the run: … something other than the API
  // answered").
  it('a run request a proxy answers with its own 404 page is no refusal of the service; the next apply starts the run once', async () => {
    await withAlteredExecutor(async (env) => {
      await env.apply([gold]);
      const requested = manifestObject('gold', { ingestion: { onCreate: false, request: 'r1' } });
      const runOf = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
        outcome.report!.results.find((r) => r.step.kind === 'run')!;

      env.emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'startRun' });
      const paged = runOf(await env.apply([requested]));
      expect(paged.status, paged.message).toBe('failed');
      expect(paged.message).toMatch(/^run request failed: .*HTTP 404 with a body of type text\/html/);
      expect(paged.message).not.toMatch(/refused/);
      expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod')).toEqual([]);
      expect((await env.store().get('prod', 'gold'))?.intent).toBeUndefined();

      const started = runOf(await env.apply([requested]));
      expect(started.status, started.message).toBe('applied');
      expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
    });
  });
});

describe('a read that misses an audience is not its deletion', () => {
  it('a refresh that does not see an audience: the 409 of the re-create shows it, the record is kept', async () => {
    await withAlteredExecutor(async (env, proxy) => {
      const withRun = manifestObject('gold');
      await env.apply([withRun]);
      const before = await env.store().get('prod', 'gold');
      expect(before?.audienceId).toEqual(expect.any(String));
      // The bulk-get answers in its documented shape, but without the audience (an inactive
      // one, a lagging replica, a batch cut short): its own lookup shows it, nothing to do.
      const bulkGetWithout = ({ path: at }: { path: string }) =>
        at.endsWith('/audiences/bulk-get') ? { results: {} } : undefined;
      proxy.alter(bulkGetWithout);
      expect((await env.apply([withRun], { refresh: true })).plan.steps).toEqual([]);
      // The lookup misses it too, and so does the list by its audienceId (asked after the
      // lookup's 404): the planner reads it as deleted outside and re-creates it.
      proxy.alter((request) => {
        if (request.method === 'GET' && request.path.startsWith('/data/core/ups/audiences/'))
          return reply(404, { title: 'Not Found', status: 404 });
        if (
          request.path === '/data/core/ups/audiences' &&
          request.query.getAll('property').some((p) => p.startsWith('audienceId=='))
        )
          return { children: [], _page: { totalCount: 0, pageSize: 0 } };
        return bulkGetWithout(request);
      });
      const outcome = await env.apply([withRun], { refresh: true });
      expect(outcome.plan.steps.map((step) => step.kind)).toEqual(['create', 'run']);
      const [create, run] = outcome.report!.results;
      expect(create).toMatchObject({ status: 'failed', audienceId: before?.audienceId });
      expect(create?.message).toMatch(/not re-created: .* its record is kept/);
      expect(run?.status).toBe('skipped');
      expect(await env.store().get('prod', 'gold')).toEqual(before);
      expect(remote(env)).toHaveLength(1);
      expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);

      // Seen again: in sync, nothing to do.
      proxy.alter(undefined);
      expect((await env.apply([withRun], { refresh: true })).plan.steps).toEqual([]);
    });
  });

  it('a delete whose id its operation just gave, which the Audiences API does not list yet: sent, not forgotten', async () => {
    await withAlteredExecutor(async (env, proxy) => {
      const silver = manifestObject('silver', { ingestion: { onCreate: false } });
      // Created, but the operation could not be read: the records hold operation ids only.
      env.emulator.control.queueFault({ kind: 'error500', endpoint: 'getOperation', count: 1000 });
      await env.apply([gold, silver]);
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBeUndefined();
      env.emulator.control.clearFaults();
      // The listing lags behind the operation: one audience lookup answers 404.
      proxy.alter(({ method, path: at }) =>
        method === 'GET' && at.startsWith('/data/core/ups/audiences/')
          ? reply(404, { title: 'Not Found', status: 404 })
          : undefined,
      );
      const goldId = remote(env).find((a) => a.audienceName === 'Audience gold')?.audienceId;
      const outcome = await env.apply([silver]);
      const removal = outcome.report!.results.find((r) => r.step.key === 'gold');
      expect(removal).toMatchObject({ status: 'applied', message: `deleted ${goldId}` });
      expect(remote(env).map((a) => a.audienceName)).toEqual(['Audience silver']);
      expect(await env.store().get('prod', 'gold')).toBeUndefined();
    });
  });

  // A runs list cut short (`_page.totalCount` above what it holds) without being asked to sort:
  // it may lack the newest run, the very one a lost run answer started.
  const cutLists = [
    { name: 'a service that sorts when asked', compat: {}, settled: 'applied' },
    {
      name: 'a service that refuses the parameters',
      compat: { runsListParams: 'refused' },
      settled: 'failed',
    },
  ] as const;

  it.each(cutLists)(
    'a bare runs list cut short, from $name: the lost run is not started twice',
    async (mode) => {
      await withAlteredExecutor(async (env, proxy) => {
        env.emulator.control.updateSettings({ compat: mode.compat });
        await env.apply([manifestObject('gold')]);
        const [onCreate] = env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod');
        proxy.alter(({ path: at, query, body }) => {
          if (!at.endsWith('/runs') || query.has('sortBy')) return undefined;
          const { runs } = body as { runs: { runId: string }[] };
          const oldest = runs.filter((run) => run.runId === onCreate?.runId);
          return { runs: oldest, _page: { limit: 1, count: 1, totalCount: runs.length } };
        });
        env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'startRun' });
        const requested = manifestObject('gold', { ingestion: { request: 'r1' } });
        const outcome = await env.apply([requested]);
        const run = outcome.report!.results.find((r) => r.step.kind === 'run')!;
        expect(run.status).toBe(mode.settled);
        if (mode.settled === 'failed') {
          expect(run.message).toMatch(/cannot tell whether the run request started a run/);
          expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('run');
          proxy.alter(undefined);
          await env.apply([requested]);
        }
        expect(env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod')).toHaveLength(2);
        const record = await env.store().get('prod', 'gold');
        expect(record?.intent).toBeUndefined();
        expect(record?.runs).toHaveLength(2);
        expect((await env.plan([requested])).steps).toEqual([]);
      });
    },
  );
});

/** A URL nothing listens on: every call to it is refused before it is sent. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('a call that was not sent says nothing about an earlier one', () => {
  it('a resumed create that cannot be sent keeps the intent of the POST that may have made the audience', async () => {
    await withAlteredExecutor(async (env) => {
      // The POST makes the audience and its answer is lost; the create is held while it may land
      // unlisted (steps/create-hold.ts).
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      const held = holdCreates(env);
      const first = await env.apply([gold]);
      held.release();
      expect(first.report?.results[0]?.message).toMatch(/may still land/);
      expect(env.emulator.control.listOperations(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('create');

      // The next apply cannot reach AEP at all (connection refused: provably nothing sent). IMS
      // answers: an IMS that cannot be reached stops the apply before any step (review 33b, L-2),
      // and the create step that cannot send its POST is what this asks about.
      const offline = executorEnv(env.emulator, env.stateDir, await deadUrl(), undefined, {
        imsUrl: env.emulator.imsUrl,
      });
      const second = await offline.apply([gold]);
      expect(second.report?.results[0]).toMatchObject({ status: 'failed' });
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('create');

      // Reachable again, and the audience listed: the intent proves it ours; adopted, not blocked.
      while (remote(env).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const third = await env.apply([gold]);
      expect(third.report?.results[0]?.message).toMatch(
        /adopted \S+, the audience an interrupted create made/,
      );
      expect(remote(env)).toHaveLength(1);
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(remote(env)[0]?.audienceId);
    });
  });
});
