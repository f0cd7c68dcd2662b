import { execFile } from 'node:child_process';
import { chmod, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitRepository } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

/**
 * Where the search for a removed manifest walks a directory (the files a plan of it did not read;
 * outside a git work tree, the directory the records were applied from, above the one given),
 * a file of any name it cannot read, or a folder it cannot list, may hold the manifest moved or
 * renamed: the removal is held, as git's search holds one (moved-out-unreadable-cli). Before, the
 * walk took such a file for no manifest (only a claim in its head was asked) and dropped such a
 * folder: `- prod/gold delete`. Run as nobody (root reads any file); the built CLI, the emulator.
 */
const run = promisify(execFile);
const quiet = { ingestion: { onCreate: false } };
const root = process.getuid?.() === 0;

/** `audiencectl plan <planned>` in `cwd` (its store `state`) as nobody, the test's folder `dir` made nobody's. */
async function planAsNobody(dir: string, cwd: string, planned: string, env: Record<string, string>) {
  await run('chown', ['-R', '65534:65534', dir]);
  const state = path.join(cwd, 'state');
  return runCli(['plan', planned, '--state', state], {
    cwd,
    env: { ...env, HOME: dir },
    uid: 65534,
    gid: 65534,
  });
}

describe.skipIf(!root)('a removed manifest where the search walks a directory it cannot read all of', () => {
  for (const where of ['git', 'plain'] as const) {
    it(`moved to a name the plan does not read (gold.bak) that cannot be read, in the directory given (${where === 'git' ? 'a git work tree' : 'no git'}): held`, async () => {
      await withTempDir(async (dir) =>
        withEmulator({ operationDelayMs: 10 }, async (emulator) => {
          const env = emulatorEnv(emulator);
          const files = {
            'aud/gold.yaml': manifestYaml('gold', quiet),
            'aud/keep.yaml': manifestYaml('keep', quiet),
          };
          const top = where === 'git' ? (await gitRepository(dir, files)).repo : path.join(dir, 'plain');
          if (where === 'plain') await writeFiles(top, files);
          expect((await apply(path.join(top, 'aud'), path.join(top, 'state'), env)).code).toBe(0);
          await mkdir(path.join(top, 'aud/partners'));
          await rename(path.join(top, 'aud/gold.yaml'), path.join(top, 'aud/partners/gold.bak'));
          await chmod(path.join(top, 'aud/partners/gold.bak'), 0o000);

          const planned = await planAsNobody(dir, top, 'aud', env);
          expect(planned.stdout).not.toMatch(/^ +- prod\/gold delete/m);
          expect(planned.stdout, planned.stderr).toContain(
            "  prod/gold: partners/gold.bak may name it but cannot be read (cannot read file: EACCES: permission denied, open 'aud/partners/gold.bak'); the audience is left as it is: let audiencectl read it",
          );
          expect(planned.code, planned.stderr).toBe(0);
        }),
      );
    });
  }

  for (const { title, moved, locked, held } of [
    {
      title: 'to a file it cannot read, of any name (old/gold.bak)',
      moved: 'aud/old/gold.bak',
      locked: 'aud/old/gold.bak',
      held: '  prod/gold: ../old/gold.bak may name it but cannot be read (cannot read file: EACCES: permission denied, open ',
    },
    {
      title: 'into a folder it cannot list (old/gold.yaml)',
      moved: 'aud/old/gold.yaml',
      locked: 'aud/old',
      held: "  prod/gold: ../old may name it but cannot be read (cannot read folder: EACCES: permission denied, scandir '",
    },
  ]) {
    it(`outside git, moved above the directory given ${title}: held`, async () => {
      await withTempDir(async (dir) =>
        withEmulator({ operationDelayMs: 10 }, async (emulator) => {
          const env = emulatorEnv(emulator);
          const top = path.join(dir, 'plain');
          await writeFiles(top, {
            'aud/gold.yaml': manifestYaml('gold', quiet),
            'aud/x/keep.yaml': manifestYaml('keep', quiet),
          });
          expect((await apply(path.join(top, 'aud'), path.join(top, 'state'), env)).code).toBe(0);
          await mkdir(path.join(top, 'aud/old'));
          await rename(path.join(top, 'aud/gold.yaml'), path.join(top, moved));
          await chmod(path.join(top, locked), 0o000);

          const planned = await planAsNobody(dir, top, 'aud/x', env);
          expect(planned.stdout).not.toMatch(/^ +- prod\/gold delete/m);
          expect(planned.stdout, planned.stderr).toContain(held);
          expect(planned.stdout).toMatch(/\); the audience is left as it is: let audiencectl read it /);
          expect(planned.code, planned.stderr).toBe(0);
        }),
      );
    });
  }
});
