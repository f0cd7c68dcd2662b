import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, gitRepository, storedRecord, shallowClone } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Review 28 (of 9e902ea, "every record of a manifest a plan reads gets the directory it is read
 * from"): records applied from a directory of a git work tree, and a plan outside any (what a
 * container sees of `docker run -v "$PWD:/m" ... apply /m` run in teams/mkt, or a CI job's
 * unpacked artifact). Such a plan's absolute path never replaces a record's path from the top
 * (a no-change apply re-recorded it, and once the copy was gone a plan of a sibling in a clone
 * deleted the audience), and a record it cannot look for is held, not removed. A record whose
 * file moved within the work tree (`git mv`) is held by it until it is gone there too. The first
 * three cases failed before. A git work tree and copies outside it, the emulator over HTTP, the built CLI.
 */
const quiet = { ingestion: { onCreate: false } };

const files = {
  'teams/mkt/a.yaml': manifestYaml('a', quiet),
  'teams/web/other.yaml': manifestYaml('other', quiet),
};

describe('review 28: a plan of one directory never deletes an audience whose manifest is in another', () => {
  it('a no-change apply of the same files outside the work tree does not make a later plan of a sibling delete them', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo } = await gitRepository(root, files);
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        expect((await storedRecord(state, 'a')).sourceRoot).toBe('teams/mkt');

        // The same files, seen outside any git work tree (a container's bind mount of teams/mkt).
        const mounted = path.join(root, 'm');
        await cp(path.join(repo, 'teams/mkt'), mounted, { recursive: true });
        const fromMount = await runCli(['apply', mounted, '--state', state, '--auto-approve'], {
          cwd: root,
          env,
        });
        expect(fromMount.code, fromMount.stderr).toBe(0);
        expect(fromMount.stdout).toContain('No changes.');
        expect((await storedRecord(state, 'a')).sourceRoot).toBe('teams/mkt');
        await rm(mounted, { recursive: true });

        const web = await runCli(['apply', 'teams/web', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(web.code, web.stderr).toBe(0);
        expect(web.stdout).not.toMatch(/prod\/a\s+delete/);
        expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience other']);
      }),
    );
  });

  it('a plan of a directory outside any git work tree does not delete the audiences of directories in one', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo } = await gitRepository(root, files);
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        expect((await apply(path.join(repo, 'teams/web'), state, env)).code).toBe(0);
        expect((await storedRecord(state, 'other')).sourceRoot).toBe('teams/web');

        const mounted = path.join(root, 'm');
        await cp(path.join(repo, 'teams/mkt'), mounted, { recursive: true });
        const fromMount = await runCli(['apply', mounted, '--state', state, '--auto-approve'], {
          cwd: root,
          env,
        });
        expect(fromMount.code, fromMount.stderr).toBe(0);
        expect(fromMount.stdout).not.toMatch(/prod\/other\s+delete/);
        expect(fromMount.stdout).toContain(
          'prod/other: it was applied from teams/web in a git work tree, which this plan, of a directory in none, cannot look into for teams/web/other.yaml; the audience is left as it is: plan and apply from that work tree, where removing the file deletes the audience',
        );
        expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience other']);
      }),
    );
  });
  it('after git mv, a plan of another directory before the renamed one is applied does not delete its audiences', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git } = await gitRepository(root, files);
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        expect((await apply(path.join(repo, 'teams/web'), state, env)).code).toBe(0);
        await git('mv', 'teams/mkt', 'teams/marketing');
        await git('commit', '--quiet', '-m', 'rename');

        // A deployment that applies every team's directory, web first.
        const web = await runCli(['apply', 'teams/web', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(web.code, web.stderr).toBe(0);
        expect(web.stdout).not.toMatch(/prod\/a\s+delete/);
        expect(web.stdout).toContain(
          "prod/a: its manifest is now ../marketing/a.yaml, outside the directory given and moved from the one it was applied from (../mkt); the audience is left as it is: apply the directory it is in now; to delete the audience, remove that file, or, if it is not this audience's manifest (another sandbox's, an example), apply the directories audiences of ../mkt moved to, if any, then ../mkt with --allow-empty-source (made again, empty, if it is gone)",
        );
        expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience other']);
      }),
    );
  });

  it('a file removed from the renamed directory is deleted by a plan of another one', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git } = await gitRepository(root, files);
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        expect((await apply(path.join(repo, 'teams/web'), state, env)).code).toBe(0);
        await git('mv', 'teams/mkt', 'teams/marketing');
        await git('rm', '--quiet', '--force', 'teams/marketing/a.yaml');
        await git('commit', '--quiet', '-m', 'rename, and a removed');

        const web = await runCli(['apply', 'teams/web', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(web.code, web.stderr).toBe(0);
        expect(web.stdout).toMatch(/prod\/a\s+delete/);
        expect(audienceNames(emulator)).toEqual(['Audience other']);
      }),
    );
  });

  it("a directory removed (git rm, no rename) is deleted though another sandbox's directory has a manifest of the key all along", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git } = await gitRepository(root, {
          'prod/mkt/gold.yaml': manifestYaml('gold', quiet),
          'prod/web/site.yaml': manifestYaml('site', quiet),
          // Applied with --sandbox staging to a store of its own: never to this one.
          'staging/mkt/gold.yaml': manifestYaml('gold', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'prod/mkt'), state, env)).code).toBe(0);
        expect((await apply(path.join(repo, 'prod/web'), state, env)).code).toBe(0);
        await git('rm', '-r', '--quiet', 'prod/mkt');
        await git('commit', '--quiet', '-m', 'mkt retired in prod');

        // Nothing applies prod/mkt again (it is gone): the plan of prod/web is the only one.
        const web = await runCli(['apply', 'prod/web', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(web.code, web.stderr).toBe(0);
        expect(web.stdout).toMatch(/prod\/gold\s+delete/);
        expect(audienceNames(emulator)).toEqual(['Audience site']);
      }),
    );
  });

  it('where git cannot tell (a shallow clone), the removal is held, and the way out it prints deletes', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git } = await gitRepository(root, {
          'prod/mkt/gold.yaml': manifestYaml('gold', quiet),
          'prod/web/site.yaml': manifestYaml('site', quiet),
          'staging/mkt/gold.yaml': manifestYaml('gold', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'prod/mkt'), state, env)).code).toBe(0);
        expect((await apply(path.join(repo, 'prod/web'), state, env)).code).toBe(0);
        await git('rm', '-r', '--quiet', 'prod/mkt');
        await git('commit', '--quiet', '-m', 'mkt retired in prod');
        await writeFile(path.join(repo, 'README.md'), 'later\n');
        await git('add', 'README.md');
        await git('commit', '--quiet', '-m', 'later');
        // A CI job's checkout: one commit deep, which holds neither the removal nor the commit before it.
        const clone = path.join(root, 'clone');
        await shallowClone(repo, clone);

        const web = await runCli(['apply', 'prod/web', '--state', state, '--auto-approve'], {
          cwd: clone,
          env,
        });
        expect(web.code, web.stderr).toBe(0);
        expect(web.stdout).not.toMatch(/prod\/gold\s+delete/);
        expect(web.stdout).toContain(
          "prod/gold: its manifest is now ../../staging/mkt/gold.yaml, outside the directory given and moved from the one it was applied from (../mkt); the audience is left as it is: apply the directory it is in now; to delete the audience, remove that file, or, if it is not this audience's manifest (another sandbox's, an example), apply the directories audiences of ../mkt moved to, if any, then ../mkt with --allow-empty-source (made again, empty, if it is gone)",
        );
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience site']);

        // As printed, from the directory the plan was of.
        await mkdir(path.join(clone, 'prod/mkt'));
        const out = await runCli(
          ['apply', '../mkt', '--allow-empty-source', '--state', state, '--auto-approve'],
          {
            cwd: path.join(clone, 'prod/web'),
            env,
          },
        );
        expect(out.code, out.stderr).toBe(0);
        expect(out.stdout).toMatch(/prod\/gold\s+delete/);
        expect(out.stdout).not.toMatch(/prod\/site\s+delete/);
        expect(audienceNames(emulator)).toEqual(['Audience site']);
      }),
    );
  });
});
