import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../../src/manifest/load.js';
import { rememberSpec } from '../../src/manifest/spec-hash-memo.js';
import { normaliseSpec, specHash } from '../../src/plan/normalise.js';
import { plan } from '../../src/plan/plan.js';
import type { RecordedState } from '../../src/state/schema.js';
import { withLazyProperty } from '../../src/text/lazy-property.js';
import { loadTexts, manifestYaml } from '../helpers/manifests.js';
import { appliedState, options } from '../helpers/planning.js';

/** The manifests with their spec hashes remembered, as the manifest cache and the parser threads serve them. */
function withHashes(desired: LoadResult): LoadResult {
  for (const { manifest } of desired.manifests)
    rememberSpec(manifest, { hash: specHash(normaliseSpec(manifest.spec)), name: manifest.spec.name });
  return desired;
}

/** `state` as the state snapshot serves it: each applied spec read when first read, counted in `reads`. */
function lazySpecs(state: RecordedState, reads: string[]): RecordedState {
  return {
    ...state,
    audiences: state.audiences.map((record) => {
      const applied = record.applied;
      if (!applied) return record;
      const spec = applied.spec;
      const lazy = withLazyProperty(applied, 'spec', () => {
        reads.push(record.key);
        return structuredClone(spec);
      });
      return { ...record, applied: lazy };
    }),
  };
}

const FILES = {
  'gold.yaml': manifestYaml('gold'),
  'silver.yaml': manifestYaml('silver'),
  'bronze.yaml': manifestYaml('bronze'),
};

describe('the recorded names guard (name-holders.ts) reads no applied spec for a plan that takes no name', () => {
  it('a no-change plan reads none of the records applied specs; a create reads them, and plans as with plain records', () => {
    const recorded = appliedState(loadTexts(FILES));
    const reads: string[] = [];
    const lazy = lazySpecs(recorded, reads);
    const unchanged = plan(withHashes(loadTexts(FILES)), lazy, options());
    expect(unchanged.steps).toEqual([]);
    // The snapshot's records keep their applied spec as JSON text: parsing 10,000 of them for a
    // guard with nothing to guard was a tenth of a no-change plan's planning.
    expect(reads).toEqual([]);

    // A new manifest: the guard reads the records' names (a create may take one), and plans as
    // with plain records.
    const taking = { ...FILES, 'platinum.yaml': manifestYaml('platinum') };
    const planned = plan(withHashes(loadTexts(taking)), lazy, options());
    expect(planned.steps.map((step) => `${step.kind} ${step.key}`)).toContain('create platinum');
    expect(reads.length).toBeGreaterThan(0);
    expect(planned).toEqual(plan(withHashes(loadTexts(taking)), recorded, options()));
  });
});
