import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, besideHeld, gitRepository, storedRecord } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A store applied from one directory, then planned from another that is neither above nor below
 * it (a typo in the path, a second team's directory sharing the store, a directory reaching the
 * first only through a symlink it does not follow): the records keep the directory they were
 * applied from (`sourceRoot`, from the git work tree's top), and their removal is held while
 * their file there still names them (README, "Only a removed manifest deletes"). Before, each
 * such apply deleted the other directory's audiences as "manifest removed". A git work tree of
 * real directories, the emulator over HTTP; the applies the cases are about are the built CLI.
 */
const quiet = { ingestion: { onCreate: false } };
const STACK = /\n\s+at /;

describe('a plan of a directory beside the one the records were applied from', () => {
  it('holds their removals while their files are there, each way round; a file removed there deletes its audience', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo } = await gitRepository(root, {
          'teams/mkt/a.yaml': manifestYaml('a', quiet),
          'teams/mkt/b.yaml': manifestYaml('b', quiet),
          'teams/web/other.yaml': manifestYaml('other', quiet),
        });
        const state = path.join(root, 'state');
        await ensureDirStore(state);
        const env = emulatorEnv(emulator);
        const cli = (dir: string) =>
          runCli(['apply', dir, '--state', state, '--auto-approve'], { cwd: repo, env });

        expect((await cli('teams/mkt')).code).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience b']);
        // Named from the top of the git work tree: the same in every clone.
        expect((await storedRecord(state, 'a')).sourceRoot).toBe('teams/mkt');

        const web = await cli('teams/web');
        expect(web.code).toBe(0);
        expect(web.stderr).not.toMatch(STACK);
        expect(web.stdout).toContain(besideHeld('a', '../mkt/a.yaml', '../mkt'));
        expect(web.stdout).toContain(besideHeld('b', '../mkt/b.yaml', '../mkt'));
        expect(web.stdout).not.toMatch(/prod\/[ab]\s+delete/);
        expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience b', 'Audience other']);

        // And back: the web directory's audience is held by the mkt directory's apply.
        const mkt = await cli('teams/mkt');
        expect(mkt.code).toBe(0);
        expect(mkt.stdout).toContain(besideHeld('other', '../web/other.yaml', '../web'));
        expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience b', 'Audience other']);

        // Removing the file deletes, from either directory.
        await rm(path.join(repo, 'teams/mkt/a.yaml'));
        const removed = await cli('teams/web');
        expect(removed.code).toBe(0);
        expect(removed.stdout).toMatch(/prod\/a\s+delete/);
        expect(removed.stdout).toContain(besideHeld('b', '../mkt/b.yaml', '../mkt'));
        expect(removed.stderr).not.toMatch(STACK);
        expect(audienceNames(emulator)).toEqual(['Audience b', 'Audience other']);
      }),
    );
  });

  it('holds them when the directory given reaches theirs only through a symlink it does not follow', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo } = await gitRepository(root, {
          'teams/mkt/a.yaml': manifestYaml('a', quiet),
          'd/other.yaml': manifestYaml('other', quiet),
        });
        await symlink('../teams/mkt', path.join(repo, 'd', 'mkt'));
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        // The first apply is only the story's setting (in this process).
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);

        const d = await runCli(['apply', 'd', '--state', state, '--auto-approve'], { cwd: repo, env });
        expect(d.code).toBe(0);
        expect(d.stdout).toContain(besideHeld('a', '../teams/mkt/a.yaml', '../teams/mkt'));
        expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience other']);
      }),
    );
  });

  it('holds each sandbox a file there names the key in, not only its first document', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const both = `${manifestYaml('cc', { ...quiet, metadata: { sandbox: 'dev' } })}---\n${manifestYaml('cc', quiet)}`;
        const { repo } = await gitRepository(root, {
          'teams/mkt/cc.yaml': both,
          'teams/web/other.yaml': manifestYaml('other', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        expect([audienceNames(emulator, 'dev'), audienceNames(emulator)]).toEqual([
          ['Audience cc'],
          ['Audience cc'],
        ]);

        const web = await runCli(['apply', 'teams/web', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(web.code).toBe(0);
        expect(web.stdout).toContain(besideHeld('cc', '../mkt/cc.yaml', '../mkt'));
        expect(web.stdout).toContain(besideHeld('cc', '../mkt/cc.yaml', '../mkt').replace('prod/', 'dev/'));
        expect(web.stdout).not.toMatch(/\/cc\s+delete/);
        expect([audienceNames(emulator, 'dev'), audienceNames(emulator)]).toEqual([
          ['Audience cc'],
          ['Audience cc', 'Audience other'],
        ]);
      }),
    );
  });

  it('outside a git work tree, keeps the directory as given: a release swapped under a link deletes what it removed', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        await mkdir(path.join(root, 'rel1'));
        await mkdir(path.join(root, 'rel2'));
        await writeFile(path.join(root, 'rel1/x.yaml'), manifestYaml('x', quiet));
        await writeFile(path.join(root, 'rel1/y.yaml'), manifestYaml('y', quiet));
        await writeFile(path.join(root, 'rel2/y.yaml'), manifestYaml('y', quiet));
        await symlink('rel1', path.join(root, 'current'));
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(root, 'current'), state, env)).code).toBe(0);
        expect((await storedRecord(state, 'x')).sourceRoot).toBe(path.join(root, 'current'));

        await rm(path.join(root, 'current'));
        await symlink('rel2', path.join(root, 'current'));
        const swapped = await runCli(['apply', 'current', '--state', state, '--auto-approve'], {
          cwd: root,
          env,
        });
        expect(swapped.code).toBe(0);
        expect(swapped.stdout).toMatch(/prod\/x\s+delete/);
        expect(audienceNames(emulator)).toEqual(['Audience y']);
      }),
    );
  });

  it('records, for a plan of a subdirectory of the one the records were applied from, that one', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo } = await gitRepository(root, {
          'teams/mkt/a.yaml': manifestYaml('a', quiet),
          'teams/web/other.yaml': manifestYaml('other', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams'), state, env)).code).toBe(0);
        expect(await storedRecord(state, 'a')).toMatchObject({
          manifestFile: 'mkt/a.yaml',
          sourceRoot: 'teams',
        });

        // An update applied from teams/mkt: its file stays relative to teams (applied-from.ts), and
        // so does the directory recorded with it.
        await writeFile(
          path.join(repo, 'teams/mkt/a.yaml'),
          manifestYaml('a', { ...quiet, spec: { description: 'edited' } }),
        );
        const sub = await runCli(['apply', 'teams/mkt', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(sub.code).toBe(0);
        expect(sub.stdout).toMatch(/prod\/a\s+update/);
        expect(await storedRecord(state, 'a')).toMatchObject({
          manifestFile: 'mkt/a.yaml',
          sourceRoot: 'teams',
        });
        expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience other']);
      }),
    );
  });
});
