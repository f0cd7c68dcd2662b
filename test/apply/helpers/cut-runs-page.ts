import { expect } from 'vitest';
import { DEMO_CLIENT } from '../../../src/emulator/index.js';
import type { ExecutorEnv } from '../../helpers/executor-env.js';
import { manifestObject } from '../../helpers/manifests.js';

const DAY_MS = 86_400_000;

/**
 * A service that refuses limit/sortBy and lists an audience's runs oldest first, cut at 20,
 * counting them (`_page.totalCount`), its guardrail raised to `perAudience` runs of an audience;
 * and a plan whose run budget allows that many a day (twice that in the sandbox).
 */
export function cutRunsPage(perAudience: number) {
  return {
    service: {
      runStageDelayMs: 0,
      guardrails: { runsPerAudience: perAudience },
      compat: { runsListParams: 'refused', runsListCut: 'page' },
    },
    plan: { runBudget: { perSandboxPerDay: 2 * perAudience, perAudiencePerDay: perAudience } },
  } as const;
}

/** The runs of the sandbox's (one) audience, oldest first, as the emulator holds them. */
export function runsOf(env: ExecutorEnv) {
  const [audience] = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  if (!audience) throw new Error('no audience');
  return env.emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audience.audienceId);
}

/** Applies gold with ingestion.request `request`; its run step's result. */
export async function requestRun(env: ExecutorEnv, plan: object, request: string) {
  const applied = await env.apply([manifestObject('gold', { ingestion: { request } })], { plan });
  return applied.report!.results.find((r) => r.step.kind === 'run')!;
}

/**
 * gold applied (its first run at the create), then `count` runs requested (r1, r2, …), each
 * applied; `daily`: each a day after the one before in the service's clock, as an `every: 1d`
 * audience runs (the record keeps its newest 20 runs and those of the last day).
 */
export async function goldWithRuns(
  env: ExecutorEnv,
  plan: object,
  count: number,
  { daily = false } = {},
): Promise<void> {
  await env.apply([manifestObject('gold')], { plan });
  for (let index = 1; index <= count; index += 1) {
    if (daily) env.emulator.control.updateSettings({ clockOffsetMs: index * DAY_MS });
    const step = await requestRun(env, plan, `r${index}`);
    expect(`${index}: ${step.status}`).toBe(`${index}: applied`);
  }
  expect(runsOf(env)).toHaveLength(count + 1);
}

/** Sets the service's clock `days` days ahead of this one. */
export function daysLater(env: ExecutorEnv, days: number): void {
  env.emulator.control.updateSettings({ clockOffsetMs: days * DAY_MS });
}

/**
 * The service switches to the bare runs list only (`{ "runs": [...] }`, no `_page`), limit/sortBy
 * refused, cut as `runsListCut` says (`offset`: 20 a page from `start`, naming no next page).
 */
export function bareRunsListOnly(env: ExecutorEnv, runsListCut: 'offset' | 'whole'): void {
  env.emulator.control.updateSettings({
    compat: { runsListParams: 'refused', runsListPage: 'omitted', runsListCut },
  });
}

type Listed = { runs: { runId: string }[]; _page?: unknown; _links?: unknown };

/** The first audience's runs list as the service answers it, with `query` (`?start=20`). */
export async function bareRunsList(env: ExecutorEnv, query = ''): Promise<Listed> {
  const { audienceId } = runsOf(env)[0]!;
  const listed = await env.emulator.request('GET', `/external-audience/${audienceId}/runs${query}`);
  expect(listed.status).toBe(200);
  return listed.body as Listed;
}
