import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT, type RunningEmulator } from '../../src/emulator/index.js';
import { Plan } from '../../src/plan/schema.js';
import { openStateStore } from '../../src/state/open.js';
import type { StateStore } from '../../src/state/store.js';
import { apply, emulatorEnv, ManifestDir, quickRetries } from '../helpers/apply-env.js';
import { runCli } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { holdCreates } from '../helpers/executor-env.js';
import { manifestObject } from '../helpers/manifests.js';
import { withKeptGoldDelete } from '../helpers/kept-delete.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { readAll } from '../state/helpers.js';

// Review 23, L2: a removal whose DELETE removed the audience but got no answer that settles it
// keeps its delete intent; the removal is then reverted. `plan` settles nothing (it is read-only)
// and said "No changes", while the apply's resume finishes the delete and the plan then creates
// the audience again. The plan names the pending intent and what the apply will do with it.
describe('plan with an interrupted delete pending', () => {
  it('names it under "Pending", does not say "No changes", and counts it as a change for --detailed-exitcode', async () => {
    await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
      await withKeptGoldDelete(emulator, async ({ dir, state, env, gold, silver, goldId }) => {
        // The removal reverted.
        await dir.write([gold, silver]);
        const shown = await runCli(['plan', dir.dir, '--state', state], { env });
        expect(shown.code, shown.stderr).toBe(0);
        expect(shown.stdout).not.toMatch(/No changes/);
        expect(shown.stdout).toContain(
          'No steps planned, but 1 interrupted call is settled first by apply, which may change what it does (see "Pending").',
        );
        expect(shown.stdout).toContain(
          `Pending (settled by apply before it plans): 1\n  prod/gold: an interrupted delete of ${goldId} (its outcome unknown): apply reads the service first; if the audience is gone, the delete is finished and the audience is created again (a new id); if it is still there, nothing is deleted`,
        );
        const markdown = await runCliInProcess(['plan', dir.dir, '--state', state, '--output', 'markdown'], {
          env,
        });
        expect(markdown.stdout).not.toMatch(/No changes/);
        expect(markdown.stdout).toContain(
          `**Pending (settled by apply before it plans): 1**\n\n- prod/gold: an interrupted delete of ${goldId} (its outcome unknown): apply reads the service first;`,
        );
        const detailed = await runCli(['plan', dir.dir, '--state', state, '--detailed-exitcode'], { env });
        expect(detailed.code).toBe(2);
        const json = await runCliInProcess(['plan', dir.dir, '--state', state, '--output', 'json'], { env });
        expect(Plan.parse(JSON.parse(json.stdout)).pending).toEqual([
          { sandbox: 'prod', key: 'gold', kind: 'delete', audienceId: goldId, manifest: true },
        ]);

        // What the plan said: the apply finishes the delete and creates gold again.
        const applied = await apply(dir.dir, state, env);
        expect(applied.stdout).toContain(`resumed: prod/gold: finished an interrupted delete of ${goldId}`);
        expect(applied.stdout).toMatch(/ok +prod\/gold create: created /);
        const after = await runCliInProcess(['plan', dir.dir, '--state', state], { env });
        expect(after.stdout).toContain('No changes.');
        expect(after.stdout).not.toContain('Pending');
      });
    });
  });
});

type Applied = {
  emulator: RunningEmulator;
  dir: ManifestDir;
  state: string;
  env: Record<string, string>;
  goldId: string;
};

