import { describe, expect, it } from 'vitest';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { appliedState, kinds, options } from '../../test/helpers/planning.js';
import { plan } from './plan.js';

// The blocked move's way out, read either way, deletes nothing: two whole command sequences,
// each starting with the forget of the old sandbox's record (review 7, H3).

const noSandbox = { 'gold.yaml': manifestYaml('gold') };
const applied = appliedState(loadTexts(noSandbox, 'prod'));
const FORGET = '`audiencectl state forget gold --sandbox prod`';
const IMPORT = '`audiencectl state import gold MANIFESTS_DIR --sandbox dev --audience-id AUDIENCE_ID`';

describe('the blocked move of an audience to another sandbox', () => {
  it('the default sandbox changed: forget then apply (in dev), or forget then import', () => {
    const result = plan(loadTexts(noSandbox, 'dev'), applied, options());
    expect(kinds(result)).toEqual(['move prod/gold (blocked)']);
    expect(result.steps[0]!.blocked).toBe(
      'an audience cannot move between sandboxes, and a move is never applied as delete + create. ' +
        'To keep it in "prod": set metadata.sandbox: prod in gold.yaml (or plan with --sandbox prod). ' +
        `To move it on purpose: ${FORGET} (the audience in "prod" stays, unmanaged), then \`audiencectl apply MANIFESTS_DIR --sandbox dev\` to create it in "dev". ` +
        `If it already exists in "dev", instead: ${FORGET}, then ${IMPORT} (MANIFESTS_DIR: your manifests directory)`,
    );
  });

  it('metadata.sandbox changed: the apply needs no --sandbox', () => {
    const namesDev = { 'gold.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }) };
    const result = plan(loadTexts(namesDev, 'prod'), applied, options());
    expect(result.steps[0]!.blocked).toContain(
      `To move it on purpose: ${FORGET} (the audience in "prod" stays, unmanaged), then \`audiencectl apply MANIFESTS_DIR\` to create it in "dev". ` +
        `If it already exists in "dev", instead: ${FORGET}, then ${IMPORT} (MANIFESTS_DIR: your manifests directory)`,
    );
  });
});
