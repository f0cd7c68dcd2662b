import { describe, expect, it } from 'vitest';
import type { RecordedState } from '../state/schema.js';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { appliedState, kinds, options } from '../../test/helpers/planning.js';
import { assumedStateFrom } from './assumed-state.js';
import type { ManifestElsewhere } from './elsewhere.js';
import { plan } from './plan.js';

// A record's own file, edited: it now names another key (review 30, H-1, H-1b, H-2). Its
// manifest was changed, not removed: a file with errors holds the record whatever key it names
// now, and a file that still holds a manifest no record holds is a blocked move, never a
// delete + create. A document taken out of a file that still holds only recorded manifests is
// removed, as any removed manifest is.

const GOLD_ID = '11111111-1111-4111-8111-111111111111';
const SILVER_ID = '22222222-2222-4222-8222-222222222222';

/** `files` as an apply in prod records them, with audience ids. */
function applied(files: Record<string, string>, defaultSandbox = 'prod'): RecordedState {
  const ids: Record<string, string> = { gold: GOLD_ID, silver: SILVER_ID };
  const state = appliedState(loadTexts(files, defaultSandbox));
  return {
    ...state,
    audiences: state.audiences.map((r) => ({ ...r, audienceId: ids[r.key] ?? r.audienceId })),
  };
}

const deletes = (result: ReturnType<typeof plan>) =>
  result.steps.filter((s) => s.kind === 'delete' || s.kind === 'forget' || s.kind === 'replace');

/** Two documents in one file, as a generator writes them. */
const both = (...docs: string[]) => docs.join('---\n');

describe('the own file of a record has errors', () => {
  it('H-2: gold.yaml now names gold-2 with an error: prod/gold is held, never deleted', () => {
    const recorded = applied({ 'gold.yaml': manifestYaml('gold') });
    const edited = {
      'gold.yaml': manifestYaml('gold-2', { spec: { name: 'Audience gold', ttlInDays: -3 } }),
    };
    const read = loadTexts(edited);
    expect(read.failedFiles).toEqual(['gold.yaml']);
    expect(read.held).toEqual([{ sandbox: 'prod', key: 'gold-2', file: 'gold.yaml' }]);
    const result = plan(read, recorded, options());
    expect(result.steps).toEqual([]);
    expect(result.held).toEqual([
      { sandbox: 'prod', key: 'gold', reason: 'gold.yaml has errors; the audience is left as it is' },
    ]);
  });

  it('a file whose keys cannot be read (broken YAML): its own record is held naming it, another by the hold of every deletion', () => {
    // Review controller-48: a YAML error before metadata.name leaves no key to hold, so the
    // record was told 'not found, but some file could not be read' (on /status and /plan too),
    // although its own file is the one in error, as the diagnostics say.
    const recorded = applied({ 'gold.yaml': manifestYaml('gold'), 'silver.yaml': manifestYaml('silver') });
    const broken = manifestYaml('gold').replace('  name: gold\n', '  name: [gold\n');
    expect(broken).toContain('[gold');
    const read = loadTexts({ 'gold.yaml': broken });
    expect(read.failedFiles).toEqual(['gold.yaml']);
    expect(read.held).toEqual([]);
    expect(read.holdAllDeletions).toBe(true);
    const result = plan(read, recorded, options());
    expect(deletes(result)).toEqual([]);
    expect(result.held.map((h) => `${h.sandbox}/${h.key}: ${h.reason}`)).toEqual([
      'prod/gold: gold.yaml has errors; the audience is left as it is',
      'prod/silver: not found, but some file could not be read; deletions are held until it is fixed',
    ]);
  });

  it('two documents, one renamed with an error: both records held, the renamed one by its file', () => {
    const recorded = applied({ 'both.yaml': both(manifestYaml('gold'), manifestYaml('silver')) });
    const edited = both(manifestYaml('gold'), manifestYaml('silver-2', { spec: { ttlInDays: -3 } }));
    const read = loadTexts({ 'both.yaml': edited });
    expect(read.holdAllDeletions).toBe(false);
    const result = plan(read, recorded, options());
    expect(deletes(result)).toEqual([]);
    // gold by the key the file still names, silver (the file names silver-2 now) by its file.
    expect(read.held.map((h) => h.key)).toEqual(['gold', 'silver-2']);
    expect(result.held.map((h) => `${h.sandbox}/${h.key}: ${h.reason}`)).toEqual([
      'prod/gold: both.yaml has errors; the audience is left as it is',
      'prod/silver: both.yaml has errors; the audience is left as it is',
    ]);
  });

  it('a subdirectory planned (its files re-rooted as the records name them): loyalty/gold.yaml with errors holds prod/gold', () => {
    const recorded = applied({
      'loyalty/gold.yaml': manifestYaml('gold'),
      'web.yaml': manifestYaml('copper'),
    });
    // m/loyalty as read: gold.yaml, now naming gold-2, with an error; copper found above it.
    const read = loadTexts({ 'gold.yaml': manifestYaml('gold-2', { spec: { ttlInDays: -3 } }) });
    const elsewhere: ManifestElsewhere[] = [
      { kind: 'above', sandbox: 'prod', key: 'copper', file: '../web.yaml', dir: '..', under: 'loyalty' },
    ];
    const result = plan(read, recorded, options({ elsewhere }));
    expect(deletes(result)).toEqual([]);
    expect(result.held.map((h) => `${h.sandbox}/${h.key}: ${h.reason}`)).toEqual([
      'prod/copper: its manifest ../web.yaml is above the directory given; the audience is left as it is: give the directory it was applied from (..)',
      'prod/gold: loyalty/gold.yaml has errors; the audience is left as it is',
    ]);
  });

  it('plan --base: the same edit in a pull request holds prod/gold too', () => {
    const base = loadTexts({ 'gold.yaml': manifestYaml('gold') });
    const assumed = assumedStateFrom(base, '2026-12-02T12:00:00.000Z');
    const read = loadTexts({ 'gold.yaml': manifestYaml('gold-2', { spec: { ttlInDays: -3 } }) });
    const result = plan(
      read,
      assumed,
      options({ unreadBase: { specUnknown: new Map(), unnamed: new Map() } }),
    );
    expect(deletes(result)).toEqual([]);
    expect(result.held.map((h) => `${h.sandbox}/${h.key}: ${h.reason}`)).toEqual([
      'prod/gold: gold.yaml has errors; the audience is left as it is',
    ]);
  });
});

