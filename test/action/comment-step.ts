import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { ACTIONS_BOT, PR_HEAD_SHA, startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { actionStep, repoRoot, runBash, stepEnvFor, type Context } from './event-step.js';

export const TOKEN = 'ghs_review38a0123456789';
export const REPO = 'acme/audiences';
export const MARKER = '<!-- audiencectl-plan: audiences -->';
export { ACTIONS_BOT, PR_HEAD_SHA };

export async function tempDir(): Promise<{ dir: string; done: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-38a-'));
  return { dir, done: () => rm(dir, { recursive: true, force: true }) };
}

export type PullRequestEvent = {
  baseRef?: string;
  headSha?: string;
  headRepo?: string;
};

/**
 * The comment step of action.yml for a `pull_request` event of pull request 7 of
 * acme/audiences, with the Plan step's outputs for `plan` (written to a file) and
 * `exitCode`: its env as GitHub fills in action.yml's expressions, plus the runner's own.
 */
export async function runCommentStep(
  github: FakeGitHub,
  dir: string,
  plan: string,
  exitCode: number,
  event: PullRequestEvent = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const planFile = path.join(dir, `plan-${Math.random().toString(36).slice(2)}.md`);
  const stderrFile = `${planFile}.stderr`;
  await writeFile(planFile, plan);
  await writeFile(stderrFile, '');
  const baseRef = event.baseRef ?? 'main';
  const context: Context = {
    inputs: { directory: 'audiences', sandbox: '', comment: 'true', 'github-token': TOKEN, 'comment-as': '' },
    github: {
      base_ref: baseRef,
      repository: REPO,
      event: {
        pull_request: {
          number: 7,
          head: { sha: event.headSha ?? PR_HEAD_SHA, ref: 'pr', repo: { full_name: event.headRepo ?? REPO } },
          base: { ref: baseRef, repo: { full_name: REPO } },
        },
      },
    },
    steps: {
      plan: { outputs: { 'plan-file': planFile, 'stderr-file': stderrFile, 'exit-code': String(exitCode) } },
    },
  };
  const step = actionStep('Comment on the pull request');
  return runBash(step.run ?? '', dir, {
    GITHUB_ACTION_PATH: repoRoot,
    GITHUB_REPOSITORY: REPO,
    GITHUB_API_URL: github.url,
    GITHUB_BASE_REF: baseRef,
    RUNNER_TEMP: dir,
    ...stepEnvFor(step, context),
  });
}

/** A spec file's fake GitHub and temp directory, fresh for each test (`useCommentStep`). */
export type CommentStepSpec = {
  /** This test's fake GitHub API. */
  readonly github: FakeGitHub;
  /** runCommentStep on this test's GitHub and directory. */
  run(plan: string, exitCode: number, event?: PullRequestEvent): ReturnType<typeof runCommentStep>;
};

/** Starts a fake GitHub and a temp directory before each test, and ends both after it. Call at the top of the file. */
export function useCommentStep(): CommentStepSpec {
  let github: FakeGitHub | undefined;
  let dir: { dir: string; done: () => Promise<void> } | undefined;
  beforeEach(async () => {
    github = await startFakeGitHub(REPO, TOKEN);
    dir = await tempDir();
  });
  afterEach(async () => {
    await github?.close();
    await dir?.done();
  });
  const started = () => {
    if (!github || !dir) throw new Error('useCommentStep: call from a test');
    return { github, dir: dir.dir };
  };
  return {
    get github() {
      return started().github;
    },
    run: (plan, exitCode, event) => runCommentStep(started().github, started().dir, plan, exitCode, event),
  };
}
