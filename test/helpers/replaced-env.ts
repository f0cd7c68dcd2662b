import { expect } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { RunRecord } from '../../src/state/schema.js';
import { importAudience } from '../../src/state/repair.js';
import type { StateStore } from '../../src/state/store.js';
import type { ExecutorEnv } from './executor-env.js';
import { manifestObject } from './manifests.js';

// A replace of gold (test/apply/replace-runs.spec.ts, replace-kill.spec.ts): gold is created
// with its first run, then replaced (a new source cannot be PATCHed), and the record of the
// new audience must keep the deleted audience's run for the daily run budget only.

export const ORG = DEMO_CLIENT.orgId;
/** gold, created with its first run. */
export const gold = manifestObject('gold');
/** A new source cannot be PATCHed: a replace, allowed by the manifest. */
export const moved = manifestObject('gold', {
  metadata: { allowReplace: true },
  spec: {
    sourceSpec: { path: 'exports/gold-v2.csv', type: 'file', sourceType: 'Cloud Storage', cloudType: 'DLZ' },
  },
});
/** One run a day in the sandbox: the deleted audience's run of the last 24 h uses it up. */
export const ONE_IN_SANDBOX = { runBudget: { perSandboxPerDay: 1, perAudiencePerDay: 10 } };
/** One run a day per audience: the service counts per audience id, and the new audience has another. */
export const ONE_PER_AUDIENCE = { runBudget: { perSandboxPerDay: 100, perAudiencePerDay: 1 } };

export const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => `${r.step.id} ${r.status}`);

export const remote = (env: ExecutorEnv) => env.emulator.control.listAudiences(ORG, 'prod');

/** gold created with its first run; returns that run as a replace must keep it, with the audience's id. */
export async function createdWithRun(env: ExecutorEnv): Promise<{ former: RunRecord; oldId: string }> {
  expect(statuses(await env.apply([gold]))).toEqual(['prod/gold:create applied', 'prod/gold:run applied']);
  const record = (await env.store().get('prod', 'gold'))!;
  const oldId = record.audienceId!;
  const [run, ...more] = env.emulator.control.listRuns(ORG, 'prod', oldId);
  expect(more).toEqual([]);
  expect(record.runs.map((r) => r.runId)).toEqual([run!.runId]);
  return { former: { ...record.runs[0]!, formerAudienceId: oldId }, oldId };
}

/** The one audience the sandbox holds, not `oldId`, and gold's record names it and holds `former` only. */
export async function expectNewAudienceWith(
  env: ExecutorEnv,
  oldId: string,
  former: RunRecord,
): Promise<void> {
  const [made, ...others] = remote(env);
  expect(others).toEqual([]);
  expect(made?.audienceId).not.toBe(oldId);
  expect(made?.sourceSpec).toMatchObject({ path: 'exports/gold-v2.csv' });
  const record = await env.store().get('prod', 'gold');
  expect(record?.audienceId).toBe(made?.audienceId);
  expect(record?.intent).toBeUndefined();
  expect(record?.runs).toEqual([former]);
  expect(env.emulator.control.listRuns(ORG, 'prod', made!.audienceId)).toEqual([]);
}

/**
 * The next plan owes the new audience its first run, from time 0: the deleted audience's run
 * counts against the sandbox's budget (one a day: deferred), not against the new audience's
 * own (one a day: not deferred, it has run none).
 */
export async function expectFirstRunOwed(env: ExecutorEnv, manifest = moved): Promise<void> {
  const steps = async (options: typeof ONE_IN_SANDBOX) =>
    (await env.plan([manifest], options)).steps.map((s) => [s.id, s.run, s.deferred]);
  const first = { reason: 'onCreate', dataFilterStartTime: 0 };
  expect(await steps(ONE_PER_AUDIENCE)).toEqual([['prod/gold:run', first, undefined]]);
  expect(await steps(ONE_IN_SANDBOX)).toEqual([
    ['prod/gold:run', first, 'sandbox "prod" has used its 1 runs of the last 24 h'],
  ]);
}

/**
 * The state a kill -9 during the replace's DELETE leaves (the DELETE reached the service, its
 * answer never came back): the replace's delete intent, the audience gone. `runsAgeSeconds`
 * ages gold's runs first (older than the budget window: none left to keep).
 */
export async function killedDuringDelete(env: ExecutorEnv, oldId: string, runsAgeSeconds = 0): Promise<void> {
  const store = env.store();
  await store.lock();
  const live = (await store.get('prod', 'gold'))!;
  const aged = { ...live, runs: live.runs.map((r) => ({ ...r, createdAt: r.createdAt - runsAgeSeconds })) };
  await store.beginIntent(await store.put(aged), 'delete', { forReplace: true });
  await store.close();
  const deleted = await env.emulator.request('DELETE', `/external-audience/${oldId}`);
  expect(deleted.status).toBeLessThan(300);
  expect(remote(env)).toEqual([]);
}

/**
 * What `audiencectl state import gold <dir> --sandbox prod --audience-id <audienceId>` does to
 * `store` (locked), for an audience made as `moved` says.
 */
export async function importGold(store: StateStore, audienceId: string): Promise<void> {
  await importAudience(store, {
    sandbox: 'prod',
    key: 'gold',
    audienceId,
    force: false,
    imported: { at: new Date().toISOString(), name: moved.spec.name },
    manifestFile: 'gold.yaml',
  });
}
