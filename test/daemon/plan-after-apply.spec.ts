import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestYaml } from '../helpers/manifests.js';
import type { TestEmulator } from '../helpers/with-emulator.js';
import { remoteAudiences, withInProcessController, type InProcessController } from './helpers/in-process.js';

/**
 * GET /plan and /status's `plan` once a pass has applied its plan (docs M-3): they showed the
 * plan's steps as still to do until the next pass (a resync, up to 10 minutes later), so a
 * dashboard saw a create pending for an audience that existed. Each step now says what became
 * of it, with the time of the plan and of the apply, and what is left to do.
 */

const gold = manifestYaml('gold', { ingestion: { onCreate: false } });

/** The ISO times a headline names, in order. */
function timesIn(line: string | undefined): string[] {
  return [...(line ?? '').matchAll(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g)].map((m) => m[0]);
}

describe('the controller: /plan after a pass applied it', () => {
  it('marks each step applied, says when it was planned and applied, and that nothing is left', async () => {
    await withInProcessController({}, async ({ emulator, dir, reconciler, status, plan }) => {
      await writeFile(path.join(dir, 'gold.yaml'), gold);
      const before = new Date().toISOString();
      reconciler.trigger('startup');
      await reconciler.settled();
      const after = new Date().toISOString();
      expect(remoteAudiences({ emulator } as InProcessController)).toEqual(['Audience gold']);

      const { code, body } = await plan();
      expect(code).toBe(200);
      // The step is not shown as to do: it says it was applied, and what the service answered.
      expect(body).toContain('<summary><code>prod/gold</code>: + create (applied)</summary>');
      expect(body).toMatch(/^ {4}outcome: applied: created [0-9a-f-]{36}$/m);
      const headline = body.split('\n').find((line) => line.startsWith('**Applied:**'));
      expect(headline).toMatch(
        /^\*\*Applied:\*\* planned at \S+, applied by the pass that ended at \S+: 1 applied\. Left to do: nothing\.$/,
      );
      const [plannedAt, appliedAt] = timesIn(headline);

      const shown = (await status()).plan;
      expect(shown).toMatchObject({
        state: 'applied',
        plannedAt,
        appliedAt,
        results: { applied: 1, started: 0, failed: 0, blocked: 0, deferred: 0, skipped: 0 },
        left: 0,
        summary: { create: 1 },
      });
      expect([before, plannedAt, appliedAt, after]).toEqual([before, plannedAt, appliedAt, after].sort());
      expect((await status()).reconcile.lastFinishedAt).toBe(appliedAt);
    });
  });

  it('marks a step that failed as failed, with its reason, and counts it as left to do', async () => {
    await withInProcessController({}, async ({ emulator, dir, reconciler, status, plan }) => {
      emulator.control.queueFault({ kind: 'operationFailure' });
      await writeFile(path.join(dir, 'gold.yaml'), gold);
      reconciler.trigger('startup');
      await reconciler.settled();

      const { body } = await plan();
      expect(body).toContain('<summary><code>prod/gold</code>: + create (failed)</summary>');
      expect(body).toMatch(/^ {4}outcome: failed: .+$/m);
      expect(body).toMatch(
        /^\*\*Applied:\*\* planned at \S+, applied by the pass that ended at \S+: 1 failed\. Left to do: 1 step\(s\), marked failed, blocked, deferred or skipped below\.$/m,
      );
      expect((await status()).plan).toMatchObject({
        state: 'applied',
        results: { applied: 0, failed: 1 },
        left: 1,
      });
    });
  });

  it('a pass that fails after its steps ran: says so, and marks the steps it carried out', async () => {
    let service: TestEmulator | undefined;
    await withInProcessController(
      {
        hooks: {
          // The store cannot be read once gold exists: the pass's read of the records after its
          // steps fails, and the pass with it.
          beforeRecords: () =>
            service && remoteAudiences({ emulator: service } as InProcessController).length > 0
              ? Promise.reject(new Error('the state store cannot be read'))
              : Promise.resolve(),
        },
      },
      async ({ emulator, dir, reconciler, status, plan }) => {
        service = emulator;
        await writeFile(path.join(dir, 'gold.yaml'), gold);
        reconciler.trigger('startup');
        await reconciler.settled();
        const shown = await status();
        expect(shown.reconcile.lastResult).toBe('failure');
        expect(shown.plan).toMatchObject({
          state: 'interrupted',
          results: { applied: 1 },
          left: 0,
          error: { message: 'the state store cannot be read' },
        });

        const { body } = await plan();
        expect(body).toContain('<summary><code>prod/gold</code>: + create (applied)</summary>');
        expect(body).toMatch(
          /^\*\*Not applied to the end:\*\* planned at \S+; the pass failed at \S+ \(INTERNAL\\_ERROR: the state store cannot be read\) after 1 applied\./m,
        );
        expect(body).not.toContain('**Being applied:**');
      },
    );
  });

  it("a later pass that fails before it plans: /plan says its plan is the pass before's", async () => {
    let failReads = false;
    await withInProcessController(
      {
        hooks: {
          beforeRecords: () =>
            failReads ? Promise.reject(new Error('the state store cannot be read')) : Promise.resolve(),
        },
      },
      async ({ dir, reconciler, status, plan }) => {
        await writeFile(path.join(dir, 'gold.yaml'), gold);
        reconciler.trigger('startup');
        await reconciler.settled();
        const applied = await status();

        // silver is added; the next pass cannot read the records, and plans nothing.
        failReads = true;
        await writeFile(
          path.join(dir, 'silver.yaml'),
          manifestYaml('silver', { ingestion: { onCreate: false } }),
        );
        reconciler.trigger('watch');
        await reconciler.settled();
        const failed = await status();
        expect(failed.reconcile.lastResult).toBe('failure');
        expect(failed.source.revision).not.toBe(applied.source.revision);
        // The plan shown is still gold's, applied: what /status says of it is unchanged.
        expect(failed.plan).toEqual(applied.plan);

        const { body } = await plan();
        const lines = body.split('\n');
        const note = lines.find((line) => line.startsWith('**Not planned again:**'));
        expect(note).toBe(
          `**Not planned again:** the last pass, started at ${failed.reconcile.lastStartedAt ?? ''}, failed at ` +
            `${failed.reconcile.lastFinishedAt ?? ''} before it planned (INTERNAL\\_ERROR: the state store cannot be read); ` +
            `this is the plan of the pass before it, of revision ${applied.plan?.revision ?? ''}: what is left to do may have changed since.`,
        );
        // Said before the plan's own account of itself.
        expect(lines.indexOf(note ?? '')).toBeLessThan(
          lines.findIndex((line) => line.startsWith('**Applied:**')),
        );

        // A pass that plans again takes the note away.
        failReads = false;
        reconciler.trigger('resync');
        await reconciler.settled();
        expect((await plan()).body).not.toContain('Not planned again');
        expect((await status()).plan).toMatchObject({ state: 'applied', summary: { create: 1 }, left: 0 });
      },
    );
  });

  it('before any plan, a 404 that says why the passes so far planned nothing', async () => {
    await withInProcessController(
      { hooks: { beforeRecords: () => Promise.reject(new Error('the state store cannot be read')) } },
      async ({ dir, reconciler, status, plan }) => {
        await writeFile(path.join(dir, 'gold.yaml'), gold);
        reconciler.trigger('startup');
        await reconciler.settled();
        const { reconcile } = await status();
        expect(reconcile.lastResult).toBe('failure');
        // It said "No plan has been computed yet." alone: as if none had been tried.
        expect(await plan()).toEqual({
          code: 404,
          body:
            `No plan has been computed yet: the last pass, started at ${reconcile.lastStartedAt ?? ''}, failed at ` +
            `${reconcile.lastFinishedAt ?? ''} before it planned (INTERNAL_ERROR: the state store cannot be read).\n`,
        });
      },
    );
  });
});
