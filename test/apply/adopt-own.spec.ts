import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { readState } from '../../src/state/read.js';
import { waitOutHeldCreates } from '../helpers/held-creates.js';
import { manifestObject } from '../helpers/manifests.js';
import { withTempDir } from '../helpers/cli.js';
import { holdCreates, lostOperation, withExecutor } from '../helpers/executor-env.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { applyInProcess, files, outcomes } from './helpers/in-process.js';

/** Item 3 of issue 12: an interrupted create of our own is resolved without a person. */
describe('adoption of our own interrupted creates', () => {
  it('a lost create answer: the retried POST gets 409, the audience is found by name and adopted', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const state = `${tmp}/state`;
        emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
        const outcome = await applyInProcess(emulator, state, files(['gold']));
        expect(outcomes(outcome)).toEqual(['create gold: applied']);
        expect(outcome.report?.results[0]?.message).toMatch(/^adopted /);
        const remote = emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
        expect(remote).toHaveLength(1);
        const [record] = (await readState(state)).audiences;
        expect(record?.audienceId).toBe(remote[0]?.audienceId);
        expect(record?.intent).toBeUndefined();
        // Adopted with the spec it was created from: planning again changes nothing.
        const again = await applyInProcess(emulator, state, files(['gold']));
        expect(again.plan.steps).toEqual([]);
      });
    });
  });

  it('a 409 for an audience someone else made: blocked, with what the sandbox holds under that name', async () => {
    await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const theirs = emulator.control.uiCreateAudience(
          DEMO_CLIENT.orgId,
          'prod',
          manifestObject('gold').spec,
          'someone@AdobeID',
        );
        const outcome = await applyInProcess(emulator, `${tmp}/state`, files(['gold']));
        expect(outcomes(outcome)).toEqual(['create gold: blocked']);
        const message = outcome.report?.results[0]?.message ?? '';
        // A store with no record: the account audiencectl creates with is not known to compare,
        // but a person's account is never the technical account audiencectl creates with.
        expect(message).toContain(
          "it was made by someone@AdobeID, a person's account, and audiencectl creates with a technical account (…@techacct.adobe.com): it was made outside audiencectl",
        );
        expect(message).toContain(`${theirs.id} (created `);
        expect(message).toContain('by someone@AdobeID');
        expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
      });
    });
  });

  it('an interrupted create that made nothing: the audience of its name a colleague made since is not taken for ours', async () => {
    await withExecutor(undefined, async (env) => {
      const quiet = (name: string) => manifestObject(name, { ingestion: { onCreate: false } });
      // silver's create shows the account audiencectl's creates are made by.
      await env.apply([quiet('silver')]);
      // gold's POST fails with 502 (it made nothing): its intent stays, its outcome unknown, the
      // create held while it may land (steps/create-hold.ts).
      env.emulator.control.queueFault({ kind: 'error502', endpoint: 'createAudience', count: 1 });
      const failed = await env.apply([quiet('silver'), quiet('gold')]);
      expect(failed.report?.results[0]?.message).toMatch(/may still land/);
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('create');
      await waitOutHeldCreates(env.store());
      // Meanwhile a colleague makes it by hand in the UI.
      const theirs = env.emulator.control.uiCreateAudience(
        DEMO_CLIENT.orgId,
        'prod',
        quiet('gold').spec,
        'colleague@AdobeID',
      );

      const outcome = await env.apply([quiet('silver'), quiet('gold')]);
      expect(outcome.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create blocked',
      ]);
      const message = outcome.report?.results[0]?.message ?? '';
      expect(message).toContain(
        "it was made by another account than audiencectl's creates in this sandbox were (outside audiencectl, or by audiencectl after a change of credentials)",
      );
      expect(message).toContain(`${theirs.id} (created `);
      expect(message).toContain('by colleague@AdobeID');
      const gold = await env.store().get('prod', 'gold');
      expect(gold?.audienceId).toBeUndefined();
      expect(gold?.blocked?.code).toBe('100950-409');
      expect(env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(2);
    });
  });

  it('a lost create answer, then a retry refused outright: the intent stays, and the next apply adopts what the lost POST made', async () => {
    await withExecutor(undefined, async (env) => {
      const gold = manifestObject('gold', { ingestion: { onCreate: false } });
      // The first POST makes the audience but its answer is lost; the repeat, once the wait for
      // it to show has passed (steps/create-hold.ts), is refused outright (a 403 that says nothing
      // of what the first POST did).
      env.emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      env.emulator.control.queueFault({
        kind: 'clientError',
        endpoint: 'createAudience',
        status: 403,
        after: 1,
      });
      // Not listed before the repeat: it is sent (steps/create-repeat.ts looks first).
      const held = holdCreates(env);
      const first = await env.apply([gold]);
      expect(first.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create blocked',
      ]);
      await waitOutHeldCreates(env.store());
      const refused = await env.apply([gold]);
      held.release();
      expect(refused.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create failed',
      ]);
      const posts = env.emulator.control.requestLog().filter((entry) => entry.endpoint === 'createAudience');
      expect(posts.map((entry) => [entry.status, entry.fault])).toEqual([
        [0, 'responseLost'],
        [403, 'clientError'],
      ]);
      expect((await env.store().get('prod', 'gold'))?.intent?.kind).toBe('create');
      const made = env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod');
      expect(made).toHaveLength(1);

      const outcome = await env.apply([gold]);
      expect(outcome.report?.results.map((r) => `${r.step.id} ${r.status}`)).toEqual([
        'prod/gold:create applied',
      ]);
      expect(outcome.report?.results[0]?.message).toMatch(/^adopted /);
      expect((await env.store().get('prod', 'gold'))?.audienceId).toBe(made[0]?.audienceId);
      expect(env.emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
    });
  });

  describe('an operation unknown at both spellings of its path', () => {
    // The second with the local clock an hour ahead of AEP, whose clock createdAt is in.
    it.each([
      ['adopts the audience the service lists under that name', 0],
      ['adopts it with the local clock an hour ahead of AEP', -3_600_000],
    ])('%s', async (_, clockOffsetMs) => {
      await withEmulator({ operationDelayMs: 10, clockOffsetMs }, async (emulator) => {
        await withTempDir(async (tmp) => {
          const state = `${tmp}/state`;
          await lostOperation(new FileStateStore(state), new Date());
          const made = await emulator.createAudience(manifestObject('gold').spec);
          const outcome = await applyInProcess(emulator, state, files(['gold']));
          expect(outcomes(outcome)).toEqual(['create gold: applied']);
          expect((await readState(state)).audiences[0]?.audienceId).toBe(made);
          // Not knowing which spec made it, the next plan PATCHes the changeable properties.
          const next = await applyInProcess(emulator, state, files(['gold']));
          expect(outcomes(next)).toEqual(['update gold: applied']);
        });
      });
    });

    it('keeps the record while the service may not list it yet, then lets the next apply create it', async () => {
      await withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        await withTempDir(async (tmp) => {
          const state = `${tmp}/state`;
          await lostOperation(new FileStateStore(state), new Date());
          const early = await applyInProcess(emulator, state, files(['gold']));
          expect(outcomes(early)).toEqual(['create gold: failed']);
          expect(early.report?.results[0]?.message).toContain('the record is kept until');
          expect((await readState(state)).audiences.map((r) => r.operationId)).toEqual(['lost-operation']);

          await lostOperation(new FileStateStore(state), new Date(Date.now() - 16 * 60_000));
          const late = await applyInProcess(emulator, state, files(['gold']));
          expect(outcomes(late)).toEqual(['create gold: failed']);
          expect((await readState(state)).audiences).toEqual([]);
          const created = await applyInProcess(emulator, state, files(['gold']));
          expect(outcomes(created)).toEqual(['create gold: applied']);
          expect(emulator.control.listAudiences(DEMO_CLIENT.orgId, 'prod')).toHaveLength(1);
        });
      });
    });
  });
});
