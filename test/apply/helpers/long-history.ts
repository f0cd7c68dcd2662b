import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { DEMO_CLIENT } from '../../../src/emulator/index.js';
import { emulatorEnv } from '../../helpers/apply-env.js';
import { runCliInProcess } from '../../helpers/cli-in-process.js';
import { manifestYaml } from '../../helpers/manifests.js';
import type { TestEmulator } from '../../helpers/with-emulator.js';
import { applyInProcess } from './in-process.js';

const HOUR_MS = 3_600_000;

/**
 * A service that refuses the runs list's commented-out limit/sortBy and lists the bare list
 * oldest first, cut at 20, counting the runs (`_page.totalCount`, emulator `runsListCut: page`).
 */
export const LONG_HISTORY_SERVICE = {
  operationDelayMs: 10,
  runStageDelayMs: 0,
  // Tokens outlive the clock's moves between the runs of the history.
  tokenLifetimeSeconds: 7 * 86_400,
  guardrails: { runsPerAudience: 50, runsPerDayPerSandbox: 100 },
  compat: { runsListParams: 'refused', runsListCut: 'page' },
} as const;

/**
 * gold made by another tool (its own state), then `count` runs of it, an hour apart, the last an
 * hour ago (the clock moved back for them and restored); its id.
 */
export async function goldWithRuns(emulator: TestEmulator, tmp: string, count: number): Promise<string> {
  const other = path.join(tmp, 'other');
  await mkdir(other);
  const { clockOffsetMs } = emulator.control.updateSettings({});
  emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs - (count + 1) * HOUR_MS });
  await applyInProcess(emulator, other, {
    'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
  });
  const [audience] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  const audienceId = audience!.audienceId;
  for (let index = 0; index < count; index += 1) {
    emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs - (count - index) * HOUR_MS });
    const started = await emulator.request('POST', `/external-audience/${audienceId}/runs`, {
      body: { dataFilterStartTime: index },
    });
    expect(`${started.status} ${started.text}`).toMatch(/^200 /);
  }
  emulator.control.updateSettings({ clockOffsetMs });
  return audienceId;
}

/** gold with 25 runs over the last day (goldWithRuns), listed 20 of a count of 25; its id. */
export async function goldWithHistory(emulator: TestEmulator, tmp: string): Promise<string> {
  const audienceId = await goldWithRuns(emulator, tmp, 25);
  const listed = await emulator.request('GET', `/external-audience/${audienceId}/runs`);
  expect((listed.body as { runs: unknown[] }).runs).toHaveLength(20);
  expect((listed.body as { _page: { totalCount: number } })._page.totalCount).toBe(25);
  return audienceId;
}

/** The run step's `status: message` of an apply of gold requesting run r1. */
export async function requestedRun(emulator: TestEmulator, state: string): Promise<string> {
  const applied = await applyInProcess(emulator, state, {
    'gold.yaml': manifestYaml('gold', { ingestion: { request: 'r1' } }),
  });
  const step = applied.report!.results.find((r) => r.step.kind === 'run')!;
  return `${step.status}: ${step.message}`;
}

/**
 * The team's repository (tmp/audiences, gold.yaml) and directory store (tmp/state), gold
 * imported there as `audienceId` by `state import` with credentials; the store's path.
 */
export async function importedGold(emulator: TestEmulator, tmp: string, audienceId: string): Promise<string> {
  const dir = path.join(tmp, 'audiences');
  const state = path.join(tmp, 'state');
  await mkdir(dir);
  await mkdir(state);
  await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold'));
  const imported = await runCliInProcess(
    ['state', 'import', 'gold', dir, '--audience-id', audienceId, '--state', state],
    { env: emulatorEnv(emulator) },
  );
  expect(`${imported.code} ${imported.stderr}`).toBe('0 ');
  return state;
}
