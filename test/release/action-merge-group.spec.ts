import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { actionStep, repoRoot, runBash, stepEnvFor } from '../action/event-step.js';
import { builtCliOnPath, GIT_ENV } from '../helpers/cli.js';
import { manifestYaml } from '../helpers/manifests.js';

/**
 * Review action-44 H-1. A repository whose merge queue requires the plan check runs the
 * workflow on `merge_group` events: GitHub checks out the queue's commit
 * (merge_group.head_sha, the pull request merged onto the entries ahead of it) and sets no
 * github.base_ref. The Plan step failed with "no base ref: set the base input, or run on
 * pull_request events": the required check failed and no pull request could be merged.
 */
const exec = promisify(execFile);
const git = async (cwd: string, ...args: string[]): Promise<string> =>
  (await exec('git', args, { cwd, env: { ...process.env, ...GIT_ENV } })).stdout.trim();

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-merge-group-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Commits `files` (paths under the repository) on what `repo` has checked out; returns the commit. */
async function commitFiles(repo: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(repo, name)), { recursive: true });
    await writeFile(path.join(repo, name), text);
    await git(repo, 'add', name);
  }
  await git(repo, 'commit', '-qm', message);
  return git(repo, 'rev-parse', 'HEAD');
}

describe('the Action on a merge_group event (a merge queue)', () => {
  it("plans the queue's commit against the merge group's base, the entries ahead of it included", async () => {
    const bin = await builtCliOnPath(dir);
    const origin = path.join(dir, 'origin');
    await mkdir(origin);
    await git(origin, 'init', '-q', '-b', 'main');
    await git(origin, 'config', 'uploadpack.allowAnySHA1InWant', 'true'); // as GitHub does
    const main = await commitFiles(origin, { 'audiences/gold.yaml': manifestYaml('gold') }, 'gold');
    // Pull request 6 (bronze) is first in the queue: its queue commit is main with it merged.
    await git(origin, 'checkout', '-q', '-b', 'gh-readonly-queue/main/pr-6');
    const first = await commitFiles(origin, { 'audiences/bronze.yaml': manifestYaml('bronze') }, 'pr 6');
    // Pull request 7 (silver) is next: its queue commit is the first's with it merged.
    await git(origin, 'checkout', '-q', '-b', 'gh-readonly-queue/main/pr-7');
    const second = await commitFiles(origin, { 'audiences/silver.yaml': manifestYaml('silver') }, 'pr 7');
    await git(origin, 'checkout', '-q', 'main');
    expect(await git(origin, 'rev-parse', 'main')).toBe(main);

    // actions/checkout on merge_group: the queue's commit, depth 1.
    const ws = path.join(dir, 'ws');
    await mkdir(ws);
    await git(ws, 'init', '-q', '-b', 'work');
    await git(ws, 'remote', 'add', 'origin', origin);
    await git(ws, 'fetch', '-q', '--depth=1', 'origin', second);
    await git(ws, 'checkout', '-q', '--detach', second);

    const plan = actionStep('Plan');
    const env = stepEnvFor(plan, {
      inputs: { directory: 'audiences', base: '', sandbox: '' },
      // What GitHub sets on merge_group: no base_ref, no pull_request.
      github: {
        event_name: 'merge_group',
        base_ref: '',
        sha: second,
        event: {
          action: 'checks_requested',
          merge_group: {
            base_ref: 'refs/heads/main',
            base_sha: first,
            head_ref: 'refs/heads/gh-readonly-queue/main/pr-7',
            head_sha: second,
          },
        },
      },
    });
    const outputsFile = path.join(dir, 'outputs');
    await writeFile(outputsFile, '');
    const result = await runBash(plan.run ?? '', ws, {
      ...env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      RUNNER_TEMP: dir,
      GITHUB_OUTPUT: outputsFile,
      GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
    });
    expect(result.stdout).not.toContain('no base ref');
    expect(result.code, result.stderr).toBe(0);
    const outputs = Object.fromEntries(
      (await readFile(outputsFile, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(outputs['exit-code']).toBe('2');
    const markdown = await readFile(outputs['plan-file'] ?? '', 'utf8');
    // Compared with the merge group's base: pull request 7's silver only, bronze is the base's.
    expect(markdown.split('\n')[0]).toContain(`\`${first.slice(0, 12)}\``);
    expect(markdown.split('\n')[0]).toContain('merge group');
    expect(markdown).toContain('prod/silver');
    expect(markdown).not.toContain('prod/bronze');
    expect(markdown).not.toContain('prod/gold');
  });

  it("is in README's pull-request workflow, each queue entry its own concurrency group", async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    const block = /```yaml\n(# \.github\/workflows\/audience-plan\.yml\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const workflow = parse(block ?? '') as { on: Record<string, unknown>; concurrency: { group: string } };
    expect(Object.keys(workflow.on)).toContain('merge_group');
    // A group of pull_request.number only is one group for every entry of the queue:
    // cancel-in-progress cancels the check of the entry ahead, and the queue stalls.
    expect(workflow.concurrency.group).toContain('github.event.merge_group.head_ref');
  });
});
