import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import type { PlanScope } from '../../src/plan/removals.js';
import { renderMarkdown } from '../../src/plan/render/markdown.js';
import { renderText } from '../../src/plan/render/text.js';
import type { RecordedState } from '../../src/state/schema.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds, options } from '../helpers/planning.js';

/** gold in g.yaml, silver in s.yaml, bronze recorded before records kept their file. */
function threeRecords(): RecordedState {
  const state = appliedState(
    loadTexts({
      'g.yaml': manifestYaml('gold'),
      's.yaml': manifestYaml('silver'),
      'b.yaml': manifestYaml('bronze'),
    }),
  );
  for (const record of state.audiences) if (record.key === 'bronze') delete record.manifestFile;
  return state;
}

function scope(include: string[], exclude: string[] = []): PlanScope {
  const included = picomatch(include.length > 0 ? include : ['**/*.yaml']);
  const excluded = picomatch(exclude.length > 0 ? exclude : ['\0']);
  return { include, exclude, covers: (file) => included(file) && !excluded(file) };
}

describe('plan scope: --include / --exclude', () => {
  it('leaves every record whose file the filters do not read alone, and counts them', () => {
    const result = plan(
      loadTexts({ 'g.yaml': manifestYaml('gold') }),
      threeRecords(),
      options({ scope: scope(['g.yaml']) }),
    );
    expect(kinds(result)).toEqual([]);
    expect(result.held).toEqual([]);
    expect(result.scope).toEqual({ include: ['g.yaml'], exclude: [], outside: 2 });
  });

  it('deletes a record whose file the filters read and whose manifest is gone from it', () => {
    const result = plan(
      loadTexts({ 'g.yaml': manifestYaml('gold') }),
      threeRecords(),
      options({ scope: scope(['g.yaml', 's.yaml']) }),
    );
    expect(kinds(result)).toEqual(['delete prod/silver']);
    expect(result.scope?.outside).toBe(1);
  });

  it('with --exclude alone, excluded files and unknown files are out of scope', () => {
    const result = plan(
      loadTexts({ 'g.yaml': manifestYaml('gold') }),
      threeRecords(),
      options({ scope: scope([], ['s.yaml']) }),
    );
    expect(kinds(result)).toEqual([]);
    expect(result.scope?.outside).toBe(2);
  });

  it('without filters, every record is in scope (an old record without a file too)', () => {
    const result = plan(loadTexts({ 'g.yaml': manifestYaml('gold') }), threeRecords(), options());
    expect(kinds(result)).toEqual(['delete prod/bronze', 'delete prod/silver']);
    expect(result.scope).toBeUndefined();
  });

  it('says what it left out, in text and Markdown', () => {
    const result = plan(
      loadTexts({ 'g.yaml': manifestYaml('gold') }),
      threeRecords(),
      options({ scope: scope(['audiences/**/*.yaml'], ['drafts/**']) }),
    );
    expect(renderText(result, { color: false })).toContain(
      'Out of scope: 2 recorded audience(s) whose manifest file is outside --include audiences/**/*.yaml or excluded by --exclude drafts/** (or not recorded); left alone, never deleted.',
    );
    expect(renderMarkdown(result)).toContain(
      'Out of scope: 2 recorded audience(s) whose manifest file is outside `--include audiences/**/*.yaml` or excluded by `--exclude drafts/**`',
    );
  });

  it('says nothing of scope in text and Markdown when the filters leave no record out; the JSON keeps the 0', () => {
    const state = appliedState(loadTexts({ 'g.yaml': manifestYaml('gold') }));
    const result = plan(
      loadTexts({ 'g.yaml': manifestYaml('gold') }),
      state,
      options({ scope: scope(['g.yaml']) }),
    );
    expect(result.scope).toEqual({ include: ['g.yaml'], exclude: [], outside: 0 });
    expect(renderText(result, { color: false })).not.toContain('Out of scope');
    expect(renderMarkdown(result)).not.toContain('Out of scope');
  });

  it('records a manifest that moved to another file, with no API call', () => {
    const state = appliedState(loadTexts({ 'old.yaml': manifestYaml('gold') }));
    const result = plan(loadTexts({ 'new.yaml': manifestYaml('gold') }), state, options());
    expect(kinds(result)).toEqual(['update prod/gold']);
    expect(result.steps[0]!.patch).toEqual({});
    expect(result.steps[0]!.changes).toEqual([
      { path: 'manifest file', before: 'old.yaml', after: 'new.yaml', forcesReplacement: false },
    ]);
  });
});

