import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { applyInProcess } from './helpers/in-process.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

// Review runs-41 H-1: a team takes over an audience that has run for weeks (25 runs) by
// `state import --discover` or by adoption (`metadata.adopt: true`) rather than by plain
// `state import --audience-id`. The service refuses the runs list's commented-out limit/sortBy
// and lists the bare list oldest first, cut at 20, counting the runs (`_page.totalCount`,
// emulator `runsListCut: page`). Plain import records the service's count (imported.runsCounted)
// so that the runs past the page are read as history; discovery and adoption do not, so every
// run step of the audience is blocked, for good ("the 5 past the page are not all runs this
// state store records"), though nothing has run since it was taken over.

const HOUR_MS = 3_600_000;

const SERVICE = {
  operationDelayMs: 10,
  runStageDelayMs: 0,
  // Tokens outlive the clock's moves between the runs of the history.
  tokenLifetimeSeconds: 7 * 86_400,
  guardrails: { runsPerAudience: 50, runsPerDayPerSandbox: 100 },
  compat: { runsListParams: 'refused', runsListCut: 'page' },
} as const;

/** gold made by another tool (its own state), with 25 runs over the last day; its id. */
async function goldWithHistory(emulator: TestEmulator, tmp: string): Promise<string> {
  const other = path.join(tmp, 'other');
  await mkdir(other);
  const { clockOffsetMs } = emulator.control.updateSettings({});
  emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs - 26 * HOUR_MS });
  await applyInProcess(emulator, other, {
    'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
  });
  const [audience] = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
  const audienceId = audience!.audienceId;
  for (let index = 0; index < 25; index += 1) {
    emulator.control.updateSettings({ clockOffsetMs: clockOffsetMs - (25 - index) * HOUR_MS });
    const started = await emulator.request('POST', `/external-audience/${audienceId}/runs`, {
      body: { dataFilterStartTime: index },
    });
    expect(`${started.status} ${started.text}`).toMatch(/^200 /);
  }
  emulator.control.updateSettings({ clockOffsetMs });
  const listed = await emulator.request('GET', `/external-audience/${audienceId}/runs`);
  expect((listed.body as { runs: unknown[] }).runs).toHaveLength(20);
  expect((listed.body as { _page: { totalCount: number } })._page.totalCount).toBe(25);
  return audienceId;
}

/** The run step's `status: message` of an apply of gold requesting run r1. */
async function requestedRun(emulator: TestEmulator, state: string): Promise<string> {
  const applied = await applyInProcess(emulator, state, {
    'gold.yaml': manifestYaml('gold', { ingestion: { request: 'r1' } }),
  });
  const step = applied.report!.results.find((r) => r.step.kind === 'run')!;
  return `${step.status}: ${step.message}`;
}

describe('an audience with 25 runs of history taken over, its runs list cut at 20, oldest first, counted', () => {
  it('discovered by state import --discover: its first requested run is started', async () => {
    await withEmulator(SERVICE, async (emulator) => {
      await withTempDir(async (tmp) => {
        const audienceId = await goldWithHistory(emulator, tmp);
        const dir = path.join(tmp, 'audiences');
        const state = path.join(tmp, 'state');
        await mkdir(dir);
        await mkdir(state);
        await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold'));
        const discovered = await runCliInProcess(['state', 'import', '--discover', dir, '--state', state], {
          env: emulatorEnv(emulator),
        });
        expect(`${discovered.code} ${discovered.stdout}`).toMatch(
          new RegExp(`^0 [^]*matched[^]*${audienceId}`),
        );

        expect(await requestedRun(emulator, state)).toMatch(/^applied: run .* SUCCESS$/);
        expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId)).toHaveLength(26);
      });
    });
  });

  it('adopted by an apply (metadata.adopt: true): its first requested run is started', async () => {
    await withEmulator(SERVICE, async (emulator) => {
      await withTempDir(async (tmp) => {
        const audienceId = await goldWithHistory(emulator, tmp);
        const state = path.join(tmp, 'state');
        await mkdir(state);
        const adopted = await applyInProcess(emulator, state, {
          'gold.yaml': manifestYaml('gold', { metadata: { adopt: true } }),
        });
        expect(adopted.report!.results.map((r) => `${r.step.kind}: ${r.status}`)).toEqual(['adopt: applied']);

        expect(await requestedRun(emulator, state)).toMatch(/^applied: run .* SUCCESS$/);
        expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId)).toHaveLength(26);
      });
    });
  });
});
