import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEnv } from '../helpers/apply-env.js';
import { runCli, writeFiles } from '../helpers/cli.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { manifestYaml } from '../helpers/manifests.js';
import { gitRepository } from '../helpers/work-tree.js';
import { withEmulator } from '../helpers/with-emulator.js';

// `plan --base` assumes the base is applied. When the configuration file that gives the
// default sandbox is in the repository, the base was applied with the default sandbox that
// file said at the base: its manifests that name no sandbox are read in it, so that a pull
// request changing defaultSandbox shows the moves the apply after the merge blocks (review 30 M-1).
// Each case's `plan --base` is the built CLI; what sets a story up (init, the first apply, the plan
// the apply after the merge would make) runs the CLI's entry in this process.

const MOVE_BLOCKED =
  '! prod/gold move: its manifest names no sandbox and the default sandbox is now "dev", but the audience is recorded in "prod"';

async function inTemp(fn: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'audiencectl-plan-base-config-'));
  try {
    await fn(tmp);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * A repository whose first commit holds `base` (and m/gold.yaml, naming no sandbox), and
 * whose second (HEAD, the pull request) writes `head` over it.
 */
async function pullRequest(tmp: string, base: Record<string, string>, head: Record<string, string>) {
  const { repo, git } = await gitRepository(tmp, { ...base, 'm/gold.yaml': manifestYaml('gold') });
  await writeFiles(repo, head);
  await git('add', '--all');
  await git('commit', '--quiet', '--allow-empty', '-m', 'pull request');
  return repo;
}

/** `plan m --base HEAD~1 --detailed-exitcode` and `extra`, run outside the repository. */
function prPlan(tmp: string, repo: string, extra: string[], env: Record<string, string> = {}) {
  return runCli(['plan', path.join(repo, 'm'), '--base', 'HEAD~1', '--detailed-exitcode', ...extra], {
    cwd: tmp,
    env,
  });
}

describe('plan --base of a pull request that changes the configuration file', () => {
  it("review 30 M-1: defaultSandbox prod -> dev in the repository's audiencectl.yaml: the PR plan shows the move the apply blocks", async () => {
    await withEmulator({ operationDelayMs: 5, runStageDelayMs: 5 }, async (emulator) => {
      await inTemp(async (tmp) => {
        const state = path.join(tmp, 'state');
        const config = ['--config', path.join(tmp, 'repo', 'audiencectl.yaml'), '--state', state];
        const setUp = (...args: string[]) =>
          runCliInProcess([...args, ...config], { env: emulatorEnv(emulator), cwd: tmp });
        const { repo, git } = await gitRepository(tmp, {
          'audiencectl.yaml': 'defaultSandbox: prod\n',
          'm/gold.yaml': manifestYaml('gold'),
        });
        expect((await setUp('init')).code).toBe(0);
        const first = await setUp('apply', path.join(repo, 'm'), '--auto-approve');
        expect(first.code, first.stdout + first.stderr).toBe(0);
        await writeFiles(repo, { 'audiencectl.yaml': 'defaultSandbox: dev\n' });
        await git('commit', '--quiet', '-am', 'defaultSandbox dev');

        const applyWouldDo = await setUp('plan', path.join(repo, 'm'), '--detailed-exitcode');
        expect(applyWouldDo.code, applyWouldDo.stdout).toBe(3);
        expect(applyWouldDo.stdout).toContain(MOVE_BLOCKED);

        const pr = await prPlan(tmp, repo, ['--config', path.join(repo, 'audiencectl.yaml')]);
        expect(pr.stderr).toBe('');
        expect(pr.stdout).toContain(MOVE_BLOCKED);
        expect(pr.stdout).not.toContain('Diagnostics');
        expect(pr.code).toBe(3);
      });
    });
  });

  it('the file named by AUDIENCECTL_CONFIG, from a directory inside the repository (a relative path): the same blocked move', async () => {
    await inTemp(async (tmp) => {
      const repo = await pullRequest(
        tmp,
        { 'conf/audiencectl.yaml': 'defaultSandbox: prod\n' },
        { 'conf/audiencectl.yaml': 'defaultSandbox: dev\n' },
      );
      const pr = await runCli(['plan', '../m', '--base', 'HEAD~1', '--detailed-exitcode'], {
        cwd: path.join(repo, 'conf'),
        env: { AUDIENCECTL_CONFIG: 'audiencectl.yaml' },
      });
      expect(pr.stdout).toContain(MOVE_BLOCKED);
      expect(pr.code).toBe(3);
    });
  });

  it('a file that sets defaultSandbox at the base and no longer does, with AEP_SANDBOX dev: the base was applied in its prod', async () => {
    await inTemp(async (tmp) => {
      const repo = await pullRequest(
        tmp,
        { 'audiencectl.yaml': 'defaultSandbox: prod\n' },
        { 'audiencectl.yaml': '# the sandbox comes from AEP_SANDBOX\n' },
      );
      const pr = await prPlan(tmp, repo, ['--config', path.join(repo, 'audiencectl.yaml')], {
        AEP_SANDBOX: 'dev',
      });
      expect(pr.stdout).toContain(MOVE_BLOCKED);
      expect(pr.code).toBe(3);
    });
  });

  it('the default sandbox from AEP_SANDBOX, the configuration file not given: unchanged, the base is read in it too', async () => {
    await inTemp(async (tmp) => {
      const repo = await pullRequest(
        tmp,
        { 'audiencectl.yaml': 'defaultSandbox: prod\n' },
        { 'audiencectl.yaml': 'defaultSandbox: dev\n' },
      );
      const pr = await prPlan(tmp, repo, [], { AEP_SANDBOX: 'dev' });
      expect(pr.stdout).toBe('No changes. The audiences match the manifests.\n');
      expect(pr.code).toBe(0);
    });
  });

  it('--sandbox given: unchanged, the base is read in it too, whatever the file says at the base', async () => {
    await inTemp(async (tmp) => {
      const repo = await pullRequest(
        tmp,
        { 'audiencectl.yaml': 'defaultSandbox: prod\n' },
        { 'audiencectl.yaml': 'defaultSandbox: dev\n' },
      );
      const pr = await prPlan(tmp, repo, [
        '--config',
        path.join(repo, 'audiencectl.yaml'),
        '--sandbox',
        'dev',
      ]);
      expect(pr.stdout).toBe('No changes. The audiences match the manifests.\n');
      expect(pr.code).toBe(0);
    });
  });

  it('a configuration file the base does not have (the pull request adds it): unchanged, the base is read in its default sandbox', async () => {
    await inTemp(async (tmp) => {
      const repo = await pullRequest(tmp, {}, { 'audiencectl.yaml': 'defaultSandbox: dev\n' });
      const pr = await prPlan(tmp, repo, ['--config', path.join(repo, 'audiencectl.yaml')]);
      expect(pr.stderr).toBe('');
      expect(pr.stdout).toBe('No changes. The audiences match the manifests.\n');
      expect(pr.code).toBe(0);
    });
  });

  it('a configuration file outside the repository: unchanged', async () => {
    await inTemp(async (tmp) => {
      const repo = await pullRequest(tmp, {}, {});
      await writeFiles(tmp, { 'audiencectl.yaml': 'defaultSandbox: dev\n' });
      const pr = await prPlan(tmp, repo, ['--config', path.join(tmp, 'audiencectl.yaml')]);
      expect(pr.stdout).toBe('No changes. The audiences match the manifests.\n');
      expect(pr.code).toBe(0);
    });
  });

  it('a configuration file the base holds but that cannot be parsed there: a warning without its content, and the default sandbox of the working tree', async () => {
    await inTemp(async (tmp) => {
      const repo = await pullRequest(
        tmp,
        { 'audiencectl.yaml': 'clientSecret: base-secret-123\ndefaultSandbox: [prod\n' },
        { 'audiencectl.yaml': 'defaultSandbox: dev\n' },
      );
      const pr = await prPlan(tmp, repo, ['--config', path.join(repo, 'audiencectl.yaml')]);
      expect(pr.stdout + pr.stderr).not.toContain('base-secret-123');
      expect(pr.stdout + pr.stderr).not.toContain('    at ');
      expect(pr.stdout).not.toContain('move');
      // The unclosed [ of line 2 is found where the file ends (line 3).
      expect(pr.stdout).toBe(
        [
          'No changes. The audiences match the manifests.',
          '',
          'Diagnostics:',
          `  .: warning: the configuration file ${path.join(repo, 'audiencectl.yaml')} in --base "HEAD~1" is not a valid configuration (at line 3, column 1): the base's manifests that name no sandbox are read in "dev", the default sandbox here [base/config-unread]`,
          '',
        ].join('\n'),
      );
      expect(pr.code).toBe(0);
    });
  });
});
