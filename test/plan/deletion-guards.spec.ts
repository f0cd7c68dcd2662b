import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import type { PlanScope } from '../../src/plan/removals.js';
import type { LiveState, RefreshView } from '../../src/plan/schema.js';
import type { LoadResult } from '../../src/manifest/load.js';
import type { AudienceRecord, RecordedState } from '../../src/state/schema.js';
import { newRecord } from '../../src/state/record-changes.js';
import { pasteFlags, withManifestsDir } from '../../src/text/paste-flags.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds, options } from '../helpers/planning.js';

// Edges of the deletion guards and of the removal rules, each written out by hand: the
// limits at their boundaries, what counts towards them, and what the empty-source guard covers.

/** `count` names a00, a01, ... */
function names(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `a${String(from + i).padStart(2, '0')}`);
}

/** One manifest file per name, `dir/<name>.yaml`, without a first run. */
function files(keys: readonly string[], dir = ''): Record<string, string> {
  return Object.fromEntries(
    keys.map((key) => [`${dir}${key}.yaml`, manifestYaml(key, { ingestion: { onCreate: false } })]),
  );
}

/** The source without the manifests of `keys`, as if their files were removed (read once). */
function without(loaded: LoadResult, keys: readonly string[]): LoadResult {
  return { ...loaded, manifests: loaded.manifests.filter((m) => !keys.includes(m.key)) };
}

const blockedDeletes = (keys: readonly string[]) => keys.map((key) => `delete prod/${key} (blocked)`);
const deletes = (keys: readonly string[]) => keys.map((key) => `delete prod/${key}`);

describe('the deletion limit at its boundaries', () => {
  it('is 5 for 10 managed audiences: 5 deletions pass, 6 are blocked', () => {
    const all = names(10);
    const loaded = loadTexts(files(all));
    const state = appliedState(loaded);
    expect(kinds(plan(without(loaded, all.slice(0, 5)), state, options()))).toEqual(deletes(all.slice(0, 5)));
    expect(kinds(plan(without(loaded, all.slice(0, 6)), state, options()))).toEqual(
      blockedDeletes(all.slice(0, 6)),
    );
  });

  it('is 9 for 85 managed audiences (10% rounded up): 9 deletions pass, 10 are blocked', () => {
    const all = names(85);
    const loaded = loadTexts(files(all));
    const state = appliedState(loaded);
    expect(plan(without(loaded, all.slice(0, 9)), state, options()).summary).toMatchObject({
      delete: 9,
      blocked: 0,
    });
    const ten = plan(without(loaded, all.slice(0, 10)), state, options());
    expect(ten.summary).toMatchObject({ delete: 0, blocked: 10 });
    expect(ten.steps[0]!.blocked).toBe(
      'the plan deletes 10 audiences, over the limit of 9; pass --allow-mass-delete (or raise --max-deletes) if that is intended',
    );
  });
});

/** 20 records in in/, 40 in out/: a scope of in/** leaves 40 outside. */
function scoped(): { inside: string[]; read: LoadResult; state: RecordedState; scope: PlanScope } {
  const inside = names(20);
  const loaded = loadTexts({ ...files(inside, 'in/'), ...files(names(40, 20), 'out/') });
  const state = appliedState(loaded);
  // What the filters read: the files in in/.
  const read = { ...loaded, manifests: loaded.manifests.filter((m) => m.file.startsWith('in/')) };
  const scope: PlanScope = { include: ['in/**'], exclude: [], covers: (file) => file.startsWith('in/') };
  return { inside, read, state, scope };
}

describe('with --include/--exclude, the limits count only the audiences in scope', () => {
  it('blocks 6 deletions of 20 audiences in scope (limit 5), whatever the 40 outside', () => {
    const { inside, read, state, scope } = scoped();
    const result = plan(without(read, inside.slice(0, 6)), state, options({ scope }));
    expect(kinds(result)).toEqual(blockedDeletes(inside.slice(0, 6)));
    expect(result.scope).toEqual({ include: ['in/**'], exclude: [], outside: 40 });
  });

  it('blocks 6 re-creates a refresh found missing of 20 audiences in scope (limit 5)', () => {
    const { inside, read, state, scope } = scoped();
    const missing: RefreshView = {
      at: '2026-11-30T12:00:00.000Z',
      audiences: Object.fromEntries(
        state.audiences
          .filter((record) => inside.slice(0, 6).includes(record.key))
          .map((record): [string, LiveState] => [
            `prod/${record.key}`,
            { status: 'missing', audienceId: record.audienceId! },
          ]),
      ),
    };
    const result = plan(read, state, options({ scope, refresh: missing }));
    expect(kinds(result)).toEqual(inside.slice(0, 6).map((key) => `create prod/${key} (blocked)`));
  });
});

