import type { AepClient } from '../aep/types.js';
import { holdsOnlyFormerRuns } from '../state/current-runs.js';
import type { AudienceRecord } from '../state/schema.js';
import type { StateStore } from '../state/store.js';
import { budgetHorizon } from './record-helpers.js';
import { measuredOffset } from './service-time.js';
import type { Clock } from './types.js';

type Client = Pick<AepClient, 'serviceClock' | 'listAudiences'>;

/**
 * Drops the records kept only for the runs of deleted audiences (holdsOnlyFormerRuns: a removed
 * manifest's, or a create's that made nothing) once none of those runs counts against the daily
 * run budget: the plan never removes them (removals.ts), as they name no audience. Spent in AEP's
 * clock: where the local clock says so and no answer showed AEP's lately, one audience of the
 * sandbox is read first for its Date header (as planWithServiceClock does); a read that fails
 * drops nothing, and the next apply looks again. Returns a note per record dropped.
 */
export async function dropSpentRemnants(
  records: readonly AudienceRecord[],
  store: StateStore,
  client: Client,
  clock: Pick<Clock, 'now'>,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const spent = () => {
    const horizon = budgetHorizon({ clock, client });
    return records.filter(
      (record) => holdsOnlyFormerRuns(record) && record.runs.every((run) => run.createdAt <= horizon),
    );
  };
  const first = spent()[0];
  if (first === undefined) return [];
  if (client.serviceClock !== undefined && measuredOffset(client) === undefined) {
    await client.listAudiences(first.sandbox, { limit: 1 }, signal ? { signal } : {}).catch(() => undefined);
    if (measuredOffset(client) === undefined) return [];
  }
  const notes: string[] = [];
  for (const record of spent()) {
    await store.delete(record.sandbox, record.key);
    notes.push(
      `${record.sandbox}/${record.key}: dropped the record kept only for the runs of deleted audiences, none of which counts against the daily run budget any more`,
    );
  }
  return notes;
}
