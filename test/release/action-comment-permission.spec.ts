import { describe, expect, it } from 'vitest';
import { REPO, useCommentStep } from '../action/comment-step.js';

/**
 * Review 38a M-2. A pull request from a branch of the repository itself, planned by a
 * workflow whose token may not write to pull requests (no `pull-requests: write` in
 * `permissions:`, as with an organisation's default read-only GITHUB_TOKEN): GitHub refuses
 * the comment with 403, and the comment step treats it as a fork's pull request: a warning
 * that blames a fork there is none of, and a passing check. Nobody sees a plan on the pull
 * request (or an older push's plan stays in its comment) and the check is green: a missing
 * permission passes silently. It should fail the step naming the permission to add.
 */
const PLAN = '### audiencectl plan\n\n**No changes.** The audiences match the manifests.\n';

const pr = useCommentStep();

describe("the comment step with a token that may not comment, on a pull request that is not a fork's", () => {
  it('fails, naming the permission the workflow needs', async () => {
    pr.github.refuseCreates = true;
    const result = await pr.run(PLAN, 0, { headRepo: REPO });
    expect(pr.github.comments.get('7') ?? []).toEqual([]);
    expect(result.code).not.toBe(0);
    const said = `${result.stdout}${result.stderr}`;
    expect(said).toContain('pull-requests: write');
    expect(said).not.toContain('fork');
    expect(said).not.toMatch(/at .*\.mjs:\d+/);
  });

  it("still warns without failing on a fork's pull request", async () => {
    pr.github.refuseCreates = true;
    const result = await pr.run(PLAN, 0, { headRepo: 'someone/audiences' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      '::warning::audiencectl plan: GitHub refused the pull-request comment (403)',
    );
  });
});
