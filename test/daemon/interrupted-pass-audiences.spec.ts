import { renameSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { manifestYaml } from '../helpers/manifests.js';
import type { TestEmulator } from '../helpers/with-emulator.js';
import { withInProcessController } from './helpers/in-process.js';

/**
 * /status's audiences[] after a pass that failed once it had published its plan (plan.state
 * `interrupted`): /plan marked the steps with what became of them, while audiences[] was left as
 * the pass before had listed it. An audience the pass created was missing from it (or `pending`)
 * while /plan said `created <id>`, and those whose record writes failed were not there at all:
 * a dashboard of audiences[] and /plan disagreed until a pass succeeded.
 */

const manifest = (name: string) => manifestYaml(name, { ingestion: { onCreate: false } });

/** The emulator's audience id of each audience in prod, by its name. */
function remoteIds(emulator: TestEmulator): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const audience of emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod'))
    ids[audience.audienceName] = audience.audienceId;
  return ids;
}

describe('the controller: audiences[] after a pass that failed after its steps', () => {
  it('lists an audience the pass created, with its id, when the read of the records after the steps failed', async () => {
    let service: TestEmulator | undefined;
    await withInProcessController(
      {
        hooks: {
          // Once gold exists the store cannot be read: the pass's read of the records after
          // its steps fails, and the pass with it.
          beforeRecords: () =>
            service && Object.keys(remoteIds(service)).length > 0
              ? Promise.reject(new Error('the state store cannot be read'))
              : Promise.resolve(),
        },
      },
      async ({ emulator, dir, reconciler, status, plan }) => {
        service = emulator;
        await writeFile(path.join(dir, 'gold.yaml'), manifest('gold'));
        reconciler.trigger('startup');
        await reconciler.settled();

        const id = remoteIds(emulator)['Audience gold'];
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect((await plan()).body).toContain(`outcome: applied: created ${id}`);
        const shown = await status();
        expect(shown.plan).toMatchObject({ state: 'interrupted', results: { applied: 1 }, left: 0 });
        expect(shown.audiences).toEqual([{ sandbox: 'prod', key: 'gold', state: 'in-sync', audienceId: id }]);
      },
    );
  });

  it('lists the audiences whose record writes failed as failed, with why, beside those of the pass before', async () => {
    await withInProcessController({}, async ({ emulator, dir, stateDir, reconciler, status, plan }) => {
      await writeFile(path.join(dir, 'gold.yaml'), manifest('gold'));
      reconciler.trigger('startup');
      await reconciler.settled();
      const gold = remoteIds(emulator)['Audience gold'];

      // As silver or bronze is created, the sandbox's folder of records becomes a file: the
      // records of both creates cannot be written, nor the records read after the steps.
      // Both calls synchronous, yet a record write already on libuv's thread pool runs beside
      // them: it may meet the folder moved and the file not yet there ('it does not exist',
      // seen in CI twice), which is as much a failed write as the file ('a part of the path').
      let broken = false;
      emulator.control.observeRequests((request) => {
        if (broken || !JSON.stringify(request).includes('createAudience')) return;
        broken = true;
        renameSync(path.join(stateDir, 'audiences', 'prod'), path.join(stateDir, 'prod-moved'));
        writeFileSync(path.join(stateDir, 'audiences', 'prod'), 'not a directory');
      });
      await writeFile(path.join(dir, 'silver.yaml'), manifest('silver'));
      await writeFile(path.join(dir, 'bronze.yaml'), manifest('bronze'));
      reconciler.trigger('watch');
      await reconciler.settled();

      const shown = await status();
      expect(shown.plan).toMatchObject({ state: 'interrupted', results: { failed: 2 }, left: 2 });
      const body = (await plan()).body;
      expect(body).toContain('<summary><code>prod/bronze</code>: + create (failed)</summary>');
      expect(body).toContain('<summary><code>prod/silver</code>: + create (failed)</summary>');
      expect(shown.audiences.map(({ key, state }) => `${key} ${state}`)).toEqual([
        'bronze failed',
        'gold in-sync',
        'silver failed',
      ]);
      expect(shown.audiences.find((a) => a.key === 'gold')?.audienceId).toBe(gold);
      for (const key of ['bronze', 'silver']) {
        const error = shown.audiences.find((a) => a.key === key)?.lastError;
        expect(error?.code).toBe('STEP_FAILED');
        expect(error?.message).toMatch(
          /^create: .*(a part of the path is a file, not a directory|it does not exist)/,
        );
      }
    });
  });
});
