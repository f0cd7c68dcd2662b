import type { ManifestElsewhere } from '../plan/elsewhere.js';
import type { Plan } from '../plan/schema.js';
import { recordId } from '../state/record-id.js';
import type { AudienceRecord, RecordedState } from '../state/schema.js';

/**
 * Finds, for records a plan would remove, the manifests that plan did not read and that still
 * name them (src/manifest/read-elsewhere.ts, bound to where the plan read its manifests).
 * `recorded` is every record: those the plan matched tell which directory above the records
 * were applied from.
 */
export type LookElsewhere = (
  records: readonly AudienceRecord[],
  recorded: readonly AudienceRecord[],
) => Promise<readonly ManifestElsewhere[]>;

/** The records whose audience `entries` (a plan's removals, its held audiences) name. */
function recordsNamed(
  entries: readonly { sandbox: string; key: string }[],
  recorded: RecordedState,
): AudienceRecord[] {
  if (entries.length === 0) return [];
  const named = new Set(entries.map((entry) => recordId(entry.sandbox, entry.key)));
  return recorded.audiences.filter((record) => named.has(recordId(record.sandbox, record.key)));
}

function removals(plan: Plan): Plan['steps'] {
  return plan.steps.filter((step) => step.kind === 'delete' || step.kind === 'forget');
}

/**
 * Plans with `make`; when that plan removes audiences, looks where it did not read for
 * manifests that still name them, and plans again with what was found (those removals are
 * held). The planner stays pure: the file system is read here, at the edge, and only for
 * removals, so a plan that removes nothing costs nothing more (planning twice costs only
 * the plans that remove).
 *
 * What is found above also says the directory given is below the one the records were applied
 * from (`under`): the plan made with it keeps the records' files relative to that directory
 * (src/plan/applied-from.ts), so applying it re-points no record to the subdirectory and the
 * next plan finds that directory again. A plan that removes nothing looks at nothing and
 * re-points the records it matched to the files as read: without --include/--exclude every
 * record matched a manifest under the directory given, so all of them now name files relative
 * to it, as if applied from it, and a later plan of the directory above only re-points them
 * back (no-call updates, matched by key, never a delete). With filters, records out of scope
 * are left with their files relative to the directory above: a later plan of the subdirectory
 * that removes one still finds its own recorded file above, but no longer learns that
 * directory from a matched record (one whose file moved there too is then removed: not covered).
 */
export async function planHoldingElsewhere(
  make: (elsewhere: readonly ManifestElsewhere[] | undefined) => Plan | Promise<Plan>,
  recorded: RecordedState,
  look: LookElsewhere | undefined,
): Promise<Plan> {
  const first = await make(undefined);
  if (!look) return first;
  const records = recordsNamed(removals(first), recorded);
  if (records.length === 0) return first;
  const found = await look(records, recorded.audiences);
  return found.length === 0 ? first : make(found);
}

/**
 * What a saved plan is checked with: the manifests elsewhere that name its removals and its
 * held audiences. Planning again from its origin, only those can differ by what is found
 * (a removal of the fresh plan that the saved plan neither removes nor holds differs anyway).
 */
export async function savedPlanElsewhere(
  saved: Plan,
  recorded: RecordedState,
  look: LookElsewhere | undefined,
): Promise<readonly ManifestElsewhere[] | undefined> {
  if (!look) return undefined;
  const records = recordsNamed([...removals(saved), ...saved.held], recorded);
  return records.length === 0 ? undefined : look(records, recorded.audiences);
}
