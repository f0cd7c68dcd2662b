import { describe, expect, it } from 'vitest';
import { plan } from './plan.js';
import type { AudienceRecord, RecordedState } from '../state/schema.js';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { EMPTY, kinds, options } from '../../test/helpers/planning.js';

// A create refused for its name (a 409, and an audience of that name listed that is not this
// record's) blocks the record. The block is about that name: once the manifest names another, the
// create is planned again, as the service compares names (case and surrounding blanks aside).

const REFUSED =
  'an audience named "Audience gold" already exists in sandbox "prod": audiencectl did not create it';

/** The record such a block leaves for gold: no audience, the block and the name refused. */
function blockedFor(name: string | undefined, found?: string[]): RecordedState {
  const record: AudienceRecord = {
    schemaVersion: 1,
    sandbox: 'prod',
    key: 'gold',
    deletionPolicy: 'Delete',
    manifestFile: 'g.yaml',
    runs: [],
    blocked: {
      code: '100950-409',
      message: REFUSED,
      at: '2026-12-02T12:00:00.000Z',
      ...(name ? { name } : {}),
      ...(found ? { found } : {}),
    },
  };
  return { ...EMPTY, audiences: [record] };
}

const named = (name: string) => loadTexts({ 'g.yaml': manifestYaml('gold', { spec: { name } }) });

describe('plan: a create blocked for its name', () => {
  it('stays blocked while the manifest names it, in any letter case, and says both ways out', () => {
    for (const name of ['Audience gold', 'AUDIENCE GOLD', ' audience gold ']) {
      const result = plan(named(name), blockedFor('Audience gold'), options());
      expect(kinds(result)).toEqual(['create prod/gold (blocked)']);
      expect(result.steps[0]!.blocked).toBe(
        `${REFUSED}; find its id in AEP, then run: audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID (MANIFESTS_DIR: your manifests directory); or change spec.name in the manifest to a name no audience holds: its create is then planned again`,
      );
    }
  });

  it('gives the finished import, shell-quoted, with its flags, when one audience was found under the name', () => {
    const paste = { state: " --state 'stores/prod st'", access: ' --config prod.yaml', emulator: false };
    const one = plan(named('Audience gold'), blockedFor('Audience gold', ["0c141aa1 it's"]), {
      ...options(),
      paste,
    });
    expect(one.steps[0]!.blocked).toBe(
      `${REFUSED}; if it is this manifest's audience, run: audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id '0c141aa1 it'\\''s' --state 'stores/prod st' --config prod.yaml (MANIFESTS_DIR: your manifests directory); or change spec.name in the manifest to a name no audience holds: its create is then planned again`,
    );
    const two = plan(named('Audience gold'), blockedFor('Audience gold', ['a-1', 'b-2']), options());
    expect(two.steps[0]!.blocked).toBe(
      `${REFUSED}; find which of the audiences found is this manifest's, then run: audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID (MANIFESTS_DIR: your manifests directory); or change spec.name in the manifest to a name no audience holds: its create is then planned again`,
    );
  });

  it('plans the create, with its first run, once the manifest names another', () => {
    const result = plan(named('Gold tier'), blockedFor('Audience gold'), options());
    expect(kinds(result)).toEqual(['create prod/gold', 'run prod/gold']);
    const [create] = result.steps;
    expect(create!.create?.name).toBe('Gold tier');
    expect(create!.reason).toBe(
      'its create was blocked for the name "Audience gold", which the manifest no longer names: create "Gold tier"',
    );
    expect(result.summary).toMatchObject({ create: 1, run: 1, blocked: 0 });
  });

  it('keeps a block that recorded no name (an earlier release) whatever the manifest names', () => {
    const result = plan(named('Gold tier'), blockedFor(undefined), options());
    expect(kinds(result)).toEqual(['create prod/gold (blocked)']);
    expect(result.steps[0]!.blocked).toBe(
      `${REFUSED}; find its id in AEP, then run: audiencectl state import gold MANIFESTS_DIR --sandbox prod --audience-id AUDIENCE_ID (MANIFESTS_DIR: your manifests directory)`,
    );
  });
});
