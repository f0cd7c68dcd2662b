import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { GIT_ENV, runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames } from '../helpers/work-tree.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

/**
 * Review 29b: a record whose file moved from the directory beside the one planned is found where
 * it is now, whatever the sandbox that plan gives manifests that name none, and in a folder a
 * .gitignore names (src/manifest/read-moved.ts filesNaming). Each case failed on 454eee1: the
 * audience was deleted.
 */
const quiet = { ingestion: { onCreate: false } };

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

/** teams/mkt/{gold,b}.yaml and teams/web/w.yaml, committed on main, each directory applied. */
async function applied(root: string, emulator: TestEmulator) {
  const repo = path.join(root, 'repo');
  await mkdir(repo);
  const git = gitIn(repo);
  await git('init', '--quiet', '--initial-branch', 'main');
  await writeTree(repo, {
    'teams/mkt/gold.yaml': manifestYaml('gold', quiet),
    'teams/mkt/b.yaml': manifestYaml('b', quiet),
    'teams/web/w.yaml': manifestYaml('w', quiet),
  });
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'manifests');
  const state = path.join(root, 'state');
  const env = emulatorEnv(emulator);
  expect((await apply(path.join(repo, 'teams/mkt'), state, env)).code).toBe(0);
  expect((await apply(path.join(repo, 'teams/web'), state, env)).code).toBe(0);
  expect(audienceNames(emulator)).toEqual(['Audience b', 'Audience gold', 'Audience w']);
  return { repo, git, state, env };
}

async function plan(cwd: string, dir: string, state: string, env: Record<string, string>) {
  const out = await runCli(['plan', dir, '--state', state], { cwd, env });
  expect(out.stderr).not.toMatch(/\n\s+at /);
  return out;
}

describe('a record whose file moved from the directory beside the one planned', () => {
  it('a manifest moved (committed, git add -f) into a folder .gitignore names is no removal', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await applied(root, emulator);
        // A folder .gitignore names, its manifest committed anyway (git add -f): tracked, in HEAD.
        await writeTree(repo, {
          '.gitignore': 'generated/\n',
          'generated/mkt/gold.yaml': manifestYaml('gold', quiet),
        });
        await git('rm', '--quiet', 'teams/mkt/gold.yaml');
        await git('add', '--all');
        await git('add', '-f', 'generated/mkt/gold.yaml');
        await git('commit', '--quiet', '-m', 'gold moved to generated/mkt');
        expect((await git('ls-files', 'generated')).stdout).toBe('generated/mkt/gold.yaml\n');
        // Its new directory plans it as a move (record only), so it is this audience's manifest.
        const moved = await plan(repo, 'generated/mkt', state, env);
        expect(moved.stdout).toMatch(/prod\/gold update: manifest directory changed \(record only/);
        const out = await plan(repo, 'teams/web', state, env);
        expect(out.stdout).not.toMatch(/prod\/gold\s+delete/);
      }),
    );
  });

  it('a manifest naming no sandbox moved by git mv is no removal for a directory beside planned with another default sandbox (AEP_SANDBOX=dev)', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const repo = path.join(root, 'repo');
        await mkdir(repo);
        const git = gitIn(repo);
        await git('init', '--quiet', '--initial-branch', 'main');
        await writeTree(repo, {
          'teams/mkt/gold.yaml': manifestYaml('gold', quiet),
          'teams/web/w.yaml': manifestYaml('w', quiet),
        });
        await git('add', '--all');
        await git('commit', '--quiet', '-m', 'manifests');
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
        const moved = await plan(repo, 'teams/marketing', state, env);
        expect(moved.stdout).toMatch(/prod\/gold update: manifest directory changed \(record only/);
        const out = await plan(repo, 'teams/web', state, dev);
        expect(out.stdout).not.toMatch(/prod\/gold\s+delete/);
      }),
    );
  });
});
