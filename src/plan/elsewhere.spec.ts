import { describe, expect, it } from 'vitest';
import { loadTexts, manifestYaml } from '../../test/helpers/manifests.js';
import { appliedState, kinds, options } from '../../test/helpers/planning.js';
import type { RecordedState } from '../state/schema.js';
import type { ManifestElsewhere } from './elsewhere.js';
import { recordedBelow } from './applied-from.js';
import { plan } from './plan.js';

/** gold, silver and tin applied in sandbox prod from loyalty/; this plan reads loyalty/ with gold alone. */
function state(): RecordedState {
  return appliedState(
    loadTexts({
      'loyalty/gold.yaml': manifestYaml('gold'),
      'loyalty/silver.yaml': manifestYaml('silver'),
      'loyalty/tin.yaml': manifestYaml('tin'),
    }),
  );
}

const desired = () => loadTexts({ 'loyalty/gold.yaml': manifestYaml('gold') });
const everyFile = {
  include: ['loyalty/**'],
  exclude: [],
  covers: (file: string) => file.startsWith('loyalty/'),
};

describe('removals whose manifest the plan did not read are held (options.elsewhere)', () => {
  it('a manifest outside the scope naming the key, in its sandbox: held, saying where; the others are removed', () => {
    const elsewhere: ManifestElsewhere[] = [
      { kind: 'out-of-scope', sandbox: 'prod', key: 'silver', file: 'partners/silver.yaml' },
    ];
    const result = plan(desired(), state(), options({ scope: everyFile, elsewhere }));
    expect(kinds(result)).toEqual(['delete prod/tin']);
    expect(result.held).toEqual([
      {
        sandbox: 'prod',
        key: 'silver',
        reason:
          'its manifest is now partners/silver.yaml, outside --include loyalty/**; the audience is left as it is',
        elsewhere: true,
      },
    ]);
  });

  it("a manifest elsewhere under another metadata.name (its spec.name the audience's), and a file that may name it but has errors: held, saying how out", () => {
    const elsewhere: ManifestElsewhere[] = [
      { kind: 'renamed', sandbox: 'prod', key: 'silver', file: 'partners/silver.yaml', as: 'silver-members' },
      {
        kind: 'broken',
        sandbox: 'prod',
        key: 'tin',
        file: '../mkt/tin.yaml',
        fault: 'errors',
        detail: 'line 3: a syntax error',
      },
    ];
    const result = plan(desired(), state(), options({ scope: everyFile, elsewhere }));
    expect(kinds(result)).toEqual([]);
    expect(result.held).toEqual([
      {
        sandbox: 'prod',
        key: 'silver',
        reason:
          'its manifest is now partners/silver.yaml under another metadata.name ("silver-members", its spec.name this audience\'s), outside what this plan reads; the audience is left as it is: to keep it, set metadata.name back to silver; a plan of the directory that holds the file shows the rename as a blocked move',
        elsewhere: true,
      },
      {
        sandbox: 'prod',
        key: 'tin',
        reason:
          "../mkt/tin.yaml may name it but has errors (line 3: a syntax error); the audience is left as it is: fix the file (validate its directory to see them), or, if it is not this audience's manifest, take tin out of it",
        elsewhere: true,
      },
    ]);
    const unreadable: ManifestElsewhere[] = [
      {
        kind: 'broken',
        sandbox: 'prod',
        key: 'tin',
        file: '../mkt/tin.yaml',
        fault: 'unreadable',
        detail: 'invalid UTF-8 at byte 5; manifests must be UTF-8 text',
      },
    ];
    expect(plan(desired(), state(), options({ elsewhere: unreadable })).held).toEqual([
      {
        sandbox: 'prod',
        key: 'tin',
        reason:
          "../mkt/tin.yaml may name it but cannot be read (invalid UTF-8 at byte 5; manifests must be UTF-8 text); the audience is left as it is: make it UTF-8 text within --max-file-bytes (or give a larger one), or, if it is not this audience's manifest, take tin out of it",
        elsewhere: true,
      },
    ]);
  });

  it('a file being written (the controller with --dir): only the records that name it are held', () => {
    const elsewhere: ManifestElsewhere[] = [
      { kind: 'writing', sandbox: 'prod', key: 'silver', file: 'loyalty/silver.yaml' },
      // Not tin's file: tin's removal stands.
      { kind: 'writing', sandbox: 'prod', key: 'tin', file: 'loyalty/other.yaml' },
    ];
    const result = plan(desired(), state(), options({ elsewhere }));
    expect(kinds(result)).toEqual(['delete prod/tin']);
    expect(result.held).toEqual([
      {
        sandbox: 'prod',
        key: 'silver',
        reason:
          'loyalty/silver.yaml was being written when the pass read it; the removal waits for the next pass',
      },
    ]);
  });

  it('a manifest above the directory given: held, naming the directory to give', () => {
    const elsewhere: ManifestElsewhere[] = [
      { kind: 'above', sandbox: 'prod', key: 'tin', file: 'm/loyalty/tin.yaml', dir: 'm' },
    ];
    const result = plan(desired(), state(), options({ elsewhere }));
    expect(kinds(result)).toEqual(['delete prod/silver']);
    expect(result.held).toEqual([
      {
        sandbox: 'prod',
        key: 'tin',
        reason:
          'its manifest m/loyalty/tin.yaml is above the directory given; the audience is left as it is: give the directory it was applied from (m)',
        elsewhere: true,
      },
    ]);
  });

  it('in another sandbox: held when no record has that key there (a move), removed when one has (its own audience)', () => {
    const recorded = state();
    const dev = structuredClone(recorded.audiences.find((r) => r.key === 'tin')!);
    recorded.audiences.push({ ...dev, sandbox: 'dev', audienceId: 'dev-tin-id' });
    const elsewhere: ManifestElsewhere[] = [
      { kind: 'out-of-scope', sandbox: 'stage', key: 'silver', file: 'partners/silver.yaml' },
      { kind: 'out-of-scope', sandbox: 'dev', key: 'tin', file: 'partners/tin.yaml' },
    ];
    const result = plan(desired(), recorded, options({ scope: everyFile, elsewhere }));
    // prod/tin is removed: the manifest in dev is dev/tin's, which it keeps.
    expect(kinds(result)).toEqual(['delete prod/tin']);
    expect(result.held.map((h) => [`${h.sandbox}/${h.key}`, h.reason])).toEqual([
      [
        'dev/tin',
        'its manifest is now partners/tin.yaml, outside --include loyalty/**; the audience is left as it is',
      ],
      [
        'prod/silver',
        'its manifest is now partners/silver.yaml (sandbox "stage"), outside --include loyalty/**; the audience is left as it is',
      ],
    ]);
  });

  it('a folder renamed to another Unicode normalisation (café, NFC, to cafe + U+0301, NFD): the held line says which, since both print alike (review 31, L-5e)', () => {
    const recorded = appliedState(loadTexts({ 'caf\u00e9/ugold.yaml': manifestYaml('ugold') }));
    const scope = {
      include: ['caf\u00e9/**'],
      exclude: [],
      covers: (file: string) => file.startsWith('caf\u00e9/'),
    };
    const elsewhere: ManifestElsewhere[] = [
      { kind: 'out-of-scope', sandbox: 'prod', key: 'ugold', file: 'cafe\u0301/ugold.yaml' },
    ];
    const result = plan(loadTexts({}), recorded, options({ scope, elsewhere }));
    expect(kinds(result)).toEqual([]);
    expect(result.held.map((h) => h.reason)).toEqual([
      'its manifest is now cafe\u0301/ugold.yaml (its name in NFD, not NFC), outside --include caf\u00e9/**; the audience is left as it is',
    ]);
  });

  it('a held removal is not counted by the deletion guard', () => {
    const elsewhere: ManifestElsewhere[] = [
      { kind: 'out-of-scope', sandbox: 'prod', key: 'silver', file: 'partners/silver.yaml' },
    ];
    const result = plan(desired(), state(), options({ scope: everyFile, elsewhere, maxDeletes: 1 }));
    expect(kinds(result)).toEqual(['delete prod/tin']);
    expect(result.summary).toMatchObject({ delete: 1, blocked: 0 });
  });
});

