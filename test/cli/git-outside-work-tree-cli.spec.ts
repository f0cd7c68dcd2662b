import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEMO_CLIENT } from '../../src/emulator/index.js';
import { emulatorEnv, ensureDirStore } from '../helpers/apply-env.js';
import { GIT_ENV, runCli } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';
import { NO_RUN } from '../helpers/partner-org.js';
import { withEmulator } from '../helpers/with-emulator.js';
import { useTempDirs } from '../state/helpers.js';

/**
 * Issue 15, start-up: every plan and apply asked git for the remotes of the clone holding the
 * manifests (`git config --local --get-regexp`, work-tree-repository.ts), also outside any git
 * work tree, where git has none to tell: a process per plan and apply, in every CI job's and
 * spec's temporary directory. A `git` first on PATH that logs each call and runs the real one
 * says which calls were made; GIT_DIR names a repository wherever the manifests are.
 */
const tempDir = useTempDirs();
const run = promisify(execFile);

describe('plan and apply outside a git work tree', () => {
  it('ask git nothing; with GIT_DIR naming a repository, plan asks it for the remotes', async () => {
    const root = await tempDir();
    const bin = path.join(root, 'bin');
    const calls = path.join(root, 'git-calls.txt');
    await mkdir(bin);
    const real = (await run('sh', ['-c', 'command -v git'])).stdout.trim();
    await writeFile(
      path.join(bin, 'git'),
      `#!/bin/sh\necho "$*" >> ${JSON.stringify(calls)}\nexec ${JSON.stringify(real)} "$@"\n`,
    );
    await chmod(path.join(bin, 'git'), 0o755);
    await writeFile(calls, '');
    const manifests = path.join(root, 'm');
    await mkdir(manifests);
    await writeFile(path.join(manifests, 'gold.yaml'), manifestYaml('gold', NO_RUN));
    const state = path.join(root, 'state');
    await ensureDirStore(state);
    const onPath = { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };

    await withEmulator({ clients: [DEMO_CLIENT], operationDelayMs: 10 }, async (emulator) => {
      const env = { ...emulatorEnv(emulator), ...onPath };
      const plan = await runCli(['plan', manifests, '--state', state], { cwd: root, env });
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toMatch(/1 to create/);
      const apply = await runCli(['apply', manifests, '--state', state, '--auto-approve'], {
        cwd: root,
        env,
      });
      expect(apply.code, apply.stderr).toBe(0);
      expect(apply.stdout).toMatch(/1 applied/);
    });
    expect(await readFile(calls, 'utf8')).toBe('');

    // GIT_DIR names a repository with a remote: git is asked for it.
    const repo = path.join(root, 'repo');
    const git = (...args: string[]) => run('git', args, { env: { ...process.env, ...GIT_ENV } });
    await git('init', '-q', repo);
    await git('-C', repo, 'remote', 'add', 'origin', 'https://github.com/acme/audiences.git');
    const named = await runCli(['plan', manifests, '--state', state], {
      cwd: root,
      env: { ...onPath, GIT_DIR: path.join(repo, '.git') },
    });
    expect(named.code, named.stderr).toBe(0);
    expect(await readFile(calls, 'utf8')).toMatch(/^config --local --get-regexp /m);
  });
});