describe('a duplicate key holds the records of both files (review 31, L-4)', () => {
  it('gold.yaml (no sandbox) and gold-dev.yaml (sandbox dev), planned with dev as the default: each record names its own file', () => {
    const files = {
      'gold.yaml': manifestYaml('gold'),
      'gold-dev.yaml': manifestYaml('gold', { metadata: { sandbox: 'dev' }, spec: { name: 'Gold dev' } }),
    };
    const recorded = applied(files);
    expect(recorded.audiences.map((r) => `${r.sandbox}/${r.key} ${r.manifestFile}`).sort()).toEqual([
      'dev/gold gold-dev.yaml',
      'prod/gold gold.yaml',
    ]);
    const read = loadTexts(files, 'dev');
    expect([...read.failedFiles].sort()).toEqual(['gold-dev.yaml', 'gold.yaml']);
    const result = plan(read, recorded, options());
    expect(deletes(result)).toEqual([]);
    expect(result.held.map((h) => `${h.sandbox}/${h.key}: ${h.reason}`).sort()).toEqual([
      'dev/gold: gold-dev.yaml has errors; the audience is left as it is',
      'prod/gold: gold.yaml has errors; the audience is left as it is',
    ]);
  });
});

describe('the own file of a record now names another key that no record holds', () => {
  it('H-1: metadata.name and metadata.sandbox changed together (spec.name kept): a blocked move, the create waits', () => {
    const recorded = applied({ 'gold.yaml': manifestYaml('gold') });
    const edited = {
      'gold.yaml': manifestYaml('gold-dev', {
        metadata: { sandbox: 'dev' },
        spec: { name: 'Audience gold' },
      }),
    };
    const result = plan(loadTexts(edited), recorded, options());
    expect(kinds(result)).toEqual(['move prod/gold (blocked)']);
    expect(result.held).toEqual([]);
    const [step] = result.steps;
    expect(step!.reason).toBe(
      'gold.yaml now names dev/gold-dev, but its audience ("Audience gold") is recorded as prod/gold',
    );
    expect(step!.changes).toEqual([
      { path: 'metadata.name', before: 'gold', after: 'gold-dev', forcesReplacement: false },
      { path: 'sandbox', before: 'prod', after: 'dev', forcesReplacement: false },
    ]);
    expect(step!.blocked).toBe(
      'a manifest that now names another key is never applied as delete + create. ' +
        'To keep the audience: set metadata.name back to gold and metadata.sandbox back to prod in gold.yaml. ' +
        'To create dev/gold-dev as a new audience: `audiencectl state forget gold --sandbox prod` (the audience in "prod" stays, unmanaged), then `audiencectl apply MANIFESTS_DIR`. ' +
        'If it already exists in "dev", instead: `audiencectl state forget gold --sandbox prod`, then `audiencectl state import gold-dev MANIFESTS_DIR --sandbox dev --audience-id AUDIENCE_ID` (MANIFESTS_DIR: your manifests directory). ' +
        'To delete the audience instead: take the manifest of gold-dev out of gold.yaml (remove the file if nothing else is left in it) and apply, then put it back.',
    );
  });

  it('H-1b: renamed (spec.name kept) under another default sandbox: blocked like its untouched sibling', () => {
    const recorded = applied({ 'gold.yaml': manifestYaml('gold'), 'silver.yaml': manifestYaml('silver') });
    const edited = {
      'gold.yaml': manifestYaml('gold-members', { spec: { name: 'Audience gold' } }),
      'silver.yaml': manifestYaml('silver'),
    };
    const result = plan(loadTexts(edited, 'dev'), recorded, options());
    expect(kinds(result)).toEqual(['move prod/gold (blocked)', 'move prod/silver (blocked)']);
    expect(result.steps[0]!.reason).toBe(
      'gold.yaml now names dev/gold-members (it names no sandbox, and the default sandbox is now "dev"), but its audience ("Audience gold") is recorded as prod/gold',
    );
    expect(result.steps[0]!.blocked).toContain(
      'To keep the audience: set metadata.name back to gold and metadata.sandbox: prod in gold.yaml (or set the name back and plan with --sandbox prod). ' +
        'To create dev/gold-members as a new audience: `audiencectl state forget gold --sandbox prod` (the audience in "prod" stays, unmanaged), then `audiencectl apply MANIFESTS_DIR --sandbox dev`. ',
    );
  });

  it('renamed and moved to another file (git mv) under another default sandbox: its spec.name in dev still blocks it', () => {
    const recorded = applied({ 'gold.yaml': manifestYaml('gold') });
    const moved = { 'gold-members.yaml': manifestYaml('gold-members', { spec: { name: 'Audience gold' } }) };
    const result = plan(loadTexts(moved, 'dev'), recorded, options());
    expect(kinds(result)).toEqual(['move prod/gold (blocked)']);
    expect(result.steps[0]!.reason).toBe(
      'gold-members.yaml now names dev/gold-members (it names no sandbox, and the default sandbox is now "dev"), but its audience ("Audience gold") is recorded as prod/gold',
    );
    // Not its own file: taking the manifest out of it is no way to delete the audience.
    expect(result.steps[0]!.blocked).not.toContain('To delete the audience instead');
  });

  it('metadata.name and spec.name changed in place (same sandbox): blocked, with the ways to keep, replace or delete', () => {
    const recorded = applied({ 'gold.yaml': manifestYaml('gold') });
    const result = plan(loadTexts({ 'gold.yaml': manifestYaml('gold-2') }), recorded, options());
    expect(kinds(result)).toEqual(['move prod/gold (blocked)']);
    const [step] = result.steps;
    expect(step!.reason).toBe(
      'gold.yaml now names prod/gold-2, but its audience ("Audience gold") is recorded as prod/gold',
    );
    expect(step!.changes).toEqual([
      { path: 'metadata.name', before: 'gold', after: 'gold-2', forcesReplacement: false },
    ]);
    expect(step!.blocked).toBe(
      'a manifest that now names another key is never applied as delete + create. ' +
        'To keep the audience: set metadata.name back to gold in gold.yaml. ' +
        'To create prod/gold-2 as a new audience: `audiencectl state forget gold --sandbox prod` (the audience in "prod" stays, unmanaged), then `audiencectl apply MANIFESTS_DIR` (MANIFESTS_DIR: your manifests directory). ' +
        'To delete the audience instead: take the manifest of gold-2 out of gold.yaml (remove the file if nothing else is left in it) and apply, then put it back.',
    );
  });

  it('plan --base: the pull request plans the same blocked move', () => {
    const base = loadTexts({ 'gold.yaml': manifestYaml('gold') });
    const assumed = assumedStateFrom(base, '2026-12-02T12:00:00.000Z');
    const edited = { 'gold.yaml': manifestYaml('gold-dev', { metadata: { sandbox: 'dev' } }) };
    const result = plan(
      loadTexts(edited),
      assumed,
      options({ unreadBase: { specUnknown: new Map(), unnamed: new Map() } }),
    );
    expect(kinds(result)).toEqual(['move prod/gold (blocked)']);
    expect(result.steps[0]!.blocked).toContain(
      "(this plan assumes the base's audience exists: if its record still waits for its create with none in flight (a replace deleted its audience, say), the apply after the merge moves the record with the create of dev/gold-dev instead)",
    );
  });
});