describe('the empty-source guard', () => {
  it('blocks forgetting too: an empty source forgets no Orphan record', () => {
    const state = appliedState(
      loadTexts({
        'g.yaml': manifestYaml('gold', { metadata: { deletionPolicy: 'Orphan' } }),
        's.yaml': manifestYaml('silver', { metadata: { deletionPolicy: 'Orphan' } }),
      }),
    );
    const result = plan(loadTexts({}), state, options());
    expect(kinds(result)).toEqual(['forget prod/gold (blocked)', 'forget prod/silver (blocked)']);
    expect(result.steps[0]!.blocked).toBe(
      'the source yielded no manifests while 2 audience(s) are managed; refusing to remove them all (pass --allow-empty-source if that is intended)',
    );
  });

  it('does not take a source whose only file is broken for an empty one: that audience is held, a removed one deleted', () => {
    const state = appliedState(
      loadTexts({ 'g.yaml': manifestYaml('gold'), 's.yaml': manifestYaml('silver') }),
    );
    const broken = manifestYaml('silver').replace('type: file', 'type: nonsense');
    const result = plan(loadTexts({ 's.yaml': broken }), state, options());
    expect(kinds(result)).toEqual(['delete prod/gold']);
    expect(result.held).toEqual([
      { sandbox: 'prod', key: 'silver', reason: 's.yaml has errors; the audience is left as it is' },
    ]);
  });

  it('does not take a source whose only files are duplicates for an empty one', () => {
    const state = appliedState(
      loadTexts({ 'g.yaml': manifestYaml('gold'), 's.yaml': manifestYaml('silver') }),
    );
    const result = plan(
      loadTexts({ 's.yaml': manifestYaml('silver'), 's2.yaml': manifestYaml('silver') }),
      state,
      options(),
    );
    expect(kinds(result)).toEqual(['delete prod/gold']);
    expect(result.held.map((h) => h.key)).toEqual(['silver']);
  });
});

describe('a removed manifest whose create never gave an id', () => {
  it('is a blocked forget, never a delete, when its create was refused even with an operation recorded', () => {
    const record: AudienceRecord = {
      ...newRecord('prod', 'gold'),
      operationId: 'op-1',
      manifestFile: 'g.yaml',
      blocked: {
        code: '100950-409',
        message: 'an audience named "Audience gold" already exists',
        at: '2026-11-30T12:00:00.000Z',
      },
    };
    const result = plan(
      loadTexts({}),
      { meta: undefined, audiences: [record] },
      options({ allowEmptySource: true }),
    );
    expect(kinds(result)).toEqual(['forget prod/gold (blocked)']);
    expect(result.steps[0]!.blocked).toBe(
      'the audience may exist remotely (an audience named "Audience gold" already exists) but audiencectl never learned its id; to drop the record and leave any remote audience alone, run: audiencectl state forget gold --sandbox prod',
    );
  });

  it('its create interrupted: blocked, saying the audience is very likely its own and how to delete it', () => {
    // An apply killed at the POST, or whose answer and name lookup failed (review 7, M2).
    const record: AudienceRecord = {
      ...newRecord('prod', 'bronze'),
      manifestFile: 'loyalty/bronze.yaml',
      intent: { id: 'i-1', kind: 'create', startedAt: '2026-11-30T12:00:00.000Z', specHash: 'h' },
    };
    const result = plan(
      loadTexts({ 'g.yaml': manifestYaml('gold') }),
      {
        meta: undefined,
        audiences: [appliedState(loadTexts({ 'g.yaml': manifestYaml('gold') })).audiences[0]!, record],
      },
      options(),
    );
    expect(kinds(result)).toEqual(['forget prod/bronze (blocked)']);
    expect(result.steps[0]!.blocked).toBe(
      "its create was interrupted: the audience it made very likely exists in AEP and is audiencectl's own, but audiencectl never learned its id, so it cannot be deleted now. " +
        'To delete it: put loyalty/bronze.yaml back and run `audiencectl apply MANIFESTS_DIR` (MANIFESTS_DIR: your manifests directory): the create is settled: its audience adopted once the service lists it, else created once 15 minutes have passed since its earlier POST (until then that apply holds it, exit 3); then remove the manifest again, and the next apply deletes the audience. ' +
        'To leave it in AEP, unmanaged: `audiencectl state forget bronze --sandbox prod` (that drops only the record)',
    );
    // The apply a person pastes names the directory this plan was given, with its typed flags:
    // without it, it plans the current directory's manifests.
    const given = plan(
      loadTexts({ 'g.yaml': manifestYaml('gold') }),
      {
        meta: undefined,
        audiences: [appliedState(loadTexts({ 'g.yaml': manifestYaml('gold') })).audiences[0]!, record],
      },
      options({ paste: withManifestsDir(pasteFlags({ state: 'st', config: 'prod.yaml' }), 'my aud') }),
    );
    expect(given.steps[0]!.blocked).toContain(
      "To delete it: put loyalty/bronze.yaml back and run `audiencectl apply 'my aud' --state st --config prod.yaml`: the create is settled",
    );
  });
});
