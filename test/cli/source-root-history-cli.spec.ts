import { execFile } from 'node:child_process';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { GIT_ENV, runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

/**
 * What git says of a record whose file is gone from the directory it was applied from, beside
 * the one planned (kinds `moved` and `unplaced`, src/manifest/read-moved.ts): removed by this work
 * tree since the commit it was applied from, or not; files naming its key there then, or moved
 * there since. Review 29's cases, with real git work trees, the emulator over HTTP and the built
 * CLI; each failed on 6fbd15e.
 */
const quiet = { ingestion: { onCreate: false } };

async function repository(root: string, name: string, files: Record<string, string>) {
  const repo = path.join(root, name);
  await mkdir(repo);
  const git = gitIn(repo);
  await git('init', '--quiet', '--initial-branch', 'main');
  await writeTree(repo, files);
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'manifests');
  return { repo, git };
}

function gitIn(dir: string) {
  return (...args: string[]) =>
    promisify(execFile)('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
}

async function writeTree(dir: string, files: Record<string, string>) {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
}

function names(emulator: TestEmulator): string[] {
  return emulator.control
    .listAudiences('DEMO0RG0000000000000000@AdobeOrg', 'prod')
    .map((audience) => audience.audienceName)
    .sort();
}

/** teams/mkt/{a,b}.yaml and teams/web/w.yaml, committed, each directory applied. */
async function applied(root: string, emulator: TestEmulator, name = 'repo') {
  const { repo, git } = await repository(root, name, {
    'teams/mkt/a.yaml': manifestYaml('a', quiet),
    'teams/mkt/b.yaml': manifestYaml('b', quiet),
    'teams/web/w.yaml': manifestYaml('w', quiet),
  });
  const state = path.join(root, 'state');
  const env = emulatorEnv(emulator);
  expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
  expect((await apply(path.join(repo, 'teams/web'), state, env)).code).toBe(0);
  expect(names(emulator)).toEqual(['Audience a', 'Audience b', 'Audience w']);
  return { repo, git, state, env };
}

async function planWeb(cwd: string, state: string, env: Record<string, string>) {
  const out = await runCli(['plan', 'teams/web', '--state', state], { cwd, env });
  expect(out.stderr).not.toMatch(/\n\s+at /);
  return out;
}

describe('a record whose file is gone from the directory beside: moved there, or removed', () => {
  it('a manifest copied to its new directory in one commit and removed from the old one in the next is no removal', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await applied(root, emulator);
        // A move in two pull requests: the copy first, then the old file removed.
        await writeTree(repo, { 'teams/marketing/a.yaml': manifestYaml('a', quiet) });
        await git('add', '--all');
        await git('commit', '--quiet', '-m', 'a copied to teams/marketing');
        await git('rm', '--quiet', 'teams/mkt/a.yaml');
        await git('commit', '--quiet', '-m', 'a removed from teams/mkt');
        // teams/web is applied before teams/marketing (the case e8bc1ae held).
        const plan = await planWeb(repo, state, env);
        expect(plan.code, plan.stderr).toBe(0);
        expect(plan.stdout).not.toMatch(/prod\/a\s+delete/);
      }),
    );
  });

  it('a manifest moved into a file that already held other manifests is no removal', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await applied(root, emulator);
        await writeTree(repo, { 'teams/marketing/all.yaml': manifestYaml('z', quiet) });
        await git('add', '--all');
        await git('commit', '--quiet', '-m', 'marketing');
        // Consolidated: a's document appended to the existing multi-document file.
        await appendFile(path.join(repo, 'teams/marketing/all.yaml'), `---\n${manifestYaml('a', quiet)}`);
        await git('rm', '--quiet', 'teams/mkt/a.yaml');
        await git('add', '--all');
        await git('commit', '--quiet', '-m', 'a moved into teams/marketing/all.yaml');
        const plan = await planWeb(repo, state, env);
        expect(plan.code, plan.stderr).toBe(0);
        expect(plan.stdout).not.toMatch(/prod\/a\s+delete/);
      }),
    );
  });
});

