import { describe, expect, it } from 'vitest';
import type { AudienceRecord, RecordedState } from '../state/schema.js';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { appliedState, kinds, options } from '../../test/helpers/planning.js';
import { assumedStateFrom, unreadBase } from './assumed-state.js';
import { plan } from './plan.js';

// A key recorded in two sandboxes while one manifest names it: gold applied in prod from a
// manifest naming no sandbox, then the default sandbox became dev (or metadata.sandbox: dev),
// and gold was imported in dev without forgetting prod (review 7, H3). prod's manifest was not
// removed: the plan never deletes its audience, it holds the record and says how to drop it.

const PROD_ID = '11111111-1111-4111-8111-111111111111';
const DEV_ID = '22222222-2222-4222-8222-222222222222';
const FORGET = 'to stop managing it (the audience stays): audiencectl state forget gold --sandbox prod';

const noSandbox = { 'gold.yaml': manifestYaml('gold') };
const namesDev = { 'gold.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }) };

/** gold as an apply in prod records it. */
function inProd(): AudienceRecord {
  const [record] = appliedState(loadTexts(noSandbox, 'prod')).audiences;
  return { ...record!, audienceId: PROD_ID };
}

/** gold as `state import gold <dir> --sandbox dev --audience-id DEV_ID` records it. */
function importedInDev(): AudienceRecord {
  return {
    schemaVersion: 1,
    sandbox: 'dev',
    key: 'gold',
    audienceId: DEV_ID,
    deletionPolicy: 'Delete',
    manifestFile: 'gold.yaml',
    imported: { at: '2026-12-02T12:00:00.000Z', name: 'Audience gold' },
    runs: [],
  };
}

const state = (...audiences: AudienceRecord[]): RecordedState => ({ meta: undefined, audiences });
const deletes = (result: ReturnType<typeof plan>) =>
  result.steps.filter((s) => s.kind === 'delete' || s.kind === 'forget' || s.kind === 'replace');

describe('a record whose file still names its key in another sandbox, recorded there too', () => {
  it('the default sandbox changed, then imported there: prod is held, never deleted', () => {
    const result = plan(loadTexts(noSandbox, 'dev'), state(inProd(), importedInDev()), options());
    expect(deletes(result)).toEqual([]);
    expect(result.steps.filter((s) => s.sandbox === 'prod')).toEqual([]);
    expect(result.held).toEqual([
      {
        sandbox: 'prod',
        key: 'gold',
        reason: `gold.yaml still names gold, now in sandbox "dev", where gold is recorded too: its manifest was not removed, so the audience in "prod" is never deleted; ${FORGET}`,
      },
    ]);
  });

  it('metadata.sandbox changed, then imported there: held the same way', () => {
    const result = plan(loadTexts(namesDev, 'prod'), state(inProd(), importedInDev()), options());
    expect(deletes(result)).toEqual([]);
    expect(result.held.map((h) => `${h.sandbox}/${h.key}`)).toEqual(['prod/gold']);
  });

  it('a record that names no file (an older release) is held too: its manifest may be this one', () => {
    const { manifestFile, ...older } = inProd();
    expect(manifestFile).toBe('gold.yaml');
    const result = plan(loadTexts(noSandbox, 'dev'), state(older, importedInDev()), options());
    expect(deletes(result)).toEqual([]);
    expect(result.held.map((h) => `${h.sandbox}/${h.key}`)).toEqual(['prod/gold']);
  });

  it('a create in flight in prod (its operation answered) is held, where it was a delete', () => {
    const { audienceId, ...rest } = inProd();
    expect(audienceId).toBe(PROD_ID);
    const awaited: AudienceRecord = { ...rest, operationId: 'op-1' };
    const result = plan(loadTexts(noSandbox, 'dev'), state(awaited, importedInDev()), options());
    expect(deletes(result)).toEqual([]);
    expect(result.held.map((h) => `${h.sandbox}/${h.key}`)).toEqual(['prod/gold']);
  });

  it('two old sandboxes, one new: one blocked move, the other held, nothing deleted', () => {
    const inStage: AudienceRecord = {
      ...inProd(),
      sandbox: 'stage',
      audienceId: '33333333-3333-4333-8333-333333333333',
    };
    const result = plan(loadTexts(noSandbox, 'dev'), state(inProd(), inStage), options());
    expect(deletes(result)).toEqual([]);
    expect(kinds(result)).toEqual(['move prod/gold (blocked)']);
    expect(result.held.map((h) => `${h.sandbox}/${h.key}`)).toEqual(['stage/gold']);
    expect(result.held[0]!.reason).toBe(
      'gold.yaml still names gold, now in sandbox "dev": its manifest was not removed, so the audience in "stage" is never deleted; to stop managing it (the audience stays): audiencectl state forget gold --sandbox stage',
    );
  });

  it('plan --base: the same change in a pull request holds prod as the apply after the merge does', () => {
    // The base: gold in prod (gold.yaml), and gold in dev (dev.yaml); the change moves gold.yaml
    // to dev and removes dev.yaml.
    const base = loadTexts({
      'gold.yaml': manifestYaml('gold', { metadata: { sandbox: 'prod' } }),
      'dev.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }),
    });
    const assumed = assumedStateFrom(base, '2026-12-02T12:00:00.000Z');
    const result = plan(loadTexts(namesDev, 'prod'), assumed, options({ unreadBase: unreadBase(base) }));
    expect(deletes(result)).toEqual([]);
    expect(result.held.map((h) => `${h.sandbox}/${h.key}`)).toEqual(['prod/gold']);
  });
});

describe('what still removes', () => {
  it("a removed manifest of prod (its own file) is deleted, whatever dev's manifest of the key", () => {
    const both = {
      'gold.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }),
      'gold-prod.yaml': manifestYaml('gold'),
    };
    const applied = appliedState(loadTexts(both, 'prod'));
    const result = plan(loadTexts({ 'gold.yaml': both['gold.yaml'] }, 'prod'), applied, options());
    expect(kinds(result)).toEqual(['delete prod/gold']);
    expect(result.held).toEqual([]);
  });

  it('a record that holds no audience (waiting, no create in flight) is forgotten, as before: nothing to delete', () => {
    const { audienceId, ...waiting } = inProd();
    expect(audienceId).toBe(PROD_ID);
    const result = plan(loadTexts(noSandbox, 'dev'), state(waiting, importedInDev()), options());
    expect(kinds(result).filter((k) => k.includes('prod/'))).toEqual(['forget prod/gold']);
    expect(result.held).toEqual([]);
  });
});
