import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import type { AudienceRecord, RecordedState } from '../../src/state/schema.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds, options } from '../helpers/planning.js';

// An audience belongs to one record (state import and adopt refuse a second). A record copied
// outside audiencectl (a state file duplicated under another key, a row inserted by hand)
// holds an audience another record holds: its manifest is not removed, the other's is read,
// and deleting "its" audience would delete that manifest's.

const files = {
  'gold.yaml': manifestYaml('gold', { ingestion: { onCreate: false } }),
  'silver.yaml': manifestYaml('silver', { ingestion: { onCreate: false } }),
};

/** The applied state with gold's record copied under `key`, as a hand copy would be. */
function withCopyOfGold(key: string): { state: RecordedState; gold: AudienceRecord } {
  const state = appliedState(loadTexts(files));
  const gold = state.audiences.find((record) => record.key === 'gold')!;
  return { state: { ...state, audiences: [...state.audiences, { ...gold, key }] }, gold };
}

describe('a record holding an audience another record holds', () => {
  it('is held, not deleted, while the other record keeps its manifest', () => {
    const { state, gold } = withCopyOfGold('gold-copy');
    const result = plan(loadTexts(files), state, options());
    expect(kinds(result)).toEqual([]);
    expect(result.held).toEqual([
      {
        sandbox: 'prod',
        key: 'gold-copy',
        reason: `its audience ${gold.audienceId} is also recorded for prod/gold, whose manifest gold.yaml is read: a record copied outside audiencectl?; the audience is left as it is; if this record is a copy, drop it with \`audiencectl state forget gold-copy --sandbox prod\``,
      },
    ]);
  });

  // state forget takes the exact key of a record stored under one no manifest can have (stray-key-record-cli).
  it('is held under a key no manifest could name, with the state forget that drops it', () => {
    const { state, gold } = withCopyOfGold('Gold Copy');
    const result = plan(loadTexts(files), state, options());
    expect(kinds(result)).toEqual([]);
    expect(result.held).toEqual([
      {
        sandbox: 'prod',
        key: 'Gold Copy',
        reason: `its audience ${gold.audienceId} is also recorded for prod/gold, whose manifest gold.yaml is read: a record copied outside audiencectl?; the audience is left as it is; if this record is a copy, drop it with \`audiencectl state forget 'Gold Copy' --sandbox prod\``,
      },
    ]);
  });

  it('is deleted once both manifests are gone, as each removal is', () => {
    const { state } = withCopyOfGold('gold-copy');
    const result = plan(loadTexts({ 'silver.yaml': files['silver.yaml'] }), state, options());
    expect(kinds(result)).toEqual(['delete prod/gold', 'delete prod/gold-copy']);
  });

  it('holds a record under a key no manifest could name once both manifests are gone: never removed', () => {
    const { state, gold } = withCopyOfGold('Gold Copy');
    const result = plan(loadTexts({ 'silver.yaml': files['silver.yaml'] }), state, options());
    expect(kinds(result)).toEqual(['delete prod/gold']);
    expect(result.held).toEqual([
      {
        sandbox: 'prod',
        key: 'Gold Copy',
        reason: `its key "Gold Copy" is not one a manifest can have (lowercase letters, digits and "-", at most 63): the record was not written by audiencectl (made or edited outside it?); its audience ${gold.audienceId} is left as it is; drop the record with \`audiencectl state forget 'Gold Copy' --sandbox prod\`, then, to manage the audience again, \`audiencectl state import\` it under its manifest's key`,
      },
    ]);
  });

  it('leaves a removal of an audience no other record holds as it was', () => {
    const { state } = withCopyOfGold('gold-copy');
    const withoutCopy = { ...state, audiences: state.audiences.filter((r) => r.key !== 'gold-copy') };
    const result = plan(loadTexts({ 'gold.yaml': files['gold.yaml'] }), withoutCopy, options());
    expect(kinds(result)).toEqual(['delete prod/silver']);
  });
});
