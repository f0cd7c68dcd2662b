import { holdsOnlyFormerRuns, reclaimedRuns } from './current-runs.js';
import { recordId } from './record-id.js';
import type { AudienceRecord, RunRecord } from './schema.js';
import type { StateStore } from './store.js';

/**
 * A runs-only record of another key holding runs of the audience: `taken` of them are the new
 * record's now, `held` it held already (the same run ids: a kill between the two writes, then a
 * forget, leaves one run under two keys); it keeps `rest`, or goes (undefined).
 */
export type RunsTakenFrom = {
  from: AudienceRecord;
  taken: number;
  held: number;
  rest: AudienceRecord | undefined;
};

/**
 * A runs-only record left as it is, with its `runs` counting runs of the audience: it changed
 * since it was read. The plan's budget counts them for the audience there all the same.
 */
export type RunsLeftIn = { from: AudienceRecord; runs: number };

/** The runs a record of `audienceId` holds once it took theirs from the runs-only records of other keys. */
export type RunsElsewhere = {
  target: { sandbox: string; key: string };
  audienceId: string;
  /** The new record's runs: those it was to hold, and those taken. */
  runs: RunRecord[];
  sources: RunsTakenFrom[];
  left: RunsLeftIn[];
};

/**
 * The runs of `audienceId` begun after `since` (they still count against the daily run budget)
 * that runs-only records (holdsOnlyFormerRuns) of other keys of `sandbox` keep, added to `into`
 * (the runs the new record holds otherwise): its audience was forgotten or removed there, and is
 * now recorded under `key` (the rename recipe: `state forget` the old key, `state import` the id
 * under the new one; discover or adoption of it under another key). The plan's budget counts an
 * audience's runs wherever they are kept (state/counted-runs.ts); taken, they are the new
 * record's own (reclaimedRuns), what its key shows and what `state forget` keeps of it.
 *
 * Each run once (by run id, against `into` and across sources). A record keeps every run that
 * may still count, past MAX_RUNS (record-changes.ts keptRuns), so none taken is cut.
 * Each source taken from keeps its other runs that count, or goes (`rest` undefined).
 */
export function runsHeldElsewhere(
  records: readonly AudienceRecord[],
  target: { sandbox: string; key: string },
  audienceId: string,
  since: number,
  into: readonly RunRecord[],
): RunsElsewhere {
  const runs = [...into];
  const known = new Set(into.map((run) => run.runId));
  const sources: RunsTakenFrom[] = [];
  for (const record of records) {
    if (record.sandbox !== target.sandbox || record.key === target.key || !holdsOnlyFormerRuns(record))
      continue;
    const current = record.runs.filter((run) => run.createdAt > since);
    const theirs = current.filter((run) => run.formerAudienceId === audienceId);
    if (theirs.length === 0) continue;
    const fresh = [
      ...new Map(theirs.filter((run) => !known.has(run.runId)).map((r) => [r.runId, r])).values(),
    ];
    runs.push(...(reclaimedRuns({ runs: fresh }, audienceId) ?? []));
    for (const run of fresh) known.add(run.runId);
    const rest = current.filter((run) => run.formerAudienceId !== audienceId);
    sources.push({
      from: record,
      taken: fresh.length,
      held: theirs.length - fresh.length,
      rest: rest.length === 0 ? undefined : { ...record, runs: rest },
    });
  }
  return { target, audienceId, runs, sources, left: [] };
}

/**
 * Drops (or keeps only the rest of) the runs-only records whose runs a record just written took,
 * each only while it is as read (a step of the same apply may write it: a create into it); one
 * changed meanwhile is left as it is (`left`). Called after that write: a kill in
 * between, or a record changed since it was read, leaves the runs in both records, each counted
 * once by the plan's budget (by run id), until the old record's runs are spent and an apply drops
 * it (apply/remnants.ts); the other order could lose them.
 */
export async function dropTaken(store: StateStore, elsewhere: RunsElsewhere): Promise<RunsElsewhere> {
  const sources: RunsTakenFrom[] = [];
  const left = [...elsewhere.left];
  for (const source of elsewhere.sources) {
    if (await store.replaceIfUnchanged(source.from, source.rest)) sources.push(source);
    else left.push({ from: source.from, runs: source.taken + source.held });
  }
  return { ...elsewhere, sources, left };
}

function counting(count: number): string {
  return count === 1 ? '1 counting run' : `${count} counting runs`;
}

/**
 * What an import, a discover or an adoption says of each runs-only record it took runs from, or
 * left; `dryRun`: what it would take (`--dry-run`, nothing written).
 */
export function takenRunsNotes(elsewhere: RunsElsewhere, dryRun = false): string[] {
  const taken = elsewhere.sources.map(({ from, taken, held, rest }) => {
    const same =
      held === 0 ? '' : ` (${held} more it kept ${held === 1 ? 'is' : 'are'} held already: the same run ids)`;
    const after = rest
      ? `, which ${dryRun ? 'would keep' : 'keeps'} its other ${rest.runs.length}`
      : `, which ${dryRun ? 'would be' : 'is'} dropped`;
    return `${dryRun ? 'would take' : 'took'} ${counting(taken)} from the runs-only record of ${recordId(from.sandbox, from.key)}${same}${after}`;
  });
  const left = elsewhere.left.map(
    ({ from, runs }) =>
      `left the runs-only record of ${recordId(from.sandbox, from.key)} as it is (it changed meanwhile): it keeps ${counting(runs)} of audience ${elsewhere.audienceId} too, counted once (by run id) until spent`,
  );
  return [...taken, ...left];
}
