import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appliedRepository, cliBench } from '../helpers/cli-bench.js';
import { manifestYaml } from '../helpers/manifests.js';
import { audienceNames, gitRepository } from '../helpers/work-tree.js';
import { runCli, withTempDir } from '../helpers/cli.js';

/**
 * A manifest the default selection (`**\/*.yaml`, `**\/*.yml`: case-sensitive, no dot folder
 * or dotfile) leaves out is still there: renamed to b.YAML, moved into a dot folder, it holds
 * its audience's removal, and validate and plan say it is not read (review 31, H-2). Real git,
 * the built CLI, the emulator over HTTP.
 */
const quiet = { ingestion: { onCreate: false } };
const AUD = { 'aud/a.yaml': manifestYaml('a', quiet), 'aud/b.yaml': manifestYaml('b', quiet) };

const extensionHeld = (file: string, ext: string) =>
  `  prod/b: its manifest is now ${file}, which audiencectl does not read (extension ${ext}: audiencectl reads .yaml and .yml); the audience is left as it is: rename it to end in .yaml or .yml to keep it, or remove it to delete the audience\n`;

describe('a manifest the default selection leaves out is not a removed one', () => {
  for (const [label, to, held] of [
    ['H-2: its extension upper-cased (git mv b.yaml b.YAML)', 'aud/b.YAML', extensionHeld('b.YAML', '.YAML')],
    ['H-2b: its extension spelled .Yml', 'aud/b.Yml', extensionHeld('b.Yml', '.Yml')],
    [
      'H-2c: moved into a dot folder (git mv b.yaml .archive/b.yaml)',
      'aud/.archive/b.yaml',
      '  prod/b: its manifest is now .archive/b.yaml, which audiencectl does not read (it is in a dot folder, .archive, which only an --include naming it reads); the audience is left as it is: move it out of that folder to keep it, or remove it to delete the audience\n',
    ],
    [
      'renamed to a dotfile (git mv b.yaml .b.yaml)',
      'aud/.b.yaml',
      '  prod/b: its manifest is now .b.yaml, which audiencectl does not read (its name begins with a dot, which only an --include naming it reads); the audience is left as it is: rename it to keep it, or remove it to delete the audience\n',
    ],
  ] as const) {
    it(`${label}: apply holds prod/b, and says the file is not read`, async () => {
      await cliBench(async (b) => {
        const { repo, git } = await appliedRepository(b, AUD, ['aud']);
        await mkdir(path.join(repo, 'aud/.archive'), { recursive: true });
        await git('mv', 'aud/b.yaml', to);
        await git('commit', '--quiet', '-m', 'b renamed');

        const out = await b.cli('apply', path.join(repo, 'aud'), '--auto-approve');
        expect(out.code, out.stdout + out.stderr).toBe(0);
        expect(out.stderr).not.toMatch(/\n\s+at /);
        expect(out.stdout).not.toContain('- prod/b delete');
        expect(out.stdout).toContain(held);
        expect(audienceNames(b.emulator)).toEqual(['Audience a', 'Audience b']);
      });
    });
  }

  it('the file removed after all: the audience is deleted', async () => {
    await cliBench(async (b) => {
      const { repo, git } = await appliedRepository(b, AUD, ['aud']);
      await git('mv', 'aud/b.yaml', 'aud/b.YAML');
      await git('commit', '--quiet', '-m', 'b renamed');
      await git('rm', '--quiet', 'aud/b.YAML');
      await git('commit', '--quiet', '-m', 'b removed');
      const out = await b.cli('apply', path.join(repo, 'aud'), '--auto-approve');
      expect(out.code, out.stdout + out.stderr).toBe(0);
      expect(out.stdout).toContain('- prod/b delete: manifest removed');
      expect(audienceNames(b.emulator)).toEqual(['Audience a']);
    });
  });

  it('H-2e: an audience applied from a dot folder with --include, then planned without it, is held (its file is still there)', async () => {
    await cliBench(async (b) => {
      const { repo } = await gitRepository(b.tmp, {
        'aud/a.yaml': manifestYaml('a', quiet),
        'aud/.generated/g.yaml': manifestYaml('g', quiet),
      });
      // Sets the story up (in process); the apply without --include below is the subject.
      const first = await b.setUp(
        'apply',
        path.join(repo, 'aud'),
        '--include',
        '.generated/**',
        '--auto-approve',
      );
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(audienceNames(b.emulator)).toEqual(['Audience g']);

      const out = await b.cli('apply', path.join(repo, 'aud'), '--auto-approve');
      expect(out.code, out.stdout + out.stderr).toBe(0);
      expect(out.stdout).not.toContain('- prod/g delete');
      expect(out.stdout).toContain(
        '  prod/g: its manifest is now .generated/g.yaml, which audiencectl does not read (it is in a dot folder, .generated, which only an --include naming it reads); the audience is left as it is: move it out of that folder to keep it, or remove it to delete the audience\n',
      );
      expect(audienceNames(b.emulator)).toEqual(['Audience a', 'Audience g']);
    });
  });

  it('moved out of the directory given and renamed other/silver.YAML: held, found by the search beyond the directory', async () => {
    await cliBench(async (b) => {
      const { repo, git } = await appliedRepository(
        b,
        {
          ...AUD,
          'aud/silver.yaml': manifestYaml('silver', quiet),
          'other/o.yaml': manifestYaml('o', quiet),
        },
        ['aud'],
      );
      await git('mv', 'aud/silver.yaml', 'other/silver.YAML');
      await git('commit', '--quiet', '-m', 'silver moved');
      const out = await b.cli('plan', path.join(repo, 'aud'));
      expect(out.code, out.stdout + out.stderr).toBe(0);
      expect(out.stdout).not.toContain('- prod/silver delete');
      expect(out.stdout).toContain(
        '  prod/silver: its manifest is now ../other/silver.YAML, which audiencectl does not read (extension .YAML: audiencectl reads .yaml and .yml); the audience is left as it is: rename it to end in .yaml or .yml to keep it, or remove it to delete the audience\n',
      );
    });
  });
});

