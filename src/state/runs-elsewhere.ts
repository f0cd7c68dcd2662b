import { holdsOnlyFormerRuns, reclaimedRuns } from './current-runs.js';
import { recordId } from './record-id.js';
import type { AudienceRecord, RunRecord } from './schema.js';
import type { StateStore } from './store.js';

/** A runs-only record of another key whose runs of the audience were taken, and what it keeps. */
export type RunsTakenFrom = { from: AudienceRecord; taken: number; rest: AudienceRecord | undefined };

/** The runs a record of `audienceId` takes from the runs-only records of other keys. */
export type RunsElsewhere = { runs: RunRecord[]; sources: RunsTakenFrom[] };

/**
 * The runs of `audienceId` begun after `since` (they still count against the daily run budget)
 * that runs-only records (holdsOnlyFormerRuns) of other keys of `sandbox` keep: its audience was
 * forgotten or removed there, and is now recorded under `key` (the rename recipe: `state forget`
 * the old key, `state import` the id under the new one; discover or adoption of it under another
 * key). The service counts an audience's runs per audience id, the plan per record
 * (plan/runs.ts applyRunBudget, currentRuns): left under the old key, they would not count for
 * the audience, and its budget would start a run too many. Taken, they are the new record's own
 * (reclaimedRuns); each source keeps its other runs that count, or goes (`rest` undefined).
 */
export function runsHeldElsewhere(
  records: readonly AudienceRecord[],
  target: { sandbox: string; key: string },
  audienceId: string,
  since: number,
): RunsElsewhere {
  const runs: RunRecord[] = [];
  const sources: RunsTakenFrom[] = [];
  for (const record of records) {
    if (record.sandbox !== target.sandbox || record.key === target.key || !holdsOnlyFormerRuns(record))
      continue;
    const counting = record.runs.filter((run) => run.createdAt > since);
    const theirs = counting.filter((run) => run.formerAudienceId === audienceId);
    if (theirs.length === 0) continue;
    runs.push(...(reclaimedRuns({ runs: theirs }, audienceId) ?? []));
    const left = counting.filter((run) => run.formerAudienceId !== audienceId);
    sources.push({
      from: record,
      taken: theirs.length,
      rest: left.length === 0 ? undefined : { ...record, runs: left },
    });
  }
  return { runs, sources };
}

/** `runs` with those of `elsewhere` not already among them (by run id). */
export function withRunsFrom(runs: readonly RunRecord[], elsewhere: RunsElsewhere): RunRecord[] {
  const known = new Set(runs.map((run) => run.runId));
  return [...runs, ...elsewhere.runs.filter((run) => !known.has(run.runId))];
}

/**
 * Drops (or keeps only the rest of) the runs-only records whose runs a record just written took,
 * each only while it is as read (a step of the same apply may write it: a create into it);
 * returns what it took from, for takenRunsNotes. Called after that write: a kill in between, or
 * a record changed since it was read, leaves the runs in both records, counted twice for the
 * sandbox (a run fewer, never one too many) until the old record's runs are spent and an apply
 * drops it (apply/remnants.ts); the other order could lose them.
 */
export async function dropTaken(store: StateStore, elsewhere: RunsElsewhere): Promise<RunsElsewhere> {
  const sources: RunsTakenFrom[] = [];
  for (const source of elsewhere.sources) {
    if (await store.replaceIfUnchanged(source.from, source.rest)) sources.push(source);
  }
  return { runs: elsewhere.runs, sources };
}

/** What an import, a discover or an adoption says of each runs-only record it took runs from. */
export function takenRunsNotes(elsewhere: RunsElsewhere): string[] {
  return elsewhere.sources.map(({ from, taken, rest }) => {
    const runs = taken === 1 ? '1 counting run' : `${taken} counting runs`;
    const left = rest ? `, which keeps its other ${rest.runs.length}` : ', which is dropped';
    return `took ${runs} from the runs-only record of ${recordId(from.sandbox, from.key)}${left}`;
  });
}
