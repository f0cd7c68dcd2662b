import fc from 'fast-check';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { plan } from '../../src/plan/plan.js';
import type { PlanScope } from '../../src/plan/removals.js';
import type { RecordedState } from '../../src/state/schema.js';
import { manifestYaml } from '../helpers/manifests.js';
import { EMPTY, NOW, options } from '../helpers/planning.js';
import { simulateApply } from '../helpers/simulate-apply.js';
import { runs } from '../helpers/property-runs.js';

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f'] as const;
const SANDBOXES = ['prod', 'dev', 'stage'] as const;
/** Each key lives in its own file, in one of two folders. */
const fileOf = (key: string): string => `${key < 'd' ? 'team-1' : 'team-2'}/${key}.yaml`;

type Entry = { key: string; sandbox: string | undefined };
/** A source: some keys, each naming a sandbox or leaving it to the default. */
const sourceArb = fc
  .subarray([...KEYS])
  .chain((keys) =>
    fc.tuple(
      ...keys.map((key) =>
        fc.record({
          key: fc.constant(key),
          sandbox: fc.option(fc.constantFrom(...SANDBOXES), { nil: undefined }),
        }),
      ),
    ),
  )
  .map((entries): Entry[] => entries);

const globArb = fc.constantFrom('team-1/**', 'team-2/**', '**/a.yaml', '**/d.yaml', '**/*.yaml', 'other/**');
const filtersArb = fc.record({
  include: fc.uniqueArray(globArb, { maxLength: 2 }),
  exclude: fc.uniqueArray(globArb, { maxLength: 2 }),
});

/** A manifest mid-edit: ours (it names our apiVersion), but not YAML. */
const BROKEN = 'apiVersion: audiencectl/v1\nspec: [unclosed\n';

function filesOf(entries: readonly Entry[]): Array<{ path: string; text: string }> {
  return entries.map(({ key, sandbox }) => ({
    path: fileOf(key),
    text: manifestYaml(key, sandbox ? { metadata: { sandbox } } : {}),
  }));
}

/** What `--include`/`--exclude` select, read by picomatch as the directory reader does. */
function selector(filters: { include: string[]; exclude: string[] }): (file: string) => boolean {
  const include = picomatch(filters.include.length > 0 ? filters.include : ['**/*.yaml', '**/*.yml']);
  const exclude = filters.exclude.length > 0 ? picomatch(filters.exclude) : () => false;
  return (file) => include(file) && !exclude(file);
}

const permissive = options({
  allowMassDelete: true,
  allowEmptySource: true,
  runBudget: { perSandboxPerDay: 1000, perAudiencePerDay: 1000 },
});

/** State after applying `before` with `defaultSandbox`; some records predate the manifest file. */
function stateOf(before: Entry[], defaultSandbox: string, fileless: boolean[]): RecordedState {
  const desired = loadManifests(filesOf(before), { defaultSandbox });
  const state = simulateApply(plan(desired, EMPTY, permissive), EMPTY, NOW);
  state.audiences.forEach((record, i) => {
    if (fileless[i % fileless.length]) delete record.manifestFile;
  });
  return state;
}

describe('deletion scope (property)', () => {
  it('no record is deleted or forgotten unless its manifest was removed from a covered, completely read source', () => {
    fc.assert(
      fc.property(
        sourceArb,
        sourceArb,
        fc.constantFrom(...SANDBOXES),
        fc.constantFrom(...SANDBOXES),
        fc.option(filtersArb, { nil: undefined }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
        fc.option(fc.constantFrom(...KEYS), { nil: undefined }),
        (before, after, sandboxBefore, sandboxAfter, filters, fileless, brokenKey) => {
          const state = stateOf(before, sandboxBefore, fileless);
          const covered = filters ? selector(filters) : selector({ include: [], exclude: [] });
          const files = filesOf(after).map((file) =>
            brokenKey && file.path === fileOf(brokenKey) ? { ...file, text: BROKEN } : file,
          );
          const read = files.filter((file) => covered(file.path));
          const scope: PlanScope | undefined = filters && { ...filters, covers: covered };
          const result = plan(loadManifests(read, { defaultSandbox: sandboxAfter }), state, {
            ...permissive,
            scope,
          });

          const afterKeys = new Set(after.map((e) => e.key));
          const brokenRead = read.some((file) => file.text === BROKEN);
          for (const step of result.steps.filter((s) => s.kind === 'delete' || s.kind === 'forget')) {
            const record = state.audiences.find((r) => r.sandbox === step.sandbox && r.key === step.key)!;
            // Its manifest is gone from the source, not just moved to another sandbox or filtered out.
            expect(afterKeys.has(step.key)).toBe(false);
            // The source was read completely.
            expect(brokenRead).toBe(false);
            // The plan covers it: no filters, or filters that read the file the record came from.
            if (filters) {
              expect(record.manifestFile).toBeDefined();
              expect(covered(record.manifestFile!)).toBe(true);
            }
          }
          // A key already recorded is never created again elsewhere: that is a (blocked) move.
          for (const step of result.steps.filter((s) => s.kind === 'create')) {
            expect(state.audiences.filter((r) => r.key === step.key)).toEqual([]);
          }
          for (const step of result.steps.filter((s) => s.kind === 'move')) expect(step.blocked).toBeTruthy();
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('without filters or sandbox changes, a removed manifest is deleted (the property is not vacuous)', () => {
    fc.assert(
      fc.property(sourceArb, fc.constantFrom(...SANDBOXES), (before, sandbox) => {
        const state = stateOf(before, sandbox, [false]);
        const kept = before.slice(1);
        const result = plan(loadManifests(filesOf(kept), { defaultSandbox: sandbox }), state, permissive);
        const removed = before.slice(0, 1).map((e) => `delete ${e.sandbox ?? sandbox}/${e.key}`);
        expect(
          result.steps.filter((s) => s.kind === 'delete').map((s) => `delete ${s.sandbox}/${s.key}`),
        ).toEqual(removed);
      }),
      { numRuns: runs(100) },
    );
  });
});
