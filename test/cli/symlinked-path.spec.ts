import { execFile } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GIT_ENV, runCli, withTempDir, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

const execFileAsync = promisify(execFile);
const git = (cwd: string, ...args: string[]) =>
  execFileAsync('git', args, { cwd, env: { ...process.env, ...GIT_ENV } });

// A checkout reached through a symlink (macOS's /tmp is /private/tmp; a CI workspace or a
// home directory may be a link): git names the repository by its real path.
describe('a manifests directory given through a symlink', () => {
  it('plan --base plans the same as through the real path', async () => {
    await withTempDir(async (dir) => {
      const repo = path.join(dir, 'repo');
      await mkdir(repo);
      await git(repo, 'init', '-q', '-b', 'main');
      await writeFiles(repo, { 'audiences/gold.yaml': manifestYaml('gold') });
      await git(repo, 'add', '.');
      await git(repo, 'commit', '-q', '-m', 'base');
      await writeFiles(repo, {
        'audiences/gold.yaml': manifestYaml('gold', { spec: { description: 'edited in the PR' } }),
      });
      await symlink(repo, path.join(dir, 'link'));

      const args = ['--base', 'main', '--detailed-exitcode'];
      // Through the real path, the reference: the CLI's own entry in this process (the same code
      // and output); through the link, the built CLI.
      const real = await runCliInProcess(['plan', path.join(repo, 'audiences'), ...args]);
      const linked = await runCli(['plan', path.join(dir, 'link', 'audiences'), ...args]);
      const relative = await runCli(['plan', 'link/audiences', ...args], { cwd: dir });
      for (const result of [real, linked, relative]) {
        expect(result.stderr).toBe('');
        expect(result.code).toBe(2);
        expect(result.stdout).toContain('~ description: "About gold" -> "edited in the PR"');
        expect(result.stdout).toContain('Plan: 0 to create, 1 to update, 0 to replace, 0 to delete');
      }
      expect(linked.stdout).toBe(real.stdout);
      expect(relative.stdout).toBe(real.stdout);
    });
  });

  it('validate shows a file under the current directory relative to it, whichever path names it', async () => {
    await withTempDir(async (dir) => {
      const repo = path.join(dir, 'repo');
      await writeFiles(repo, {
        'audiences/gold.yaml': manifestYaml('gold').replace('kind: ExternalAudience', 'kind: Audience'),
      });
      await symlink(repo, path.join(dir, 'link'));
      // The shell's $PWD/audiences, in a directory reached through a link: the process's
      // current directory is the real path.
      const cwd = path.join(dir, 'link');
      const args = ['--output', 'github', '--exclude', 'audiences/legacy/**'];
      const relative = await runCli(['validate', 'audiences', ...args], { cwd });
      const absolute = await runCli(['validate', path.join(cwd, 'audiences'), ...args], { cwd });
      const file = await runCli(['validate', path.join(cwd, 'audiences', 'gold.yaml'), ...args], { cwd });
      for (const result of [relative, absolute, file]) {
        expect(result.code).toBe(1);
        expect(result.stdout).toMatch(/^::error file=audiences\/gold\.yaml,line=\d+,col=\d+,title=/);
      }
      expect(absolute.stdout).toBe(relative.stdout);
      expect(file.stdout).toBe(relative.stdout);
    });
  });
});