describe('removals git shows, holds it cannot, and the ways out they print', () => {
  it('a file removed in a merge commit is one this history held: deleted, not held as another repository’s', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await applied(root, emulator);
        await git('checkout', '--quiet', '-b', 'feature');
        await writeTree(repo, { 'teams/web/x.txt': 'feature\n' });
        await git('add', '--all');
        await git('commit', '--quiet', '-m', 'feature');
        await git('checkout', '--quiet', 'main');
        await writeTree(repo, { 'teams/web/y.txt': 'main\n' });
        await git('add', '--all');
        await git('commit', '--quiet', '-m', 'main');
        // The removal made as part of the merge (git merge --no-commit, git rm, git commit).
        await git('merge', '--no-ff', '--no-commit', 'feature');
        await git('rm', '--quiet', 'teams/mkt/a.yaml');
        await git('commit', '--quiet', '-m', 'merge feature, a removed');
        const plan = await planWeb(repo, state, env);
        expect(plan.code, plan.stderr).toBe(0);
        expect(plan.stdout).toMatch(/prod\/a\s+delete/);
      }),
    );
  });

  it("following an unplaced record's printed way out does not delete a sibling whose manifest moved", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await applied(root, emulator);
        // One change: a removed, b moved to teams/marketing (not applied yet).
        await mkdir(path.join(repo, 'teams/marketing'));
        await git('mv', 'teams/mkt/b.yaml', 'teams/marketing/b.yaml');
        await git('rm', '--quiet', 'teams/mkt/a.yaml');
        await git('commit', '--quiet', '-m', 'a removed, b moved');
        // A CI job's checkout, one commit deep.
        const clone = path.join(root, 'clone');
        await promisify(execFile)('git', ['clone', '--quiet', '--depth', '1', `file://${repo}`, clone], {
          env: { ...process.env, ...GIT_ENV },
        });
        const plan = await planWeb(clone, state, env);
        expect(plan.code, plan.stderr).toBe(0);
        expect(plan.stdout).toContain(
          'to delete it, apply the directories audiences of teams/mkt moved to, if any, then teams/mkt with --allow-empty-source (made again, empty, if it is gone) in the work tree it was applied from',
        );
        expect(plan.stdout).toContain('prod/b: its manifest is now ../marketing/b.yaml');

        // As printed: the directory b moved to, then teams/mkt, made again, empty, with --allow-empty-source.
        const marketing = await runCli(['apply', 'teams/marketing', '--state', state, '--auto-approve'], {
          cwd: clone,
          env,
        });
        expect(marketing.code, marketing.stderr).toBe(0);
        await mkdir(path.join(clone, 'teams/mkt'));
        const out = await runCli(
          ['apply', 'teams/mkt', '--allow-empty-source', '--state', state, '--auto-approve'],
          { cwd: clone, env },
        );
        expect(out.code, out.stderr).toBe(0);
        expect(out.stdout).toMatch(/prod\/a\s+delete/);
        // b's manifest is teams/marketing/b.yaml, as the plan said: its audience stays.
        expect(out.stdout).not.toMatch(/prod\/b\s+delete/);
        expect(names(emulator)).toEqual(['Audience b', 'Audience w']);
      }),
    );
  });

  it('with no git on PATH the hold says git could not answer, not that the history lacks the file', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await applied(root, emulator);
        await git('rm', '--quiet', 'teams/mkt/a.yaml');
        await git('commit', '--quiet', '-m', 'a removed');
        const empty = path.join(root, 'no-git-bin');
        await mkdir(empty);
        const plan = await runCli(['plan', 'teams/web', '--state', state], {
          cwd: repo,
          env: { ...env, PATH: empty },
        });
        expect(plan.code, plan.stderr).toBe(0);
        expect(plan.stdout).not.toMatch(/prod\/a\s+delete/);
        // The history does hold the file (git rm, committed): git could not be asked.
        expect(plan.stdout).toContain(
          'and git could not be asked whether this work tree removed it (spawn git ENOENT)',
        );
        await rm(empty, { recursive: true });
      }),
    );
  });
});
