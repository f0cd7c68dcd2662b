import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apply, emulatorEnv } from '../helpers/apply-env.js';
import { runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { audienceNames, gitIn, gitRepository } from '../helpers/work-tree.js';
import { manifestYaml } from '../helpers/manifests.js';
import { withEmulator, type TestEmulator } from '../helpers/with-emulator.js';

// Manifests in a git submodule (m). A plain `git pull` of the superproject moves the commit it
// records for m, not m's checkout: m is stale (`git status`: " M m"). Its manifests are an
// older picture: not read, the audiences they defined held, with a warning naming the way out
// (review 31, H-5). Built CLI, real git (local submodules: protocol.file.allow), the emulator.

const quiet = { ingestion: { onCreate: false } };

/** git allowing a submodule's file:// URL, as GIT_ENV's author. */
const gitFile = (dir: string) => {
  const git = gitIn(dir);
  return (...args: string[]) => git('-c', 'protocol.file.allow=always', ...args);
};

const WARNING =
  'm: warning: a git submodule checked out at another commit than the work tree records for it (git submodule status marks it +): its manifests are not read, and the audiences they defined are left as they are; run `git submodule update --init -- m` at the top of the work tree, or, to apply the commit checked out, record it (`git add -- m` there, and commit) [source/submodule-stale]';
const HELD = (key: string) =>
  `prod/${key}: m is a git submodule checked out at another commit than the work tree records (see its warning); the audience is left as it is`;

/**
 * mods (g v1, and `older` files more) as submodule m of sup; clones a and b of sup; then
 * upstream mods gets `newer` (undefined: the file removed) and sup records it. Clone a is
 * pulled with its submodule; b is not pulled yet.
 */
async function twoClones(
  root: string,
  older: Record<string, string>,
  newer: Record<string, string | undefined>,
) {
  const mods = await gitRepository(
    root,
    { 'g.yaml': manifestYaml('g', { ...quiet, spec: { description: 'v1' } }), ...older },
    'mods',
  );
  const sup = await gitRepository(root, { 'README.md': 'audiences\n' }, 'sup');
  await gitFile(sup.repo)('submodule', 'add', '--quiet', mods.repo, 'm');
  await sup.git('commit', '--quiet', '-m', 'm: the manifests, as a submodule');
  const a = path.join(root, 'a');
  const b = path.join(root, 'b');
  await gitFile(root)('clone', '--quiet', '--recurse-submodules', sup.repo, a);
  await gitFile(root)('clone', '--quiet', '--recurse-submodules', sup.repo, b);

  const written: Record<string, string> = {};
  for (const [file, text] of Object.entries(newer)) {
    if (text === undefined) await mods.git('rm', '--quiet', file);
    else written[file] = text;
  }
  await writeFiles(mods.repo, written);
  await mods.git('add', '--all');
  await mods.git('commit', '--quiet', '-m', 'upstream change');
  await gitFile(path.join(sup.repo, 'm'))('pull', '--quiet', 'origin', 'main');
  await sup.git('add', 'm');
  await sup.git('commit', '--quiet', '-m', 'm: upstream change');

  await gitFile(a)('pull', '--quiet', '--recurse-submodules');
  await gitFile(a)('submodule', 'update', '--quiet');
  return { a, b };
}

/**
 * twoClones in a temporary directory, with the emulator and a directory store (`state`) for
 * the clones' applies; all removed after.
 */
async function withClones(
  older: Record<string, string>,
  newer: Record<string, string | undefined>,
  fn: (c: {
    emulator: TestEmulator;
    env: Record<string, string>;
    state: string;
    a: string;
    b: string;
  }) => Promise<void>,
): Promise<void> {
  await withTempDir(async (root) =>
    withEmulator({ operationDelayMs: 10 }, async (emulator) => {
      const clones = await twoClones(root, older, newer);
      await fn({ emulator, env: emulatorEnv(emulator), state: path.join(root, 'state'), ...clones });
    }),
  );
}

describe('manifests in a git submodule checked out at another commit than the superproject records', () => {
  it('H-5: after a plain git pull (submodule not updated), apply of the work tree neither deletes the audience the newer submodule commit added nor PATCHes back', async () => {
    await withClones(
      {},
      {
        'g.yaml': manifestYaml('g', { ...quiet, spec: { description: 'v2' } }),
        'h.yaml': manifestYaml('h', quiet),
      },
      async ({ emulator, env, state, a, b }) => {
        const first = await apply(a, state, env);
        expect(first.code, first.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience g', 'Audience h']);

        // Clone b: a plain git pull (submodules are not updated by default): HEAD is a's HEAD,
        // but m is still at the older commit (git status: " M m").
        await gitFile(b)('pull', '--quiet');
        expect((await gitIn(b)('status', '--porcelain')).stdout).toBe(' M m\n');

        const planned = await runCli(['plan', '.', '--state', state], { cwd: b, env });
        expect(planned.code, planned.stderr).toBe(0);
        expect(planned.stdout).toContain(WARNING);
        expect(planned.stdout).toContain(`Held (left alone): 2\n  ${HELD('g')}\n  ${HELD('h')}\n`);
        const validated = await runCli(['validate', '.'], { cwd: b, env });
        expect(validated.code, validated.stdout + validated.stderr).toBe(0);
        expect(validated.stdout + validated.stderr).toContain(WARNING);

        const out = await runCli(['apply', '.', '--state', state, '--auto-approve'], { cwd: b, env });
        expect(out.code, out.stdout + out.stderr).toBe(0);
        expect(out.stdout).not.toMatch(/prod\/h\s+delete/);
        expect(out.stdout).not.toContain('~ description: "v2" -> "v1"');
        expect(out.stdout).toContain(WARNING);
        expect(audienceNames(emulator)).toEqual(['Audience g', 'Audience h']);
        const g = emulator.control
          .listAudiences('DEMO0RG0000000000000000@AdobeOrg', 'prod')
          .find((audience) => audience.audienceName === 'Audience g');
        expect(g?.description).toBe('v2');

        // The way out the warning gives: then nothing is left to do.
        await gitFile(b)('submodule', 'update', '--quiet', '--init', '--', 'm');
        const after = await runCli(['plan', '.', '--state', state, '--detailed-exitcode'], { cwd: b, env });
        expect(after.stdout).not.toContain('submodule');
        expect(after.code, after.stdout + after.stderr).toBe(0);
      },
    );
  });

  it('an audience the newer submodule commit removed (and an apply deleted) is not created again from the stale checkout', async () => {
    await withClones(
      { 'x.yaml': manifestYaml('x', quiet) },
      { 'x.yaml': undefined },
      async ({ emulator, env, state, a, b }) => {
        // Clone b applies first, at the older commit: g and x.
        const older = await apply(b, state, env);
        expect(older.code, older.stderr).toBe(0);
        expect(audienceNames(emulator)).toEqual(['Audience g', 'Audience x']);
        // Clone a, pulled with its submodule: x removed upstream, deleted.
        const newer = await apply(a, state, env);
        expect(newer.code, newer.stdout + newer.stderr).toBe(0);
        expect(newer.stdout).toMatch(/prod\/x\s+delete/);
        expect(audienceNames(emulator)).toEqual(['Audience g']);

        // Clone b, plainly pulled: m still holds x.yaml, at the older commit.
        await gitFile(b)('pull', '--quiet');
        const out = await runCli(['apply', '.', '--state', state, '--auto-approve'], { cwd: b, env });
        expect(out.code, out.stdout + out.stderr).toBe(0);
        expect(out.stdout).not.toMatch(/prod\/x\s+create/);
        expect(out.stdout).toContain(WARNING);
        expect(audienceNames(emulator)).toEqual(['Audience g']);
      },
    );
  });
});
