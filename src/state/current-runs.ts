import type { AppliedSpec, AudienceRecord, RunRecord } from './schema.js';
import { ownsNoAudience } from './waiting.js';

/** The run budget's window: a run counts against the guardrails for this long after it began. */
export const RUN_BUDGET_WINDOW_SECONDS = 86_400;

/**
 * The runs of the audience the record names now, newest first: not those of one deleted
 * outside audiencectl that the record was re-created after, or deleted by a replace
 * (`formerAudienceId`). Those count against the daily run budget only: they are not in
 * progress for the new audience, its first run is still owed, and its data does not start
 * where theirs ended.
 */
export function currentRuns(record: Pick<AudienceRecord, 'runs'>): readonly RunRecord[] {
  // The list itself when no run is marked (nearly always): a plan asks for it per record.
  return record.runs.some((run) => run.formerAudienceId !== undefined)
    ? record.runs.filter((run) => run.formerAudienceId === undefined)
    : record.runs;
}

/** The runs as kept once `audienceId` is gone: each marked as that audience's. */
export function formerRuns(record: Pick<AudienceRecord, 'runs'>, audienceId: string): RunRecord[] {
  return record.runs.map((run) =>
    run.formerAudienceId === undefined ? { ...run, formerAudienceId: audienceId } : run,
  );
}

/**
 * What outlives a create taken as never made (its operation failed, or unknown to the service
 * past the grace; its POST refused): the runs the record holds, those of an audience deleted
 * outside audiencectl or by a replace, that the record is re-creating (they count against the
 * sandbox's daily run budget, not the new audience's, for 24 hours), and the mark of the name
 * that audience held. With neither, nothing: the record goes, as a record that was never
 * written. Else the record as a re-create begins it (keptByRefresh, keptByReplace): its key,
 * deletion policy, manifest file (a filtered plan's scope), runs and mark, without the create
 * (its intent, operation, the body sent, what the service answered).
 */
export function withoutCreate(record: AudienceRecord): AudienceRecord | undefined {
  // Without an audience id, `applied` is the mark of the name the record's audience was deleted
  // under (keptByReplace, keptByRefresh, heldUnlisted): kept as the runs are, so that the next
  // create's 409 is still told from a name someone else holds.
  const mark = record.audienceId === undefined ? record.applied : undefined;
  if (record.runs.length === 0 && mark === undefined) return undefined;
  return asReCreate(record, mark, record.runs);
}

/**
 * The record as a re-create begins it: its key, deletion policy and manifest file (a filtered
 * plan's scope), with the mark of a deleted audience's name (`applied`) and `runs` as given.
 */
function asReCreate(
  record: AudienceRecord,
  mark: AppliedSpec | undefined,
  runs: RunRecord[],
): AudienceRecord {
  const { schemaVersion, sandbox, key, deletionPolicy, manifestFile, sourceRoot, repository } = record;
  return {
    schemaVersion,
    sandbox,
    key,
    deletionPolicy,
    ...(manifestFile ? { manifestFile } : {}),
    ...(sourceRoot ? { sourceRoot } : {}),
    ...(repository ? { repository } : {}),
    ...(mark ? { applied: mark } : {}),
    runs,
  };
}

/** `runs` without the former audiences' runs begun at or before `since`: they no longer count. */
export function withoutStaleFormerRuns(runs: readonly RunRecord[], since: number): RunRecord[] {
  return runs.filter((run) => run.formerAudienceId === undefined || run.createdAt > since);
}

/**
 * What a replace's record becomes once its DELETE has removed `audienceId` (or found it deleted
 * outside), until the create writes its audience into it: the record as a re-create begins it
 * (withoutCreate: key, deletion policy, manifest file), with the runs created after `since`
 * (epoch seconds in the runs' clock), which still count against the daily run budget, each
 * marked as that audience's, and the deleted audience's `applied`: the mark of the name it
 * held, which tells the create's 409 from a name held by someone else (create.ts freedName),
 * as heldUnlisted writes it. Kept with no run left too: a kill before the create must not
 * lose that mark.
 */
export function keptByReplace(record: AudienceRecord, audienceId: string, since: number): AudienceRecord {
  return asReCreate(record, record.applied, withoutStaleFormerRuns(formerRuns(record, audienceId), since));
}

/**
 * Whether the record holds nothing but runs of deleted audiences (formerAudienceId): no audience,
 * no create under way (intent, operation), no mark of a deleted name, no block, no import. It is
 * kept only because those runs count against the sandbox's daily run budget: with its manifest,
 * the plan creates the audience into it; without, a runs-only remnant the plan leaves alone
 * (removals.ts), dropped once none of its runs counts (apply/remnants.ts spentRemnants, dropRemnants).
 */
export function holdsOnlyFormerRuns(record: AudienceRecord): boolean {
  return (
    ownsNoAudience(record) &&
    record.applied === undefined &&
    record.imported === undefined &&
    record.blocked === undefined &&
    record.runs.length > 0 &&
    record.runs.every((run) => run.formerAudienceId !== undefined)
  );
}

