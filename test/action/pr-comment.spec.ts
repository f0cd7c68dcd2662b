import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTIONS_BOT, startFakeGitHub, type FakeGitHub } from './fake-github.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/pr-comment.mjs', import.meta.url));
const TOKEN = 'ghs_canary0123456789';
const REPO = 'acme/audiences';
const PLAN = '### audiencectl plan\n\n| create | update |\n|---:|---:|\n| 1 | 0 |\n';
const MARKER = '<!-- audiencectl-plan: audiences -->';
/** A plan comment as the PR's author could write it, before the first run. */
const SPOOF = `${MARKER}\n**audiencectl plan** in \`audiences\`: no changes\n\n**No changes.**`;

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
  /** The comment-as input. */
  commentAs?: string;
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
    ...(options.commentAs === undefined ? {} : { COMMENT_AS: options.commentAs }),
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
    expect(github.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      'GET /user',
      `GET /repos/${REPO}/pulls/7`,
      `GET /repos/${REPO}/issues/7/comments`,
      `POST /repos/${REPO}/issues/7/comments`,
      'GET /user',
      `GET /repos/${REPO}/pulls/7`,
      `GET /repos/${REPO}/issues/7/comments`,
      `PATCH /repos/${REPO}/issues/comments/1001`,
    ]);
  });

  it('finds its comment on a later page among other comments, and leaves those alone', async () => {
    const others = Array.from({ length: 130 }, (_, i) => ({
      id: i + 1,
      body: `review ${i}`,
      user: { login: 'someone', type: 'User' as const },
    }));
    github.comments.set('7', [
      ...others.slice(0, 120),
      { id: 500, body: `${MARKER}\nold`, user: ACTIONS_BOT },
      ...others.slice(120),
    ]);
    const result = await comment({ plan: PLAN, exitCode: 2 });
    expect(result.code).toBe(0);
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /user',
      `GET /repos/${REPO}/pulls/7`,
      `GET /repos/${REPO}/issues/7/comments?per_page=100&page=1`,
      `GET /repos/${REPO}/issues/7/comments?per_page=100&page=2`,
      `PATCH /repos/${REPO}/issues/comments/500`,
    ]);
    expect(bodies().filter((b) => b.startsWith('review'))).toHaveLength(130);
    expect(bodies().find((b) => b.includes('audiencectl-plan'))).toContain(PLAN.trim());
  });

  it('never takes over a comment someone else wrote with the marker: posts its own', async () => {
    github.comments.set('7', [{ id: 1, body: SPOOF, user: { login: 'pr-author', type: 'User' } }]);
    const result = await comment({ plan: PLAN, exitCode: 2 });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('created');
    expect(github.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    const [spoof, ours, ...rest] = github.comments.get('7') ?? [];
    expect(spoof?.body).toBe(SPOOF);
    expect(ours?.user).toEqual(ACTIONS_BOT);
    expect(ours?.body).toMatch(
      /^<!-- audiencectl-plan: audiences -->\n\*\*audiencectl plan\*\* in `audiences`: changes pending\n/,
    );
    expect(rest).toEqual([]);
  });

  it("with a personal access token, updates only that user's comment, not the Actions bot's or another user's", async () => {
    const ci = { login: 'ci-user', type: 'User' as const };
    github.user = ci;
    github.comments.set('7', [
      { id: 1, body: `${MARKER}\nby the bot`, user: ACTIONS_BOT },
      { id: 2, body: SPOOF, user: { login: 'pr-author', type: 'User' } },
      { id: 3, body: `${MARKER}\nold`, user: ci },
    ]);
    const result = await comment({ plan: PLAN, exitCode: 2 });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(github.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /repos/${REPO}/issues/comments/3`,
    ]);
    expect(bodies()).toEqual([`${MARKER}\nby the bot`, SPOOF, expect.stringContaining(PLAN.trim())]);
  });

  // A GitHub App's installation token: GET /user is refused as for GITHUB_TOKEN, but its
  // comments are the app's bot's, not github-actions[bot]'s.
  it("with a GitHub App's token, edits the app's comment once comment-as names it, and posts a new one (saying so) without it", async () => {
    const app = { login: 'my-app[bot]', type: 'Bot' as const };
    github.bot = app;
    const previous = `${MARKER}\nprevious push`;
    github.comments.set('7', [
      { id: 1, body: SPOOF, user: { login: 'pr-author', type: 'User' } },
      { id: 2, body: previous, user: app },
    ]);
    const guessed = await comment({ plan: PLAN, exitCode: 2, commentAs: '' });
    expect(guessed.code).toBe(0);
    expect(guessed.stdout).toContain('created');
    expect(guessed.stderr).toContain('a plan comment by my-app[bot] is left alone');
    expect(guessed.stderr).toContain('set the comment-as input (COMMENT_AS) to its login');
    expect(github.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    expect(bodies()).toEqual([SPOOF, previous, expect.stringContaining(PLAN.trim())]);

    github.requests.length = 0;
    const named = await comment({ plan: '**No changes.**\n', exitCode: 0, commentAs: 'my-app[bot]' });
    // The comment the guessing run posted is the app's too: an earlier copy of the plan
    // comment, removed once the first holds the plan (review 38a M-3).
    expect(named).toMatchObject({
      code: 0,
      stderr: 'pr-comment: removed comment 1001, an earlier copy of the plan comment\n',
    });
    expect(named.stdout).toContain('updated (id 2)');
    expect(github.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      `GET /repos/${REPO}/pulls/7`,
      `GET /repos/${REPO}/issues/7/comments`,
      `PATCH /repos/${REPO}/issues/comments/2`,
      `DELETE /repos/${REPO}/issues/comments/1001`,
    ]);
    expect(bodies()[0]).toBe(SPOOF);
    expect(bodies()[1]).toContain(': no changes');
    expect(bodies()).toHaveLength(2);
  });

  it('refuses a comment-as that is no GitHub login, before any request', async () => {
    const result = await comment({ plan: PLAN, exitCode: 2, commentAs: 'my app' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'pr-comment: COMMENT_AS must be a GitHub login (a user, or an app\'s bot such as my-app[bot]), got "my app"\n',
    );
    expect(github.requests).toEqual([]);
  });

  it('posts a new comment when GitHub refuses to update its own', async () => {
    github.comments.set('7', [{ id: 1, body: `${MARKER}\nold`, user: ACTIONS_BOT }]);
    github.refuseUpdates = true;
    const result = await comment({ plan: PLAN, exitCode: 2 });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('created');
    expect(github.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'GET', 'PATCH', 'POST']);
    expect(bodies()).toEqual([`${MARKER}\nold`, expect.stringContaining(PLAN.trim())]);
  });

  // review 36b, M-3: a token that may read but not write (a fork's pull request) warns, and
  // says that the comment GitHub would not update still shows an earlier plan.
  it('warns, without failing, when GitHub refuses both the update and a new comment', async () => {
    github.comments.set('7', [{ id: 1, body: `${MARKER}\nold`, user: ACTIONS_BOT }]);
    github.refuseUpdates = true;
    github.refuseCreates = true;
    const result = await comment({ plan: PLAN, exitCode: 2 });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "::warning::audiencectl plan: GitHub refused the pull-request comment (403): the token cannot write to this pull request (a fork's pull request gets a read-only token); comment 1 still shows an earlier plan; the plan is in the job summary\n",
    );
    expect(result.stderr).toBe('pr-comment: cannot update comment 1 (403); posting a new one\n');
    expect(bodies()).toEqual([`${MARKER}\nold`]);

    // A plan that failed before writing one has nothing in the summary: its output is in the log.
    github.comments.set('7', []);
    const failed = await comment({ stderr: 'audiences/bad.yaml:3:1: spec.name is required\n', exitCode: 1 });
    expect(failed.code).toBe(0);
    expect(failed.stdout).toBe(
      "::warning::audiencectl plan: GitHub refused the pull-request comment (403): the token cannot write to this pull request (a fork's pull request gets a read-only token); the plan's output is in the job log\n",
    );
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

  it("folds what a failed plan printed when the plan itself was written (it repeats the plan's notes)", async () => {
    const stderr = 'Held: prod/gold (audiences/gold.yaml:3:1: spec.name is required)\n';
    await comment({ plan: PLAN, stderr, exitCode: 1 });
    const [body] = bodies();
    expect(body).toContain(PLAN.trim());
    expect(body).toContain(
      '<details>\n<summary>What the plan printed (stderr)</summary>\n\n```\nHeld: prod/gold (audiences/gold.yaml:3:1: spec.name is required)\n```\n</details>',
    );
    expect(body?.split('Held: prod/gold')).toHaveLength(2);
  });

  // review 22, L2: the folded stderr took room the plan's own sections then lost.
  it('leaves out the folded stderr of a failed plan before cutting any of its audience sections', async () => {
    const section = (i: number) =>
      `<details><summary><code>prod/a${i}</code>: + create</summary>\n\n${'x'.repeat(800)}\n</details>\n\n`;
    const plan = `### audiencectl plan\n\n${Array.from({ length: 60 }, (_, i) => section(i)).join('')}`;
    await comment({ plan, stderr: `Held: ${'y'.repeat(30_000)}\n`, exitCode: 1 });
    const [body] = bodies();
    expect(body?.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain('<code>prod/a59</code>');
    expect(body).not.toContain('section(s) cut');
    expect(body).not.toContain('Held: ');
    expect(body).toContain(
      "_What the plan printed (stderr), which repeats its notes, is left out to fit GitHub's comment limit: see the job log._",
    );
  });

  it('keeps a huge plan under the size GitHub accepts', async () => {
    await comment({ plan: `### audiencectl plan\n\n${'x'.repeat(80_000)}`, exitCode: 2 });
    const [body] = bodies();
    expect(body?.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain('truncated');
    expect(body).not.toContain('job log');
  });

  it('cuts a plan that is too long at whole audience sections, keeping the notes at its end and every fence closed', async () => {
    const section = (i: number) =>
      `<details><summary><code>prod/a-${i}</code>: ${i === 68 ? '- delete' : '~ update'}</summary>\n\n\`\`\`diff\n~ update: spec changed\n    ~ description: "${'d'.repeat(900)}"\n\`\`\`\n</details>\n`;
    const tail =
      "_3 more audience(s) folded to stay under GitHub's comment limit._\n\n**Held (left alone): 1**\n\n- `prod/held`: kept\n";
    const sections = Array.from({ length: 70 }, (_, i) => section(i)).join('\n');
    const plan = `### audiencectl plan\n\n${sections}\n${tail}`;
    expect(plan.length).toBeGreaterThan(65_000);
    await comment({ plan, exitCode: 2 });
    const [body = ''] = bodies();
    expect(body.length).toBeLessThanOrEqual(65_000);
    expect(body).toContain('prod/a-0<');
    expect(body).not.toContain('prod/a-69<');
    expect(body).toContain('\n- <code>prod/a-68</code>: - delete\n');
    expect(body).not.toContain('<code>prod/a-67</code>: ~ update');
    expect(body).toContain(tail.trim());
    expect(body.split('```').length % 2).toBe(1);
    expect(body.split('<details>').length).toBe(body.split('</details>').length);
    const shown = body.split('<details>').length - 1;
    expect(body).toContain(`_${70 - shown} more audience section(s) cut to fit GitHub's comment limit`);
    expect(body).not.toContain('job log');
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
