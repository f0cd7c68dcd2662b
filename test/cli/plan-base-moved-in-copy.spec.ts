import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { audienceNames, basePlanSteps, gitRepository } from '../helpers/work-tree.js';

// verify-36 M-3 (REVIEW-36v): plan --base's moved-in search (src/manifest/read-moved-in.ts) takes any
// manifest of the same sandbox/key anywhere else in the repository at the base for one moved in,
// without asking whether its file left that directory in this change or whether that directory
// is applied to this store at all. A repository of two regions (eu/, us/: two stores, two
// controllers), a pull request adding us/gold.yaml, a copy of eu/gold.yaml (which stays): the
// PR comment of `directory: us` shows "manifest directory changed (record only, no API call)",
// while the apply of us creates the audience and starts its first run.
// Each case's `plan --base` (basePlanSteps) is the built CLI, as the Action runs it; the applies that
// set the stores up and show what the merge does run the CLI's entry in this process.
describe('plan --base of a directory gaining a copy of a manifest that stays elsewhere', () => {
  it('shows the create and first run the apply makes', async () => {
    await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const { repo, git } = await gitRepository(tmp, {
          'eu/gold.yaml': manifestYaml('gold'),
          'us/silver.yaml': manifestYaml('silver'),
        });
        await git('checkout', '--quiet', '-b', 'pr');
        await writeFile(path.join(repo, 'us/gold.yaml'), manifestYaml('gold'));
        await git('add', '--all');
        await git('commit', '--quiet', '-m', 'gold in us too');

        const steps = await basePlanSteps(path.join(repo, 'us'));

        // The apply of us (its own store, in which only silver was applied).
        const state = path.join(tmp, 'state-us');
        await ensureDirStore(state);
        await git('checkout', '--quiet', 'main');
        const env = emulatorEnv(emulator);
        const us = path.join(repo, 'us');
        expect(
          (await runCliInProcess(['apply', us, '--auto-approve', '--state', state], { env, cwd: tmp })).code,
        ).toBe(0);
        await git('merge', '--quiet', '--ff-only', 'pr');
        const applied = await runCliInProcess(['apply', us, '--auto-approve', '--state', state], {
          env,
          cwd: tmp,
        });
        expect(applied.code, applied.stdout + applied.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);

        expect(steps).toEqual([
          'create prod/gold:create: new manifest',
          'run prod/gold:run: first run after creation (ingestion.onCreate)',
        ]);
      });
    });
  });
  it('still shows the take-over of a manifest whose base file now holds another audience', async () => {
    await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
      await withTempDir(async (tmp) => {
        const { repo, git } = await gitRepository(tmp, {
          'eu/gold.yaml': manifestYaml('gold'),
          'us/silver.yaml': manifestYaml('silver'),
        });
        await git('checkout', '--quiet', '-b', 'pr');
        // gold moves to us; its old file is reused for a new audience (a move, not a copy).
        await writeFile(path.join(repo, 'us/gold.yaml'), manifestYaml('gold'));
        await writeFile(path.join(repo, 'eu/gold.yaml'), manifestYaml('bronze'));
        await git('add', '--all');
        await git('commit', '--quiet', '-m', 'gold moved to us, bronze in its file');

        const steps = await basePlanSteps(path.join(repo, 'us'));
        expect(steps).toEqual([
          'update prod/gold:update: manifest directory changed (record only, no API call)',
        ]);

        // The apply of us after the merge, eu and us sharing one store: the take-over shown.
        const state = path.join(tmp, 'state');
        await ensureDirStore(state);
        await git('checkout', '--quiet', 'main');
        const env = emulatorEnv(emulator);
        for (const dir of ['eu', 'us'])
          expect(
            (
              await runCliInProcess(['apply', path.join(repo, dir), '--auto-approve', '--state', state], {
                env,
                cwd: tmp,
              })
            ).code,
          ).toBe(0);
        await git('merge', '--quiet', '--ff-only', 'pr');
        const applied = await runCliInProcess(
          ['apply', path.join(repo, 'us'), '--auto-approve', '--state', state],
          {
            env,
            cwd: tmp,
          },
        );
        expect(applied.code, applied.stdout + applied.stderr).toBe(0);
        expect(applied.stdout).toContain(
          '~ prod/gold update: manifest directory changed (record only, no API call)',
        );
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience silver']);
      });
    });
  });
});
