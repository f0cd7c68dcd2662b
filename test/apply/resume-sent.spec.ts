import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { EmulatorAudience } from '../../src/emulator/views.js';
import type { ManifestInput } from '../../src/manifest/schema.js';
import { holdCreates, interruptedCreate, withExecutor, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { holdAnswers } from './helpers/interrupted-apply.js';

// A create interrupted once it may have reached the service is finished as it was sent, even
// after the manifest changed: its audience is adopted under the name sent and recorded as that
// spec, and the next apply changes it to the manifest. Neither a second audience (a POST of the
// new name, which no 409 stops) nor a record of a spec never sent (the plan then says "No
// changes" to an audience that differs from the manifest).

const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => `${r.step.id} ${r.status}`);

function audiences(env: ExecutorEnv): EmulatorAudience[] {
  return env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
}

/** The live audience as the manifests spell it: name and each field's identity namespace, lower case. */
function shape(audience: EmulatorAudience | undefined) {
  return {
    name: audience?.audienceName,
    identities: audience?.fields.map((f) => [f.name, f.identityNs?.toLowerCase()]),
  };
}

function manifest(name: string, identityNs: string): ManifestInput {
  return manifestObject('gold', {
    metadata: { allowReplace: true },
    spec: {
      name,
      fields: [
        { name: 'email', type: 'string', identityNs },
        { name: 'tier', type: 'string', labels: ['core/C2'] },
      ],
    },
    ingestion: { onCreate: false },
  });
}

/** Applies `after` twice more: the resume, then the change to the manifest; then checks the end state. */
async function convergesOnOneAudience(env: ExecutorEnv, after: ManifestInput, sentName: string) {
  const resumed = await env.apply([after]);
  expect(statuses(resumed)).toEqual(['prod/gold:create applied']);
  const made = audiences(env);
  expect(made.map((a) => a.audienceName)).toEqual([sentName]);
  const adopted = await env.store().get('prod', 'gold');
  expect(adopted?.audienceId).toBe(made[0]?.audienceId);
  expect(adopted?.applied?.spec.name).toBe(sentName);
  expect(adopted?.pendingCreate).toBeUndefined();
  // The plan said what it did: the create sent before, not the manifest's.
  const step = resumed.plan.steps[0];
  expect(step?.reason).toContain(`sent "${sentName}"`);
  expect(step?.target?.spec.name).toBe(sentName);

  const changed = await env.apply([after]);
  expect(statuses(changed)).toEqual(['prod/gold:replace applied']);
  const live = audiences(env);
  expect(live).toHaveLength(1);
  expect(shape(live[0])).toEqual({
    name: after.spec.name,
    identities: [
      ['email', after.spec.fields[0]?.identityNs],
      ['tier', undefined],
    ],
  });
  const record = await env.store().get('prod', 'gold');
  expect(record?.audienceId).toBe(live[0]?.audienceId);
  expect(record?.applied?.spec.name).toBe(live[0]?.audienceName);
  expect(record?.applied?.spec.fields.map((f) => [f.name, f.identityNs])).toEqual(shape(live[0]).identities);
  expect((await env.plan([after])).steps).toEqual([]);
}

describe('a create resumed after the manifest changed', () => {
  it('its answer lost, then spec.name edited: the audience the lost POST made is adopted, and no second one is created', async () => {
    await withExecutor(undefined, async (env) => {
      // The first POST makes "Gold" and its answer is lost.
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      // Not listed when it is looked for: the create is held, nothing sent again
      // (steps/create-hold.ts).
      const held = holdCreates(env);
      const lost = await env.apply([manifest('Gold', 'email')]);
      held.release();
      expect(statuses(lost)).toEqual(['prod/gold:create blocked']);
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('create');
      expect(audiences(env).map((a) => a.audienceName)).toEqual(['Gold']);

      await convergesOnOneAudience(env, manifest('Gold Members', 'email'), 'Gold');
    });
  });

  /** An apply stopped (as a kill would) while it polls the create's operation: the POST was answered. */
  async function stopWhilePolling(env: ExecutorEnv, first: ManifestInput): Promise<void> {
    const stop = new AbortController();
    const poll = holdAnswers(env, 'getOperation');
    try {
      const stopped = env.apply([first], { signal: stop.signal });
      await poll.arrived;
      stop.abort();
      expect(statuses(await stopped)).toEqual(['prod/gold:create failed']);
    } finally {
      poll.stop();
    }
    const answered = await env.store().get('prod', 'gold');
    expect(answered?.operationId).toBeDefined();
    expect(answered?.audienceId).toBeUndefined();
    expect(answered?.intent).toBeUndefined();
  }

  it('stopped while its operation was polled, then its name and an identity namespace edited: the spec sent is recorded, and the next apply replaces it', async () => {
    await withExecutor(undefined, async (env) => {
      await stopWhilePolling(env, manifest('Silver', 'email'));
      await convergesOnOneAudience(env, manifest('Silver Members', 'phone'), 'Silver');
    });
  });

  it('its operation then unknown to the service, and spec.name edited: the audience is found under the name sent', async () => {
    await withExecutor(undefined, async (env) => {
      await stopWhilePolling(env, manifest('Silver', 'email'));
      const store = env.store();
      await store.lock();
      try {
        const answered = (await store.get('prod', 'gold'))!;
        await store.put({ ...answered, operationId: 'lost-operation' });
      } finally {
        await store.unlock();
      }
      await convergesOnOneAudience(env, manifest('Silver Members', 'email'), 'Silver');
    });
  });
});

describe('a create intent of an earlier release, which recorded only the hash of what it sent', () => {
  const posts = (env: ExecutorEnv) =>
    env.emulator.control.requestLog().filter((entry) => entry.endpoint === 'createAudience').length;

  it('of another spec than the manifest: blocked, with nothing sent', async () => {
    await withExecutor(undefined, async (env) => {
      await interruptedCreate(env, { specHash: '0123456789abcdef' });
      const outcome = await env.apply([manifest('Gold Members', 'email')]);
      expect(statuses(outcome)).toEqual(['prod/gold:create blocked']);
      expect(outcome.plan.steps[0]?.blocked).toContain('did not record its name');
      expect(posts(env)).toBe(0);
      expect((await env.store().get('prod', 'gold'))?.intent?.specHash).toBe('0123456789abcdef');
    });
  });

  it("of the manifest's spec: resumed as before, by sending it again", async () => {
    await withExecutor(undefined, async (env) => {
      const gold = manifest('Gold', 'email');
      const hash = (await env.plan([gold])).steps[0]?.target?.hash;
      // Begun 18 minutes ago: past the wait for its POST to show (steps/create-hold.ts).
      await interruptedCreate(env, { specHash: hash!, startedAt: new Date(Date.now() - 18 * 60_000) });
      const outcome = await env.apply([gold]);
      expect(statuses(outcome)).toEqual(['prod/gold:create applied']);
      expect(posts(env)).toBe(1);
      expect(audiences(env).map((a) => a.audienceName)).toEqual(['Gold']);
    });
  });
});
