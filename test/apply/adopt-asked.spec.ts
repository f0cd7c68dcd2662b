import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { readState } from '../../src/state/read.js';
import { withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceBody, withEmulator } from '../helpers/with-emulator.js';
import { applyInProcess, outcomes } from './helpers/in-process.js';

const ORG = DEMO_CLIENT.orgId;
const adopting = (key: string) => ({
  [`${key}.yaml`]: manifestYaml(key, { metadata: { adopt: true }, ingestion: { onCreate: true } }),
});

/** Item 3 of issue 12, second half: an audience audiencectl did not create, adopted when asked. */
describe('apply with metadata.adopt', () => {
  it('adopts the audience a colleague made, PATCHes it to the manifest, starts no run; blocks a name held twice', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const state = `${tmp}/state`;
        const theirs = emulator.control.uiCreateAudience(
          ORG,
          'prod',
          audienceBody({ name: 'Audience gold', description: 'Made in the UI', labels: ['core/C5'] }),
          'colleague@AdobeID',
        );
        emulator.control.resetCounters();
        const outcome = await applyInProcess(emulator, state, adopting('gold'));
        expect(outcomes(outcome)).toEqual(['adopt gold: applied']);
        expect(outcome.report?.results[0]?.message).toContain(`adopted ${theirs.id}; patched`);
        const counters = emulator.control.counters().byEndpoint;
        expect(counters.createAudience.requests).toBe(0);
        expect(counters.startRun.requests).toBe(0);
        expect(counters.patchAudience.requests).toBe(1);
        const [remote, ...others] = emulator.control.listAudiences(ORG, 'prod');
        expect(others).toEqual([]);
        expect(remote).toMatchObject({
          audienceId: theirs.id,
          description: 'About gold',
          labels: ['core/C1'],
        });
        const record = (await readState(state)).audiences[0];
        expect(record).toMatchObject({ key: 'gold', audienceId: theirs.id, manifestFile: 'gold.yaml' });
        expect(record?.imported).toBeDefined();
        expect((await applyInProcess(emulator, state, adopting('gold'))).plan.steps).toEqual([]);

        // A name nothing holds leaves nothing to adopt: blocked, and the others go on.
        const other = emulator.control.uiCreateAudience(
          ORG,
          'prod',
          audienceBody({ name: 'Audience silver' }),
        );
        const blocked = await applyInProcess(emulator, state, {
          ...adopting('gold'),
          ...adopting('silver'),
          ...adopting('bronze'),
        });
        expect(outcomes(blocked)).toEqual(['adopt bronze: blocked', 'adopt silver: applied']);
        expect(blocked.report?.results[0]?.message).toContain(
          'no audience named "Audience bronze" that audiencectl may adopt',
        );
        expect(blocked.report?.results[1]?.audienceId).toBe(other.id);
      });
    });
  });

  it('an adoption whose PATCH failed keeps the commit it was adopted from, for the order check', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const state = `${tmp}/state`;
        const theirs = emulator.control.uiCreateAudience(
          ORG,
          'prod',
          audienceBody({ name: 'Audience gold' }),
          'colleague@AdobeID',
        );
        emulator.control.queueFault({ kind: 'error500', endpoint: 'patchAudience', count: 20 });
        const head = {
          commit: '3924ebf4899f7e6e138bcb9be37a095623d76357',
          committedAt: '2026-12-01T11:00:00.000Z',
        };
        const outcome = await applyInProcess(emulator, state, adopting('gold'), undefined, {
          revision: { kind: 'record', head },
        });
        expect(outcome.report?.results[0]?.message).toContain(`adopted ${theirs.id} (recorded)`);
        const record = (await readState(state)).audiences[0];
        expect(record).toMatchObject({ key: 'gold', audienceId: theirs.id });
        expect(record?.applied).toBeUndefined();
        expect(record?.imported?.revision).toEqual(head);
      });
    });
  });

  it('a lookup that fails fails the apply: nothing is adopted, created or recorded', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        emulator.control.uiCreateAudience(
          ORG,
          'prod',
          audienceBody({ name: 'Audience gold' }),
          'colleague@AdobeID',
        );
        emulator.control.queueFault({ kind: 'error500', endpoint: 'listAudiences', count: 20 });
        await expect(applyInProcess(emulator, `${tmp}/state`, adopting('gold'))).rejects.toMatchObject({
          code: 'ADOPT_LOOKUP_FAILED',
        });
        expect(emulator.control.counters().byEndpoint.createAudience.requests).toBe(0);
        expect((await readState(`${tmp}/state`)).audiences).toEqual([]);
      });
    });
  });
});
