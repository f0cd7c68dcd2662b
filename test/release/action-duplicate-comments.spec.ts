import { describe, expect, it } from 'vitest';
import { ACTIONS_BOT, MARKER, useCommentStep } from '../action/comment-step.js';

/**
 * Review 38a M-3. Two runs of the same head at once (a re-run started while the first still
 * runs, two events of one push such as `opened` and `edited`; the documented workflow has no
 * `concurrency:` group) each list the comments, find none of theirs, and each post one: the
 * pull request has two plan comments. Every later run updates the first only; the second
 * keeps its plan for good, "No changes" beside the newer plan's deletes, both by
 * github-actions[bot] with the same heading.
 */
const OLD = (n: number) =>
  `${MARKER}\n**audiencectl plan** in \`audiences\`: no changes\n\n### audiencectl plan\n\n**No changes.** The audiences match the manifests. (${n})\n\n<sub>for 111111111111</sub>`;
const NEW_PLAN =
  '### audiencectl plan\n\n<details><summary><code>prod/gold</code>: - delete</summary>\n\n```diff\n- delete: manifest removed\n```\n</details>\n';

const pr = useCommentStep();

describe('the plan comment when two runs each posted one', () => {
  it('leaves one plan comment, the current one, on the next run', async () => {
    pr.github.comments.set('7', [
      { id: 1, body: OLD(1), user: ACTIONS_BOT },
      { id: 2, body: OLD(2), user: ACTIONS_BOT },
    ]);
    const result = await pr.run(NEW_PLAN, 2);
    expect(result.code, result.stderr).toBe(0);
    const plans = (pr.github.comments.get('7') ?? []).filter((c) => c.body.includes('**audiencectl plan**'));
    expect(plans).toHaveLength(1);
    expect(plans[0]?.body).toContain('<code>prod/gold</code>: - delete');
    expect(plans[0]?.body).not.toContain('No changes');
  });
});
