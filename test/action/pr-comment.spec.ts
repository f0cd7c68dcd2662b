import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/pr-comment.mjs', import.meta.url));
const TOKEN = 'ghs_canary0123456789';
const REPO = 'acme/audiences';
const PLAN = '### audiencectl plan\n\n| create | update |\n|---:|---:|\n| 1 | 0 |\n';

let github: FakeGitHub;
let dir: string;

beforeEach(async () => {
  github = await startFakeGitHub(REPO, TOKEN);
  dir = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-comment-'));
});
afterEach(async () => {
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

type Run = { code: number; stdout: string; stderr: string };

/** Runs the script as action.yml does, with the plan and its stderr in files. */
async function comment(options: {
  plan?: string;
  stderr?: string;
  exitCode: number;
  directory?: string;
  pr?: string;
}): Promise<Run> {
  const planFile = path.join(dir, 'plan.md');
  const stderrFile = path.join(dir, 'stderr.txt');
  await writeFile(planFile, options.plan ?? '');
  await writeFile(stderrFile, options.stderr ?? '');
  const env = {
    PATH: process.env.PATH ?? '',
    GITHUB_TOKEN: TOKEN,
    GITHUB_REPOSITORY: REPO,
    GITHUB_API_URL: github.url,
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    PR_NUMBER: options.pr ?? '7',
    PLAN_FILE: planFile,
    PLAN_STDERR_FILE: stderrFile,
    PLAN_EXIT_CODE: String(options.exitCode),
    PLAN_DIRECTORY: options.directory ?? 'audiences',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT], { env }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

function bodies(issue = '7'): string[] {
  return (github.comments.get(issue) ?? []).map((c) => c.body);
}

describe('scripts/pr-comment.mjs', () => {
  it('creates one comment with a hidden marker, the verdict and the plan', async () => {
    const result = await comment({ plan: PLAN, exitCode: 2 });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [body, ...rest] = bodies();
    expect(rest).toEqual([]);
    expect(body).toMatch(
      /^<!-- audiencectl-plan: audiences -->\n\*\*audiencectl plan\*\* in `audiences`: changes pending\n/,
    );
    expect(body).toContain(PLAN.trim());
    expect(body).toContain('for 0123456789ab');
    expect(github.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('updates its own comment on the next push instead of adding one', async () => {
    await comment({ plan: PLAN, exitCode: 2 });
    const result = await comment({ plan: '### audiencectl plan\n\nNo changes.\n', exitCode: 0 });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('updated');
    expect(bodies()).toHaveLength(1);
    expect(bodies()[0]).toContain(': no changes');
    expect(github.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'GET', 'PATCH']);
  });

  it('finds its comment on a later page among other comments, and leaves those alone', async () => {
    const others = Array.from({ length: 130 }, (_, i) => ({
      id: i + 1,
      body: `review ${i}`,
      user: { login: 'someone' },
    }));
    github.comments.set('7', [
      ...others.slice(0, 120),
      { id: 500, body: '<!-- audiencectl-plan: audiences -->\nold', user: { login: 'github-actions[bot]' } },
      ...others.slice(120),
    ]);
    const result = await comment({ plan: PLAN, exitCode: 2 });
    expect(result.code).toBe(0);
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /repos/${REPO}/issues/7/comments?per_page=100&page=1`,
      `GET /repos/${REPO}/issues/7/comments?per_page=100&page=2`,
      `PATCH /repos/${REPO}/issues/comments/500`,
    ]);
    expect(bodies().filter((b) => b.startsWith('review'))).toHaveLength(130);
    expect(bodies().find((b) => b.includes('audiencectl-plan'))).toContain(PLAN.trim());
  });

  it('keeps one comment per planned directory', async () => {
    await comment({ plan: PLAN, exitCode: 2, directory: 'audiences/eu' });
    await comment({ plan: PLAN, exitCode: 2, directory: 'audiences/us' });
    await comment({ plan: PLAN, exitCode: 0, directory: 'audiences/eu' });
    expect(bodies()).toHaveLength(2);
  });

  it.each([
    [1, 'the plan failed'],
    [3, 'some steps are blocked by a guard'],
  ])('says what exit code %i means, with the errors when the plan failed', async (exitCode, verdict) => {
    const stderr = 'audiences/bad.yaml:3:1: spec.name is required\n';
    await comment({ plan: exitCode === 1 ? '' : PLAN, stderr, exitCode });
    const [body] = bodies();
    expect(body).toContain(`: ${verdict}`);
    if (exitCode === 1) expect(body).toContain('```\naudiences/bad.yaml:3:1: spec.name is required\n```');
  });

  it('keeps a huge plan under the size GitHub accepts', async () => {
    await comment({ plan: `### audiencectl plan\n\n${'x'.repeat(80_000)}`, exitCode: 2 });
    const [body] = bodies();
    expect(body?.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain('truncated');
  });

  it('fails in one line, without the token, when GitHub refuses', async () => {
    github.failWith = 403;
    const result = await comment({ plan: PLAN, exitCode: 2 });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('403');
    expect(result.stderr + result.stdout).not.toContain(TOKEN);
  });

  it('refuses to run outside a pull request', async () => {
    const result = await comment({ plan: PLAN, exitCode: 2, pr: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('pr-comment: PR_NUMBER is not set\n');
    expect(github.requests).toEqual([]);
  });
});
