import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GIT_ENV, withTempDir, writeFiles } from '../../test/helpers/cli.js';
import { besideAllAlong, filesNaming, lastHolding, type MoveCandidate } from './read-moved.js';

/** A real git repository in `dir` holding `files`, committed. */
async function repository(dir: string, files: Record<string, string>) {
  const git = (...args: string[]) =>
    promisify(execFile)('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
  await git('init', '--quiet');
  await writeFiles(dir, files);
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'first');
  return git;
}

describe('filesNaming: the manifest files that name a key, by one git grep', () => {
  it('finds tracked and untracked *.yaml and *.yml files, not those git ignores nor other files', async () => {
    await withTempDir(async (tmp) => {
      await repository(tmp, {
        '.gitignore': 'ignored/\n',
        'a/gold.yaml': 'name: gold\n',
        'a/silver.yaml': 'name: silver\n',
        'notes.txt': 'gold\n',
      });
      await writeFiles(tmp, { 'b/new.yml': 'key: gold\n', 'ignored/gold.yaml': 'name: gold\n' });
      expect((await filesNaming(tmp, new Set(['gold'])))?.sort()).toEqual(['a/gold.yaml', 'b/new.yml']);
      expect(await filesNaming(tmp, new Set(['tin']))).toEqual([]);
    });
  });

  it('looks in a directory that is no git repository too (the controller checkout)', async () => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, { 'm/gold.yaml': 'name: gold\n', 'm/tin.yaml': 'name: tin\n' });
      expect(await filesNaming(tmp, new Set(['gold']))).toEqual(['m/gold.yaml']);
    });
  });
});

async function besideOf(top: string, candidates: MoveCandidate[]): Promise<Set<MoveCandidate>> {
  const last = await lastHolding(
    top,
    candidates.map((c) => c.gone),
  );
  return besideAllAlong(top, candidates, last);
}

describe('besideAllAlong: a file naming the key that was beside the removed one, not moved there', () => {
  const gone = 'prod/mkt/gold.yaml';
  const beside = { gone, found: 'staging/mkt/gold.yaml' };

  it('a committed removal: the file was in the commit before it; a committed rename: it was not', async () => {
    await withTempDir(async (tmp) => {
      const git = await repository(tmp, {
        [gone]: 'name: gold\n',
        'prod/mkt/tin.yaml': 'name: tin\n',
        'staging/mkt/gold.yaml': 'name: gold\n',
      });
      await git('rm', '--quiet', gone);
      await git('mv', 'prod/mkt', 'prod/marketing');
      await git('commit', '--quiet', '-m', 'gold removed, tin moved');
      const moved = { gone: 'prod/mkt/tin.yaml', found: 'prod/marketing/tin.yaml' };
      expect(await besideOf(tmp, [beside, moved])).toEqual(new Set([beside]));
    });
  });

  it('a removal not committed yet: the file is at HEAD beside it; a file added since is not', async () => {
    await withTempDir(async (tmp) => {
      await repository(tmp, { [gone]: 'name: gold\n', 'staging/mkt/gold.yaml': 'name: gold\n' });
      await rm(path.join(tmp, gone));
      await writeFiles(tmp, { 'docs/gold.yaml': 'name: gold\n' });
      const added = { gone, found: 'docs/gold.yaml' };
      expect(await besideOf(tmp, [beside, added])).toEqual(new Set([beside]));
    });
  });

  it('a file added later beside the one removed afterwards was beside it when it was removed', async () => {
    await withTempDir(async (tmp) => {
      const git = await repository(tmp, { [gone]: 'name: gold\n' });
      await writeFiles(tmp, { 'staging/mkt/gold.yaml': 'name: gold\n' });
      await git('add', '--all');
      await git('commit', '--quiet', '-m', 'staging');
      await git('rm', '--quiet', gone);
      await git('commit', '--quiet', '-m', 'gold removed');
      expect(await besideOf(tmp, [beside])).toEqual(new Set([beside]));
    });
  });

  it('where git cannot place the removed file (no repository, never committed), none is beside', async () => {
    await withTempDir(async (tmp) => {
      await writeFiles(tmp, { 'staging/mkt/gold.yaml': 'name: gold\n' });
      expect(await besideOf(tmp, [beside])).toEqual(new Set());
      await repository(tmp, { 'other.yaml': 'name: tin\n' });
      expect(await besideOf(tmp, [beside])).toEqual(new Set());
    });
  });
});
