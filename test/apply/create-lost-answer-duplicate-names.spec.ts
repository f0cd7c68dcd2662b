import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// The page's appendix lists 100950-409 "The audience already exists" and says nowhere that a
// name is unique. A create whose answer was lost (a gateway's 504 after the service made the
// audience, a killed apply) was resolved by POSTing it again, counting on a 409: a service that
// takes a second audience of a name (duplicateNames: accepted) got one, an orphan beside the
// recorded one. The name is now looked up before any repeated POST (steps/create-repeat.ts), and
// the audience the lost POST made is adopted (review crash-43, H-1).

const gold = manifestObject('gold', { ingestion: { onCreate: false } });
const ORG = DEMO_CLIENT.orgId;
// Creates done at once: the audience a lost POST made is listed by the time it is looked for.
const DUPLICATES = { operationDelayMs: 0, compat: { duplicateNames: 'accepted' as const } };

const named = (env: ExecutorEnv) =>
  env.emulator.control.listAudiences(ORG, 'prod').filter((a) => a.audienceName === 'Audience gold');

describe('a create whose answer was lost, on a service that takes duplicate names', () => {
  it('within one apply: one audience, recorded', async () => {
    await withExecutor(DUPLICATES, async (env) => {
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience', count: 1 });
      const outcome = await env.apply([gold]);
      const posts = env.emulator.control.counters().byEndpoint.createAudience.requests;
      // The lost answer landed: the service made the audience.
      expect(env.emulator.control.queuedFaults()).toEqual([]);
      const audiences = named(env);
      expect({ posts, audiences: audiences.length }).toEqual({ posts: 1, audiences: 1 });
      expect(outcome.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create applied',
      ]);
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(audiences[0]!.audienceId);
    });
  });

  it('an apply stopped with its POST landing: the next apply adopts it, no second audience', async () => {
    await withExecutor(DUPLICATES, async (env) => {
      const stop = new AbortController();
      const unobserve = env.emulator.control.observeRequests((request) => {
        if (request.endpoint === 'createAudience') stop.abort();
      });
      await env.apply([gold], { signal: stop.signal });
      unobserve();
      // The stop landed mid-create: the audience made, its intent open.
      expect(named(env)).toHaveLength(1);
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('create');

      const next = await env.apply([gold]);
      expect(next.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create applied',
      ]);
      const audiences = named(env);
      expect(audiences).toHaveLength(1);
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(audiences[0]!.audienceId);
    });
  });
});
