import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli, withTempDir } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { appliedRepository } from '../helpers/work-tree.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

/**
 * A manifest moved out of the directory given to a file the search elsewhere cannot read is
 * held, never deleted ("only a removed manifest deletes"; "never read a failed call as an
 * answer"): the same file in the directory planned holds deletions with an error.
 */
const run = promisify(execFile);
const quiet = { ingestion: { onCreate: false } };

/** `audiencectl <args>` in `repo` as nobody (root reads any file), `dir` (the repository's, HOME) made nobody's. */
async function cliAsNobody(dir: string, repo: string, args: string[], env: Record<string, string>) {
  await run('chown', ['-R', '65534:65534', dir]);
  return runCli(args, { cwd: repo, env: { ...env, HOME: dir }, uid: 65534, gid: 65534 });
}

/**
 * gold and keep applied from audiences/, then gold's manifest `git rm`'d and written again as
 * `<folder>/<name>` (a string, or bytes: a name no UTF-8 string spells).
 */
async function goldMovedOut(root: string, emulator: TestEmulator, name: string | Buffer, folder = 'other') {
  const files = {
    'audiences/gold.yaml': manifestYaml('gold', quiet),
    'audiences/keep.yaml': manifestYaml('keep', quiet),
  };
  const applied = await appliedRepository(root, emulator, files);
  await mkdir(path.join(applied.repo, folder), { recursive: true });
  await writeFile(
    Buffer.concat([Buffer.from(`${applied.repo}/${folder}/`), Buffer.from(name)]),
    manifestYaml('gold', quiet),
  );
  await applied.git('rm', '--quiet', 'audiences/gold.yaml');
  return applied;
}

/** g<0xFF>old.yaml: a name no UTF-8 string spells. */
const NOT_UTF8 = Buffer.concat([Buffer.from('g'), Buffer.from([0xff]), Buffer.from('old.yaml')]);

describe('a manifest moved out to a file the search cannot read', () => {
  it('is held when its name is not UTF-8 (git gives it as bytes)', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, state, env } = await goldMovedOut(root, emulator, NOT_UTF8);

        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: repo, env });
        expect(planned.stdout).not.toMatch(/^ +- prod\/gold delete/m);
        expect(planned.stdout).toContain(
          'prod/gold: ../other/g\uFFFDold.yaml may name it but cannot be read (its name is not UTF-8 text); the audience is left as it is: let audiencectl read it (its owner or mode; a name in UTF-8), or, if it is no manifest of this audience, move it out of the work tree or list it in .gitignore',
        );
        expect(planned.code, planned.stderr).toBe(0);
      }),
    );
  });

  // Found by the sixtieth pass's verify (F4): the same name inside the directory planned was held
  // with "ENOENT: no such file or directory" (the listing's name, decoded, names no file).
  it('is held, and said to have a name not UTF-8, when renamed so inside the directory given', async () => {
    await withTempDir(async (root) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, state, env } = await goldMovedOut(root, emulator, NOT_UTF8, 'audiences');

        const planned = await runCli(['plan', 'audiences', '--state', state], { cwd: repo, env });
        expect(planned.stdout).not.toMatch(/^ +- prod\/gold delete/m);
        expect(planned.stdout).toContain(
          'prod/gold: not found, but some file could not be read; deletions are held until it is fixed',
        );
        expect(planned.stdout).toContain(
          'g\uFFFDold.yaml: error: cannot read file: its name is not UTF-8 text (shown with \uFFFD for the bytes that are not): rename it in UTF-8 [source/unreadable]',
        );
        expect(planned.stdout).not.toContain('ENOENT');
        expect(planned.code).toBe(1);
      }),
    );
  });

  // Root reads any file: the CLI runs as nobody for these cases (CI runs as root). git translates
  // its messages (`Fehler:`, `Warnung:`) in a user's locale, and the lines the search reads as
  // skipped files must not depend on it: the CLI runs git with its messages in English (git-run.ts).
  const root = process.getuid?.() === 0;
  const german = existsSync('/usr/share/locale/de/LC_MESSAGES/git.mo');
  const locales = [
    {
      title: 'is held when it cannot be read (EACCES: run as root, the CLI as nobody)',
      env: {},
      skip: !root,
    },
    {
      title: 'is held when it cannot be read, in a locale git translates its messages to (LANGUAGE=de)',
      env: { LANGUAGE: 'de', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
      skip: !root || !german,
    },
  ];
  for (const { title, env: locale, skip } of locales) {
    it.skipIf(skip)(title, async () => {
      await withTempDir(async (dir) =>
        withEmulator({ operationDelayMs: 10 }, async (emulator) => {
          const { repo, state, env } = await goldMovedOut(dir, emulator, 'gold.yaml');
          await chmod(path.join(repo, 'other', 'gold.yaml'), 0o000);

          const planned = await cliAsNobody(dir, repo, ['plan', 'audiences', '--state', state], {
            ...env,
            ...locale,
          });
          expect(planned.stdout).not.toMatch(/^ +- prod\/gold delete/m);
          expect(planned.stdout).toMatch(
            /prod\/gold: \.\.\/other\/gold\.yaml may name it but cannot be read \(git grep: failed to stat 'other\/gold\.yaml': Permission denied\); the audience is left as it is: let audiencectl read it /,
          );
          expect(planned.code, planned.stderr).toBe(0);
        }),
      );
    });
  }

  it.skipIf(!root)('is held when its folder cannot be listed (EACCES: git warns, not errs)', async () => {
    await withTempDir(async (dir) =>
      withEmulator({ operationDelayMs: 10 }, async (emulator) => {
        const { repo, state, env } = await goldMovedOut(dir, emulator, 'gold.yaml');
        await chmod(path.join(repo, 'other'), 0o000);

        const planned = await cliAsNobody(dir, repo, ['plan', 'audiences', '--state', state], env);
        expect(planned.stdout).not.toMatch(/^ +- prod\/gold delete/m);
        expect(planned.stdout).toContain(
          'prod/gold: ../other may name it but cannot be read (git grep: could not open directory',
        );
        expect(planned.code, planned.stderr).toBe(0);
      }),
    );
  });

  it.skipIf(!root)(
    'above the directory given, its own file there but unreadable (EACCES), is held',
    async () => {
      await withTempDir(async (dir) =>
        withEmulator({ operationDelayMs: 10 }, async (emulator) => {
          const files = {
            'audiences/gold.yaml': manifestYaml('gold', quiet),
            'audiences/x/keep.yaml': manifestYaml('keep', quiet),
          };
          const { repo, state, env } = await appliedRepository(dir, emulator, files);
          await chmod(path.join(repo, 'audiences', 'gold.yaml'), 0o000);

          const planned = await cliAsNobody(dir, repo, ['plan', 'audiences/x', '--state', state], env);
          expect(planned.stdout).not.toMatch(/^ +- prod\/gold delete/m);
          expect(planned.stdout).toContain(
            'prod/gold: ../gold.yaml may name it but cannot be read (cannot read file: EACCES',
          );
          expect(planned.code, planned.stderr).toBe(0);
        }),
      );
    },
  );
});
