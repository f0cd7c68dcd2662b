import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordPath } from '../../src/state/paths.js';
import { apply, emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestObject, manifestYaml } from '../helpers/manifests.js';
import { audienceNames, besideHeld, gitRepository, storedRecord } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Every record of a manifest a plan reads gets the directory it is read from (`sourceRoot`), not
 * only the records an apply writes for a change: records of an earlier release (none), records
 * left by a no-change apply after `git mv teams/mkt teams/marketing` (the old one), and records
 * of `state import` and `state import --discover` (none, before). Without it, a plan of another
 * directory sharing the store (`apply teams/web`) deleted those audiences as "manifest removed"
 * (review 27b, H2). The record-only change says so in the plan; no API call. A git work tree,
 * the emulator over HTTP; the setting-up steps run in process, the steps the cases are about are
 * the built CLI.
 */
const quiet = { ingestion: { onCreate: false } };
const STACK = /\n\s+at /;

/** `apply teams/web` (the built CLI): mkt's audience `a` is held, nothing deleted. */
async function webHoldsA(repo: string, state: string, env: Record<string, string>, from: string) {
  const web = await runCli(['apply', 'teams/web', '--state', state, '--auto-approve'], { cwd: repo, env });
  expect(web.code, web.stderr).toBe(0);
  expect(web.stderr).not.toMatch(STACK);
  expect(web.stdout).toContain(besideHeld('a', `../${from}/a.yaml`, `../${from}`));
  expect(web.stdout).not.toMatch(/prod\/a\s+delete/);
}

describe('records of the manifests a plan reads get the directory they are read from', () => {
  it('after git mv, a no-change apply records the new directory, and a plan of another one holds the audience', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git } = await gitRepository(root, {
          'teams/mkt/a.yaml': manifestYaml('a', quiet),
          'teams/web/other.yaml': manifestYaml('other', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        await git('mv', 'teams/mkt', 'teams/marketing');
        await git('commit', '--quiet', '-m', 'rename');

        const moved = await runCli(['apply', 'teams/marketing', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(moved.code, moved.stderr).toBe(0);
        expect(moved.stdout).toContain(
          '~ prod/a update: manifest directory changed (record only, no API call)',
        );
        expect(moved.stdout).toContain('~ manifest directory: "teams/mkt" -> "teams/marketing"');
        expect(moved.stdout).toContain('recorded (no API call needed)');
        expect((await storedRecord(state, 'a')).sourceRoot).toBe('teams/marketing');

        await webHoldsA(repo, state, env, 'marketing');
        expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience other']);
      }),
    );
  });

  it("records of an earlier release (no directory) get it from the next plan's apply, saved or not", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo } = await gitRepository(root, {
          'teams/mkt/a.yaml': manifestYaml('a', quiet),
          'teams/mkt/b.yaml': manifestYaml('b', quiet),
          'teams/web/other.yaml': manifestYaml('other', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        // As an earlier release wrote them: the file, not the directory it is relative to.
        for (const key of ['a', 'b']) {
          const { sourceRoot, ...older } = await storedRecord(state, key);
          expect(sourceRoot).toBe('teams/mkt');
          await writeFile(recordPath(state, 'prod', key), JSON.stringify(older));
        }

        const planned = await runCli(['plan', 'teams/mkt', '--state', state], { cwd: repo, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).toContain(
          '~ prod/a update: manifest directory recorded (record only, no API call)',
        );
        expect(planned.stdout).toContain('+ manifest directory: "teams/mkt"');
        expect(planned.stdout).toContain('0 to create, 2 to update, 0 to replace, 0 to delete');

        // Saved and applied as planned (the plan again of `apply plan.json` records it too).
        const saved = await runCliInProcess(
          [
            'plan',
            path.join(repo, 'teams/mkt'),
            '--state',
            state,
            '--output',
            'json',
            '--out',
            path.join(root, 'p.json'),
          ],
          { env },
        );
        expect(saved.code, saved.stderr).toBe(0);
        // Applied where the checkout's .git is gone (a job given the files only): the directory
        // recorded is the one the plan showed, not this copy's absolute path (review 28, M1).
        await rename(path.join(repo, '.git'), path.join(root, 'git-away'));
        const applied = await runCli(
          ['apply', path.join(root, 'p.json'), '--state', state, '--auto-approve'],
          {
            cwd: repo,
            env,
          },
        );
        expect(applied.code, applied.stderr).toBe(0);
        expect((await storedRecord(state, 'a')).sourceRoot).toBe('teams/mkt');
        expect((await storedRecord(state, 'b')).sourceRoot).toBe('teams/mkt');
        await rename(path.join(root, 'git-away'), path.join(repo, '.git'));

        const again = await runCliInProcess(['plan', path.join(repo, 'teams/mkt'), '--state', state], {
          env,
        });
        expect(again.stdout).toContain('No changes.');
        await webHoldsA(repo, state, env, 'mkt');
        expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience b', 'Audience other']);
      }),
    );
  });

  it('state import and state import --discover record the directory', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo } = await gitRepository(root, {
          'teams/mkt/a.yaml': manifestYaml('a', quiet),
          'teams/mkt/b.yaml': manifestYaml('b', quiet),
          'teams/web/other.yaml': manifestYaml('other', quiet),
        });
        const idA = await emulator.createAudience(manifestObject('a').spec);
        await emulator.createAudience(manifestObject('b').spec);
        const state = path.join(root, 'state');
        await ensureDirStore(state);
        const env = emulatorEnv(emulator);

        const imported = await runCli(
          ['state', 'import', 'a', 'teams/mkt', '--audience-id', idA, '--state', state],
          {
            cwd: repo,
            env,
          },
        );
        expect(imported.code, imported.stderr).toBe(0);
        expect(await storedRecord(state, 'a')).toMatchObject({
          manifestFile: 'a.yaml',
          sourceRoot: 'teams/mkt',
        });
        const discovered = await runCli(['state', 'import', '--discover', 'teams/mkt', '--state', state], {
          cwd: repo,
          env,
        });
        expect(discovered.code, discovered.stderr).toBe(0);
        expect(await storedRecord(state, 'b')).toMatchObject({
          manifestFile: 'b.yaml',
          sourceRoot: 'teams/mkt',
        });

        await webHoldsA(repo, state, env, 'mkt');
        expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience b', 'Audience other']);
      }),
    );
  });
});
