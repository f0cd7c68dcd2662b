import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { holdCreates, interruptedCreate, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// A create whose POST may have landed (its answer lost, its apply killed) looked its name up and,
// finding nothing, POSTed again. A service shows an accepted create only once its operation
// succeeds (the emulator's operation delay; the apply waits up to 15 minutes for one): until
// then the lookup finds nothing, and a service that takes a second audience of a name
// (duplicateNames: accepted) made one, two audiences of one name (review crash-44, H-1). The
// create is now held, never sent again, until that wait has passed since its latest POST
// (AEP's clock), in either reading of the page: a service that refuses the name answers 409
// meanwhile anyway.

const gold = manifestObject('gold', { ingestion: { onCreate: false } });
const NAME = 'Audience gold';
const WAIT_MS = 15 * 60_000;

const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => `${r.step.id} ${r.status}`);
const posts = (env: ExecutorEnv) => env.emulator.control.counters().byEndpoint.createAudience?.requests ?? 0;
/** Creates of gold the service took, its audience listed or not yet. */
const made = (env: ExecutorEnv) =>
  env.emulator.control.listOperations(DEMO_CLIENT.orgId, 'prod').filter((o) => o.audienceName === NAME);
const listed = (env: ExecutorEnv) =>
  env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').filter((a) => a.audienceName === NAME);
/** AEP's clock moved on by `ms` (the emulator's; this machine's stays). */
const later = (env: ExecutorEnv, ms: number) =>
  env.emulator.control.updateSettings({
    clockOffsetMs: env.emulator.control.settings().clockOffsetMs + ms,
  });

