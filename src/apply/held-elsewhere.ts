import type { LoadResult } from '../manifest/load.js';
import { recordedBelow } from '../plan/applied-from.js';
import { rerooted } from '../manifest/source-root.js';
import type { ManifestElsewhere } from '../plan/elsewhere.js';
import type { RecordPlace } from '../manifest/read-elsewhere.js';
import type { Plan } from '../plan/schema.js';
import { recordId } from '../state/record-id.js';
import type { AudienceRecord, RecordedState } from '../state/schema.js';

/**
 * Finds, for records a plan would remove, the manifests that plan did not read and that still
 * name them (src/manifest/read-elsewhere.ts, bound to where the plan read its manifests).
 * `recorded` is every record: those the plan matched tell which directory above the records
 * were applied from. `repointed`: the records the plan would re-point from `<prefix>/<f>` to
 * `<f>`, which may tell it too (found as `applied-from` when no manifest above tells it).
 */
export type LookElsewhere = (
  records: readonly AudienceRecord[],
  recorded: readonly RecordPlace[],
  repointed: readonly AudienceRecord[],
  /**
   * The repository the plan is of (PlanOptions.repository; undefined: its work tree names none),
   * which the search holds a record of another for (read-elsewhere.ts ElsewhereSource.planned),
   * and the records whose manifest it read that it would take over from another directory
   * (takenOverBy), which the search tells copies among (`copied`).
   */
  planned: {
    repository: string | undefined;
    origin?: string | undefined;
    takenOver: readonly AudienceRecord[];
  },
) => Promise<readonly ManifestElsewhere[]>;

/**
 * What a plan is, for the search (PlanOptions): its repository (undefined: its work tree names
 * none), the clone's own when the plan is made as another remote's (`origin`, cloneRepository),
 * and the directory given as records keep it (sourceRoot; undefined: not known).
 */
export type PlannedAt = {
  repository: string | undefined;
  origin?: string | undefined;
  sourceRoot: string | undefined;
};

/**
 * The records of the audiences `entries` name whose directory is another than the plan's
 * (`sourceRoot`): a plan that read their manifests would record its own (a record-only update),
 * which the search checks is no copy of a file still there (read-elsewhere.ts copiesBeside).
 */
function takenOverBy(
  entries: readonly { sandbox: string; key: string }[],
  recorded: RecordedState,
  sourceRoot: string | undefined,
): AudienceRecord[] {
  if (sourceRoot === undefined) return [];
  return recordsNamed(entries, recorded).filter(
    (record) => record.sourceRoot !== undefined && rerooted(record.sourceRoot, sourceRoot),
  );
}

/** The records whose audience `entries` (a plan's removals, its held audiences) name. */
function recordsNamed(
  entries: readonly { sandbox: string; key: string }[],
  recorded: RecordedState,
): AudienceRecord[] {
  if (entries.length === 0) return [];
  const named = new Set(entries.map((entry) => recordId(entry.sandbox, entry.key)));
  return recorded.audiences.filter((record) => named.has(recordId(record.sandbox, record.key)));
}

/**
 * The records a plan removes: its deletions and forgets, and the records its creates take along
 * (`movedFrom`: moved to another key, or dropped, plan/waiting-move.ts), which a manifest found
 * elsewhere holds as it holds a removal.
 */
function removals(plan: Plan): { sandbox: string; key: string }[] {
  return plan.steps.flatMap((step) => {
    if (step.kind === 'delete' || step.kind === 'forget') return [step];
    return step.movedFrom ? [step.movedFrom] : [];
  });
}

/** The records whose file a step of `plan` names below the one recorded (recordedBelow). */
function repointedBy(plan: Plan, recorded: RecordedState): AudienceRecord[] {
  const read = [];
  for (const step of plan.steps) {
    // `source` is `file:line`: the file an applied step records (record-helpers.ts).
    const file = step.source?.replace(/:\d+$/, '');
    if (file) read.push({ sandbox: step.sandbox, key: step.key, file });
  }
  return recordedBelow(read, recorded.audiences);
}

/**
 * Plans with `make`; when that plan removes audiences, looks where it did not read for
 * manifests that still name them, and plans again with what was found (those removals are
 * held). The planner stays pure: the file system is read here, at the edge, and only for
 * removals and re-pointed records, so a plan with neither (a plan without changes) costs
 * nothing more (planning twice costs only the plans that look and find).
 *
 * What is found above also says the directory given is below the one the records were applied
 * from (`under`): the plan made with it keeps the records' files relative to that directory
 * (src/plan/applied-from.ts), so applying it re-points no record to the subdirectory and the
 * next plan finds that directory again. So does a plan that would re-point a record from
 * `<prefix>/<f>` to the `<f>` it read, with or without removals: it looks whether `<f>` under
 * the directory given is `<prefix>/<f>` under one above it and names the record; if so, it
 * plans again with that directory (`applied-from`), and re-points nothing. Else a plan that
 * removes nothing (--include/--exclude leaving the other records out of scope) would re-point
 * the records it matched while those out of scope kept files relative to the directory above:
 * a later plan of the subdirectory that removes those, their files moved, would learn that
 * directory from no record and delete audiences whose manifests are still there
 * (test/cli/held-elsewhere-filters-cli.spec.ts). Where no directory above holds the file (the
 * records were applied from this one, or a file was moved up in the one applied from), the
 * re-pointing stands.
 */
export async function planHoldingElsewhere(
  make: (elsewhere: readonly ManifestElsewhere[] | undefined) => Plan | Promise<Plan>,
  recorded: RecordedState,
  look: LookElsewhere | undefined,
  planned: PlannedAt,
): Promise<Plan> {
  const first = await make(undefined);
  if (!look || first.steps.length === 0) return first;
  const records = recordsNamed(removals(first), recorded);
  const repointed = repointedBy(first, recorded);
  const read = first.steps.filter((step) => step.kind !== 'delete' && step.kind !== 'forget');
  const takenOver = takenOverBy(read, recorded, planned.sourceRoot);
  if (records.length === 0 && repointed.length === 0 && takenOver.length === 0) return first;
  const { repository, origin } = planned;
  const found = await look(records, recorded.audiences, repointed, { repository, origin, takenOver });
  return found.length === 0 ? first : make(found);
}

/**
 * What a saved plan is checked with: the manifests elsewhere that name its removals and its
 * held audiences. Planning again from its origin, only those can differ by what is found
 * (a removal of the fresh plan that the saved plan neither removes nor holds differs anyway);
 * and the directory the records were applied from, when the manifests `desired` (read again
 * from its origin) would re-point records below their files, as planHoldingElsewhere looks.
 */
export async function savedPlanElsewhere(
  saved: Plan,
  recorded: RecordedState,
  look: LookElsewhere | undefined,
  desired: LoadResult,
  planned: PlannedAt,
): Promise<readonly ManifestElsewhere[] | undefined> {
  if (!look) return undefined;
  const records = recordsNamed([...removals(saved), ...saved.held], recorded);
  const repointed = recordedBelow(desired.manifests, recorded.audiences);
  const takenOver = takenOverBy(desired.manifests, recorded, planned.sourceRoot);
  if (records.length === 0 && repointed.length === 0 && takenOver.length === 0) return undefined;
  const { repository, origin } = planned;
  return look(records, recorded.audiences, repointed, { repository, origin, takenOver });
}
