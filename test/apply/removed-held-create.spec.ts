import { describe, expect, it } from 'vitest';
import { interruptedCreate, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// Review 46, crash: a removed manifest whose create was interrupted is not deleted; its plan's
// blocked forget says how to delete the audience: put the manifest back and apply, "the create
// is settled (its audience adopted, or created)", then remove it again. Within the 15 minutes
// after the create's POST (steps/create-hold.ts), with no audience of its own listed, that apply
// settles nothing: it holds the create (exit 3), and for a record that shows no time for the
// POST, holds it on every apply. The way out now says what that apply does.

const gold = manifestObject('gold', { ingestion: { onCreate: false } });
const silver = manifestObject('silver', { ingestion: { onCreate: false } });

const posts = (env: ExecutorEnv) => env.emulator.control.counters().byEndpoint.createAudience?.requests ?? 0;

async function forgetBlock(env: ExecutorEnv): Promise<string> {
  const step = (await env.plan([silver])).steps.find((s) => s.key === 'gold');
  expect(step?.kind).toBe('forget');
  return step?.blocked ?? '';
}

describe('the way out of a removed manifest whose create was interrupted', () => {
  it('says the apply with the manifest back holds the create while its POST may still land', async () => {
    await withExecutor({}, async (env) => {
      await env.apply([silver]);
      await interruptedCreate(env);

      const blocked = await forgetBlock(env);
      expect(blocked).not.toContain('the create is settled (its audience adopted, or created)');
      expect(blocked).toContain(
        'the create is settled: its audience adopted once the service lists it, else created once 15 minutes have passed since its earlier POST (until then that apply holds it, exit 3); then remove the manifest again, and the next apply deletes the audience.',
      );

      // What it said: with the manifest back, the apply holds the create, nothing sent (silver's
      // create alone).
      const back = await env.apply([silver, gold]);
      expect(back.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create blocked',
      ]);
      expect(posts(env)).toBe(1);
    });
  });

  it('for a record that shows no time for that POST: held on every apply, with state import / forget', async () => {
    await withExecutor({}, async (env) => {
      await env.apply([silver]);
      await interruptedCreate(env);
      const store = env.store();
      await store.lock();
      try {
        const record = await store.get('prod', 'gold');
        if (!record?.intent) throw new Error('set-up: no intent recorded');
        await store.put({ ...record, intent: { ...record.intent, startedAt: 'not a time' } });
      } finally {
        await store.unlock();
      }

      const blocked = await forgetBlock(env);
      expect(blocked).not.toContain('the create is settled (its audience adopted, or created)');
      expect(blocked).toContain(
        "its audience is adopted if the service lists it; else, its state record showing no time it can read (its intent's startedAt) for its earlier POST, every apply holds the create (exit 3): if that POST made the audience, find its id in AEP, then run: audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID, then remove the manifest again, and the next apply deletes the audience.",
      );

      const back = await env.apply([silver, gold]);
      expect(back.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create blocked',
      ]);
      // silver's create alone.
      expect(posts(env)).toBe(1);
    });
  });
});
