import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runBash } from '../action/event-step.js';
import { ACTIONS_BOT, startFakeGitHub, type FakeGitHub } from '../action/fake-github.js';
import { builtCliOnPath } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

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

/** A repository `origin` beside the workspace, on `branch`, with no commit yet. */
async function originRepo(branch: string): Promise<string> {
  const origin = path.join(dir, 'origin');
  await mkdir(origin);
  await git(origin, 'init', '-q', '-b', branch);
  return origin;
}

/** The workspace as a repository on `branch` whose remote `origin` is `origin`, nothing fetched. */
async function workspaceOf(origin: string, branch: string): Promise<void> {
  await git(dir, 'init', '-q', '-b', branch);
  await git(dir, 'remote', 'add', 'origin', origin);
}

/** A step's script run as the runner runs it (runBash), in `dir`, dir/bin (stand-ins) first on PATH. */
function runStep(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runBash(script, dir, { ...env, PATH: `${dir}/bin:${process.env.PATH ?? ''}` });
}

/** A stand-in `audiencectl` that records its arguments, writes a plan to --out (unless told not to) and exits with `code`. */
async function stubAudiencectl(code: number, plan = '### audiencectl plan'): Promise<void> {
  const bin = path.join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  const script = [
    '#!/usr/bin/env bash',
    `printf '%s\\n' "$@" > "${dir}/args"`,
    plan === ''
      ? ':'
      : `while [ $# -gt 0 ]; do if [ "$1" = --out ]; then echo "${plan}" > "$2"; fi; shift; done`,
    'echo "a warning on stderr" >&2',
    `exit ${code}`,
  ].join('\n');
  await writeFile(path.join(bin, 'audiencectl'), script);
  await chmod(path.join(bin, 'audiencectl'), 0o755);
}

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'ci',
  GIT_AUTHOR_EMAIL: 'ci@x.invalid',
  GIT_COMMITTER_NAME: 'ci',
  GIT_COMMITTER_EMAIL: 'ci@x.invalid',
};
async function git(cwd: string, ...gitArgs: string[]): Promise<string> {
  return (await exec('git', gitArgs, { cwd, env: gitEnv })).stdout.trim();
}
async function revParse(cwd: string, ref: string): Promise<string> {
  return git(cwd, 'rev-parse', '--verify', `${ref}^{commit}`);
}
/** Commits a new file `name` in `repo`; returns the commit. */
async function commit(repo: string, name: string, message: string): Promise<string> {
  await writeFile(path.join(repo, name), `${message}: 1\n`);
  await git(repo, 'add', name);
  await git(repo, 'commit', '-qm', message);
  return revParse(repo, 'HEAD');
}

/** The Plan step's environment in `dir`, on a pull_request event with base branch main. */
function stepEnv(): Record<string, string> {
  return {
    DIRECTORY: '.',
    BASE: '',
    BASE_BRANCH: 'main',
    PR_HEAD_SHA: '',
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: path.join(dir, 'outputs'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
  };
}
async function outputs(): Promise<Record<string, string>> {
  const text = await readFile(path.join(dir, 'outputs'), 'utf8');
  const pairs = text
    .trim()
    .split('\n')
    .map((line): [string, string] => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1)];
    });
  return Object.fromEntries(pairs);
}
/** The comment step's script, as the action runs it after a Plan step with `plan` outputs. */
function runCommentStep(
  github: FakeGitHub,
  token: string,
  plan: Record<string, string>,
  directory = 'audiences',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runStep(step('Comment on the pull request').run ?? '', {
    GITHUB_ACTION_PATH: repoRoot,
    GITHUB_TOKEN: token,
    GITHUB_REPOSITORY: 'acme/audiences',
    GITHUB_API_URL: github.url,
    PR_NUMBER: '7',
    RUNNER_TEMP: dir,
    PLAN_FILE: plan['plan-file'] ?? '',
    PLAN_STDERR_FILE: plan['stderr-file'] ?? '',
    PLAN_EXIT_CODE: plan['exit-code'] ?? '',
    PLAN_DIRECTORY: directory,
  });
}

