import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';

/**
 * Review 36b, H-2. The plan comment was "updated on every push" by whichever workflow run
 * finished last, not by the run of the pull request's head. Push A, then push B (which adds a
 * deletion); B's run comments first, then A's run (queued longer, or re-run from the Actions
 * tab after a flaky failure) overwrote the comment with A's plan: the pull request's head is
 * B, and the comment told the reviewer "no changes". Only the small `for <sha>` line said
 * which commit the plan is of.
 */
const SCRIPT = fileURLToPath(new URL('../../scripts/pr-comment.mjs', import.meta.url));
const TOKEN = 'ghs_review36b0123456789';
const REPO = 'acme/audiences';
const OLDER = 'aaaaaaaaaaaa1111111111111111111111111111';
const HEAD = 'bbbbbbbbbbbb2222222222222222222222222222';
const OLDER_PLAN = '### audiencectl plan\n\n**No changes.** The audiences match the manifests.\n';
const HEAD_PLAN =
  '### audiencectl plan\n\n<details><summary><code>prod/gold</code>: - delete</summary>\n\n```diff\n- delete: manifest removed\n```\n</details>\n';

let github: FakeGitHub;
let dir: string;

beforeEach(async () => {
  github = await startFakeGitHub(REPO, TOKEN);
  // GitHub's pull request 7: its head is HEAD.
  github.heads.set('7', HEAD);
  dir = await mkdtemp(path.join(os.tmpdir(), 'audiencectl-36b-'));
});
afterEach(async () => {
  await github.close();
  await rm(dir, { recursive: true, force: true });
});

/** The comment step of the Action for a run of the pull request at `sha`. */
async function commentFor(
  sha: string,
  plan: string,
  exitCode: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const planFile = path.join(dir, `${sha}.md`);
  await writeFile(planFile, plan);
  const env = {
    PATH: process.env.PATH ?? '',
    GITHUB_TOKEN: TOKEN,
    GITHUB_REPOSITORY: REPO,
    GITHUB_API_URL: github.url,
    GITHUB_SHA: sha,
    PR_NUMBER: '7',
    PLAN_FILE: planFile,
    PLAN_EXIT_CODE: String(exitCode),
    PLAN_DIRECTORY: 'audiences',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT], { env }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the plan comment and a run of an older push that finishes last', () => {
  it("keeps the plan of the pull request's head", async () => {
    expect((await commentFor(HEAD, HEAD_PLAN, 2)).code).toBe(0);
    // The older push's run (queued behind, or re-run) finishes after the head's.
    const older = await commentFor(OLDER, OLDER_PLAN, 0);

    const bodies = (github.comments.get('7') ?? []).map((c) => c.body);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain('**audiencectl plan** in `audiences`: changes pending');
    expect(bodies[0]).toContain('<code>prod/gold</code>: - delete');
    expect(bodies[0]).toContain('<sub>for bbbbbbbbbbbb</sub>');
    // The older run says why it left the comment alone, and does not fail its check for it.
    expect(older.code, older.stderr).toBe(0);
    expect(older.stdout).toBe(
      "::notice::audiencectl plan: this run planned aaaaaaaaaaaa, the pull request's head is now bbbbbbbbbbbb: the comment is left to the head's run\n",
    );
  });
});