/** gold and silver applied (no runs) to a fresh emulator, into a directory store; then `body`. */
async function withGoldApplied(body: (applied: Applied) => Promise<void>): Promise<void> {
  await withEmulator({ operationDelayMs: 10, runStageDelayMs: 10 }, async (emulator) => {
    const root = await mkdtemp(path.join(tmpdir(), 'audiencectl-plan-pending-'));
    try {
      const dir = new ManifestDir(path.join(root, 'm'));
      const state = path.join(root, 'state');
      const env = emulatorEnv(emulator, await quickRetries(root));
      await dir.write([gold(), silver]);
      expect((await apply(dir.dir, state, env)).code).toBe(0);
      const goldId = emulator.control
        .listAudiences(DEMO_CLIENT.orgId, 'prod')
        .find((a) => a.audienceName === gold().spec.name)!.audienceId;
      await body({ emulator, dir, state, env, goldId });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
}

const silver = manifestObject('silver', { ingestion: { onCreate: false } });

function gold(overrides: Parameters<typeof manifestObject>[1] = {}) {
  return manifestObject('gold', { ingestion: { onCreate: false }, ...overrides });
}

/** `body` with the directory store at `state` open and locked, as an apply holds it. */
async function withStore(state: string, body: (store: StateStore) => Promise<void>): Promise<void> {
  const store = await openStateStore(state);
  try {
    await store.lock();
    await body(store);
  } finally {
    await store.unlock();
    await store.close();
  }
}

/**
 * `plan` in text, Markdown, JSON and with --detailed-exitcode. The text plan and the exit code
 * are the built CLI's, spawned; the Markdown and the JSON are rendered by the same CLI entry in
 * this process (the same code and output).
 */
async function planAll({ dir, state, env }: Applied) {
  const args = (...flags: string[]) => ['plan', dir.dir, '--state', state, ...flags];
  const text = await runCli(args(), { env });
  expect(text.code, text.stderr).toBe(0);
  const markdown = await runCliInProcess(args('--output', 'markdown'), { env });
  const json = await runCliInProcess(args('--output', 'json'), { env });
  const detailed = await runCli(args('--detailed-exitcode'), { env });
  return {
    text: text.stdout,
    markdown: markdown.stdout,
    json: Plan.parse(JSON.parse(json.stdout)),
    detailed,
  };
}

// An interrupted PATCH or run request is settled by apply before it plans too (resume.ts), and
// changes what apply then does: a run the request started is recorded (and not asked for
// again), none found lets the plan ask again, a PATCH is read back and what the service shows recorded.
describe('plan with an interrupted PATCH or run request pending', () => {
  it('names an interrupted PATCH under "Pending", with what apply does with it, and counts it for --detailed-exitcode', async () => {
    await withGoldApplied(async (applied) => {
      const { dir, state, env, goldId } = applied;
      // An apply killed just after it wrote the intent of gold's PATCH, before the PATCH left (a
      // PATCH whose outcome is unknown, or the write of whose answer fails, leaves one too).
      await dir.write([gold({ spec: { description: 'Changed' } }), silver]);
      await withStore(state, async (store) => {
        const record = await store.get('prod', 'gold');
        await store.beginIntent(record!, 'patch', { specHash: 'sent-by-the-killed-apply' });
      });

      const line = `prod/gold: an interrupted PATCH of ${goldId} (its outcome unknown): apply reads the audience back first and records the description, labels and ttlInDays the service shows; the steps below assume the spec recorded before the PATCH, and apply plans again from what it reads: the audience is PATCHed to the manifest whichever spec it holds, and not when it matches`;
      const shown = await planAll(applied);
      expect(shown.text).toContain('~ prod/gold update: description changed');
      expect(shown.text).toContain(`Pending (settled by apply before it plans): 1\n  ${line}\n`);
      expect(shown.markdown).toContain(`**Pending (settled by apply before it plans): 1**\n\n- ${line}\n`);
      expect(shown.detailed.code).toBe(2);
      expect(shown.json.pending).toEqual([
        { sandbox: 'prod', key: 'gold', kind: 'patch', audienceId: goldId, manifest: true },
      ]);

      // What the plan said: the audience is read back (the PATCH never left: it shows the spec
      // recorded), and the update step sends the PATCH.
      const resumed = await apply(dir.dir, state, env);
      expect(resumed.stdout).toContain(
        `resumed: prod/gold: interrupted PATCH of ${goldId} settled by reading the audience back: the service shows the description, labels and ttlInDays recorded before it; the plan brings the audience to the manifest`,
      );
      expect(resumed.stdout).toMatch(/ok +prod\/gold update: patched description/);
      const after = await runCliInProcess(['plan', dir.dir, '--state', state], { env });
      expect(after.stdout).toContain('No changes.');
    });
  });

  it('names an interrupted run request under "Pending", where the plan alone would say "No changes" while apply starts a run', async () => {
    await withGoldApplied(async (applied) => {
      const { emulator, dir, state, env, goldId } = applied;
      // An apply killed just after it wrote the intent of gold's first run: no request was sent.
      await withStore(state, async (store) => {
        const record = await store.get('prod', 'gold');
        await store.beginIntent(record!, 'run', { runReason: 'onCreate', dataFilterStartTime: 0 });
      });
      await dir.write([gold({ ingestion: { onCreate: true } }), silver]);

      const line = `prod/gold: an interrupted run request of ${goldId} (its outcome unknown), for the first run (ingestion.onCreate): apply reads the audience's runs first; if they show the run it started, it is recorded (not asked for again); if none, a run is asked for if still due; if they cannot tell, no run is started until the intent is settled`;
      const shown = await planAll(applied);
      expect(shown.text).not.toMatch(/No changes/);
      expect(shown.text).toContain(`Pending (settled by apply before it plans): 1\n  ${line}\n`);
      expect(shown.markdown).toContain(`**Pending (settled by apply before it plans): 1**\n\n- ${line}\n`);
      expect(shown.detailed.code).toBe(2);
      expect(shown.json.pending).toEqual([
        {
          sandbox: 'prod',
          key: 'gold',
          kind: 'run',
          audienceId: goldId,
          runReason: 'onCreate',
          manifest: true,
        },
      ]);

      // What the plan said: no run found, the intent is cleared, and the first run is started.
      const resumed = await apply(dir.dir, state, env);
      expect(resumed.stdout).toContain(
        'resumed: prod/gold: interrupted run request shows no run so far: a run it still starts is adopted as its own by the next run step that lists it, otherwise the plan asks again if still needed',
      );
      expect(resumed.stdout).toMatch(/ok +prod\/gold run/);
      expect(emulator.control.listRuns(DEMO_CLIENT.orgId, 'prod', goldId)).toHaveLength(1);
    });
  });

  // apply does not settle a create intent before it plans (resume.ts leaves it to the create
  // step): the plan shows that step ("resume: …"), so the intent is not listed again as pending.
  it('shows an interrupted create as its create step, not under "Pending"', async () => {
    await withGoldApplied(async (applied) => {
      const { emulator, dir, state, env } = applied;
      const bronze = manifestObject('bronze', { ingestion: { onCreate: false } });
      await dir.write([gold(), silver, bronze]);
      emulator.control.queueFault({ kind: 'responseLost', endpoint: 'createAudience' });
      // Not listed when it is looked for: the create is held, its intent open (steps/create-hold.ts).
      const held = holdCreates({ emulator });
      const lost = await apply(dir.dir, state, env);
      held.release();
      expect(lost.stdout).toMatch(/blocked +prod\/bronze create: held: /);
      emulator.control.clearFaults();
      expect((await readAll(state)).audiences.find((r) => r.key === 'bronze')?.intent?.kind).toBe('create');

      const shown = await planAll(applied);
      expect(shown.text).toContain('resume: the create was interrupted before its audience id was recorded');
      expect(shown.text).not.toContain('Pending');
      expect(shown.markdown).not.toContain('Pending');
      expect(shown.json.pending).toBeUndefined();
      expect(shown.detailed.code).toBe(2);
    });
  });
});
