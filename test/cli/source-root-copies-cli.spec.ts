import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { GIT_ENV, runCli, withTempDir } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, gitIn, gitRepository, storedRecord, shallowClone } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * The directory records were applied from (sourceRoot) against copies of it outside git,
 * artifacts without .git, and other directories of the work tree (review 28b): a git work tree,
 * the emulator over HTTP, the built CLI. The commands each case is about spawn the built CLI; the
 * steps that only set a story up (the first applies, the plan saved in git whose apply without .git
 * a case is about) run the CLI's entry in this process.
 */
const quiet = { ingestion: { onCreate: false } };

describe('records applied from a git work tree, planned from copies and other directories', () => {
  it('an apply outside git that PATCHes keeps the path from the git top, and a sibling copy does not delete', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo } = await gitRepository(root, {
          'teams/mkt/a.yaml': manifestYaml('a', quiet),
          'teams/web/other.yaml': manifestYaml('other', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        expect((await apply(path.join(repo, 'teams/web'), state, env)).code).toBe(0);

        // A container's bind mount of teams/mkt whose description was edited: a PATCH, not a no-change apply.
        const mounted = path.join(root, 'm');
        await cp(path.join(repo, 'teams/mkt'), mounted, { recursive: true });
        await writeFile(
          path.join(mounted, 'a.yaml'),
          manifestYaml('a', { ...quiet, spec: { description: 'Edited' } }),
        );
        const patched = await runCli(['apply', mounted, '--state', state, '--auto-approve'], {
          cwd: root,
          env,
        });
        expect(patched.code, patched.stderr).toBe(0);
        expect(patched.stdout).toMatch(/prod\/a update: patched description/);
        expect((await storedRecord(state, 'a')).sourceRoot).toBe('teams/mkt');
        await rm(mounted, { recursive: true });

        // web's container: a copy of teams/web, outside git too.
        const web = path.join(root, 'w');
        await cp(path.join(repo, 'teams/web'), web, { recursive: true });
        const fromWeb = await runCli(['apply', web, '--state', state, '--auto-approve'], { cwd: root, env });
        expect(fromWeb.code, fromWeb.stderr).toBe(0);
        expect(fromWeb.stdout).not.toMatch(/prod\/a\s+delete/);
        expect(audienceNames(emulator)).toEqual(['Audience a', 'Audience other']);
      }),
    );
  });

  it("a saved plan made in git, applied where its .git is gone, deletes its own directory's removed manifest", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git } = await gitRepository(root, {
          'm/a.yaml': manifestYaml('a', quiet),
          'm/b.yaml': manifestYaml('b', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'm'), state, env)).code).toBe(0);
        await git('rm', '--quiet', 'm/b.yaml');
        await git('commit', '--quiet', '-m', 'b removed');
        const planned = await runCliInProcess(
          ['plan', 'm', '--state', state, '--output', 'json', '--out', path.join(root, 'plan.json')],
          { cwd: repo, env },
        );
        expect(planned.code, planned.stderr).toBe(0);

        // The apply job: the same path, unpacked from an artifact (no .git).
        await rename(path.join(repo, '.git'), path.join(root, 'git-away'));
        const applied = await runCli(['apply', 'plan.json', '--state', state, '--auto-approve'], {
          cwd: root,
          env,
        });
        expect(applied.code, applied.stderr).toBe(0);
        expect(applied.stdout).toMatch(/prod\/b delete: deleted/);
        expect(audienceNames(emulator)).toEqual(['Audience a']);
      }),
    );
  });

  it("a plan in another git repository sharing the store does not delete the first repository's audiences", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const a = await gitRepository(root, { 'teams/mkt/gold.yaml': manifestYaml('gold', quiet) }, 'a');
        const b = await gitRepository(root, { 'teams/web/site.yaml': manifestYaml('site', quiet) }, 'b');
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(a.repo, 'teams/mkt'), state, env)).code).toBe(0);

        const planned = await runCli(['apply', 'teams/web', '--state', state, '--auto-approve'], {
          cwd: b.repo,
          env,
        });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).not.toMatch(/prod\/gold\s+delete/);
        expect(planned.stdout).toContain(
          "prod/gold: it was applied from teams/mkt (from the top of its git work tree), where its file teams/mkt/gold.yaml is gone, and git does not show this work tree removing it since it was applied (another repository's, sharing the store; a file never committed; a shallow clone's history); the audience is left as it is: to delete it, apply the directories audiences of teams/mkt moved to, if any, then teams/mkt with --allow-empty-source (made again, empty, if it is gone) in the work tree it was applied from",
        );
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience site']);
      }),
    );
  });

  it('a directory removed before a shallow clone begins is held there, and the way out it prints deletes', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git } = await gitRepository(root, {
          'teams/mkt/gold.yaml': manifestYaml('gold', quiet),
          'teams/web/site.yaml': manifestYaml('site', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        await git('rm', '-r', '--quiet', 'teams/mkt');
        await git('commit', '--quiet', '-m', 'mkt retired');
        await writeFile(path.join(repo, 'notes.txt'), 'later\n');
        await git('add', 'notes.txt');
        await git('commit', '--quiet', '-m', 'later');
        const clone = path.join(root, 'clone');
        await shallowClone(repo, clone);

        const held = await runCli(['apply', 'teams/web', '--state', state, '--auto-approve'], {
          cwd: clone,
          env,
        });
        expect(held.code, held.stderr).toBe(0);
        expect(held.stdout).not.toMatch(/prod\/gold\s+delete/);
        expect(held.stdout).toContain(
          'prod/gold: it was applied from teams/mkt (from the top of its git work tree)',
        );
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience site']);

        // As printed: teams/mkt, made again, empty, applied with --allow-empty-source.
        await mkdir(path.join(clone, 'teams/mkt'));
        const out = await runCli(
          ['apply', 'teams/mkt', '--allow-empty-source', '--state', state, '--auto-approve'],
          {
            cwd: clone,
            env,
          },
        );
        expect(out.code, out.stderr).toBe(0);
        expect(out.stdout).toMatch(/prod\/gold\s+delete/);
        expect(audienceNames(emulator)).toEqual(['Audience site']);
      }),
    );
  });

  it("a saved plan that deletes another directory's audience, applied where .git is gone, is refused for what it cannot look into", async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git } = await gitRepository(root, {
          'teams/mkt/gold.yaml': manifestYaml('gold', quiet),
          'teams/web/site.yaml': manifestYaml('site', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        expect((await apply(path.join(repo, 'teams/web'), state, env)).code).toBe(0);
        await git('rm', '--quiet', 'teams/mkt/gold.yaml');
        await git('commit', '--quiet', '-m', 'gold removed');
        const plan = path.join(root, 'plan.json');
        const planned = await runCliInProcess(
          ['plan', 'teams/web', '--state', state, '--output', 'json', '--out', plan],
          {
            cwd: repo,
            env,
          },
        );
        expect(planned.code, planned.stderr).toBe(0);
        expect(await readFile(plan, 'utf8')).toMatch(/"kind": "delete"/);

        await rename(path.join(repo, '.git'), path.join(root, 'git-away'));
        const applied = await runCli(['apply', plan, '--state', state, '--auto-approve'], { cwd: root, env });
        expect(applied.code).not.toBe(0);
        expect(applied.stderr).toContain(
          'step prod/gold:delete differs (the removal of prod/gold is held now: it was applied from teams/mkt in a git work tree, which this apply, of a directory in none, cannot look into for teams/mkt/gold.yaml); run plan again',
        );
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience site']);
      }),
    );
  });

  it('a sparse checkout of one directory holds the audiences of another it leaves out, and deletes what was removed there', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git } = await gitRepository(root, {
          'teams/mkt/gold.yaml': manifestYaml('gold', quiet),
          'teams/mkt/tin.yaml': manifestYaml('tin', quiet),
          'teams/web/site.yaml': manifestYaml('site', quiet),
        });
        const state = path.join(root, 'state');
        const env = emulatorEnv(emulator);
        expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
        expect((await apply(path.join(repo, 'teams/web'), state, env)).code).toBe(0);
        await git('rm', '--quiet', 'teams/mkt/tin.yaml');
        await git('commit', '--quiet', '-m', 'tin removed');
        // web's CI job checks out its own directory only.
        const clone = path.join(root, 'clone');
        const inClone = gitIn(clone);
        await promisify(execFile)('git', ['clone', '--quiet', '--no-checkout', `file://${repo}`, clone], {
          env: { ...process.env, ...GIT_ENV },
        });
        await inClone('sparse-checkout', 'set', 'teams/web');
        await inClone('checkout', '--quiet');

        const web = await runCli(['apply', 'teams/web', '--state', state, '--auto-approve'], {
          cwd: clone,
          env,
        });
        expect(web.code, web.stderr).toBe(0);
        expect(web.stdout).not.toMatch(/prod\/gold\s+delete/);
        expect(web.stdout).toContain(
          'prod/gold: its manifest teams/mkt/gold.yaml is in this repository but not checked out here (a sparse checkout leaves teams/mkt out); the audience is left as it is: apply teams/mkt from a checkout that has it, where removing the file deletes the audience',
        );
        expect(web.stdout).toMatch(/prod\/tin\s+delete/);
        expect(audienceNames(emulator)).toEqual(['Audience gold', 'Audience site']);
      }),
    );
  });
});