async function args(): Promise<string[]> {
  return (await readFile(path.join(dir, 'args'), 'utf8')).trim().split('\n');
}

describe('action.yml', () => {
  it('is a composite action whose comment step runs the tested script', () => {
    expect(action.runs.using).toBe('composite');
    expect(step('Comment on the pull request').run).toContain('scripts/pr-comment.mjs');
    expect(step('Install audiencectl').run).toContain('"audiencectl@$version"');
    // A GitHub App's token: whom it comments as is given, since GET /user cannot say.
    expect(action.inputs['comment-as']).toEqual(expect.objectContaining({ default: '' }));
    expect(step('Comment on the pull request').env?.COMMENT_AS).toBe('${{ inputs.comment-as }}');
  });

  it.each([0, 1, 2, 3])('plans with --detailed-exitcode and passes on exit code %i', async (code) => {
    await stubAudiencectl(code);
    const env = { ...stepEnv(), BASE: 'origin/main' };
    const result = await runStep(step('Plan').run ?? '', env);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('a warning on stderr');
    const out = await outputs();
    expect(path.dirname(out['plan-file'] ?? '')).not.toBe(dir);
    expect(out['plan-file']?.startsWith(`${dir}/`)).toBe(true);
    expect(await args()).toEqual([
      'plan',
      '.',
      '--base',
      'origin/main',
      '--output',
      'markdown',
      '--detailed-exitcode',
      '--out',
      out['plan-file'],
    ]);
    expect(out['exit-code']).toBe(String(code));
    const plan = await readFile(out['plan-file'] ?? '', 'utf8');
    expect(plan).toBe('_Compared with `origin/main` (the `base` input)._\n\n### audiencectl plan\n');
    expect(await readFile(path.join(dir, 'summary'), 'utf8')).toBe(plan);
  });

  it('fetches the base branch when the checkout lacks it, then plans against it', async () => {
    await stubAudiencectl(2);
    const origin = await originRepo('release');
    await commit(origin, 'a.yaml', 'base');
    await workspaceOf(origin, 'feature');
    const result = await runStep(step('Plan').run ?? '', { ...stepEnv(), BASE_BRANCH: 'release' });
    expect(result.code).toBe(0);
    expect((await args()).slice(0, 4)).toEqual(['plan', '.', '--base', 'origin/release']);
    expect(await revParse(dir, 'origin/release')).toBe(await revParse(origin, 'HEAD'));
  });

  // Finding #3: a kept workspace (self-hosted runner) still has origin/<base> from an older job.
  it('fetches the base branch even when an older origin/<base> is already there', async () => {
    await stubAudiencectl(2);
    const origin = await originRepo('main');
    const old = await commit(origin, 'a.yaml', 'c1');
    await workspaceOf(origin, 'work');
    await git(dir, 'fetch', '-q', 'origin', '+refs/heads/main:refs/remotes/origin/main');
    await git(dir, 'checkout', '-q', '--detach', old);
    const tip = await commit(origin, 'b.yaml', 'merged since');
    const result = await runStep(step('Plan').run ?? '', stepEnv());
    expect(result.code).toBe(0);
    const base = (await args())[3] ?? '';
    expect(await revParse(dir, base)).toBe(tip);
    const plan = await readFile((await outputs())['plan-file'] ?? '', 'utf8');
    expect(plan.split('\n')[0]).toContain(`\`${tip.slice(0, 12)}\``);
    expect(plan.split('\n')[0]).toContain('tip of `main`');
  });

  // Finding #4: the checkout is the merge commit made when the event fired; main moved since.
  it("plans a pull request's merge commit against its first parent, not today's base tip", async () => {
    await stubAudiencectl(2);
    const origin = await originRepo('main');
    await git(origin, 'config', 'uploadpack.allowAnySHA1InWant', 'true'); // as GitHub does
    const c1 = await commit(origin, 'a.yaml', 'c1');
    await git(origin, 'checkout', '-q', '-b', 'pr');
    const head = await commit(origin, 'b.yaml', 'pr');
    await git(origin, 'checkout', '-q', '--detach', c1);
    await git(origin, 'merge', '-q', '--no-ff', 'pr', '-m', 'merge');
    await git(origin, 'update-ref', 'refs/pull/1/merge', 'HEAD');
    await git(origin, 'checkout', '-q', 'main');
    await commit(origin, 'c.yaml', 'merged after the event');
    // actions/checkout: the merge ref only, depth 1
    await workspaceOf(origin, 'work');
    await git(dir, 'fetch', '-q', '--depth=1', 'origin', '+refs/pull/1/merge:refs/remotes/pull/1/merge');
    await git(dir, 'checkout', '-q', '--detach', 'refs/remotes/pull/1/merge');
    const result = await runStep(step('Plan').run ?? '', { ...stepEnv(), PR_HEAD_SHA: head });
    expect(result.code).toBe(0);
    const base = (await args())[3] ?? '';
    expect(await revParse(dir, base)).toBe(c1);
    const plan = await readFile((await outputs())['plan-file'] ?? '', 'utf8');
    expect(plan.split('\n')[0]).toContain(`\`${c1.slice(0, 12)}\``);
    expect(plan.split('\n')[0]).toContain('first parent');
  });

  // The fallback to the base tip: the workflow checked out the pull request's head
  // (actions/checkout with `ref: ${{ github.event.pull_request.head.sha }}`), no merge commit.
  it('plans a checkout that is not the merge commit against the freshly fetched base tip, and says why', async () => {
    await stubAudiencectl(2);
    const origin = await originRepo('main');
    await git(origin, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
    const c1 = await commit(origin, 'a.yaml', 'c1');
    await git(origin, 'checkout', '-q', '-b', 'pr');
    const head = await commit(origin, 'b.yaml', 'pr');
    await git(origin, 'checkout', '-q', 'main');
    const tip = await commit(origin, 'c.yaml', 'merged after the pull request was opened');
    await workspaceOf(origin, 'work');
    await git(dir, 'fetch', '-q', '--depth=1', 'origin', head);
    await git(dir, 'checkout', '-q', '--detach', head);
    const result = await runStep(step('Plan').run ?? '', { ...stepEnv(), PR_HEAD_SHA: head });
    expect(result.code).toBe(0);
    const base = (await args())[3] ?? '';
    expect(base).toBe('origin/main');
    expect(await revParse(dir, base)).toBe(tip);
    expect(tip).not.toBe(c1);
    const plan = await readFile((await outputs())['plan-file'] ?? '', 'utf8');
    expect(plan.split('\n')[0]).toBe(
      `_Compared with \`${tip.slice(0, 12)}\`, the tip of \`main\` (the checkout is not the pull request's merge commit)._`,
    );
  });

  // A pull request that removes the whole directory: the real CLI plans its removals, and
  // the comment lists them (the Plan step once failed on `cd` with "nothing to plan from").
  it('plans a pull request that removes the whole directory, and the comment lists the removals', async () => {
    await builtCliOnPath(dir);
    const origin = await originRepo('main');
    await mkdir(path.join(origin, 'audiences'));
    await git(origin, 'config', 'uploadpack.allowAnySHA1InWant', 'true');
    await writeFile(path.join(origin, 'audiences/gold.yaml'), manifestYaml('gold'));
    await writeFile(
      path.join(origin, 'audiences/silver.yaml'),
      manifestYaml('silver', { metadata: { deletionPolicy: 'Orphan' } }),
    );
    await git(origin, 'add', 'audiences');
    const c1 = await commit(origin, 'README.md', 'base');
    await git(origin, 'checkout', '-q', '-b', 'pr');
    await git(origin, 'rm', '-rq', 'audiences');
    await git(origin, 'commit', '-qm', 'remove every manifest');
    const head = await revParse(origin, 'HEAD');
    await git(origin, 'checkout', '-q', '--detach', c1);
    await git(origin, 'merge', '-q', '--no-ff', 'pr', '-m', 'merge');
    await git(origin, 'update-ref', 'refs/pull/1/merge', 'HEAD');
    const ws = path.join(dir, 'ws');
    await mkdir(ws);
    await git(ws, 'init', '-q', '-b', 'work');
    await git(ws, 'remote', 'add', 'origin', origin);
    await git(ws, 'fetch', '-q', '--depth=1', 'origin', '+refs/pull/1/merge:refs/remotes/pull/1/merge');
    await git(ws, 'checkout', '-q', '--detach', 'refs/remotes/pull/1/merge');
    const plan = await runStep(`cd ws\n${step('Plan').run ?? ''}`, {
      ...stepEnv(),
      DIRECTORY: 'audiences',
      PR_HEAD_SHA: head,
      AUDIENCECTL_MANIFEST_CACHE: 'off',
    });
    expect(plan.code).toBe(0);
    const out = await outputs();
    // Blocked by the empty-source guard, as the removal of every audience is.
    expect(out['exit-code']).toBe('3');
    const token = 'ghs_canary0123456789';
    const github = await startFakeGitHub('acme/audiences', token);
    try {
      expect((await runCommentStep(github, token, out)).code).toBe(0);
      const [body = '', ...rest] = (github.comments.get('7') ?? []).map((c) => c.body);
      expect(rest).toEqual([]);
      expect(body).toContain('**audiencectl plan** in `audiences`: some steps are blocked by a guard');
      expect(body).toContain(`_Compared with \`${c1.slice(0, 12)}\`, the first parent`);
      expect(body).toContain('<details><summary><code>prod/gold</code>: - delete (blocked)</summary>');
      expect(body).toContain('<details><summary><code>prod/silver</code>: - forget (blocked)</summary>');
      expect(body).toContain(
        'audiences is gone from the working tree (this change removes the directory): every audience it holds in --base',
      );
      expect(body).not.toContain('No changes');
    } finally {
      await github.close();
    }
  });

  // REVIEW-34a L-2: manifests that name no sandbox are planned in the sandbox the `sandbox`
  // input gives (AEP_SANDBOX, as the chart's aep.sandbox reaches the controller); without the
  // input, in the job's AEP_SANDBOX, else prod, as before. The real CLI: a manifest without a
  // sandbox and one of the same name in prod are two audiences on dev, a duplicate in prod.
  it('plans manifests that name no sandbox in the sandbox input, else the job AEP_SANDBOX, else prod', async () => {
    expect(action.inputs.sandbox).toEqual(expect.objectContaining({ default: '' }));
    expect(step('Plan').env?.SANDBOX).toBe('${{ inputs.sandbox }}');
    await builtCliOnPath(dir);
    await git(dir, 'init', '-q', '-b', 'main');
    await mkdir(path.join(dir, 'audiences'));
    await writeFile(path.join(dir, 'audiences/gold.yaml'), manifestYaml('gold'));
    await git(dir, 'add', 'audiences');
    await git(dir, 'commit', '-qm', 'base');
    await writeFile(
      path.join(dir, 'audiences/gold-prod.yaml'),
      manifestYaml('gold', { metadata: { sandbox: 'prod' } }),
    );
    await git(dir, 'add', 'audiences');
    await git(dir, 'commit', '-qm', 'head');
    const plan = async (env: Record<string, string>) => {
      await rm(path.join(dir, 'outputs'), { force: true });
      const result = await runStep(step('Plan').run ?? '', {
        ...stepEnv(),
        DIRECTORY: 'audiences',
        BASE: 'HEAD~1',
        SANDBOX: '',
        AUDIENCECTL_MANIFEST_CACHE: 'off',
        ...env,
      });
      expect(result.code, result.stderr).toBe(0);
      const out = await outputs();
      return { code: out['exit-code'], plan: await readFile(out['plan-file'] ?? '', 'utf8').catch(() => '') };
    };
    const onDev = await plan({ SANDBOX: 'dev' });
    expect(onDev.code).toBe('2');
    expect(onDev.plan).toContain('<code>prod/gold</code>: + create');
    expect(onDev.plan).not.toContain('dev/gold');
    const fromJob = await plan({ AEP_SANDBOX: 'dev' });
    expect(fromJob.code).toBe('2');
    expect(fromJob.plan).toContain('<code>prod/gold</code>: + create');
    // The input wins over the job's variable, as a step's env over a job's.
    expect((await plan({ SANDBOX: 'dev', AEP_SANDBOX: 'prod' })).code).toBe('2');
    expect((await plan({})).code).toBe('1');
    expect(await readFile(path.join(dir, 'outputs'), 'utf8')).toContain('exit-code=1');
  });

  // Finding #6: the action used once per directory in one job.
  it('keeps each use apart: a second use that fails shows none of the first plan', async () => {
    await stubAudiencectl(2, '### plan of the first directory');
    const first = await runStep(step('Plan').run ?? '', { ...stepEnv(), BASE: 'origin/main' });
    expect(first.code).toBe(0);
    const firstFile = (await outputs())['plan-file'] ?? '';
    await rm(path.join(dir, 'outputs'));
    await rm(path.join(dir, 'bin'), { recursive: true });
    await stubAudiencectl(1, '');
    const second = await runStep(step('Plan').run ?? '', { ...stepEnv(), BASE: 'origin/main' });
    expect(second.code).toBe(0);
    const out = await outputs();
    expect(out['exit-code']).toBe('1');
    expect(out['plan-file']).not.toBe(firstFile);
    expect(await readFile(out['plan-file'] ?? '', 'utf8').catch(() => '')).not.toContain('first directory');
    expect(await readFile(firstFile, 'utf8')).toContain('### plan of the first directory');
  });

  // Finding #5: a Plan step that fails (here: no base to compare with) still replaces the comment.
  it('replaces the previous comment with the reason when the plan cannot be made', async () => {
    const token = 'ghs_canary0123456789';
    const github = await startFakeGitHub('acme/audiences', token);
    try {
      const old = '<!-- audiencectl-plan: audiences -->\n**audiencectl plan** in `audiences`: no changes';
      github.comments.set('7', [{ id: 1, body: old, user: ACTIONS_BOT }]);
      await stubAudiencectl(0);
      const plan = await runStep(step('Plan').run ?? '', { ...stepEnv(), BASE_BRANCH: '' });
      expect(plan.code).toBe(1);
      const out = await outputs();
      expect(out['exit-code']).toBe('1');
      expect(await readFile(path.join(dir, 'args'), 'utf8').catch(() => 'not run')).toBe('not run');
      for (const name of ['Comment on the pull request', 'Verdict'])
        expect(step(name).if).toMatch(/^\$\{\{ !cancelled\(\)/);
      const commentStep = (plan: Record<string, string>) => runCommentStep(github, token, plan);
      const comments = () => (github.comments.get('7') ?? []).map((c) => c.body);
      expect((await commentStep(out)).code).toBe(0);
      const [body, ...rest] = comments();
      expect(rest).toEqual([]);
      expect(body).toContain('`audiences`: the plan failed');
      expect(body).toContain('no base ref: set the base input, or run on pull_request events');
      expect(body).not.toContain('no changes');
      // An earlier step failed (installing audiencectl): the Plan step has no outputs.
      expect((await commentStep({})).code).toBe(0);
      expect(comments()).toHaveLength(1);
      expect(comments()[0]).toContain('`audiences`: the plan failed');
      expect(comments()[0]).toContain('the plan did not run: an earlier step of the action failed');
    } finally {
      await github.close();
    }
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