describe('the directory given below the one the records were applied from (an `above` found with `under`)', () => {
  /** gold and tin applied from m/loyalty, copper from m/web.yaml; the records name files relative to m. */
  const recorded = () =>
    appliedState(
      loadTexts({
        'loyalty/gold.yaml': manifestYaml('gold'),
        'loyalty/tin.yaml': manifestYaml('tin'),
        'web.yaml': manifestYaml('copper'),
      }),
    );
  /** m/loyalty as read: its files relative to it; tin removed, lead added (no run on create). */
  const read = () =>
    loadTexts({
      'gold.yaml': manifestYaml('gold'),
      'lead.yaml': manifestYaml('lead', { ingestion: { onCreate: false } }),
    });
  const copper = { kind: 'above', sandbox: 'prod', key: 'copper', file: '../web.yaml', dir: '..' } as const;

  it('plans with the files as the records name them: no record re-pointed to the subdirectory, a create records loyalty/<file>', () => {
    const result = plan(read(), recorded(), options({ elsewhere: [{ ...copper, under: 'loyalty' }] }));
    expect(result.steps.map((s) => [`${s.kind} ${s.key}`, s.source])).toEqual([
      ['create lead', 'loyalty/lead.yaml:1'],
      ['delete tin', undefined],
    ]);
    expect(result.held.map((h) => h.key)).toEqual(['copper']);
    // Without it, gold's record would follow the file as read, and lose what says m.
    const unanchored = plan(read(), recorded(), options({ elsewhere: [copper] }));
    expect(unanchored.steps.map((s) => [`${s.kind} ${s.key}`, s.source])).toEqual([
      ['update gold', 'gold.yaml:1'],
      ['create lead', 'lead.yaml:1'],
      ['delete tin', undefined],
    ]);
  });

  it('`applied-from` (no manifest found above): the same files as recorded, and it holds no removal', () => {
    const elsewhere: ManifestElsewhere[] = [{ kind: 'applied-from', dir: '..', under: 'loyalty' }];
    const result = plan(read(), recorded(), options({ elsewhere }));
    expect(result.steps.map((s) => [`${s.kind} ${s.key}`, s.source])).toEqual([
      ['create lead', 'loyalty/lead.yaml:1'],
      ['delete copper', undefined],
      ['delete tin', undefined],
    ]);
    expect(result.held).toEqual([]);
  });

  it('recordedBelow: the records read at a file below the one they name, in their sandbox', () => {
    const records = recorded().audiences;
    const read = [
      { sandbox: 'prod', key: 'gold', file: 'gold.yaml' },
      { sandbox: 'prod', key: 'copper', file: 'web.yaml' },
      // Another sandbox's tin, a file that only ends like tin's.
      { sandbox: 'dev', key: 'tin', file: 'tin.yaml' },
    ];
    expect(recordedBelow(read, records).map((r) => [r.key, r.manifestFile])).toEqual([
      ['gold', 'loyalty/gold.yaml'],
    ]);
    expect(recordedBelow([{ sandbox: 'prod', key: 'tin', file: 'n.yaml' }], records)).toEqual([]);
    expect(recordedBelow([], records)).toEqual([]);
  });

  it('--include relative to the subdirectory: a record under it is outside the scope, never deleted by the mismatch', () => {
    // `--include '*.yaml'` given with m/loyalty: the files directly in it.
    const scope = { include: ['*.yaml'], exclude: [], covers: (file: string) => !file.includes('/') };
    const result = plan(read(), recorded(), options({ scope, elsewhere: [{ ...copper, under: 'loyalty' }] }));
    expect(kinds(result)).toEqual(['create prod/lead']);
    expect(result.held.map((h) => h.key)).toEqual(['copper']);
    expect(result.scope?.outside).toBe(1);
  });
});
