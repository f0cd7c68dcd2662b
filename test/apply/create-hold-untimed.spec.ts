import { describe, expect, it } from 'vitest';
import { interruptedCreate, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';

// Review 45, L-2: a create whose earlier POST may still land is held until 15 minutes after that
// POST (steps/create-hold.ts). A record whose intent shows no time that can be read (a hand edit:
// an apply always writes one) was held "from now" on every apply, its "not sent again before"
// moving on each time, for ever, and nothing said why or what to do. The hold now says the record
// shows no time and names the way out: `state import` if the POST made the audience, else
// `state forget` and apply again.
// Review 46, crash L: `plan` of such a record said only "resume: the create was interrupted
// before its audience id was recorded", as if the apply would send it: it now says what the apply
// does (adopts the audience if listed, else holds the step and never sends the create again) and
// the same way out.

const gold = manifestObject('gold', { ingestion: { onCreate: false } });

const posts = (env: ExecutorEnv) => env.emulator.control.counters().byEndpoint.createAudience?.requests ?? 0;

/** gold's interrupted create, its intent's startedAt hand-edited to something that is no time. */
async function untimedCreate(env: ExecutorEnv): Promise<void> {
  await interruptedCreate(env);
  const store = env.store();
  await store.lock();
  try {
    const record = await store.get('prod', 'gold');
    const intent = record?.intent;
    if (!record || !intent) throw new Error('set-up: no intent recorded');
    await store.put({ ...record, intent: { ...intent, startedAt: 'yesterday, about noon' } });
  } finally {
    await store.unlock();
  }
}

describe('a create intent whose time cannot be read', () => {
  it('is held, nothing sent, saying the record shows no time and how to settle it', async () => {
    await withExecutor({}, async (env) => {
      await untimedCreate(env);

      for (const attempt of [1, 2]) {
        const outcome = await env.apply([gold]);
        const result = outcome.report?.results[0];
        expect(`${result?.step.id} ${result?.status}`, `apply ${attempt}`).toBe('prod/gold:create blocked');
        const message = result?.message ?? '';
        expect(message).toContain(
          "its state record shows no time it can read (its intent's startedAt) for that POST",
        );
        expect(message).toContain('no apply sends the create again');
        expect(message).toContain('audiencectl state import gold');
        expect(message).toContain('run: audiencectl state forget gold --sandbox prod');
        expect(message).not.toContain('not sent again before');
        expect(message).not.toContain('yesterday');
      }
      expect(posts(env)).toBe(0);
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('create');
    });
  });

  it('is planned as the apply then does it: adopted if listed, else held, never sent again, with the way out', async () => {
    await withExecutor({}, async (env) => {
      await untimedCreate(env);

      const step = (await env.plan([gold])).steps.find((s) => s.key === 'gold');
      expect(step?.kind).toBe('create');
      expect(step?.reason).toBe(
        "resume: the create was interrupted before its audience id was recorded; its state record shows no time it can read (its intent's startedAt) for its earlier POST, so the wait for that POST to show cannot be timed: the apply adopts the audience it made if the service lists it, else holds the step (exit 3) and never sends the create again; if that POST made the audience, find its id in AEP, then run: audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID (MANIFESTS_DIR: your manifests directory); if it made none, run: audiencectl state forget gold --sandbox prod and apply again",
      );

      // What the plan said is what the apply does: held, nothing sent.
      const outcome = await env.apply([gold]);
      expect(outcome.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create blocked',
      ]);
      expect(posts(env)).toBe(0);
    });
  });
});
