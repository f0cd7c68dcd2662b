import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { interruptedCreate, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// The Audiences API lists an audience only once its create operation has succeeded, while the
// service refuses a second create of its name (409) from the first POST on. A 409 for our own
// create (its intent open) with nothing listed under the name is "not listed yet", never "made
// outside audiencectl".

const gold = manifestObject('gold', { ingestion: { onCreate: false } });

const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => `${r.step.id} ${r.status}`);

async function listed(env: ExecutorEnv, count: number): Promise<void> {
  // A guard against a hang, not a claim about speed.
  const deadline = Date.now() + 60_000;
  while (env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod').length < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} audiences after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a 409 for our own create while its audience is not listed yet', () => {
  it('a lost create answer, its operation still PROCESSING: the intent is kept, and the next apply adopts the audience', async () => {
    // The retry's 409 comes within milliseconds; the operation takes a second.
    await withExecutor({ operationDelayMs: 1000 }, async (env) => {
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      const first = await env.apply([gold]);
      expect(statuses(first)).toEqual(['prod/gold:create failed']);
      expect(first.report?.results[0]?.message).toMatch(
        /\(409\).* and no audience of that name is listed yet; its intent is kept until .* and the next apply looks again$/,
      );
      const posts = env.emulator.control.requestLog().filter((entry) => entry.endpoint === 'createAudience');
      expect(posts.map((entry) => entry.status)).toEqual([0, 409]);
      const record = await env.store().get('prod', 'gold');
      expect(record?.intent?.kind).toBe('create');
      expect(record?.pendingCreate?.body.name).toBe('Audience gold');
      expect(record?.blocked).toBeUndefined();

      await listed(env, 1);
      const second = await env.apply([gold]);
      expect(statuses(second)).toEqual(['prod/gold:create applied']);
      expect(second.report?.results[0]?.message).toMatch(/^adopted /);
      const made = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(made.map((audience) => audience.createdBy)).toEqual([
        `${DEMO_CLIENT.clientId}@techacct.adobe.com`,
      ]);
      const adopted = await env.store().get('prod', 'gold');
      expect(adopted?.audienceId).toBe(made[0]?.audienceId);
      expect(adopted?.intent).toBeUndefined();
      expect(adopted?.blocked).toBeUndefined();
    });
  });

  it('15 minutes after the create began, still nothing listed: the record goes, as for an operation unknown to the service', async () => {
    await withExecutor(undefined, async (env) => {
      await interruptedCreate(env, { startedAt: new Date(Date.now() - 16 * 60_000) });
      // The name is held by a create whose operation will not finish during this test.
      env.emulator.control.setDelays({ operationDelayMs: 10 * 60_000 });
      const held = await env.emulator.request('POST', '/external-audience/', { body: gold.spec });
      expect(held.status).toBe(202);

      const outcome = await env.apply([gold]);
      expect(statuses(outcome)).toEqual(['prod/gold:create failed']);
      expect(outcome.report?.results[0]?.message).toMatch(
        /no audience of that name appeared within 15 minutes; the record is dropped and the next apply creates it again$/,
      );
      expect(await env.store().get('prod', 'gold')).toBeUndefined();
    });
  });
});
