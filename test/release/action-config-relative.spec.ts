import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtCliOnPath, GIT_ENV } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

/**
 * Review 36b, L-6. docs/deploy.md: "A configuration file's `defaultSandbox`
 * (`AUDIENCECTL_CONFIG`) still wins, as it does for the controller." A workflow sets it as the
 * apply job does, relative to the repository (`AUDIENCECTL_CONFIG: audiencectl.yaml`). The
 * Plan step changed into `directory` before planning, so the same variable named
 * audiences/audiencectl.yaml there: the plan failed (exit code 1, "Cannot read the
 * configuration file audiencectl.yaml (ENOENT)") and the comment said "the plan failed",
 * where `audiencectl apply audiences` from the workspace reads the file.
 */
const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const action = parse(await readFile(path.join(repoRoot, 'action.yml'), 'utf8')) as {
  runs: { steps: { name?: string; run?: string }[] };
};
const planStep = action.runs.steps.find((s) => s.name === 'Plan')?.run ?? '';
const gitEnv = { ...process.env, ...GIT_ENV };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-36b-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the Action with AUDIENCECTL_CONFIG relative to the repository', () => {
  it('plans with the configuration file the apply job reads', async () => {
    const git = (...args: string[]) => exec('git', args, { cwd: dir, env: gitEnv });
    const bin = await builtCliOnPath(dir);
    await git('init', '-q', '-b', 'main');
    await mkdir(path.join(dir, 'audiences'));
    await writeFile(path.join(dir, 'audiencectl.yaml'), 'defaultSandbox: dev\n');
    await writeFile(path.join(dir, 'audiences/gold.yaml'), manifestYaml('gold'));
    await git('add', '-A');
    await git('commit', '-qm', 'base');
    await writeFile(path.join(dir, 'audiences/silver.yaml'), manifestYaml('silver'));
    await git('add', '-A');
    await git('commit', '-qm', 'head');

    const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        'bash',
        ['--noprofile', '--norc', '-eo', 'pipefail', '-c', planStep],
        {
          cwd: dir,
          env: {
            ...process.env,
            PATH: `${bin}:${process.env.PATH ?? ''}`,
            DIRECTORY: 'audiences',
            BASE: 'HEAD~1',
            SANDBOX: '',
            BASE_BRANCH: 'main',
            PR_HEAD_SHA: '',
            RUNNER_TEMP: dir,
            GITHUB_OUTPUT: path.join(dir, 'outputs'),
            GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
            AUDIENCECTL_CONFIG: 'audiencectl.yaml',
            AUDIENCECTL_MANIFEST_CACHE: 'off',
          },
        },
        (error, _stdout, stderr) => {
          let code = 0;
          if (error) code = typeof error.code === 'number' ? error.code : 1;
          resolve({ code, stderr });
        },
      );
    });
    expect(result.code, result.stderr).toBe(0);
    const outputs = await readFile(path.join(dir, 'outputs'), 'utf8');
    // exit-code=1: "Error: Cannot read the configuration file audiencectl.yaml (ENOENT)."
    expect(outputs, result.stderr).toContain('exit-code=2');
    const plan = await readFile(/plan-file=(.*)/.exec(outputs)?.[1] ?? '', 'utf8');
    expect(plan).toContain('<code>dev/silver</code>: + create');
    // gold unchanged: the base is read with the same file (dev), one create and its first run.
    expect(plan).toContain('| 1 | 0 | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 0 |');
    expect(plan).not.toContain('gold');
  });
});
