import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import { renderMarkdown } from '../../src/plan/render/markdown.js';
import { renderText } from '../../src/plan/render/text.js';
import type { RecordedState } from '../../src/state/schema.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, options } from '../helpers/planning.js';

/** GitHub's comment limit is 65,536 characters; the document promises to stay under 65,000. */
const CAP = 65_000;

const keyOf = (i: number) =>
  `loyalty-tier-members-segment-${String(i).padStart(4, '0')}-weekly-refresh-audience`;

/** `count` audiences applied, then every one left with a delete intent (its DELETE's outcome unknown). */
function withDeleteIntents(count: number, forReplace = false): RecordedState {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i += 1) files[`${keyOf(i)}.yaml`] = manifestYaml(keyOf(i));
  const applied = appliedState(loadTexts(files));
  return {
    ...applied,
    audiences: applied.audiences.map((record) => ({
      ...record,
      intent: {
        id: `intent-${record.key}`,
        kind: 'delete' as const,
        startedAt: '2026-12-01T10:00:00.000Z',
        audienceId: record.audienceId!,
        ...(forReplace ? { forReplace: true as const } : {}),
      },
    })),
  };
}

// Review 24, M2: the pending lines were pushed unbudgeted into the Markdown's head. With ~260+
// pending intents the document went over GitHub's limit, and the Action's comment fitting then
// cut inside the pending list: none of the plan's delete steps was named.
describe("the Markdown plan's Pending section", () => {
  it('300 pending deletes over 300 delete steps: under the cap, every delete named, the pending lines not listed counted', () => {
    // A mass removal whose DELETEs met a 5xx outage: every intent kept (4c835c9), manifests removed.
    const state = withDeleteIntents(300);
    const result = plan(loadTexts({}), state, options({ allowEmptySource: true, allowMassDelete: true }));
    expect(result.pending).toHaveLength(300);
    expect(result.summary.delete).toBe(300);
    const md = renderMarkdown(result);
    expect(md.length).toBeLessThan(CAP);
    for (let i = 0; i < 300; i += 1) expect(md).toContain(`<code>prod/${keyOf(i)}</code>`);
    expect(md).toContain('**Pending (settled by apply before it plans): 300**');
    const listed = md.split('\n').filter((line) => line.startsWith('- prod/')).length;
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThan(300);
    expect(md).toContain(
      `_${300 - listed} more pending interrupted call(s) not listed to stay under GitHub's comment limit; run the plan with \`--output json\` for all of them._`,
    );
    // The pending section comes before the steps, and the deletes are listed before the rest.
    expect(md.indexOf('**Pending')).toBeLessThan(md.indexOf('<code>prod/'));
  });

  it('a few pending calls are all listed, with no count line', () => {
    const state = withDeleteIntents(3);
    const result = plan(loadTexts({}), state, options({ allowEmptySource: true, allowMassDelete: true }));
    const md = renderMarkdown(result);
    expect(md.split('\n').filter((line) => line.startsWith('- prod/'))).toHaveLength(3);
    expect(md).not.toContain('more pending interrupted call(s)');
  });
});

/** `key`'s manifest with another sourceSpec.path: a change that forces replacement. */
function movedSource(key: string): Record<string, string> {
  const sourceSpec = {
    path: 'exports/other.csv',
    type: 'file',
    sourceType: 'Cloud Storage',
    cloudType: 'DLZ',
  };
  return { [`${key}.yaml`]: manifestYaml(key, { spec: { sourceSpec } as never }) };
}

// Review 24, L1: a replace's pending delete said "if it is still there, nothing is deleted"
// right by the plan's own replace step, which deletes it.
describe('a pending delete beside a replace step of the plan', () => {
  it("says the settling deletes nothing and the plan's replace step replaces it", () => {
    const state = withDeleteIntents(1, true);
    const key = keyOf(0);
    const changed = movedSource(key);
    const result = plan(loadTexts(changed), state, options({ allowReplace: true }));
    const replace = result.steps.find((step) => step.kind === 'replace');
    expect(replace).toBeDefined();
    expect(replace?.blocked).toBeUndefined();
    const id = state.audiences[0]!.audienceId!;
    const line = `prod/${key}: an interrupted delete of ${id} (its outcome unknown): apply reads the service first; if the audience is gone, the delete is finished and the audience is created again (a new id); if it is still there, the settling deletes nothing, and this plan's replace step then replaces it`;
    const text = renderText(result, { color: false });
    expect(text).toContain(`Pending (settled by apply before it plans): 1\n  ${line}\n`);
    expect(text).not.toContain('nothing is deleted');
    expect(renderMarkdown(result)).toContain(`\n- ${line}\n`);
  });

  it('a blocked replace step: nothing is deleted, and the line says why', () => {
    const state = withDeleteIntents(1, true);
    const key = keyOf(0);
    const changed = movedSource(key);
    const result = plan(loadTexts(changed), state, options());
    expect(result.steps.find((step) => step.kind === 'replace')?.blocked).toBeDefined();
    const text = renderText(result, { color: false });
    expect(text).toContain("if it is still there, nothing is deleted (this plan's replace step is blocked)");
  });
});

// Review 24, L2: apply's own plan is made after its resume tried every intent; one still there
// is one it could not settle, never "settled first by apply".
describe("apply's own plan (afterResume)", () => {
  it('lists what its resume could not settle, and names a delete step of the audience that settles it first', () => {
    const state = withDeleteIntents(2);
    const [first, second] = [keyOf(0), keyOf(1)];
    // The first audience's manifest is back; the second's is still removed (its delete step planned).
    const result = plan(
      loadTexts({ [`${first}.yaml`]: manifestYaml(first) }),
      state,
      options({ allowMassDelete: true }),
    );
    expect(result.steps.map((step) => `${step.key}:${step.kind}`)).toEqual([`${second}:delete`]);
    const [firstId, secondId] = state.audiences.map((record) => record.audienceId!);
    const shown = renderText({ ...result, afterResume: true }, { color: false });
    expect(shown).toContain(
      [
        'Not settled (kept for the next apply): 2',
        `  prod/${first}: an interrupted delete of ${firstId} (its outcome unknown) that this apply could not settle before it planned (its "resumed:" line says why): its intent is kept for the next apply, and no step of this plan acts on the audience before settling it`,
        `  prod/${second}: an interrupted delete of ${secondId} (its outcome unknown) that this apply could not settle before it planned (its "resumed:" line says why): this plan's delete step reads the service and settles it first; if it cannot, the step fails and the intent is kept for the next apply`,
      ].join('\n'),
    );
    expect(shown).not.toContain('settled by apply before it plans');
    const md = renderMarkdown({ ...result, afterResume: true });
    expect(md).toContain('**Not settled (kept for the next apply): 2**');
    expect(md).not.toContain('settled by apply before it plans');
  });
});
