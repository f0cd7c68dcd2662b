import { describe, expect, it } from 'vitest';
import type { AudienceRecord } from '../state/schema.js';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { appliedState, kinds, NOW, options } from '../../test/helpers/planning.js';
import { plan } from './plan.js';

// A runs-only record (a removed manifest's, kept for the sandbox's run budget) under the key a
// move or a rename goes to is no audience there: the move is still a move (blocked, or a waiting
// record carried), never a create there and a DELETE of the recorded audience (review 8, F2).

/** A runs-only record: what a removed manifest's waiting record leaves (runsOnlyRemnant). */
function remnant(sandbox: string, key: string): AudienceRecord {
  return {
    schemaVersion: 2,
    sandbox,
    key,
    deletionPolicy: 'Delete',
    runs: [
      {
        runId: 'run-old',
        status: 'SUCCESS',
        createdAt: NOW - 3600,
        dataFilterStartTime: 0,
        formerAudienceId: 'gone-1',
      },
    ],
  };
}

const others = {
  'a1.yaml': manifestYaml('a1'),
  'a2.yaml': manifestYaml('a2'),
  'a3.yaml': manifestYaml('a3'),
};

describe('a runs-only record under the key a manifest moves to', () => {
  it('metadata.sandbox dev -> prod: a blocked move, never a delete', () => {
    const before = loadTexts({
      ...others,
      'gold.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }),
    });
    const recorded = appliedState(before);
    const after = loadTexts({
      ...others,
      'gold.yaml': manifestYaml('gold', { metadata: { sandbox: 'prod' } }),
    });
    const withoutRemnant = plan(after, recorded, options());
    expect(kinds(withoutRemnant)).toEqual(['move dev/gold (blocked)']);
    const withRemnant = plan(
      after,
      { ...recorded, audiences: [...recorded.audiences, remnant('prod', 'gold')] },
      options(),
    );
    expect(kinds(withRemnant)).toEqual(['move dev/gold (blocked)']);
  });

  it('metadata.name gold -> gold2 (same audience name): a blocked rename, never a delete', () => {
    const before = loadTexts({ ...others, 'gold.yaml': manifestYaml('gold') });
    const recorded = appliedState(before);
    const after = loadTexts({
      ...others,
      'gold2.yaml': manifestYaml('gold2', { spec: { name: 'Audience gold' } }),
    });
    expect(kinds(plan(after, recorded, options()))).toEqual(['move prod/gold (blocked)']);
    const withRemnant = plan(
      after,
      { ...recorded, audiences: [...recorded.audiences, remnant('prod', 'gold2')] },
      options(),
    );
    expect(kinds(withRemnant).filter((k) => k.startsWith('delete '))).toEqual([]);
  });

  it('a waiting record (mark + run) renamed gold -> gold-members: carried with its create, not forgotten', () => {
    const before = loadTexts({ ...others, 'gold.yaml': manifestYaml('gold') });
    const recorded = appliedState(before);
    const gold = recorded.audiences.find((r) => r.key === 'gold')!;
    const rest: AudienceRecord = { ...gold };
    delete rest.audienceId;
    const waiting: AudienceRecord = {
      ...rest,
      schemaVersion: 2,
      runs: [
        {
          runId: 'run-g',
          status: 'SUCCESS',
          createdAt: NOW - 600,
          dataFilterStartTime: 0,
          formerAudienceId: 'gold-old',
        },
      ],
    };
    const audiences = recorded.audiences.map((r) => (r.key === 'gold' ? waiting : r));
    const after = loadTexts({
      ...others,
      'gold-members.yaml': manifestYaml('gold-members', { spec: { name: 'Audience gold' } }),
    });
    const carried = plan(after, { ...recorded, audiences }, options());
    expect(carried.steps.find((s) => s.kind === 'create')?.movedFrom).toEqual({
      sandbox: 'prod',
      key: 'gold',
    });
    const withRemnant = plan(
      after,
      { ...recorded, audiences: [...audiences, remnant('prod', 'gold-members')] },
      options(),
    );
    expect(withRemnant.steps.find((s) => s.kind === 'create')?.movedFrom).toEqual({
      sandbox: 'prod',
      key: 'gold',
    });
  });
});
