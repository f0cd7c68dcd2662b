import { describe, expect, it } from 'vitest';
import { ACTIONS_BOT, MARKER, useCommentStep } from '../action/comment-step.js';

/**
 * Review 38a M-1. The comment is written only by a run of the pull request's head commit
 * (review 36b H-2), but a run planned against the pull request's old base passes that test
 * too: the head is the same commit after a retarget. A run of the pull request against
 * `release` (still queued when the author retargets it to `main`, or re-run from the Actions
 * tab afterwards: a re-run replays the old event, base included) finishes after the run of
 * the retarget and overwrites its plan: the comment, which a reviewer approves from, shows
 * the plan against a branch the pull request no longer merges into.
 */
const MAIN_PLAN =
  '_Compared with `aaaaaaaaaaaa`, the first parent of the merge commit planned (`main` when the pull request was last updated)._\n\n### audiencectl plan\n\n<details><summary><code>prod/gold</code>: - delete</summary>\n\n```diff\n- delete: manifest removed\n```\n</details>\n';
const RELEASE_PLAN =
  '_Compared with `bbbbbbbbbbbb`, the first parent of the merge commit planned (`release` when the pull request was last updated)._\n\n### audiencectl plan\n\n**No changes.** The audiences match the manifests.\n';

const pr = useCommentStep();

describe('the plan comment after the pull request is retargeted', () => {
  it("is left to the run of the pull request's current base", async () => {
    // The author retargets pull request 7 from release to main; the run of that event comments.
    pr.github.bases.set('7', 'main');
    const current = await pr.run(MAIN_PLAN, 2, { baseRef: 'main' });
    expect(current.code, current.stderr).toBe(0);
    // The run of an earlier event, against release, finishes last (or is re-run).
    const stale = await pr.run(RELEASE_PLAN, 0, { baseRef: 'release' });

    const ours = (pr.github.comments.get('7') ?? []).filter(
      (c) => c.body.startsWith(MARKER) && c.user.login === ACTIONS_BOT.login,
    );
    expect(ours).toHaveLength(1);
    expect(ours[0]?.body).toContain('changes pending');
    expect(ours[0]?.body).toContain('<code>prod/gold</code>: - delete');
    expect(ours[0]?.body).not.toContain('No changes');
    expect(stale.code, stale.stderr).toBe(0);
    expect(stale.stdout).toContain('::notice::');
    expect(stale.stdout).toContain('`main`');
  });
});
