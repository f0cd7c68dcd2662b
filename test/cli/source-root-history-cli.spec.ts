import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { audienceNames, besideHeld, gitRepository, shallowClone } from '../helpers/work-tree.js';
import { manifestYaml, manifestYamlSpelled } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

/**
 * What git says of a record whose file is gone from the directory it was applied from, beside
 * the one planned (kinds `moved` and `unplaced`, src/manifest/read-moved.ts): removed by this work
 * tree since the commit it was applied from, or not; files naming its key there then, or moved
 * there since. Review 29's cases, with real git work trees, the emulator over HTTP and the built
 * CLI; each failed on 6fbd15e.
 */
const quiet = { ingestion: { onCreate: false } };

/** teams/mkt/{<first>,b}.yaml and teams/web/w.yaml, committed, each directory applied. */
async function applied(root: string, emulator: TestEmulator, first = 'a') {
  const { repo, git } = await gitRepository(root, {
    [`teams/mkt/${first}.yaml`]: manifestYaml(first, quiet),
    'teams/mkt/b.yaml': manifestYaml('b', quiet),
    'teams/web/w.yaml': manifestYaml('w', quiet),
  });
  const state = path.join(root, 'state');
  const env = emulatorEnv(emulator);
  expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
  expect((await apply(path.join(repo, 'teams/web'), state, env)).code).toBe(0);
  expect(audienceNames(emulator)).toEqual([`Audience ${first}`, 'Audience b', 'Audience w'].sort());
  return { repo, git, state, env };
}

async function plan(cwd: string, dir: string, state: string, env: Record<string, string>) {
  const out = await runCli(['plan', dir, '--state', state], { cwd, env });
  expect(out.stderr).not.toMatch(/\n\s+at /);
  return out;
}

/**
 * A premise of a case (its new directory plans the file as a move): the same plan by the CLI's
 * entry in this process (cli-in-process.ts), asserted alike; the plan of the directory beside,
 * the case's subject, spawns the built CLI.
 */
async function premisePlan(cwd: string, dir: string, state: string, env: Record<string, string>) {
  const out = await runCliInProcess(['plan', dir, '--state', state], { cwd, env });
  expect(out.stderr).not.toMatch(/\n\s+at /);
  return out;
}

const planWeb = (cwd: string, state: string, env: Record<string, string>) =>
  plan(cwd, 'teams/web', state, env);