describe('validate and plan say which files they do not read', () => {
  it('H-2d: a file whose extension differs by case, and a manifest in a dot folder, are named; a dot folder of other YAML is not', async () => {
    await withTempDir(async (root) => {
      const { repo } = await gitRepository(root, {
        'aud/a.yaml': manifestYaml('a', quiet),
        'aud/b.YAML': manifestYaml('b', quiet),
        'aud/.archive/c.yaml': manifestYaml('c', quiet),
        'aud/.github/workflows/ci.yml': 'on: push\njobs:\n  plan:\n    runs-on: ubuntu-latest\n',
      });
      const out = await runCli(['validate', 'aud'], { cwd: repo });
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout + out.stderr).toBe(
        'aud/.archive/c.yaml: warning: not read: it is in a dot folder (.archive), which audiencectl reads only when an --include names it [source/not-selected]\n' +
          'aud/b.YAML: warning: not read: audiencectl reads files ending in .yaml or .yml (this one ends in .YAML) [source/not-selected]\n' +
          '1 valid manifest(s); 0 error(s), 2 warning(s) in 0 failed file(s)\n',
      );
    });
  });

  it("given filters, the files they leave out are the user's choice: nothing is said", async () => {
    await withTempDir(async (root) => {
      const { repo } = await gitRepository(root, {
        'aud/a.yaml': manifestYaml('a', quiet),
        'aud/b.YAML': manifestYaml('b', quiet),
      });
      const out = await runCli(['validate', 'aud', '--include', 'a.yaml'], { cwd: repo });
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout + out.stderr).toBe(
        '1 valid manifest(s); 0 error(s), 0 warning(s) in 0 failed file(s)\n',
      );
    });
  });

  it("plan --base (a pull request's plan) warns of the files the working tree's listing does not read, as plan does", async () => {
    await withTempDir(async (root) => {
      const { repo, git } = await gitRepository(root, {
        'aud/a.yaml': manifestYaml('a', quiet),
        'aud/b.yaml': manifestYaml('b', quiet),
      });
      // The pull request: b renamed to b.Yml, c added in a dot folder.
      await git('mv', 'aud/b.yaml', 'aud/b.Yml');
      await mkdir(path.join(repo, 'aud/.archive'));
      await writeFile(path.join(repo, 'aud/.archive/c.yaml'), manifestYaml('c', quiet));
      const env = { XDG_CACHE_HOME: path.join(root, 'cache') };
      const out = await runCli(['plan', 'aud', '--base', 'HEAD', '--output', 'markdown'], { cwd: repo, env });
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain(
        '**Diagnostics:** 0 error(s), 2 warning(s)\n\n```\n' +
          'b.Yml: warning: not read: audiencectl reads files ending in .yaml or .yml (this one ends in .Yml) [source/not-selected]\n' +
          '.archive/c.yaml: warning: not read: it is in a dot folder (.archive), which audiencectl reads only when an --include names it [source/not-selected]\n```\n',
      );
      // Held, not deleted: the apply after the merge holds it too.
      expect(out.stdout).toContain(
        '- `prod/b`: its manifest is now b.Yml, which audiencectl does not read (extension .Yml: audiencectl reads .yaml and .yml); the audience is left as it is: rename it to end in .yaml or .yml to keep it, or remove it to delete the audience\n',
      );
      expect(out.stdout).toContain(
        '**No changes planned,** but 1 recorded audience is held (left alone), not compared with any manifest read here (see "Held").',
      );
    });
  });

  it('plan --base: a manifest the pull request moves out of the directory (renamed other/b.YAML, or other/c.yaml) is held, as the apply after the merge holds it', async () => {
    await withTempDir(async (root) => {
      const { repo, git } = await gitRepository(root, {
        ...AUD,
        'aud/c.yaml': manifestYaml('c', quiet),
        'aud/d.yaml': manifestYaml('d', quiet),
        'aud/e.yaml': manifestYaml('e', quiet),
        'other/o.yaml': manifestYaml('o', quiet),
        // Beside d's manifest all along (another pipeline's copy): no move of d's.
        'other/d-copy.yaml': manifestYaml('d', quiet),
      });
      await git('mv', 'aud/b.yaml', 'other/b.YAML');
      await git('mv', 'aud/c.yaml', 'other/c.yaml');
      await git('rm', '--quiet', 'aud/d.yaml', 'aud/e.yaml');
      await git('commit', '--quiet', '-m', 'b and c moved out, d and e removed');
      const removedBy = (await git('rev-parse', '--short=7', 'HEAD')).stdout.trim();
      const env = { XDG_CACHE_HOME: path.join(root, 'cache') };
      const out = await runCli(['plan', 'aud', '--base', 'HEAD~1'], { cwd: repo, env });
      expect(out.code, out.stderr).toBe(0);
      // Removed (d's copy beside it was there on the base already): deleted, as apply deletes them.
      expect(out.stdout).toContain(
        `  - prod/d delete: manifest removed (d.yaml, in commit ${removedBy})\n  - prod/e delete: manifest removed (e.yaml, in commit ${removedBy})\n\nPlan: 0 to create, 0 to update, 0 to replace, 2 to delete,`,
      );
      expect(out.stdout).toContain(
        '  prod/b: its manifest is now ../other/b.YAML, which audiencectl does not read (extension .YAML: audiencectl reads .yaml and .yml); the audience is left as it is: rename it to end in .yaml or .yml to keep it, or remove it to delete the audience\n',
      );
      expect(out.stdout).toContain(
        '  prod/c: its manifest is now ../other/c.yaml, moved out of the directory given, which it was applied from;',
      );
    });
  });

  it('plan warns of the file it does not read', async () => {
    await cliBench(async (b) => {
      await mkdir(path.join(b.tmp, 'aud'));
      await writeFile(path.join(b.tmp, 'aud/a.yaml'), manifestYaml('a', quiet));
      await writeFile(path.join(b.tmp, 'aud/b.Yml'), manifestYaml('b', quiet));
      const out = await b.cli('plan', 'aud');
      expect(out.code, out.stdout + out.stderr).toBe(0);
      expect(out.stdout + out.stderr).toContain(
        'Diagnostics:\n  b.Yml: warning: not read: audiencectl reads files ending in .yaml or .yml (this one ends in .Yml) [source/not-selected]\n',
      );
    });
  });
});
