import type { AepClient } from '../aep/types.js';
import type { LeftRun } from '../plan/runs-in-progress.js';
import type { RunRead, RunsRead } from '../plan/schema.js';
import { recordId } from '../state/record-id.js';
import { runWithAnswer, withRun } from '../state/run-answer.js';
import type { AudienceRecord, RecordedState } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { aepFailure } from './aep-failure.js';

// A run step follows its run for --run-wait and then leaves it, recorded as last read (real AEP
// runs take minutes). Nothing else read it again, so the audience's `every` runs stopped (none
// is planned while the newest run looks in progress) and a failure never showed (review 35b,
// H-1, M-2). Before each plan, such runs are read again here, and the plan decides on that.

/**
 * Reads each left run's status (one GET each). A read that fails is no answer: the run stays
 * unread, so it may still be running, and the plan starts none over it and says why.
 */
export async function readLeftRuns(
  left: readonly LeftRun[],
  client: Pick<AepClient, 'getRun'>,
  signal: AbortSignal | undefined,
): Promise<RunsRead> {
  const reads = await Promise.all(
    left.map(async ({ id, record, audienceId, run }): Promise<[string, RunRead]> => {
      try {
        const answer = await client.getRun(record.sandbox, audienceId, run.runId, signal ? { signal } : {});
        return [id, { kind: 'read', run: runWithAnswer(run, answer) }];
      } catch (error) {
        return [id, { kind: 'unread', runId: run.runId, why: aepFailure(error).message }];
      }
    }),
  );
  return Object.fromEntries(reads);
}

/**
 * Records what the reads learnt (a status that moved, a failure's reason, the data's end) under
 * the lock, before the apply plans: the outcome is kept, whatever the plan. The state as written.
 * Each outcome goes into the record as the store holds it now: `recorded` may be a controller's
 * copy kept since its last pass (cachedReads), and a record edited outside the store since was
 * overwritten with the copy's, then planned from (d775ea55's left undone). A record gone since
 * is not written back: the pass's review finds it moved (cachedReads' confirm) and plans again.
 */
export async function recordRunsRead(
  store: Pick<StateStore, 'put' | 'meta' | 'get'>,
  recorded: RecordedState,
  view: RunsRead | undefined,
): Promise<RecordedState> {
  if (view === undefined || Object.keys(view).length === 0) return recorded;
  const audiences: AudienceRecord[] = [];
  let wrote = false;
  for (const record of recorded.audiences) {
    const read = view[recordId(record.sandbox, record.key)];
    const was = read?.kind === 'read' ? record.runs.find((r) => r.runId === read.run.runId) : undefined;
    if (read?.kind !== 'read' || JSON.stringify(was) === JSON.stringify(read.run)) {
      audiences.push(record);
      continue;
    }
    const now = await store.get(record.sandbox, record.key);
    if (now === undefined) {
      audiences.push(record);
      continue;
    }
    audiences.push(await store.put({ ...now, runs: withRun(now.runs, read.run) }));
    wrote = true;
  }
  // The plan names the state it was made against: the one these writes made.
  return wrote ? { meta: await store.meta(), audiences } : recorded;
}