/**
 * Whether `id` is recorded with an audience or a claim on one: a runs-only record (a removed
 * manifest's, kept for the sandbox's run budget) is none. A manifest moved or renamed onto its
 * key is still the move of the record it came from, never a create there and a removal of it.
 */
export function holdsAudienceRecord(records: ReadonlyMap<string, AudienceRecord>, id: string): boolean {
  const record = records.get(id);
  return record !== undefined && !holdsOnlyFormerRuns(record);
}

/**
 * What a record leaves once its manifest is removed (a removal's forget or delete) or it is
 * forgotten (`state forget`): its runs begun after `since` (they still count against the sandbox's
 * daily run budget; a run's start is never undone), as a runs-only record (holdsOnlyFormerRuns)
 * under its key; nothing when none is left. The runs of `audienceId` (by default the record's
 * own, when it names one: deleted, or no longer managed) are marked as that audience's
 * (formerRuns). The mark of a deleted name, the manifest file and all else go. A manifest naming the key
 * again creates the audience into it, and while the service still holds the deleted name, that
 * create's 409 with nothing listed fails and is POSTed again as any such 409 is
 * (nameHeldUnlisted), never blocked: the mark would only name the deleted audience among the
 * holders the message lists. Kept, it would make the record a waiting one, no runs-only record:
 * a removal on every plan, an audience to a move onto its key (holdsAudienceRecord), never
 * dropped by an apply (remnants.ts).
 */
export function runsOnlyRemnant(
  record: AudienceRecord,
  since: number,
  audienceId = record.audienceId,
): AudienceRecord | undefined {
  const marked = audienceId === undefined ? record.runs : formerRuns(record, audienceId);
  const runs = withoutStaleFormerRuns(
    marked.filter((run) => run.formerAudienceId !== undefined),
    since,
  );
  if (runs.length === 0) return undefined;
  const { schemaVersion, sandbox, key, deletionPolicy } = record;
  return { schemaVersion, sandbox, key, deletionPolicy, runs };
}

/**
 * What a deleted audience's record becomes, once its DELETE has removed `audienceId` (or found it
 * gone), whether the DELETE was answered (apply/steps/delete.ts) or settled after a kill
 * (apply/resume.ts): one function, so the two cannot drift apart. For a replace's, the record
 * the create that follows writes its audience into (keptByReplace); for a removed manifest's,
 * the runs begun after `since` as a runs-only record (runsOnlyRemnant): the service counts them
 * for a day whether the audience is there or not. Undefined: the record goes.
 */
export function keptAfterDelete(
  record: AudienceRecord,
  audienceId: string,
  since: number,
  forReplace: boolean,
): AudienceRecord | undefined {
  return forReplace ? keptByReplace(record, audienceId, since) : runsOnlyRemnant(record, since, audienceId);
}

/**
 * The record's runs with those of `audienceId` (marked as a former audience's when it was
 * forgotten or deleted, runsOnlyRemnant) its own again; undefined when it holds none of them.
 */
export function reclaimedRuns(
  record: Pick<AudienceRecord, 'runs'>,
  audienceId: string,
): AudienceRecord['runs'] | undefined {
  if (!record.runs.some((run) => run.formerAudienceId === audienceId)) return undefined;
  return record.runs.map((run) => {
    if (run.formerAudienceId !== audienceId) return run;
    const own = { ...run };
    delete own.formerAudienceId;
    return own;
  });
}

/**
 * The runs a record adopting or discovering `audienceId` takes over from a runs-only record under
 * its key (holdsOnlyFormerRuns; none without one): those of `audienceId` (its audience forgotten
 * from this key, adopted back) its own again (reclaimedRuns, as `state import` takes them back),
 * the others kept as former runs while they count against the daily run budget (begun after
 * `since`): adopting never drops a run that counts.
 */
export function runsTakenOver(
  record: AudienceRecord | undefined,
  audienceId: string,
  since: number,
): AudienceRecord['runs'] {
  if (record === undefined) return [];
  return withoutStaleFormerRuns(reclaimedRuns(record, audienceId) ?? record.runs, since);
}

/** Until when (epoch seconds, in the runs' clock) the newest of `runs` counts against the daily run budget. */
export function countedUntil(runs: readonly RunRecord[]): number {
  return Math.max(...runs.map((run) => run.createdAt)) + RUN_BUDGET_WINDOW_SECONDS;
}

/**
 * What a record becomes once a refresh found its audience (`audienceId`) deleted outside
 * audiencectl, for the create that makes it again: the record as a re-create begins it, with
 * every run marked as that audience's (they counted against the sandbox's daily run budget,
 * and count only there), and its `applied`, the mark of the name the deleted audience held, as
 * keptByReplace keeps it: the service may still hold that name, and a 409 with nothing listed
 * under it is then told from a name someone else holds (create.ts freedName).
 */
export function keptByRefresh(record: AudienceRecord, audienceId: string): AudienceRecord {
  return asReCreate(record, record.applied, formerRuns(record, audienceId));
}
