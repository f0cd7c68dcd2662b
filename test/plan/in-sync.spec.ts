import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../../src/manifest/load.js';
import { rememberSpec } from '../../src/manifest/spec-hash-memo.js';
import { normaliseSpec, specHash } from '../../src/plan/normalise.js';
import { plan } from '../../src/plan/plan.js';
import type { RecordedState } from '../../src/state/schema.js';
import { load, sourceArb } from '../helpers/arbitraries.js';
import { appliedState, NOW, options } from '../helpers/planning.js';
import { runs } from '../helpers/property-runs.js';

/**
 * What a record can have become since it was applied: another deletion policy, another
 * file, a create that stopped without an id or was blocked.
 */
type Drift = {
  flipPolicy: boolean;
  file: 'as recorded' | 'none' | 'another.yaml';
  create: 'done' | 'no id' | 'blocked';
  /** The directory the record says its file is relative to (sourceRoot), beside the planned `m`. */
  root: 'm' | 'none' | 'teams/old' | '/srv/m';
};
const driftArb: fc.Arbitrary<Drift> = fc.record({
  flipPolicy: fc.boolean(),
  file: fc.constantFrom('as recorded' as const, 'none' as const, 'another.yaml' as const),
  create: fc.constantFrom('done' as const, 'done' as const, 'no id' as const, 'blocked' as const),
  root: fc.constantFrom('m' as const, 'm' as const, 'none' as const, 'teams/old' as const, '/srv/m' as const),
});

function perturbed(state: RecordedState, drifts: Drift[]): RecordedState {
  return {
    ...state,
    audiences: state.audiences.map((record, i) => {
      const drift = drifts[i % drifts.length]!;
      const copy = { ...record };
      if (drift.flipPolicy) copy.deletionPolicy = record.deletionPolicy === 'Delete' ? 'Orphan' : 'Delete';
      if (drift.file === 'none') delete copy.manifestFile;
      if (drift.file === 'another.yaml') copy.manifestFile = 'another.yaml';
      if (drift.create === 'no id') delete copy.audienceId;
      if (drift.root === 'none') delete copy.sourceRoot;
      else copy.sourceRoot = drift.root;
      if (drift.create === 'blocked')
        copy.blocked = { code: 'X', message: 'create refused', at: '2026-01-01T00:00:00Z' };
      return copy;
    }),
  };
}

/** The same manifests with the loader's spec hashes remembered, as the manifest cache serves them. */
function withHashes(desired: LoadResult): LoadResult {
  const copy = structuredClone(desired);
  for (const { manifest } of copy.manifests)
    rememberSpec(manifest, { hash: specHash(normaliseSpec(manifest.spec)), name: manifest.spec.name });
  return copy;
}

/** Most manifests as applied (the same spec hash), some with another run request, some replaced. */
const editArb = fc.record({
  keep: fc.boolean(),
  request: fc.option(fc.constantFrom('r1', 'r2', 'r3'), { nil: undefined }),
});

describe('the planner, for an audience as recorded', () => {
  it('plans the same with the loader spec hashes (the short way) as without them (step by step)', () => {
    fc.assert(
      fc.property(
        sourceArb,
        sourceArb,
        fc.array(editArb, { minLength: 6, maxLength: 6 }),
        fc.array(driftArb, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 90 * 86_400 }),
        fc.array(fc.boolean(), { maxLength: 3 }),
        fc.constantFrom(undefined, 'm', '/srv/m', '/srv/other'),
        (before, others, edits, drifts, later, gone, planned) => {
          const recorded = perturbed(appliedState(load(before)), drifts);
          const after = before.map((manifest, i) => {
            const edit = edits[i]!;
            if (!edit.keep) return others[i] ?? manifest;
            const ingestion = { ...manifest.ingestion };
            delete ingestion.request;
            return {
              ...manifest,
              ingestion: { ...ingestion, ...(edit.request ? { request: edit.request } : {}) },
            };
          });
          const desired = load(after);
          // With --refresh, the service shows some audiences deleted outside audiencectl.
          const refresh = gone.length > 0 && {
            at: '2026-01-01T00:00:00Z',
            audiences: Object.fromEntries(
              recorded.audiences
                .filter((record, i) => record.audienceId && gone[i % gone.length])
                .map((record) => [
                  `${record.sandbox}/${record.key}`,
                  { status: 'missing' as const, audienceId: record.audienceId! },
                ]),
            ),
          };
          const at = options({
            now: NOW + later,
            allowReplace: true,
            allowMassDelete: true,
            ...(refresh ? { refresh } : {}),
            // The directory planned, as records keep it; unknown to a --base plan.
            ...(planned === undefined ? {} : { sourceRoot: planned }),
          });
          expect(plan(withHashes(desired), recorded, at)).toEqual(
            plan(structuredClone(desired), recorded, at),
          );
        },
      ),
      { numRuns: runs(300) },
    );
  });
});
