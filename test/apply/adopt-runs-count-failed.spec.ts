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

// Review verify-41 (of runs-41 H-1's fix): the count of the runs an adoption records
// (imported.runsCounted) is read from the runs list at the adopt step; a list that fails there
// (a proxy's 404 page in front of the service, a 5xx its retries did not outlast) was read as
// "the list gives no count": the audience was recorded adopted without it, and every run step
// of it blocked for good, as before the fix. A failed list is no answer: the adoption must not
// be recorded over it (it is tried again by the next apply), or must be recorded with the count.
//
// As before: a team takes over an audience that has run for weeks (25 runs) by
// `state import --discover` or by adoption (`metadata.adopt: true`) rather than by plain
// `state import --audience-id`. The service refuses the runs list's commented-out limit/sortBy
// and lists the bare list oldest first, cut at 20, counting the runs (`_page.totalCount`,
// emulator `runsListCut: page`). Plain import records the service's count (imported.runsCounted)
// so that the runs past the page are read as history; discovery and adoption do not, so every
// run step of the audience is blocked, for good ("the 5 past the page are not all runs this
// state store records"), though nothing has run since it was taken over.

describe('an adoption whose runs-count read fails (a 404 page of a proxy), the list cut at 20, oldest first, counted', () => {
  it('does not record the audience adopted without its count: its first requested run is started', async () => {
    await withEmulator(LONG_HISTORY_SERVICE, async (emulator) => {
      await withTempDir(async (tmp) => {
        const audienceId = await goldWithHistory(emulator, tmp);
        const state = path.join(tmp, 'state');
        await mkdir(state);
        // The adopt step's read of the runs count is answered by a proxy's 404 page.
        emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'listRuns' });
        const first = await applyInProcess(emulator, state, {
          'gold.yaml': manifestYaml('gold', { metadata: { adopt: true } }),
        });
        // The adopt step fails in one line; the next apply adopts it again.
        expect(first.report!.results.map((r) => `${r.step.kind}: ${r.status}`)).toEqual(['adopt: failed']);
        expect(first.report!.results[0]!.message).toMatch(
          new RegExp(
            `^the runs of audience ${audienceId} \\(sandbox prod\\) could not be listed to count them \\(.*: run again once the list answers$`,
          ),
        );
        expect(emulator.control.queuedFaults()).toEqual([]);

        // The list answers again: the next applies adopt it (if not yet) and start the run asked for.
        const again = await applyInProcess(emulator, state, {
          'gold.yaml': manifestYaml('gold', { metadata: { adopt: true } }),
        });
        expect((again.report?.results ?? []).filter((r) => r.status !== 'applied')).toEqual([]);
        expect(await requestedRun(emulator, state)).toMatch(/^applied: run .* SUCCESS$/);
        expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId)).toHaveLength(26);
      });
    });
  });
  it('by state import --discover: the audience is not recorded without its count; its first requested run is started', async () => {
    await withEmulator(LONG_HISTORY_SERVICE, async (emulator) => {
      await withTempDir(async (tmp) => {
        const audienceId = await goldWithHistory(emulator, tmp);
        const dir = path.join(tmp, 'audiences');
        const state = path.join(tmp, 'state');
        await mkdir(dir);
        await mkdir(state);
        await writeFile(path.join(dir, 'gold.yaml'), manifestYaml('gold'));
        const discover = () =>
          runCliInProcess(['state', 'import', '--discover', dir, '--state', state], {
            env: emulatorEnv(emulator),
          });
        emulator.control.queueFault({ kind: 'notFoundPage', endpoint: 'listRuns' });
        const failed = await discover();
        // One line naming the audience and what to do; nothing recorded for it.
        expect(failed.code).toBe(1);
        expect(failed.stderr).toMatch(
          new RegExp(
            `^Error: the runs of audience ${audienceId} \\(sandbox prod\\) could not be listed to count them \\([^\\n]*: run again once the list answers\\n$`,
          ),
        );
        expect(emulator.control.queuedFaults()).toEqual([]);
        // Whatever it said, a discover run again once the list answers records the count.
        if (!new RegExp(`matched[^]*${audienceId}`).test(failed.stdout)) {
          expect(`${(await discover()).code}`).toBe('0');
        }
        expect(await requestedRun(emulator, state)).toMatch(/^applied: run .* SUCCESS$/);
        expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', audienceId)).toHaveLength(26);
      });
    });
  });
});
