import { describe, expect, it } from 'vitest';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { appliedState, kinds, options } from '../../test/helpers/planning.js';
import type { RecordedState } from '../state/schema.js';
import { plan } from './plan.js';

// A blocked move of a record under an id no manifest can have (made outside audiencectl: a row
// edited by hand) said to keep the audience by setting metadata.name (or metadata.sandbox) back to
// that id, which no manifest can be. It says to drop the record and import the audience instead.

const gold = { 'gold.yaml': manifestYaml('gold') };
const applied = appliedState(loadTexts(gold, 'prod'));

/** `applied` with gold's record under `sandbox`/`key` instead, as a row edited by hand leaves it. */
function strayGold(sandbox: string, key: string): RecordedState {
  return {
    ...applied,
    audiences: applied.audiences.map((record) =>
      record.key === 'gold' ? { ...record, sandbox, key } : record,
    ),
  };
}

const MADE_OUTSIDE =
  'the record was not written by audiencectl (made or edited outside it?), and no manifest can take its';

describe('a blocked move of a record under an id no manifest can have', () => {
  it('a key (metadata.name changed): forget the record, then import the audience under the name', () => {
    const result = plan(loadTexts(gold, 'prod'), strayGold('prod', 'Bad Key'), options());
    expect(kinds(result)).toEqual(['move prod/Bad Key (blocked)']);
    expect(result.steps[0]!.blocked).toBe(
      'a changed metadata.name is never applied as delete + create. ' +
        `Its key "Bad Key" is not one a manifest can have (lowercase letters, digits and "-", at most 63): ${MADE_OUTSIDE} key back. ` +
        "To manage the audience under gold: drop the record with `audiencectl state forget 'Bad Key' --sandbox prod`, " +
        'then `audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id aud-1` (MANIFESTS_DIR: your manifests directory)',
    );
  });

  it('a sandbox (a move between sandboxes): forget, then import in the manifest’s sandbox; moving on purpose as before', () => {
    const result = plan(loadTexts(gold, 'prod'), strayGold('Bad Sandbox', 'gold'), options());
    expect(kinds(result)).toEqual(['move Bad Sandbox/gold (blocked)']);
    const blocked = result.steps[0]!.blocked ?? '';
    expect(blocked).not.toContain('back to');
    expect(blocked).toContain(
      `Its sandbox "Bad Sandbox" is not one a manifest can have (lowercase letters, digits and "-"): ${MADE_OUTSIDE} sandbox back. ` +
        "To manage the audience under prod/gold: drop the record with `audiencectl state forget gold --sandbox 'Bad Sandbox'`, " +
        'then `audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id aud-1`. To move it on purpose: ',
    );
  });

  it('a key in another sandbox (the manifest of its audience names another id): forget, then import; creating anew as before', () => {
    const result = plan(loadTexts(gold, 'prod'), strayGold('dev', 'Bad Key'), options());
    expect(kinds(result)).toEqual(['move dev/Bad Key (blocked)']);
    const blocked = result.steps[0]!.blocked ?? '';
    expect(blocked).not.toContain('back to');
    expect(blocked).toContain(
      `Its key "Bad Key" is not one a manifest can have (lowercase letters, digits and "-", at most 63): ${MADE_OUTSIDE} key back. ` +
        "To manage the audience under prod/gold: drop the record with `audiencectl state forget 'Bad Key' --sandbox dev`, " +
        'then `audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id aud-1`. To create prod/gold as a new audience: ',
    );
  });
});

// Its own file now holding another manifest (metadata.name and spec.name changed: a name is not
// changed in place, so another audience, created). The record is held, as one whose manifest was
// removed, but its hold said to import the audience "under its manifest's key", naming none: the
// file's manifest is not its audience's, and an import takes an audience only under its name.
describe('a record under a key no manifest can have whose own file now holds another manifest', () => {
  it('is held, saying so: forget the record, then import the audience under a manifest of its name', () => {
    const silver = { 'gold.yaml': manifestYaml('silver') };
    const result = plan(loadTexts(silver, 'prod'), strayGold('prod', 'Bad Key'), options());
    expect(kinds(result)).toEqual(['create prod/silver', 'run prod/silver']);
    expect(result.held).toEqual([
      {
        sandbox: 'prod',
        key: 'Bad Key',
        reason:
          'its key "Bad Key" is not one a manifest can have (lowercase letters, digits and "-", at most 63): ' +
          'the record was not written by audiencectl (made or edited outside it?); ' +
          'its audience aud-1 ("Audience gold") is left as it is, and gold.yaml, its file, now holds prod/silver, another audience; ' +
          "drop the record with `audiencectl state forget 'Bad Key' --sandbox prod`, then, to manage the audience again, " +
          'give it a manifest whose spec.name is "Audience gold" and ' +
          '`audiencectl state import KEY MANIFESTS_DIR --sandbox prod --audience-id aud-1` ' +
          "(MANIFESTS_DIR: your manifests directory; KEY: that manifest's metadata.name)",
      },
    ]);
  });

  it('a sandbox no manifest can have: the hold as for a removed manifest (the sandbox is the user’s to choose)', () => {
    const silver = { 'gold.yaml': manifestYaml('silver') };
    const result = plan(loadTexts(silver, 'prod'), strayGold('Bad Sandbox', 'gold'), options());
    expect(result.held.map((held) => held.reason)).toEqual([
      'its sandbox "Bad Sandbox" is not one a manifest can have (lowercase letters, digits and "-"): ' +
        'the record was not written by audiencectl (made or edited outside it?); its audience aud-1 is left as it is; ' +
        "drop the record with `audiencectl state forget gold --sandbox 'Bad Sandbox'`, then, to manage the audience again, " +
        "`audiencectl state import` it under its manifest's key",
    ]);
  });
});
