import { planHoldingElsewhere, type LookElsewhere, type PlannedAt } from '../apply/held-elsewhere.js';
import type { LoadResult } from '../manifest/load.js';
import type { ManifestElsewhere } from '../plan/elsewhere.js';
import { plan, type PlanOptions } from '../plan/plan.js';
import type { QuietSplit } from '../plan/quiet-pairs.js';
import { planQuiet } from '../plan/quiet.js';
import type { Plan } from '../plan/schema.js';
import type { RecordedState } from '../state/schema.js';

/** The load and state a plan is made of. */
export type Planned = { desired: LoadResult; recorded: RecordedState };

/**
 * The plan of a read split in two kinds (src/plan/quiet-pairs.ts): `rest` (its audiences made
 * objects) and the quiet pairs, planned by planQuiet when it can tell the plan, else of every
 * audience made objects (`split.whole()`, then `made`: what the caller plans with from then on).
 * As `plan` makes it otherwise: looked for elsewhere when it removes (planHoldingElsewhere), the
 * search given the quiet records' places, and planned again with what it found.
 * `found`: what the search found for the plan made last.
 */
export async function planSplit(
  split: QuietSplit,
  rest: Planned,
  options: PlanOptions,
  look: LookElsewhere | undefined,
  planned: PlannedAt,
): Promise<{ plan: Plan; found: readonly ManifestElsewhere[] | undefined; made?: Planned }> {
  let made: Planned | undefined;
  const whole = (): Planned => (made ??= split.whole());
  const quick = planQuiet(rest.desired, rest.recorded, split.quiet, options);
  if (quick === undefined) whole();
  // A search elsewhere reads where every record was applied from: the quiet records' heads say
  // it (RecordPlace), after the rest's. Their order is not the state's: what the search tells
  // of them (a directory some record names a file of, whether any names a copy) is of any one.
  const lookAll: LookElsewhere | undefined =
    look &&
    ((records, _all, repointed, at) => {
      const places = made ? made.recorded.audiences : [...rest.recorded.audiences, ...split.records];
      return look(records, places, repointed, at);
    });
  let found: readonly ManifestElsewhere[] | undefined;
  const result = await planHoldingElsewhere(
    (elsewhere) => {
      found = elsewhere;
      if (elsewhere === undefined && quick !== undefined) return quick;
      // Planned again with what the search found: of two kinds still, when planQuiet can tell it.
      const again =
        made === undefined
          ? planQuiet(rest.desired, rest.recorded, split.quiet, { ...options, elsewhere })
          : undefined;
      if (again !== undefined) return again;
      const { desired, recorded } = whole();
      return plan(desired, recorded, { ...options, elsewhere });
    },
    made?.recorded ?? rest.recorded,
    lookAll,
    planned,
  );
  return { plan: result, found, ...(made ? { made } : {}) };
}
