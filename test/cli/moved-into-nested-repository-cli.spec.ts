import { execFile } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { appliedRepository, gitIn, gitRepository } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * A manifest moved into a git repository inside the work tree (a folder with a `.git` of its
 * own: `git init`, a clone, a submodule), which git's own look at the work tree skips, is held as
 * one moved anywhere else in it, naming that repository (the way out is moving it back, not a
 * plan of another repository): the search looks inside such a repository with its git. Before,
 * `- prod/gold delete: manifest removed`. One that the work tree's .gitignore names is out of
 * the search, as every ignored path is. Real git, the built CLI, the emulator over HTTP.
 */
const run = promisify(execFile);
const quiet = { ingestion: { onCreate: false } };
const FILES = {
  'audiences/gold.yaml': manifestYaml('gold', quiet),
  'audiences/keep.yaml': manifestYaml('keep', quiet),
};
/** The hold of a manifest moved into `repository` (as `file`), both as the plan of audiences shows them. */
const nestedHeld = (file: string, repository: string) =>
  `  prod/gold: its manifest is now ${file}, in ${repository}, a git repository of its own inside the work tree; the audience is left as it is: to keep managing it from this repository, move the file back out of ${repository}; to delete the audience, remove that file too\n`;

/** gold's manifest moved into `other/`, a repository made there with `git init` (no commit). */
async function goldIntoNewRepository(repo: string): Promise<void> {
  await mkdir(path.join(repo, 'other'));
  await gitIn(path.join(repo, 'other'))('init', '--quiet');
  await rename(path.join(repo, 'audiences/gold.yaml'), path.join(repo, 'other/gold.yaml'));
}

/** `plan audiences`, checked to exit 0 without gold's delete: its output. */
async function planHoldingGold(repo: string, state: string, env: Record<string, string>): Promise<string> {
  const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: repo, env });
  expect(planned.stdout).not.toMatch(/^ +- prod\/gold delete/m);
  expect(planned.code, planned.stderr).toBe(0);
  return planned.stdout;
}

describe('a manifest moved into a git repository inside the work tree', () => {
  it('not checked in there (git init, no commit yet): the removal is held', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, state, env } = await appliedRepository(root, emulator, FILES);
        await goldIntoNewRepository(repo);

        expect(await planHoldingGold(repo, state, env)).toContain(
          nestedHeld('../other/gold.yaml', '../other'),
        );
      }),
    );
  });

  it('committed there, its removal committed, two levels of repositories deep: held', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await appliedRepository(root, emulator, FILES);
        const outer = path.join(repo, 'vendor/outer');
        await mkdir(outer, { recursive: true });
        await gitIn(outer)('init', '--quiet');
        const inner = (await gitRepository(outer, { 'README.md': 'inner\n' }, 'inner')).git;
        await mkdir(path.join(outer, 'inner/old'));
        await rename(path.join(repo, 'audiences/gold.yaml'), path.join(outer, 'inner/old/gold.yaml'));
        await inner('add', 'old/gold.yaml');
        await inner('commit', '--quiet', '-m', 'gold moved in');
        await git('add', '--all', 'audiences');
        await git('commit', '--quiet', '-m', 'gold moved out');

        expect(await planHoldingGold(repo, state, env)).toContain(
          nestedHeld('../vendor/outer/inner/old/gold.yaml', '../vendor/outer/inner'),
        );
      }),
    );
  });

  it('a submodule (its .git a file: gitdir), the manifest moved in not checked in there: held', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await appliedRepository(root, emulator, FILES);
        const shared = await gitRepository(root, { 'README.md': 'shared\n' }, 'shared');
        await git('-c', 'protocol.file.allow=always', 'submodule', 'add', '--quiet', shared.repo, 'shared');
        await git('commit', '--quiet', '-m', 'shared added');
        await rename(path.join(repo, 'audiences/gold.yaml'), path.join(repo, 'shared/gold.yaml'));

        expect(await planHoldingGold(repo, state, env)).toContain(
          nestedHeld('../shared/gold.yaml', '../shared'),
        );
      }),
    );
  });

  it('one git cannot search (its index broken): held, naming the repository and why', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, state, env } = await appliedRepository(root, emulator, FILES);
        await goldIntoNewRepository(repo);
        await writeFile(path.join(repo, 'other/.git/index'), 'not an index');

        expect(await planHoldingGold(repo, state, env)).toContain(
          "  prod/gold: ../other may name it but cannot be read (git grep: could not search 'other', a git repository inside the work tree: fatal: .git/index: index file smaller than expected); the audience is left as it is:",
        );
      }),
    );
  });

  it.skipIf(process.getuid?.() !== 0)(
    "one of another user's, which git refuses (safe.directory): held, naming it and git's reason",
    async () => {
      await withTempDir(async (root) =>
        withEmulator({ operationDelayMs: 10 }, async (emulator) => {
          const { repo, state, env } = await appliedRepository(root, emulator, FILES);
          await goldIntoNewRepository(repo);
          await run('chown', ['-R', '65534:65534', path.join(repo, 'other')]);

          expect(await planHoldingGold(repo, state, env)).toContain(
            "  prod/gold: ../other may name it but cannot be read (git grep: could not search 'other', a git repository inside the work tree: fatal: detected dubious ownership in repository at ",
          );
        }),
      );
    },
  );

  it('one the work tree ignores (.gitignore) is out of the search, as any ignored path: deleted', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, git, state, env } = await appliedRepository(root, emulator, FILES);
        await writeFile(path.join(repo, '.gitignore'), 'other/\n');
        await git('add', '.gitignore');
        await git('commit', '--quiet', '-m', 'other ignored');
        await goldIntoNewRepository(repo);

        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: repo, env });
        expect(planned.stdout).toContain(
          '  - prod/gold delete: manifest removed (gold.yaml, not committed yet)',
        );
        expect(planned.code, planned.stderr).toBe(0);
      }),
    );
  });
});
