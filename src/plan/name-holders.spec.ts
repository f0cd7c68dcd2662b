import { describe, expect, it } from 'vitest';
import type { AudienceRecord, RecordedState } from '../state/schema.js';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { appliedState, options } from '../../test/helpers/planning.js';
import { plan } from './plan.js';
import type { Plan } from './schema.js';

// review-36c H-1/H-2: a create or replace taking a spec.name another record of the store holds.
// Held by a record this plan does not free (its manifest not read: --include, another directory
// sharing the store; forgotten; its delete blocked): blocked before any DELETE. Freed by this
// plan's delete or replace of that record: the step names it (freedBy), for the executor to send
// its POST after that DELETE.

const noRun = { ingestion: { onCreate: false } } as const;
const named = (key: string, name: string, more: Record<string, unknown> = {}) =>
  manifestYaml(key, { ...noRun, ...more, spec: { name } });
const renamed = (key: string, name: string) => named(key, name, { metadata: { allowReplace: true } });

/** The state an apply of `files` leaves, each audience given an id. */
function applied(files: Record<string, string>): RecordedState {
  const state = appliedState(loadTexts(files));
  return {
    ...state,
    audiences: state.audiences.map((record: AudienceRecord, index) => ({
      ...record,
      audienceId: `0000000${index}-0000-4000-8000-000000000000`,
    })),
  };
}

/** Plan options of an apply whose --include reads only the manifests under `dir`. */
const readingOnly = (dir: string) => ({
  ...options(),
  scope: { include: [`${dir}/**`], exclude: [], covers: (file: string) => file.startsWith(`${dir}/`) },
});

const shown = (result: Plan) =>
  result.steps.map((s) => ({
    id: s.id,
    ...(s.blocked === undefined ? {} : { blocked: s.blocked }),
    ...(s.freedBy === undefined ? {} : { freedBy: s.freedBy }),
  }));

