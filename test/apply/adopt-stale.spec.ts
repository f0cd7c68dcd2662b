import { describe, expect, it } from 'vitest';
import { readLive } from '../../src/apply/live.js';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { loadManifestObjects, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { options } from '../helpers/planning.js';
import { audienceBody } from '../helpers/with-emulator.js';

const ORG = DEMO_CLIENT.orgId;
const adopting = [manifestObject('gold', { metadata: { adopt: true }, ingestion: { onCreate: false } })];

/** What the UI does to the audience between `plan --out plan.json` and `apply plan.json`. */
const CHANGES: Array<[string, (env: ExecutorEnv, id: string) => void, RegExp]> = [
  ['deleted', (env, id) => env.emulator.control.uiDeleteAudience(ORG, 'prod', id), /no longer exists/],
  [
    'renamed',
    (env, id) => env.emulator.control.uiEditAudience(ORG, 'prod', id, { name: 'Audience platinum' }),
    /now named "Audience platinum"/,
  ],
];

describe('apply plan.json adopts only the audience the plan saw, as it still is', () => {
  it.each(CHANGES)(
    'an audience %s in the UI since the plan: not adopted, nothing recorded',
    async (_label, change, why) => {
      await withExecutor(undefined, async (env) => {
        const theirs = env.emulator.control.uiCreateAudience(
          ORG,
          'prod',
          audienceBody({ name: 'Audience gold' }),
        );
        const planOptions = options({ now: Math.floor(Date.now() / 1000), adopt: false });
        const live = await readLive(
          loadManifestObjects(adopting),
          await env.store().readAll(),
          planOptions,
          env.client,
          {
            refresh: false,
            now: Date.now(),
          },
        );
        const saved = await env.savedPlan(adopting, live);
        expect(saved.steps.map((step) => [step.id, step.audienceId])).toEqual([
          ['prod/gold:adopt', theirs.id],
        ]);

        change(env, theirs.id);
        env.emulator.control.resetCounters();
        const outcome = await env.applySaved(saved, adopting);
        const [result] = outcome.report?.results ?? [];
        expect(result?.status).toBe('blocked');
        expect(result?.message).toMatch(why);
        expect(env.emulator.control.counters().byEndpoint.patchAudience.requests).toBe(0);
        expect(await env.store().get('prod', 'gold')).toBeUndefined();
      });
    },
  );
});
