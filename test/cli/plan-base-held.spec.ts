import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GIT_ENV, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

// A base file that names an audience but is not read into a manifest (emptied, or with
// errors) is held by the apply: its audience stays recorded from an earlier version. A
// pull-request plan must not show less than the apply after the merge does: removing the
// file deletes the audience, fixing it changes (maybe replaces) it, never "No changes".

const execFileAsync = promisify(execFile);

async function git(dir: string, ...args: string[]): Promise<void> {
  await execFileAsync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
}

/** gold and silver committed, then `gold.yaml` changed to `goldOnMain` on main. */
async function repo(dir: string, goldOnMain: string): Promise<void> {
  await git(dir, 'init', '-q', '-b', 'main');
  await writeFiles(dir, { 'aud/gold.yaml': manifestYaml('gold'), 'aud/silver.yaml': manifestYaml('silver') });
  await git(dir, 'add', '.');
  await git(dir, 'commit', '-q', '-m', 'applied');
  await writeFiles(dir, { 'aud/gold.yaml': goldOnMain });
  await git(dir, 'commit', '-q', '-am', 'gold held on main');
}

const plan = (dir: string) =>
  runCliInProcess(['plan', 'aud', '--base', 'main', '--detailed-exitcode'], { cwd: dir, env: GIT_ENV });

/** An unknown field: the file has errors, its audience (gold) is still named. */
const BROKEN = `${manifestYaml('gold')}futureField: 1\n`;

describe('plan --base where the base holds an audience it cannot read', () => {
  it('shows the delete when a PR removes a base file with errors, and holds it while it stays', async () => {
    await withTempDir(async (dir) => {
      await repo(dir, BROKEN);
      // Still broken in the PR: held, as the apply holds it (the file's own error fails the plan).
      const kept = await plan(dir);
      expect(kept.code).toBe(1);
      expect(kept.stdout).toMatch(/^No steps planned, but the plan has 1 error\(s\)\./);
      expect(kept.stdout).toContain('prod/gold: gold.yaml has errors; the audience is left as it is');
      expect(kept.stdout).not.toContain('base/unread-file');

      await rm(path.join(dir, 'aud/gold.yaml'));
      const removed = await plan(dir);
      expect(removed.code).toBe(2);
      expect(removed.stdout).toMatch(/^ {2}- prod\/gold delete: manifest removed/m);
      expect(removed.stdout).toContain('Plan: 0 to create, 0 to update, 0 to replace, 1 to delete');
    });
  });

  it('shows a replace, not a create, when a PR fixes the file and changes spec.name', async () => {
    await withTempDir(async (dir) => {
      await repo(dir, BROKEN);
      await writeFiles(dir, {
        'aud/gold.yaml': manifestYaml('gold', {
          metadata: { allowReplace: true },
          spec: { name: 'Gold tier' },
        }),
      });
      const result = await plan(dir);
      expect(result.code).toBe(2);
      expect(result.stdout).toMatch(/^-\/\+ prod\/gold replace: /m);
      expect(result.stdout).toContain('gold.yaml has errors on the base');
      expect(result.stdout).not.toMatch(/prod\/gold create/);

      // Without allowReplace the apply cannot replace: an update, said to be against an unknown spec.
      await writeFiles(dir, { 'aud/gold.yaml': manifestYaml('gold', { spec: { description: 'fixed' } }) });
      const fixed = await plan(dir);
      expect(fixed.code).toBe(2);
      expect(fixed.stdout).toMatch(
        /^ {2}~ prod\/gold update: gold\.yaml has errors on the base, so the spec/m,
      );
      expect(fixed.stdout).toContain('Plan: 0 to create, 1 to update, 0 to replace, 0 to delete');
    });
  });

  it('refuses to say "no changes" when a PR removes an emptied base file', async () => {
    await withTempDir(async (dir) => {
      await repo(dir, '# gold retired\n');
      // Still empty in the PR: the apply holds gold as on the base, and so does the plan.
      const kept = await plan(dir);
      expect([kept.code, kept.stdout]).toEqual([0, 'No changes. The audiences match the manifests.\n']);

      await rm(path.join(dir, 'aud/gold.yaml'));
      const removed = await plan(dir);
      expect(removed.code).toBe(1);
      expect(removed.stdout).toMatch(
        /gold\.yaml: error: on the base, gold\.yaml holds no manifest .*the apply after the merge deletes that audience/,
      );
      expect(removed.stdout).not.toContain('No changes');
    });
  });
});

describe('plan --base shows what reading the base found', () => {
  it("marks the base's warnings and errors as the base's, as warnings, and repeats none the working tree has", async () => {
    await withTempDir(async (dir) => {
      const legacy = (name: string) => manifestYaml(name, { spec: { originName: 'LEGACY' } });
      await repo(dir, BROKEN);
      await writeFiles(dir, { 'aud/silver.yaml': legacy('silver'), 'aud/bronze.yaml': legacy('bronze') });
      await git(dir, 'add', '.');
      await git(dir, 'commit', '-q', '-m', 'warnings on main');
      // The pull request fixes gold (an error on the base), removes silver (a warning there),
      // and leaves bronze's warning as it is: said once, as the working tree's.
      await writeFiles(dir, { 'aud/gold.yaml': manifestYaml('gold') });
      await rm(path.join(dir, 'aud/silver.yaml'));
      const result = await plan(dir);
      expect(result.code).toBe(2);
      const diagnostics = result.stdout
        .slice(result.stdout.indexOf('\nDiagnostics:\n'))
        .split('\n')
        .slice(2, -1);
      expect(diagnostics).toEqual([
        expect.stringMatching(/^ {2}bronze\.yaml:\d+:\d+: warning: spec\.originName: originName "LEGACY"/),
        '  gold.yaml:25:1: warning: on the base ("main"), an error: futureField: unknown key "futureField" [schema/unknown-key]',
        expect.stringMatching(
          /^ {2}silver\.yaml:\d+:\d+: warning: on the base \("main"\): spec\.originName: originName "LEGACY"/,
        ),
      ]);
    });
  });
});