describe('a create or replace taking a name another record holds', () => {
  it('held by a record whose manifest the plan does not read: the replace is blocked, nothing deleted', () => {
    const state = applied({
      'a/silver.yaml': named('silver', 'Silver'),
      'b/gold.yaml': named('gold', 'Gold'),
    });
    const result = plan(loadTexts({ 'a/silver.yaml': renamed('silver', 'Gold') }), state, readingOnly('a'));
    expect(shown(result)).toEqual([
      {
        id: 'prod/silver:replace',
        blocked:
          'the name "Gold" is held by prod/gold of this state store (audience 00000000-0000-4000-8000-000000000000, manifest b/gold.yaml), and this plan neither deletes nor renames it (its manifest is not among those read, or keeps that name): the service refuses a second audience of a name, so nothing is deleted. Change this manifest\'s spec.name to a name no audience holds, or rename or remove the manifest of prod/gold in the same apply (or apply that first)',
      },
    ]);
    expect(result.summary.replace).toBe(0);
    expect(result.summary.blocked).toBe(1);
  });

  it('compares names as the service does: another letter case and surrounding blanks', () => {
    const state = applied({
      'a/silver.yaml': named('silver', 'Silver'),
      'b/gold.yaml': named('gold', 'Gold'),
    });
    const result = plan(loadTexts({ 'a/silver.yaml': renamed('silver', ' GOLD') }), state, readingOnly('a'));
    expect(result.steps.map((s) => `${s.id} ${s.blocked === undefined ? 'planned' : 'blocked'}`)).toEqual([
      'prod/silver:replace blocked',
    ]);
  });

  it('a new manifest taking it: the create is blocked, and its first run goes with it', () => {
    const state = applied({ 'b/gold.yaml': named('gold', 'Gold') });
    const result = plan(
      loadTexts({ 'a/platinum.yaml': manifestYaml('platinum', { spec: { name: 'Gold' } }) }),
      state,
      readingOnly('a'),
    );
    expect(result.steps.map((s) => `${s.id} ${s.blocked === undefined ? 'planned' : 'blocked'}`)).toEqual([
      'prod/platinum:create blocked',
    ]);
  });

  it('held by a record this plan forgets (deletionPolicy: Orphan): blocked, the audience stays', () => {
    const state = applied({
      'old.yaml': named('old', 'Gold', { metadata: { deletionPolicy: 'Orphan' } }),
      'silver.yaml': named('silver', 'Silver'),
    });
    const result = plan(loadTexts({ 'silver.yaml': renamed('silver', 'Gold') }), state, options());
    expect(result.steps.map((s) => `${s.id} ${s.blocked === undefined ? 'planned' : 'blocked'}`)).toEqual([
      'prod/silver:replace blocked',
      'prod/old:forget planned',
    ]);
    expect(result.steps[0]?.blocked).toContain(
      'this plan forgets it (deletionPolicy: Orphan), which leaves the audience in AEP under that name',
    );
  });

  it('freed by the delete of a removed manifest: the replace names it', () => {
    const state = applied({ 'old.yaml': named('old', 'Gold'), 'silver.yaml': named('silver', 'Silver') });
    const result = plan(loadTexts({ 'silver.yaml': renamed('silver', 'Gold') }), state, options());
    expect(shown(result)).toEqual([
      { id: 'prod/silver:replace', freedBy: ['prod/old:delete'] },
      { id: 'prod/old:delete' },
    ]);
  });

  it('two audiences swapping names: each replace names the other', () => {
    const state = applied({ 'a.yaml': named('a', 'Xname'), 'b.yaml': named('b', 'Yname') });
    const result = plan(
      loadTexts({ 'a.yaml': renamed('a', 'Yname'), 'b.yaml': renamed('b', 'Xname') }),
      state,
      options(),
    );
    expect(shown(result)).toEqual([
      { id: 'prod/a:replace', freedBy: ['prod/b:replace'] },
      { id: 'prod/b:replace', freedBy: ['prod/a:replace'] },
    ]);
  });

  it('a swap where one replace is blocked (no allowReplace): the other is blocked too', () => {
    const state = applied({ 'a.yaml': named('a', 'Xname'), 'b.yaml': named('b', 'Yname') });
    const result = plan(
      loadTexts({ 'a.yaml': renamed('a', 'Yname'), 'b.yaml': named('b', 'Xname') }),
      state,
      options(),
    );
    expect(result.steps.map((s) => `${s.id} ${s.blocked === undefined ? 'planned' : 'blocked'}`)).toEqual([
      'prod/a:replace blocked',
      'prod/b:replace blocked',
    ]);
    expect(result.steps[0]?.blocked).toContain('its replace in this plan is blocked');
  });

  it('a chain whose last link is held by a record not read: every replace in it is blocked', () => {
    // a takes b's name, b takes c's; c's manifest is not read, so b is blocked, and with it a:
    // planned as freed by b, a would DELETE its audience and then find "Bname" still held.
    const state = applied({
      'x/a.yaml': named('a', 'Aname'),
      'x/b.yaml': named('b', 'Bname'),
      'y/c.yaml': named('c', 'Cname'),
    });
    const result = plan(
      loadTexts({ 'x/a.yaml': renamed('a', 'Bname'), 'x/b.yaml': renamed('b', 'Cname') }),
      state,
      readingOnly('x'),
    );
    expect(result.steps.map((s) => `${s.id} ${s.blocked === undefined ? 'planned' : 'blocked'}`)).toEqual([
      'prod/a:replace blocked',
      'prod/b:replace blocked',
    ]);
    expect(result.steps[0]?.blocked).toContain('the name "Bname" is held by prod/b of this state store');
    expect(result.steps[0]?.blocked).toContain('its replace in this plan is blocked');
    expect(result.steps[0]?.freedBy).toBeUndefined();
  });

  it('a record of another sandbox holds nothing here', () => {
    const state = applied({
      'gold.yaml': named('gold', 'Gold', { metadata: { sandbox: 'dev' } }),
      'silver.yaml': named('silver', 'Silver'),
    });
    const result = plan(
      loadTexts({
        'gold.yaml': named('gold', 'Gold', { metadata: { sandbox: 'dev' } }),
        'silver.yaml': renamed('silver', 'Gold'),
      }),
      state,
      options(),
    );
    expect(shown(result)).toEqual([{ id: 'prod/silver:replace' }]);
  });
});
