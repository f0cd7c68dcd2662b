import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GIT_ENV, runCli, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';

// A pull request that removes the whole manifests directory: git keeps no empty folder, so
// the working tree has no `aud` at all. Its plan is the removal of every audience the base
// held there, not "aud does not exist"; a directory at neither is still a typo.

const execFileAsync = promisify(execFile);

async function git(dir: string, ...args: string[]): Promise<void> {
  await execFileAsync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
}

let repo: string;
beforeAll(async () => {
  repo = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-gone-'));
  await git(repo, 'init', '-q', '-b', 'main');
  await writeFiles(repo, {
    'aud/gold.yaml': manifestYaml('gold'),
    'aud/silver.yaml': manifestYaml('silver', { metadata: { deletionPolicy: 'Orphan' } }),
    // A warning of the base only (the working tree has no file left to warn about).
    'aud/bronze.yaml': manifestYaml('bronze', { spec: { originName: 'LEGACY' } }),
    'README.md': 'manifests in aud/\n',
  });
  await git(repo, 'add', '.');
  await git(repo, 'commit', '-q', '-m', 'base');
  await git(repo, 'rm', '-rq', 'aud');
  await git(repo, 'commit', '-q', '-m', 'remove every manifest');
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe('plan --base of a directory the working tree no longer has', () => {
  it('plans the removal of every audience the base defines there, and says the directory is gone', async () => {
    const result = await runCli(['plan', 'aud', '--base', 'main~1', '--detailed-exitcode'], {
      cwd: repo,
      env: GIT_ENV,
    });
    // Every removal is held by the empty-source guard, as an apply of an empty source would be.
    expect([result.code, result.stderr]).toEqual([3, '']);
    expect(result.stdout).toMatch(/^ {2}- prod\/bronze delete: manifest removed \(bronze\.yaml\)$/m);
    expect(result.stdout).toMatch(/^ {2}- prod\/gold delete: manifest removed \(gold\.yaml\)$/m);
    expect(result.stdout).toMatch(
      /^ {2}- prod\/silver forget: manifest removed \(silver\.yaml\); deletionPolicy Orphan keeps the remote audience$/m,
    );
    expect(result.stdout).toContain('pass --allow-empty-source if that is intended');
    expect(result.stdout).not.toContain('No changes');
    const lines = result.stdout.split('\n');
    expect(lines.filter((line) => line.includes('gone from the working tree'))).toEqual([
      '  .: warning: aud is gone from the working tree (this change removes the directory): every audience it holds in --base "main~1" is planned for removal [base/source-dir-gone]',
    ]);
    // The base's own warning, marked as the base's.
    expect(lines.filter((line) => line.includes('LEGACY'))).toEqual([
      expect.stringMatching(
        /^ {2}bronze\.yaml:\d+:\d+: warning: on the base \("main~1"\): .*"LEGACY".* \[spec\/origin-name\]$/,
      ),
    ]);
  });

  it('refuses, in one line naming it, a directory that is at neither (a typo plans no deletion)', async () => {
    // In process: an error path, one line either way (the case above spawns the built CLI).
    const result = await runCliInProcess(['plan', 'audz', '--base', 'main~1'], { cwd: repo, env: GIT_ENV });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error: audz does not exist, neither in the working tree nor in --base "main~1": give the directory of the manifests\n',
    });
  });
});