describe('a record whose file is gone from the directory beside: moved there, or removed', () => {
  it('a manifest copied to its new directory in one commit and removed from the old one in the next is no removal', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await applied(root, emulator);
        // A move in two pull requests: the copy first, then the old file removed.
        await writeFiles(repo, { 'teams/marketing/a.yaml': manifestYaml('a', quiet) });
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
        await writeFiles(repo, { 'teams/marketing/all.yaml': manifestYaml('z', quiet) });
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
        await writeFiles(repo, { 'teams/web/x.txt': 'feature\n' });
        await git('add', '--all');
        await git('commit', '--quiet', '-m', 'feature');
        await git('checkout', '--quiet', 'main');
        await writeFiles(repo, { 'teams/web/y.txt': 'main\n' });
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
        await shallowClone(repo, clone);
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
        expect(audienceNames(emulator)).toEqual(['Audience b', 'Audience w']);
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

describe('a record whose file moved from the directory beside the one planned', () => {
  it('a manifest moved (committed, git add -f) into a folder .gitignore names is no removal', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await applied(root, emulator, 'gold');
        // A folder .gitignore names, its manifest committed anyway (git add -f): tracked, in HEAD.
        await writeFiles(repo, {
          '.gitignore': 'generated/\n',
          'generated/mkt/gold.yaml': manifestYaml('gold', quiet),
        });
        await git('rm', '--quiet', 'teams/mkt/gold.yaml');
        await git('add', '--all');
        await git('add', '-f', 'generated/mkt/gold.yaml');
        await git('commit', '--quiet', '-m', 'gold moved to generated/mkt');
        expect((await git('ls-files', 'generated')).stdout).toBe('generated/mkt/gold.yaml\n');
        // Its new directory plans it as a move (record only), so it is this audience's manifest.
        const moved = await premisePlan(repo, 'generated/mkt', state, env);
        expect(moved.stdout).toMatch(/prod\/gold update: manifest directory changed \(record only/);
        const out = await plan(repo, 'teams/web', state, env);
        expect(out.stdout).not.toMatch(/prod\/gold\s+delete/);
      }),
    );
  });

  it('a manifest naming no sandbox moved by git mv is no removal for a directory beside planned with another default sandbox (AEP_SANDBOX=dev)', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git } = await gitRepository(root, {
          'teams/mkt/gold.yaml': manifestYaml('gold', quiet),
          'teams/web/w.yaml': manifestYaml('w', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        // Each directory's job has its sandbox: mkt's prod (the default), web's dev.
        const dev = { ...env, AEP_SANDBOX: 'dev' };
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        expect((await apply(path.join(repo, 'teams/web'), state, dev)).code).toBe(0);
        expect(audienceNames(emulator, 'dev')).toEqual(['Audience w']);
        await mkdir(path.join(repo, 'teams/marketing'));
        await git('mv', 'teams/mkt/gold.yaml', 'teams/marketing/gold.yaml');
        await git('commit', '--quiet', '-m', 'gold moved');
        // Its new directory, in its sandbox, plans it as a move (record only).
        const moved = await premisePlan(repo, 'teams/marketing', state, env);
        expect(moved.stdout).toMatch(/prod\/gold update: manifest directory changed \(record only/);
        const out = await plan(repo, 'teams/web', state, dev);
        expect(out.stdout).not.toMatch(/prod\/gold\s+delete/);
      }),
    );
  });

  it('a manifest moved by git mv, its key then spelled with a YAML escape ("g\\x6Fld"), is no removal: plan and apply of the directory beside hold it', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await applied(root, emulator, 'gold');
        await mkdir(path.join(repo, 'teams/marketing'));
        await git('mv', 'teams/mkt/gold.yaml', 'teams/marketing/gold.yaml');
        await writeFile(
          path.join(repo, 'teams/marketing/gold.yaml'),
          manifestYamlSpelled('gold', 'g\\x6Fld', quiet),
        );
        await git('commit', '--quiet', '-am', 'gold moved, its key spelled with an escape');
        const out = await plan(repo, 'teams/web', state, env);
        expect(out.code, out.stderr).toBe(0);
        expect(out.stdout).not.toMatch(/prod\/gold\s+delete/);
        expect(out.stdout).toContain('prod/gold: its manifest is now ../marketing/gold.yaml');
        const web = await runCli(['apply', 'teams/web', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(web.code, web.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience b', 'Audience gold', 'Audience w']);
      }),
    );
  });
});

describe('a record whose file is still in the directory beside, its key spelled with a YAML escape', () => {
  it('is held there ("\\u0067old"): plan and apply of the directory beside do not delete it', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await applied(root, emulator, 'gold');
        await writeFile(
          path.join(repo, 'teams/mkt/gold.yaml'),
          manifestYamlSpelled('gold', '\\u0067old', quiet),
        );
        await git('commit', '--quiet', '-am', 'gold: its key spelled with an escape');
        const out = await plan(repo, 'teams/web', state, env);
        expect(out.code, out.stderr).toBe(0);
        expect(out.stdout).toContain(besideHeld('gold', '../mkt/gold.yaml', '../mkt'));
        const web = await runCli(['apply', 'teams/web', '--state', state, '--auto-approve'], {
          cwd: repo,
          env,
        });
        expect(web.code, web.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience b', 'Audience gold', 'Audience w']);
      }),
    );
  });
});