describe.each(['accepted', 'refused'] as const)(
  'a create whose earlier POST may still land (duplicateNames: %s)',
  (duplicateNames) => {
    const options = { compat: { duplicateNames } };

    it('is held, not sent again, within the wait: one POST, one audience; adopted once listed', async () => {
      await withExecutor(options, async (env) => {
        const held = holdCreates(env);
        env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience', count: 1 });
        const first = await env.apply([gold]);
        // The lost answer's POST landed: the service took the create, not listed yet.
        expect(env.emulator.control.queuedFaults()).toEqual([]);
        expect({ posts: posts(env), made: made(env).length }).toEqual({ posts: 1, made: 1 });
        expect(statuses(first)).toEqual(['prod/gold:create blocked']);
        const message = first.report?.results[0]?.message ?? '';
        expect(message).toContain(`"${NAME}"`);
        expect(message).toContain('may still land');
        expect(message).toMatch(/not sent again before \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
        const record = await env.store().get('prod', 'gold');
        expect(record?.intent?.kind).toBe('create');
        expect(record?.blocked).toBeUndefined();

        // Later, still within the wait: held again, nothing sent.
        const second = await env.apply([gold]);
        expect(statuses(second)).toEqual(['prod/gold:create blocked']);
        expect({ posts: posts(env), made: made(env).length }).toEqual({ posts: 1, made: 1 });

        held.release();
        const third = await env.apply([gold]);
        expect(statuses(third)).toEqual(['prod/gold:create applied']);
        expect({ posts: posts(env), listed: listed(env).length }).toEqual({ posts: 1, listed: 1 });
        expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(listed(env)[0]?.audienceId);
      });
    });

    it('after the wait, a POST that made nothing is sent once', async () => {
      await withExecutor(options, async (env) => {
        // The POST's connection dropped before the service read it: nothing made, outcome unknown.
        env.emulator.control.queueFault({ kind: 'drop', endpoint: 'createAudience', count: 1 });
        const first = await env.apply([gold]);
        expect(statuses(first)).toEqual(['prod/gold:create blocked']);
        expect({ posts: posts(env), made: made(env).length }).toEqual({ posts: 1, made: 0 });

        later(env, WAIT_MS + 60_000);
        const second = await env.apply([gold]);
        expect(statuses(second)).toEqual(['prod/gold:create applied']);
        expect({ posts: posts(env), listed: listed(env).length }).toEqual({ posts: 2, listed: 1 });
        expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(listed(env)[0]?.audienceId);

        // Settled: nothing more is sent.
        const third = await env.apply([gold]);
        expect(statuses(third) ?? []).toEqual([]);
        expect(posts(env)).toBe(2);
      });
    });

    it('a repeat whose answer is lost too is held from its own time, not the first POST', async () => {
      await withExecutor(options, async (env) => {
        env.emulator.control.queueFault({ kind: 'drop', endpoint: 'createAudience', count: 1 });
        expect(statuses(await env.apply([gold]))).toEqual(['prod/gold:create blocked']);

        // After the wait the repeat is sent: it lands, its answer lost, not listed yet.
        later(env, WAIT_MS + 60_000);
        const held = holdCreates(env);
        env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience', count: 1 });
        expect(statuses(await env.apply([gold]))).toEqual(['prod/gold:create blocked']);
        expect({ posts: posts(env), made: made(env).length }).toEqual({ posts: 2, made: 1 });
        expect((await env.store().get('prod', 'gold'))?.pendingCreate?.repeated).toBeDefined();

        // The first POST's wait long past, the repeat's not: held, nothing sent.
        const next = await env.apply([gold]);
        expect(statuses(next)).toEqual(['prod/gold:create blocked']);
        expect({ posts: posts(env), made: made(env).length }).toEqual({ posts: 2, made: 1 });

        held.release();
        expect(statuses(await env.apply([gold]))).toEqual(['prod/gold:create applied']);
        expect({ posts: posts(env), listed: listed(env).length }).toEqual({ posts: 2, listed: 1 });
      });
    });
  },
);

describe('a repeat answered 409 after the wait (duplicateNames: refused)', () => {
  it('is neither success nor a refused create: the intent is kept, and the audience adopted once listed', async () => {
    await withExecutor({ compat: { duplicateNames: 'refused' } }, async (env) => {
      const held = holdCreates(env);
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience', count: 1 });
      expect(statuses(await env.apply([gold]))).toEqual(['prod/gold:create blocked']);

      // The service is slower to list it than the wait: the repeat is sent, and refused.
      later(env, WAIT_MS + 60_000);
      const second = await env.apply([gold]);
      expect(posts(env)).toBe(2);
      expect(statuses(second)).toEqual(['prod/gold:create failed']);
      expect(second.report?.results[0]?.message).toContain('(409)');
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent?.kind).toBe('create');
      expect(record?.blocked).toBeUndefined();
      expect(record?.audienceId).toBeUndefined();

      // Refused, the repeat made nothing: the wait still runs from the first POST, past.
      const again = await env.apply([gold]);
      expect(statuses(again)).toEqual(['prod/gold:create failed']);
      expect(posts(env)).toBe(3);

      held.release();
      const third = await env.apply([gold]);
      expect(statuses(third)).toEqual(['prod/gold:create applied']);
      expect({ posts: posts(env), made: made(env).length }).toEqual({ posts: 3, made: 1 });
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(listed(env)[0]?.audienceId);
    });
  });
});

// Two audiences of the name that could each be the one an earlier POST made (audiencectl's
// account, made since the create began, neither recorded nor run): the POST was sent again, and
// a service that takes duplicate names made a third.
describe("several audiences listed that could each be the create's own (duplicateNames: accepted)", () => {
  it('blocks the create, listing them: nothing sent again', async () => {
    await withExecutor({ compat: { duplicateNames: 'accepted' } }, async (env) => {
      // Begun 18 minutes ago: past the wait for its POST to show.
      await interruptedCreate(env, { startedAt: new Date(Date.now() - 18 * 60_000) });
      const own = `${DEMO_CLIENT.clientId}@techacct.adobe.com`;
      const make = () =>
        env.emulator.control.uiCreateAudience(DEMO_CLIENT.orgId, 'prod', gold.spec, own, {
          duplicateName: true,
        }).id;
      const ids = [make(), make()];
      const outcome = await env.apply([gold]);
      expect({ posts: posts(env), listed: listed(env).length }).toEqual({ posts: 0, listed: 2 });
      expect(statuses(outcome)).toEqual(['prod/gold:create blocked']);
      const message = outcome.report?.results[0]?.message ?? '';
      for (const id of ids) expect(message).toContain(id);
      expect(message).toContain('audiencectl state import gold');
      const record = await env.store().get('prod', 'gold');
      expect([record?.intent?.kind, record?.audienceId]).toEqual(['create', undefined]);
    });
  });
});