describe('plan scope: a changed sandbox is a move, never delete + create', () => {
  const prodState = () => appliedState(loadTexts({ 'g.yaml': manifestYaml('gold') }, 'prod'));

  it('plans one blocked move when the default sandbox changed', () => {
    const result = plan(loadTexts({ 'g.yaml': manifestYaml('gold') }, 'dev'), prodState(), options());
    expect(kinds(result)).toEqual(['move prod/gold (blocked)']);
    const [move] = result.steps;
    expect(move!.reason).toBe(
      'its manifest names no sandbox and the default sandbox is now "dev", but the audience is recorded in "prod"',
    );
    expect(move!.blocked).toContain('set metadata.sandbox: prod in g.yaml');
    expect(move!.blocked).toContain('audiencectl state forget gold --sandbox prod');
    expect(move!.blocked).toContain('never applied as delete + create');
    expect(move!.audienceId).toBe(prodState().audiences[0]!.audienceId);
    expect(result.summary).toMatchObject({ create: 0, delete: 0, move: 1, blocked: 1 });
    expect(renderText(result, { color: false })).toContain(
      '  ! prod/gold move: its manifest names no sandbox',
    );
    expect(renderText(result, { color: false })).toContain('1 to move (never applied)');
    expect(renderMarkdown(result)).toContain('| 0 | 0 | 0 | 0 | 0 | 0 | 1 | 1 | 0 |');
  });

  it('plans a blocked move when the manifest names another sandbox', () => {
    const desired = loadTexts({ 'g.yaml': manifestYaml('gold', { metadata: { sandbox: 'stage' } }) });
    const result = plan(desired, prodState(), options());
    expect(kinds(result)).toEqual(['move prod/gold (blocked)']);
    expect(result.steps[0]!.reason).toBe(
      'its manifest now names sandbox "stage", but the audience is recorded in "prod"',
    );
    expect(result.steps[0]!.blocked).toContain('set metadata.sandbox back to prod');
  });

  it('deletes as usual when the other sandbox has a record of its own', () => {
    const both = appliedState(
      loadTexts({
        'g.yaml': manifestYaml('gold'),
        'dev.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }),
      }),
    );
    const desired = loadTexts({ 'dev.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' } }) });
    expect(kinds(plan(desired, both, options()))).toEqual(['delete prod/gold']);
  });

  it('holds, never deletes, a record whose broken file now resolves to another sandbox', () => {
    const broken = manifestYaml('gold').replace('type: file', 'type: nonsense');
    const result = plan(
      loadTexts({ 'g.yaml': broken, 's.yaml': manifestYaml('silver') }, 'dev'),
      prodState(),
      options(),
    );
    expect(result.steps.filter((s) => s.kind === 'delete')).toEqual([]);
    expect(result.held).toEqual([
      { sandbox: 'prod', key: 'gold', reason: 'g.yaml has errors; the audience is left as it is' },
    ]);
  });
});

describe('plan scope: a record without an audience id is forgotten, never deleted', () => {
  function withoutId(change: (state: RecordedState) => void): RecordedState {
    const state = appliedState(
      loadTexts({ 'g.yaml': manifestYaml('gold'), 's.yaml': manifestYaml('silver') }),
    );
    const silver = state.audiences.find((r) => r.key === 'silver')!;
    delete silver.audienceId;
    change(state);
    return state;
  }
  const onlyGold = () => loadTexts({ 'g.yaml': manifestYaml('gold') });

  it('a blocked create: a blocked forget whose hint is state forget, not state import', () => {
    const state = withoutId((s) => {
      s.audiences.find((r) => r.key === 'silver')!.blocked = {
        code: '100950-409',
        message: 'exists remotely, id unknown',
        at: '2026-11-30T00:00:00.000Z',
      };
    });
    const result = plan(onlyGold(), state, options());
    expect(kinds(result)).toEqual(['forget prod/silver (blocked)']);
    const [forget] = result.steps;
    expect(forget!.blocked).toContain('audiencectl state forget silver --sandbox prod');
    expect(forget!.blocked).not.toContain('state import');
    expect(forget!.audienceId).toBeUndefined();
  });

  it('an interrupted create: a blocked forget', () => {
    const state = withoutId((s) => {
      s.audiences.find((r) => r.key === 'silver')!.intent = {
        id: 'i-1',
        kind: 'create',
        startedAt: '2026-11-30T00:00:00.000Z',
      };
    });
    expect(kinds(plan(onlyGold(), state, options()))).toEqual(['forget prod/silver (blocked)']);
  });

  it('nothing was ever created: a plain forget', () => {
    expect(
      kinds(
        plan(
          onlyGold(),
          withoutId(() => undefined),
          options(),
        ),
      ),
    ).toEqual(['forget prod/silver']);
  });

  it('a create whose operation names the audience is still deleted (the operation proves it ours)', () => {
    const state = withoutId((s) => {
      s.audiences.find((r) => r.key === 'silver')!.operationId = 'op-1';
    });
    expect(kinds(plan(onlyGold(), state, options()))).toEqual(['delete prod/silver']);
  });
});
