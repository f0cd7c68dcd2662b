import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { applyInProcess } from './helpers/in-process.js';
import { emulatorEnv } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { goldWithHistory, LONG_HISTORY_SERVICE, requestedRun } from './helpers/long-history.js';

// Review runs-41 H-1: a team takes over an audience that has run for weeks (25 runs) by
// `state import --discover` or by adoption (`metadata.adopt: true`) rather than by plain
// `state import --audience-id`. The service refuses the runs list's commented-out limit/sortBy
// and lists the bare list oldest first, cut at 20, counting the runs (`_page.totalCount`,
// emulator `runsListCut: page`). Plain import records the service's count (imported.runsCounted)
// so that the runs past the page are read as history; discovery and adoption do not, so every
// run step of the audience is blocked, for good ("the 5 past the page are not all runs this
// state store records"), though nothing has run since it was taken over.

describe('an audience with 25 runs of history taken over, its runs list cut at 20, oldest first, counted', () => {
  it('discovered by state import --discover: its first requested run is started', async () => {
    await withEmulator(LONG_HISTORY_SERVICE, async (emulator) => {
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
    await withEmulator(LONG_HISTORY_SERVICE, async (emulator) => {
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
