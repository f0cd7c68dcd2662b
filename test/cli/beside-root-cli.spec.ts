import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { recordPath } from '../../src/state/paths.js';
import type { AudienceRecord } from '../../src/state/schema.js';
import { apply, emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { GIT_ENV, runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

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

async function repository(root: string, files: Record<string, string>): Promise<string> {
  const repo = path.join(root, 'repo');
  await mkdir(repo);
  const git = (...args: string[]) =>
    promisify(execFile)('git', args, { cwd: repo, env: { ...process.env, ...GIT_ENV } });
  await git('init', '--quiet');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(repo, name)), { recursive: true });
    await writeFile(path.join(repo, name), text);
  }
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'manifests');
  return repo;
}

function names(emulator: TestEmulator, sandbox = 'prod'): string[] {
  return emulator.control
    .listAudiences('DEMO0RG0000000000000000@AdobeOrg', sandbox)
    .map((audience) => audience.audienceName)
    .sort();
}

async function recordOf(state: string, key: string, sandbox = 'prod'): Promise<AudienceRecord> {
  return JSON.parse(await readFile(recordPath(state, sandbox, key), 'utf8')) as AudienceRecord;
}

const held = (key: string, file: string, dir: string) =>
  `prod/${key}: its manifest ${file} is outside the directory given, in the one it was applied from; the audience is left as it is: give that directory (${dir}), or remove the file to delete the audience`;

describe('a plan of a directory beside the one the records were applied from', () => {
  it('holds their removals while their files are there, each way round; a file removed there deletes its audience', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const repo = await repository(root, {
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
        expect(names(emulator)).toEqual(['Audience a', 'Audience b']);
        // Named from the top of the git work tree: the same in every clone.
        expect((await recordOf(state, 'a')).sourceRoot).toBe('teams/mkt');

        const web = await cli('teams/web');
        expect(web.code).toBe(0);
        expect(web.stderr).not.toMatch(STACK);
        expect(web.stdout).toContain(held('a', '../mkt/a.yaml', '../mkt'));
        expect(web.stdout).toContain(held('b', '../mkt/b.yaml', '../mkt'));
        expect(web.stdout).not.toMatch(/prod\/[ab]\s+delete/);
        expect(names(emulator)).toEqual(['Audience a', 'Audience b', 'Audience other']);

        // And back: the web directory's audience is held by the mkt directory's apply.
        const mkt = await cli('teams/mkt');
        expect(mkt.code).toBe(0);
        expect(mkt.stdout).toContain(held('other', '../web/other.yaml', '../web'));
        expect(names(emulator)).toEqual(['Audience a', 'Audience b', 'Audience other']);

        // Removing the file deletes, from either directory.
        await rm(path.join(repo, 'teams/mkt/a.yaml'));
        const removed = await cli('teams/web');
        expect(removed.code).toBe(0);
        expect(removed.stdout).toMatch(/prod\/a\s+delete/);
        expect(removed.stdout).toContain(held('b', '../mkt/b.yaml', '../mkt'));
        expect(removed.stderr).not.toMatch(STACK);
        expect(names(emulator)).toEqual(['Audience b', 'Audience other']);
      }),
    );
  });

  it('holds them when the directory given reaches theirs only through a symlink it does not follow', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const repo = await repository(root, {
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
        expect(d.stdout).toContain(held('a', '../teams/mkt/a.yaml', '../teams/mkt'));
        expect(names(emulator)).toEqual(['Audience a', 'Audience other']);
      }),
    );
  });

  it('holds each sandbox a file there names the key in, not only its first document', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const both = `${manifestYaml('cc', { ...quiet, metadata: { sandbox: 'dev' } })}---\n${manifestYaml('cc', quiet)}`;
        const repo = await repository(root, {
          'teams/mkt/cc.yaml': both,
          'teams/web/other.yaml': manifestYaml('other', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        expect([names(emulator, 'dev'), names(emulator)]).toEqual([['Audience cc'], ['Audience cc']]);

        const web = await runCli(['apply', 'teams/web', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(web.code).toBe(0);
        expect(web.stdout).toContain(held('cc', '../mkt/cc.yaml', '../mkt'));
        expect(web.stdout).toContain(held('cc', '../mkt/cc.yaml', '../mkt').replace('prod/', 'dev/'));
        expect(web.stdout).not.toMatch(/\/cc\s+delete/);
        expect([names(emulator, 'dev'), names(emulator)]).toEqual([
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
        expect((await recordOf(state, 'x')).sourceRoot).toBe(path.join(root, 'current'));

        await rm(path.join(root, 'current'));
        await symlink('rel2', path.join(root, 'current'));
        const swapped = await runCli(['apply', 'current', '--state', state, '--auto-approve'], {
          cwd: root,
          env,
        });
        expect(swapped.code).toBe(0);
        expect(swapped.stdout).toMatch(/prod\/x\s+delete/);
        expect(names(emulator)).toEqual(['Audience y']);
      }),
    );
  });

  it('records, for a plan of a subdirectory of the one the records were applied from, that one', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const repo = await repository(root, {
          'teams/mkt/a.yaml': manifestYaml('a', quiet),
          'teams/web/other.yaml': manifestYaml('other', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams'), state, env)).code).toBe(0);
        expect(await recordOf(state, 'a')).toMatchObject({ manifestFile: 'mkt/a.yaml', sourceRoot: 'teams' });

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
        expect(await recordOf(state, 'a')).toMatchObject({ manifestFile: 'mkt/a.yaml', sourceRoot: 'teams' });
        expect(names(emulator)).toEqual(['Audience a', 'Audience other']);
      }),
    );
  });
});
