import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cliBench, type CliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, gitIn, gitRepository } from '../helpers/work-tree.js';

// Manifests in a git submodule (m/shared). A clone that did not initialise it (a plain `git
// clone`, as CI checkouts do unless asked) has its folder empty: a folder that was not read, as
// a symlink that is not followed is. The audiences it defined are held, with a warning naming
// the way out; once it is checked out, a manifest removed in it deletes as any other.
// Built CLI, real git, the emulator over HTTP. The plans and applies each case is about spawn the
// built CLI; the premises of the story after checking out (still held, then stale until recorded:
// each the subject of a case of its own, here or in submodule-stale-cli) run the CLI's entry in
// this process (setUp), asserted alike.

/** git allowing a submodule's file:// URL, as GIT_ENV's author. */
const gitFile = (dir: string) => {
  const git = gitIn(dir);
  return (...args: string[]) => git('-c', 'protocol.file.allow=always', ...args);
};

/**
 * repo: m/gold.yaml and the submodule m/shared (silver, and `shared` files more); applied from
 * a clone that initialised it (`full`). Returns the repository and a plain clone (`plain`).
 */
async function appliedWithSubmodule({ tmp, setUp }: CliBench, shared: Record<string, string>) {
  const sub = await gitRepository(tmp, shared, 'shared');
  const { repo, git } = await gitRepository(tmp, { 'm/gold.yaml': manifestYaml('gold') });
  await gitFile(repo)('submodule', 'add', '--quiet', sub.repo, 'm/shared');
  await git('commit', '--quiet', '-m', 'm/shared: the shared manifests, as a submodule');

  const full = path.join(tmp, 'full');
  await gitFile(tmp)('clone', '--quiet', '--recurse-submodules', repo, full);
  const first = await setUp('apply', path.join(full, 'm'), '--auto-approve');
  expect(first.code, first.stdout + first.stderr).toBe(0);

  // A CI job's checkout: git clone (actions/checkout) leaves submodules out unless asked.
  const plain = path.join(tmp, 'plain');
  await gitIn(tmp)('clone', '--quiet', repo, plain);
  return { repo, git, full, plain };
}

const WARNING =
  'shared: warning: a git submodule that is not checked out: its manifests are not read, and the audiences they defined are left as they are; run `git submodule update --init -- m/shared` at the top of the work tree, or remove the submodule (git rm) to delete them [source/submodule-not-checked-out]';

describe('manifests in a git submodule, planned from a clone that did not initialise it', () => {
  it('H-4: a plain `git clone` (submodule directory empty) does not delete the audiences the submodule defines', async () => {
    await cliBench(async (b) => {
      const { plain } = await appliedWithSubmodule(b, { 'silver.yaml': manifestYaml('silver') });
      expect(audienceNames(b.emulator)).toEqual(['Audience gold', 'Audience silver']);

      const planned = await b.cli('plan', path.join(plain, 'm'));
      expect(planned.code, planned.stderr).toBe(0);
      expect(planned.stdout, 'a submodule not checked out is read as its manifests removed').not.toContain(
        '- prod/silver delete',
      );
      expect(planned.stdout).toContain(WARNING);
      // Held, as what a symlink not followed replaced is.
      expect(planned.stdout).toContain(
        'Held (left alone): 1\n  prod/silver: shared is a git submodule that is not checked out (see its warning); the audience is left as it is\n',
      );

      const validated = await runCli(['validate', path.join(plain, 'm')], { cwd: b.tmp });
      expect(validated.code, validated.stdout + validated.stderr).toBe(0);
      expect(validated.stdout + validated.stderr).toContain(WARNING);

      const applied = await b.cli('apply', path.join(plain, 'm'), '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(audienceNames(b.emulator)).toEqual(['Audience gold', 'Audience silver']);
    });
  });

  it('once checked out (git submodule update --init), a manifest removed in the submodule is deleted', async () => {
    await cliBench(async (b) => {
      const { plain } = await appliedWithSubmodule(b, {
        'silver.yaml': manifestYaml('silver'),
        'bronze.yaml': manifestYaml('bronze'),
      });
      expect(audienceNames(b.emulator)).toEqual(['Audience bronze', 'Audience gold', 'Audience silver']);
      const held = await b.setUp('plan', path.join(plain, 'm'), '--detailed-exitcode');
      expect(held.stdout).toContain(WARNING);
      expect(held.stdout).not.toContain('- prod/');

      // The way out the warning gives; then bronze.yaml removed in the submodule's checkout, and
      // its commit recorded in the superproject.
      await gitFile(plain)('submodule', 'update', '--quiet', '--init', '--', 'm/shared');
      const inShared = gitIn(path.join(plain, 'm', 'shared'));
      await inShared('rm', '--quiet', 'bronze.yaml');
      await inShared('commit', '--quiet', '-m', 'bronze removed');
      // Not recorded by the work tree yet, the submodule's new commit is no checkout of it
      // (source/submodule-stale): held until the superproject records it.
      const unrecorded = await b.setUp('plan', path.join(plain, 'm'));
      expect(unrecorded.stdout).toContain('[source/submodule-stale]');
      expect(unrecorded.stdout).not.toContain('- prod/');
      await gitIn(plain)('add', 'm/shared');
      await gitIn(plain)('commit', '--quiet', '-m', 'm/shared: bronze removed');

      const planned = await b.cli('plan', path.join(plain, 'm'));
      expect(planned.stdout).not.toContain('submodule');
      expect(planned.stdout).toContain('- prod/bronze delete');
      expect(planned.stdout).not.toContain('- prod/silver delete');
      const applied = await b.cli('apply', path.join(plain, 'm'), '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(audienceNames(b.emulator)).toEqual(['Audience gold', 'Audience silver']);
    });
  });

  it('the submodule removed (git rm m/shared, committed): the audiences it defined are deleted', async () => {
    await cliBench(async (b) => {
      const { plain } = await appliedWithSubmodule(b, { 'silver.yaml': manifestYaml('silver') });
      const git = gitIn(plain);
      await git('rm', '--quiet', 'm/shared');
      await git('commit', '--quiet', '-m', 'm/shared removed');

      const planned = await b.cli('plan', path.join(plain, 'm'));
      expect(planned.stdout).not.toContain('submodule');
      expect(planned.stdout).toContain('- prod/silver delete');
      const applied = await b.cli('apply', path.join(plain, 'm'), '--auto-approve');
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(audienceNames(b.emulator)).toEqual(['Audience gold']);
    });
  });

  it('the directory given is itself the submodule, not checked out: an error, nothing planned', async () => {
    await cliBench(async (b) => {
      const { plain } = await appliedWithSubmodule(b, { 'silver.yaml': manifestYaml('silver') });
      const planned = await b.cli('plan', path.join(plain, 'm', 'shared'));
      expect(planned.code).toBe(1);
      expect(planned.stdout).not.toContain('- prod/');
      expect(planned.stderr).not.toMatch(/\n\s+at /);
      expect(planned.stderr).toContain(
        `Error: ${path.join(plain, 'm', 'shared')}: ` +
          'a git submodule that is not checked out: its manifests are not read, and the audiences they defined are left as they are; run `git submodule update --init -- m/shared` at the top of the work tree',
      );
      const applied = await b.cli('apply', path.join(plain, 'm', 'shared'), '--auto-approve');
      expect(applied.code).toBe(1);
      expect(audienceNames(b.emulator)).toEqual(['Audience gold', 'Audience silver']);
    });
  });
});
