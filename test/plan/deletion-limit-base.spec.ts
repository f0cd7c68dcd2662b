import { describe, expect, it } from 'vitest';
import { plan } from '../../src/plan/plan.js';
import type { ManifestElsewhere } from '../../src/plan/elsewhere.js';
import type { LoadResult } from '../../src/manifest/load.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, kinds, options } from '../helpers/planning.js';

// The base of the default deletion limit, max(5, 10% of it), is the audiences this plan could
// remove (review 32, M-3): not the records held for a manifest it did not read (another
// directory's, sharing the store), which would loosen one team's guard as others join the store.

/** `prefix`1 .. `prefix``count`. */
const keys = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

function files(names: readonly string[], dir: string, sandbox?: string): Record<string, string> {
  const metadata = sandbox === undefined ? {} : { metadata: { sandbox } };
  return Object.fromEntries(
    names.map((key) => [
      `${dir}/${key}.yaml`,
      manifestYaml(key, { ...metadata, ingestion: { onCreate: false } }),
    ]),
  );
}

/** The manifests read, those of `removed` taken out (their files deleted). */
function reading(all: LoadResult, dir: string, removed: readonly string[]): LoadResult {
  return {
    ...all,
    manifests: all.manifests.filter((m) => m.file.startsWith(`${dir}/`) && !removed.includes(m.key)),
  };
}

/** Each key's manifest found in teams/big, the directory it was applied from (elsewhere.ts). */
const beside = (names: readonly string[]): ManifestElsewhere[] =>
  names.map((key) => ({ kind: 'beside', sandbox: 'prod', key, file: `../big/${key}.yaml`, dir: '../big' }));

const SMALL = keys('small', 10);
const SIX = SMALL.slice(0, 6);
const OVER_5 =
  'the plan deletes 6 audiences, over the limit of 5; pass --allow-mass-delete (or raise --max-deletes) if that is intended';

describe('the default deletion limit of a plan of one directory of a shared store', () => {
  it('is not raised by 42 audiences of another directory it holds: 6 of its 10 removed are blocked', () => {
    const big = keys('big', 42);
    const all = loadTexts({ ...files(big, 'big'), ...files(SMALL, 'small') });
    const state = appliedState(all);
    const result = plan(reading(all, 'small', SIX), state, options({ elsewhere: beside(big) }));
    expect(kinds(result)).toEqual(SIX.map((key) => `delete prod/${key} (blocked)`));
    expect(result.steps[0]!.blocked).toBe(OVER_5);
    expect(result.held).toHaveLength(42);
  });

  it('counts a record held only because its own file is being written (the controller): still its audience', () => {
    // 51 audiences: a limit of 6. One held as being written and 6 removed: the 6 go.
    const own = keys('small', 51);
    const all = loadTexts(files(own, 'small'));
    const state = appliedState(all);
    const writing: ManifestElsewhere[] = [
      { kind: 'writing', sandbox: 'prod', key: 'small7', file: 'small/small7.yaml' },
    ];
    const removed = [...SIX, 'small7'];
    const result = plan(reading(all, 'small', removed), state, options({ elsewhere: writing }));
    expect(kinds(result)).toEqual(SIX.map((key) => `delete prod/${key}`));
    expect(result.held.map((h) => h.key)).toEqual(['small7']);

    // The same record held for another directory's manifest: 50 left, a limit of 5.
    const besideIt = plan(reading(all, 'small', removed), state, options({ elsewhere: beside(['small7']) }));
    expect(kinds(besideIt)).toEqual(SIX.map((key) => `delete prod/${key} (blocked)`));
    expect(besideIt.steps[0]!.blocked).toBe(OVER_5);
  });

  it('counts the records of its own files held for their errors: they are its to remove once fixed', () => {
    // 51 audiences, one file broken: its record held, the limit still 6.
    const own = keys('small', 51);
    const all = loadTexts(files(own, 'small'));
    const state = appliedState(all);
    const broken = manifestYaml('small7').replace('type: file', 'type: nonsense');
    const read = loadTexts({
      ...files(
        own.filter((key) => !SIX.includes(key) && key !== 'small7'),
        'small',
      ),
      'small/small7.yaml': broken,
    });
    const result = plan(read, state, options());
    expect(kinds(result)).toEqual(SIX.map((key) => `delete prod/${key}`));
    expect(result.held.map((h) => h.key)).toEqual(['small7']);
  });

  it('is one limit for the whole plan, its audiences of every sandbox counted: 6 of 10 in prod go beside its 50 in dev', () => {
    const dev = keys('dev', 50);
    const all = loadTexts({ ...files(SMALL, 'small'), ...files(dev, 'small', 'dev') });
    const state = appliedState(all);
    const result = plan(reading(all, 'small', SIX), state, options());
    expect(kinds(result)).toEqual(SIX.map((key) => `delete prod/${key}`));
    // Its own default: 7 of them is one over max(5, 6).
    const seven = plan(reading(all, 'small', SMALL.slice(0, 7)), state, options());
    expect(seven.steps[0]!.blocked).toBe(
      'the plan deletes 7 audiences, over the limit of 6; pass --allow-mass-delete (or raise --max-deletes) if that is intended',
    );
  });
});