describe('multi-document files', () => {
  const gold = manifestYaml('gold');
  const silver = manifestYaml('silver');

  it("one document of two removed: the other is still recorded, so the removed one's audience is deleted", () => {
    const recorded = applied({ 'both.yaml': both(gold, silver) });
    const result = plan(loadTexts({ 'both.yaml': gold }), recorded, options());
    expect(kinds(result)).toEqual(['delete prod/silver']);
    expect(result.steps[0]!.reason).toBe('manifest removed (both.yaml)');
    expect(result.held).toEqual([]);
  });

  it('one document of two replaced by a new one: a blocked move, never delete + create; the way out deletes it', () => {
    const recorded = applied({ 'both.yaml': both(gold, silver) });
    const replaced = plan(
      loadTexts({ 'both.yaml': both(gold, manifestYaml('platinum')) }),
      recorded,
      options(),
    );
    expect(kinds(replaced)).toEqual(['move prod/silver (blocked)']);
    expect(replaced.steps[0]!.reason).toBe(
      'both.yaml now names prod/platinum, but its audience ("Audience silver") is recorded as prod/silver',
    );
    // The way out: platinum taken out of both.yaml for one apply.
    const taken = plan(loadTexts({ 'both.yaml': gold }), recorded, options());
    expect(kinds(taken)).toEqual(['delete prod/silver']);
  });

  it('one document removed while another is renamed (spec.name kept): the rename is blocked, the removal deletes', () => {
    const recorded = applied({ 'both.yaml': both(gold, silver) });
    const renamed = manifestYaml('silver-members', { spec: { name: 'Audience silver' } });
    const result = plan(loadTexts({ 'both.yaml': renamed }), recorded, options());
    expect(kinds(result)).toEqual(['delete prod/gold', 'move prod/silver (blocked)']);
    expect(result.steps[1]!.reason).toBe(
      'metadata.name is now "silver-members" in both.yaml, but its audience ("Audience silver") is recorded as "silver"',
    );
  });

  it('two documents merged into one new one: both blocked, neither deleted on a guess', () => {
    const recorded = applied({ 'both.yaml': both(gold, silver) });
    const result = plan(loadTexts({ 'both.yaml': manifestYaml('platinum') }), recorded, options());
    expect(kinds(result)).toEqual(['move prod/gold (blocked)', 'move prod/silver (blocked)']);
  });
});

