import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import { renderText } from '../../src/plan/render/text.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds, options } from '../helpers/planning.js';

// metadata.name is the record's key: changed (a typo, say) while spec.name still names the
// recorded audience, delete + create would delete that audience, and the create of its name
// would be refused while it exists. The plan shows one blocked move instead.

const goldState = () => appliedState(loadTexts({ 'g.yaml': manifestYaml('gold') }));
/** gold's manifest under another metadata.name, its audience's name as given. */
const renamed = (key: string, name = 'Audience gold') => manifestYaml(key, { spec: { name } });

describe('a changed metadata.name is a move, never delete + create', () => {
  it('plans one blocked move, and neither the delete nor the create', () => {
    const result = plan(loadTexts({ 'g.yaml': renamed('golld') }), goldState(), options());
    expect(kinds(result)).toEqual(['move prod/gold (blocked)']);
    const [move] = result.steps;
    expect(move!.reason).toBe(
      'metadata.name is now "golld" in g.yaml, but its audience ("Audience gold") is recorded as "gold"',
    );
    expect(move!.blocked).toBe(
      'a changed metadata.name is never applied as delete + create. To keep the audience: set metadata.name back to gold. To keep the new name: `audiencectl state forget gold --sandbox prod`, then `audiencectl state import golld MANIFESTS_DIR --sandbox prod --audience-id aud-1` (MANIFESTS_DIR: your manifests directory)',
    );
    expect(move!.changes).toEqual([
      { path: 'metadata.name', before: 'gold', after: 'golld', forcesReplacement: false },
    ]);
    expect(move!.audienceId).toBe(goldState().audiences[0]!.audienceId);
    expect(result.summary).toMatchObject({ create: 0, delete: 0, move: 1, blocked: 1 });
    expect(renderText(result, { color: false })).toContain(
      '  ! prod/gold move: metadata.name is now "golld"',
    );
  });

  it('matches the audience name as the service does, ignoring case and surrounding blanks', () => {
    const result = plan(
      loadTexts({ 'g2.yaml': renamed('gold-v2', ' AUDIENCE GOLD') }),
      goldState(),
      options(),
    );
    expect(kinds(result)).toEqual(['move prod/gold (blocked)']);
  });

  it('deletes and creates as usual when a new file names another audience; its own file edited so, or the audience named from another sandbox, is blocked', () => {
    // g.yaml removed, h.yaml added with another audience: a removal and a create.
    expect(
      kinds(plan(loadTexts({ 'h.yaml': renamed('golld', 'Audience golld') }), goldState(), options())),
    ).toEqual(['create prod/golld', 'run prod/golld', 'delete prod/gold']);
    // g.yaml itself edited so: its manifest was changed, not removed (review 30).
    expect(
      kinds(plan(loadTexts({ 'g.yaml': renamed('golld', 'Audience golld') }), goldState(), options())),
    ).toEqual(['move prod/gold (blocked)']);
    // Its audience's name under another key in another sandbox: metadata.name and the sandbox
    // changed together, each alone a blocked move (review 30, H-1), from its own file or another.
    const elsewhere = manifestYaml('golld', {
      metadata: { sandbox: 'dev' },
      spec: { name: 'Audience gold' },
    });
    for (const file of ['g.yaml', 'h.yaml']) {
      expect(kinds(plan(loadTexts({ [file]: elsewhere }), goldState(), options()))).toEqual([
        'move prod/gold (blocked)',
      ]);
    }
  });
});
