import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
type Step = {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  env?: Record<string, string>;
};
type Action = { runs: { using: string; steps: Step[] }; inputs: Record<string, { default?: string }> };

const action = parse(await readFile(path.join(repoRoot, 'action.yml'), 'utf8')) as Action;

function step(name: string): Step {
  const found = action.runs.steps.find((s) => s.name === name);
  if (!found?.run) throw new Error(`action.yml has no run step "${name}"`);
  return found;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-action-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs a step's script with bash, as the runner does (`bash -e {0}`), in `dir`. */
function runStep(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-e', '-c', script],
      { cwd: dir, env: { ...env, PATH: `${dir}/bin:${process.env.PATH ?? ''}` } },
      (error, stdout, stderr) => {
        let code = 0;
        if (error) code = typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A stand-in `audiencectl` that records its arguments, writes a plan to --out and exits with `code`. */
async function stubAudiencectl(code: number): Promise<void> {
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  const script = [
    '#!/usr/bin/env bash',
    `printf '%s\\n' "$@" > "${dir}/args"`,
    'while [ $# -gt 0 ]; do if [ "$1" = --out ]; then echo "### audiencectl plan" > "$2"; fi; shift; done',
    'echo "a warning on stderr" >&2',
    `exit ${code}`,
  ].join('\n');
  await writeFile(path.join(bin, 'audiencectl'), script);
  await chmod(path.join(bin, 'audiencectl'), 0o755);
}

describe('action.yml', () => {
  it('is a composite action whose comment step runs the tested script', () => {
    expect(action.runs.using).toBe('composite');
    expect(step('Comment on the pull request').run).toContain('scripts/pr-comment.mjs');
    expect(step('Install audiencectl').run).toContain('"audiencectl@$version"');
  });

  it.each([0, 1, 2, 3])('plans with --detailed-exitcode and passes on exit code %i', async (code) => {
    await stubAudiencectl(code);
    const outputs = path.join(dir, 'outputs');
    const env = {
      BASE: 'origin/main',
      BASE_BRANCH: 'main',
      RUNNER_TEMP: dir,
      GITHUB_OUTPUT: outputs,
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
    };
    const result = await runStep(step('Plan').run ?? '', env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('a warning on stderr');
    const args = (await readFile(path.join(dir, 'args'), 'utf8')).trim().split('\n');
    expect(args).toEqual([
      'plan',
      '.',
      '--base',
      'origin/main',
      '--output',
      'markdown',
      '--detailed-exitcode',
      '--out',
      path.join(dir, 'audiencectl-plan.md'),
    ]);
    expect(await readFile(outputs, 'utf8')).toContain(`exit-code=${code}\n`);
    expect(await readFile(path.join(dir, 'summary'), 'utf8')).toBe('### audiencectl plan\n');
  });

  it('fetches the base branch when the checkout lacks it, then plans against it', async () => {
    await stubAudiencectl(2);
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: 'ci',
      GIT_AUTHOR_EMAIL: 'ci@x.invalid',
      GIT_COMMITTER_NAME: 'ci',
      GIT_COMMITTER_EMAIL: 'ci@x.invalid',
    };
    const git = (cwd: string, ...args: string[]) => exec('git', args, { cwd, env });
    const origin = path.join(dir, 'origin');
    await mkdir(origin);
    await git(origin, 'init', '-q', '-b', 'release');
    await writeFile(path.join(origin, 'a.yaml'), 'a: 1\n');
    await git(origin, 'add', '.');
    await git(origin, 'commit', '-qm', 'base');
    await git(dir, 'init', '-q', '-b', 'feature');
    await git(dir, 'remote', 'add', 'origin', origin);
    const stepEnv = {
      BASE: '',
      BASE_BRANCH: 'release',
      RUNNER_TEMP: dir,
      GITHUB_OUTPUT: path.join(dir, 'out'),
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
    };
    const result = await runStep(step('Plan').run ?? '', stepEnv);
    expect(result.code).toBe(0);
    const args = (await readFile(path.join(dir, 'args'), 'utf8')).trim().split('\n');
    expect(args.slice(0, 4)).toEqual(['plan', '.', '--base', 'origin/release']);
    const refs = await new Promise<string>((resolve) =>
      execFile('git', ['rev-parse', '--verify', 'origin/release^{commit}'], { cwd: dir }, (_e, out) =>
        resolve(out),
      ),
    );
    expect(refs.trim()).toMatch(/^[0-9a-f]{40}$/);
  });

  it.each([
    [0, 0],
    [2, 0],
    [1, 1],
    [3, 1],
  ])('fails the check on exit code %i: %i', async (code, expected) => {
    const result = await runStep(step('Verdict').run ?? '', { CODE: String(code) });
    expect(result.code).toBe(expected);
  });
});