describe('what still removes', () => {
  it("the file now names a key recorded from another file: that record follows it, this one is removed, the other file's new key created", () => {
    const recorded = applied({ 'gold.yaml': manifestYaml('gold'), 'silver.yaml': manifestYaml('silver') });
    const result = plan(
      loadTexts({ 'gold.yaml': manifestYaml('silver'), 'silver.yaml': manifestYaml('tin') }),
      recorded,
      options(),
    );
    // silver's record follows its manifest to gold.yaml (a record-only update), so gold.yaml holds
    // only a recorded manifest: gold is removed. tin, in silver.yaml, is new: no record is gone from there.
    expect(kinds(result)).toEqual([
      'update prod/silver',
      'create prod/tin',
      'run prod/tin',
      'delete prod/gold',
    ]);
  });

  it('a record that holds no audience (waiting, no create in flight) is forgotten, and the new key created', () => {
    const { audienceId, ...waiting } = applied({ 'gold.yaml': manifestYaml('gold') }).audiences[0]!;
    expect(audienceId).toBe(GOLD_ID);
    const state: RecordedState = { meta: undefined, audiences: [waiting] };
    const result = plan(loadTexts({ 'gold.yaml': manifestYaml('gold-2') }), state, options());
    expect(kinds(result)).toEqual(['create prod/gold-2', 'run prod/gold-2', 'forget prod/gold']);
  });

  it('the file removed: deleted, as before', () => {
    const recorded = applied({ 'gold.yaml': manifestYaml('gold'), 'silver.yaml': manifestYaml('silver') });
    const result = plan(loadTexts({ 'silver.yaml': manifestYaml('silver') }), recorded, options());
    expect(kinds(result)).toEqual(['delete prod/gold']);
  });
});
