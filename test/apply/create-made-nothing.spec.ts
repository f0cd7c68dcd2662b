import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import type { AppliedSpec, RunRecord } from '../../src/state/schema.js';
import { executorEnv, formerRun, lostOperation, type ExecutorEnv } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { expectFirstRunOwed, ONE_IN_SANDBOX } from '../helpers/replaced-env.js';
import { useEmulator } from '../helpers/with-emulator.js';

// A create taken as never made (its operation failed, or unknown to the service 15 minutes
// on, or its POST refused) drops the record, and the next apply creates the audience again.
// A record re-creating an audience deleted outside audiencectl keeps that audience's runs:
// they count against the sandbox's daily run budget (not the new audience's: another id).
// Dropped whole, the record lost them, and the re-create's first run could go over the
// budget. These keep them.

const ORG = DEMO_CLIENT.orgId;
const emulator = useEmulator({ operationDelayMs: 10, runStageDelayMs: 10 });
const gold = manifestObject('gold');

const dirs: string[] = [];
afterEach(async () => {
  emulator().control.reset();
  emulator().control.clearFaults();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function freshEnv(): Promise<ExecutorEnv> {
  const dir = await mkdtemp(path.join(tmpdir(), 'audiencectl-made-nothing-'));
  dirs.push(dir);
  return executorEnv(emulator(), dir);
}

const statuses = (outcome: Awaited<ReturnType<ExecutorEnv['apply']>>) =>
  outcome.report?.results.map((r) => `${r.step.id} ${r.status}`);

/**
 * gold created with its first run, then deleted in the UI; returns that run as the record keeps
 * it since, and what was applied of the deleted audience (the mark of its name, kept with it).
 */
async function deletedOutside(env: ExecutorEnv): Promise<{ former: RunRecord; mark: AppliedSpec }> {
  expect(statuses(await env.apply([gold]))).toEqual(['prod/gold:create applied', 'prod/gold:run applied']);
  const created = (await env.store().get('prod', 'gold'))!;
  expect(created.runs).toHaveLength(1);
  env.emulator.control.uiDeleteAudience(ORG, 'prod', created.audienceId!);
  return { former: { ...created.runs[0]!, formerAudienceId: created.audienceId! }, mark: created.applied! };
}

/** The record as the re-create began it: the former audience's runs and mark, and nothing of a create. */
const keptOnly = (runs: RunRecord[], mark?: AppliedSpec) => ({
  schemaVersion: 2 as const,
  sandbox: 'prod',
  key: 'gold',
  deletionPolicy: 'Delete' as const,
  manifestFile: 'gold.yaml',
  ...(mark ? { applied: mark } : {}),
  runs,
});

/**
 * The next apply creates gold; its first run waits while the sandbox's budget is spent by the
 * former audience's run, and is not held by the new audience's own budget (expectFirstRunOwed).
 */
async function expectRecreatedWithinBudget(env: ExecutorEnv, former: RunRecord): Promise<void> {
  const next = await env.apply([gold], { plan: ONE_IN_SANDBOX });
  expect(statuses(next)).toEqual(['prod/gold:create applied', 'prod/gold:run deferred']);
  expect(next.report?.results[1]?.message).toContain('sandbox "prod" has used its 1 runs of the last 24 h');
  const made = env.emulator.control.listAudiences(ORG, 'prod');
  expect(made).toHaveLength(1);
  expect(env.emulator.control.listRuns(ORG, 'prod', made[0]!.audienceId)).toEqual([]);
  const record = await env.store().get('prod', 'gold');
  expect(record?.audienceId).toBe(made[0]!.audienceId);
  expect(record?.runs).toEqual([former]);
  await expectFirstRunOwed(env, gold);
}

describe('a re-create that made nothing keeps the runs of the audience deleted outside audiencectl', () => {
  it('its create operation FAILED: the runs are kept, and the next apply creates it within the run budget', async () => {
    const env = await freshEnv();
    const { former, mark } = await deletedOutside(env);
    env.emulator.control.queueFault({ kind: 'operationFailure', endpoint: 'createAudience' });
    const failed = await env.apply([gold], { refresh: true });
    expect(statuses(failed)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
    expect(await env.store().get('prod', 'gold')).toEqual(keptOnly([former], mark));
    expect(failed.report?.results[0]?.message).toMatch(
      /^the service failed the create operation \S+: The audience could not be created \(injected operationFailure fault\)\.; the create is dropped from the record, which keeps the name of its deleted audience and its 1 run \(of a deleted audience: they count against the daily run budget\) and the next apply creates it again$/,
    );
    await expectRecreatedWithinBudget(env, former);
  });

  it('its POST refused (400): the runs are kept', async () => {
    const env = await freshEnv();
    const { former, mark } = await deletedOutside(env);
    // Refused in both shapes of sourceSpec: a 400 naming nothing sent is tried in the other.
    env.emulator.control.queueFault({
      kind: 'clientError',
      endpoint: 'createAudience',
      status: 400,
      count: 2,
    });
    const refused = await env.apply([gold], { refresh: true });
    expect(statuses(refused)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
    expect(await env.store().get('prod', 'gold')).toEqual(keptOnly([former], mark));
    expect(refused.report?.results[0]?.message).toMatch(
      /^create refused: .*; the create is dropped from the record, which keeps the name of its deleted audience and its 1 run \(of a deleted audience: they count against the daily run budget\)$/,
    );
  });

  it('its operation unknown to the service 15 minutes after the create answered: the runs are kept, the plan says so, and the next apply creates it within the run budget', async () => {
    const env = await freshEnv();
    const former = formerRun();
    await lostOperation(env.store(), new Date(Date.now() - 16 * 60_000), keptOnly([former]));
    const dropped = await env.apply([gold]);
    expect(statuses(dropped)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
    expect(await env.store().get('prod', 'gold')).toEqual(keptOnly([former]));
    expect(dropped.report?.results[0]?.message).toBe(
      'operation lost-operation is unknown to the service and no audience of that name appeared within 15 minutes; the create is dropped from the record, which keeps its 1 run (of a deleted audience: they count against the daily run budget) and the next apply creates it again',
    );
    const planned = await env.plan([gold]);
    expect(planned.steps.map((step) => `${step.kind} ${step.reason}`)).toEqual([
      'create the record holds no audience (only the runs of a former audience, kept for the daily run budget): create it',
      expect.stringMatching(/^run /),
    ]);
    await expectRecreatedWithinBudget(env, former);
  });

  it('a new audience whose create operation FAILED leaves no record, as before', async () => {
    const env = await freshEnv();
    env.emulator.control.queueFault({ kind: 'operationFailure', endpoint: 'createAudience' });
    const failed = await env.apply([gold]);
    expect(statuses(failed)).toEqual(['prod/gold:create failed', 'prod/gold:run skipped']);
    expect(failed.report?.results[0]?.message).toMatch(
      /; the record is dropped and the next apply creates it again$/,
    );
    expect(await env.store().get('prod', 'gold')).toBeUndefined();
  });
});
